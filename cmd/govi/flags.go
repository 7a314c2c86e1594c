package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
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

// parseBytes reads a size such as 500M, 4G, 2GB or 1048576 (bytes).
func parseBytes(v string) (int64, error) {
	v = strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "B")
	mult := int64(1)
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 'K':
			mult, v = 1<<10, v[:n-1]
		case 'M':
			mult, v = 1<<20, v[:n-1]
		case 'G':
			mult, v = 1<<30, v[:n-1]
		case 'T':
			mult, v = 1<<40, v[:n-1]
		}
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !(x > 0) || x*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("want a positive size such as 500M or 4G")
	}
	return int64(x * float64(mult)), nil
}

// formatBytes renders a size as 1.5 GB or 300 MB.
func formatBytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
}
