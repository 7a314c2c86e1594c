// Command govi fits Bayesian regression models to CSV data by variational
// inference, in one line, as rstanarm and brms do with MCMC:
//
//	govi fit --data wells.csv --formula "switch ~ dist100 + arsenic" --family bernoulli
//	govi fit --example wells
//	govi predict --fit out --data new.csv
//
// Run "govi help" for the commands and "govi <command> --help" for their
// flags.
//
// # Exit codes
//
//	0    success: the fit converged, or stopped at the iteration limit
//	     (with a warning); help; version
//	1    the fit failed (no finite ELBO could be found), or an I/O error
//	     (e.g. the output directory cannot be written)
//	2    usage error: unknown command or flag, bad flag value, formula
//	     syntax, unknown family/link/prior, bad prior arguments, a prior
//	     for a parameter the model does not have, a formula term the
//	     family cannot take, two parameters with one name
//	3    data error: missing file, missing or misspelt column, non-numeric
//	     cell, missing values (without --drop-missing), a value a formula
//	     function cannot take, response outside the family's support; for
//	     predict, a fit whose spec.json and draws.csv do not match
//	130  interrupted (Ctrl-C): the optimizer stopped cleanly, the outputs
//	     were written and are marked not converged
//
// Errors are sorted by their type (see exitCode), never by their text.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/spec"
)

// Exit codes; see the package documentation.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitData        = 3
	exitInterrupted = 130
)

// ExitError is an error that carries the process exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// exitCode returns the exit code for the error run returned: its own code
// for an *ExitError, otherwise the class of the library's typed error —
// usage for a mistake in the model description (formula syntax, family,
// link, prior), data for data that cannot be read or do not suit the
// model — and failure for anything else.
func exitCode(err error) int {
	var (
		ee     *ExitError
		syntax *formula.SyntaxError
		model  *spec.Error
		prior  *spec.PriorError
		read   *data.Error
		eval   *formula.EvalError
		suit   *spec.DataError
		limit  *govi.LimitError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, govi.ErrInterrupted):
		return exitInterrupted
	case errors.As(err, &limit):
		return exitUsage
	case errors.As(err, &syntax), errors.As(err, &model), errors.As(err, &prior):
		return exitUsage
	case errors.As(err, &read), errors.As(err, &eval), errors.As(err, &suit):
		return exitData
	}
	return exitFailure
}

// withCode wraps err with an exit code; nil stays nil and an error that
// already has one keeps it.
func withCode(code int, err error) error {
	var ee *ExitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: code, Err: err}
}

func usageErrorf(format string, args ...any) error {
	return &ExitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

func dataErrorf(format string, args ...any) error {
	return &ExitError{Code: exitData, Err: fmt.Errorf(format, args...)}
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		// The library's errors carry their package's prefix; the command
		// names itself once.
		fmt.Fprintf(os.Stderr, "govi: %s\n", strings.TrimPrefix(err.Error(), "govi: "))
	}
	os.Exit(exitCode(err))
}

// run runs the command line args (without the program name), writing the
// results to stdout and messages to stderr. Its error carries the exit code
// (see ExitError).
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stderr, mainHelp+exitCodesHelp)
		return usageErrorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "fit":
		return runFit(rest, stdout, stderr)
	case "predict":
		return runPredict(rest, stdout, stderr)
	case "examples":
		return runExamples(rest, stdout, stderr)
	case "version", "--version", "-version", "-v":
		return runVersion(rest, stdout, stderr)
	case "help", "--help", "-help", "-h":
		if len(rest) > 0 {
			switch rest[0] {
			case "fit", "predict", "examples", "version":
				return run([]string{rest[0], "--help"}, stdout, stderr)
			}
			return usageErrorf("unknown command %q; commands are fit, predict, examples, version", rest[0])
		}
		io.WriteString(stdout, mainHelp+exitCodesHelp)
		return nil
	}
	hint := ""
	if s := suggestName(cmd, []string{"fit", "predict", "examples", "version", "help"}); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	if strings.HasPrefix(cmd, "-") {
		return usageErrorf("a command must come first, before flags: govi fit %s ...; run 'govi help'", cmd)
	}
	return usageErrorf("unknown command %q%s; commands are fit, predict, examples, version; run 'govi help'", cmd, hint)
}

// noArgs handles the arguments of a command that takes none: it prints
// help for -h/--help (done) and returns a usage error for others.
func noArgs(cmd string, args []string, help string, stdout io.Writer) (done bool, err error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, help+exitCodesHelp)
			return true, nil
		}
	}
	if len(args) > 0 {
		return false, usageErrorf("%s takes no arguments; run 'govi %s --help'", cmd, cmd)
	}
	return false, nil
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	if done, err := noArgs("version", args, versionHelp, stdout); done || err != nil {
		return err
	}
	fmt.Fprintf(stdout, "govi %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// version returns the module version, or the VCS revision of a development
// build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			v += " " + rev + modified
		}
	}
	return v
}
