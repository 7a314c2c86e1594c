package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/examples"
)

// findExample returns the named example or a usage error.
func findExample(name string) (*examples.Example, error) {
	e, err := examples.Lookup(name)
	if errors.Is(err, examples.ErrUnknown) {
		return nil, usageErrorf("%s (see 'govi examples')", err)
	}
	return &e, err
}

func suggestName(name string, options []string) string {
	if s, ok := data.Suggest(name, options); ok {
		return s
	}
	return ""
}

func runExamples(args []string, stdout, stderr io.Writer) error {
	if done, err := noArgs("examples", args, examplesHelp, stdout); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "name\trows\tfamily\tformula\tdescription")
	for _, e := range examples.All() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", e.Name, e.Rows(), e.Family, e.Formula, e.Description)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nSources:")
	for _, e := range examples.All() {
		fmt.Fprintf(stdout, "  %-14s %s\n", e.Name, e.Credit)
	}
	fmt.Fprintln(stdout, "\nFit one with: govi fit --example NAME   (e.g. govi fit --example wells)")
	return nil
}
