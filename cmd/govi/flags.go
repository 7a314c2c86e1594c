package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, "; ") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// commaList is a flag holding a comma-separated list; it may be repeated.
type commaList []string

func (s *commaList) String() string { return strings.Join(*s, ",") }
func (s *commaList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// parseFlags parses args with fs. It returns done = true after printing
// help to stdout for -h/--help, and a usage error (exit code 2) for bad
// flags or stray arguments. Unknown flags and missing values are found
// before fs.Parse, so they get a suggestion without reading the flag
// package's messages.
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout io.Writer) (done bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	cmd := fs.Name()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		switch {
		case name == "h" || name == "help":
			io.WriteString(stdout, help+exitCodesHelp)
			return true, nil
		case f == nil:
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			hint := ""
			if s := suggestName(name, names); s != "" {
				hint = fmt.Sprintf(" (did you mean --%s?)", s)
			}
			return false, usageErrorf("unknown flag --%s%s; run 'govi %s --help'", name, hint, cmd)
		case hasValue || isBool(f):
		case i+1 == len(args):
			return false, usageErrorf("flag --%s needs a value; run 'govi %s --help'", name, cmd)
		default:
			i++
		}
	}
	if err := fs.Parse(args); err != nil {
		return false, usageErrorf("%s; run 'govi %s --help'", strings.ReplaceAll(err.Error(), " -", " --"), cmd)
	}
	if fs.NArg() > 0 {
		extra := fs.Arg(0)
		return false, usageErrorf("unexpected argument %q (flags take the form --name value; quote values with spaces, e.g. --formula \"y ~ x\"); run 'govi %s --help'", extra, cmd)
	}
	return false, nil
}

// isBool reports whether f is a boolean flag, which takes no value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
