package spec

import (
	"fmt"
	"strings"
)

// Errors from Check, Build, Fit and Predict are typed, so that a caller can
// tell a mistake in the model description (*Error, *PriorError, and
// *formula.SyntaxError for the formula's text) from data that do not suit
// it (*DataError, and the *data.Error and *formula.EvalError of reading the
// data and evaluating the formula on them) with errors.As.

// Error is a mistake in a model description that no data can fix: no
// formula, an unknown family, link or parameterization, a formula term the
// family does not take (se() with a family that has no known standard
// errors, binomial without trials), or two parameters with the same name.
type Error struct {
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string { return "spec: " + e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// PriorError is a prior that cannot be used: bad syntax, an unknown class
// or distribution, bad arguments, a support that does not suit its class
// (normal on sigma), or a target the model does not have (b[x] without a
// column x).
type PriorError struct {
	// Prior is the prior as written ("b[x] ~ normal(0, 1)").
	Prior string
	// Msg says what is wrong; it is empty when Err says it.
	Msg string
	// Err is the error of package prior parsing the distribution, or nil.
	Err error
}

// Error returns "spec: " followed by Msg, or Err's message (package prior
// names the prior itself).
func (e *PriorError) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return "spec: " + e.Msg
}

// Unwrap returns Err.
func (e *PriorError) Unwrap() error { return e.Err }

func priorErrorf(p, format string, args ...any) error {
	return &PriorError{Prior: p, Msg: fmt.Sprintf(format, args...)}
}

// DataError says that data do not suit the model: a response outside the
// family's support, a likelihood that cannot be built on the data, new
// data without the trials or standard errors the model needs, or draws
// that do not belong to the model description.
type DataError struct {
	// File names the data (data.Frame.Source, or the draws' file).
	File string
	// Column names the column concerned, or is empty.
	Column string
	// Lines holds the line numbers in File of the first bad rows (at
	// most five), or nil.
	Lines []int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, or nil.
	Err error
}

// Error returns "spec: FILE: MSG" ("spec: MSG" without a file).
func (e *DataError) Error() string {
	if e.File == "" {
		return "spec: " + e.Msg
	}
	return "spec: " + e.File + ": " + e.Msg
}

// Unwrap returns Err.
func (e *DataError) Unwrap() error { return e.Err }

// maxBadRows is how many bad rows a DataError lists.
const maxBadRows = 5

// supportError returns nil when ok(i) holds for every row, and otherwise a
// *DataError naming the first bad rows by their line numbers in file.
func supportError(file, family, what, col string, n int, value func(i int) float64, line func(i int) int, ok func(i int) bool) error {
	var rows []string
	var lines []int
	bad := 0
	for i := 0; i < n; i++ {
		if ok(i) {
			continue
		}
		if bad < maxBadRows {
			lines = append(lines, line(i))
			rows = append(rows, fmt.Sprintf("row %d (%s = %g)", line(i), col, value(i)))
		}
		bad++
	}
	if bad == 0 {
		return nil
	}
	more := ""
	if bad > maxBadRows {
		more = fmt.Sprintf(" and %d more", bad-maxBadRows)
	}
	values := "values"
	if bad == 1 {
		values = "value"
	}
	return &DataError{File: file, Column: col, Lines: lines,
		Msg: fmt.Sprintf("family %s needs %s; %d bad %s: %s%s", family, what, bad, values, strings.Join(rows, ", "), more)}
}
