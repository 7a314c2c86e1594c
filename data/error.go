package data

import (
	"strconv"
	"strings"
)

// Error is an error about data: a file that cannot be read, a malformed
// record, a cell that is not a number, missing values, a column that is not
// there. It names the place as precisely as it is known, so callers can
// classify it with errors.As and point at it:
//
//	data: wells.csv:57:3 (column "dist"): "12a" is not a number
//	data: wells.csv: no column "dsit"; did you mean "dist"?
type Error struct {
	// File names the data: the file name, or Frame.Source.
	File string
	// Line is the 1-based line in the file (the header is line 1), or 0
	// when the error is not about one line.
	Line int
	// Field is the 1-based field within Line, or 0.
	Field int
	// Column names the column concerned, or is empty.
	Column string
	// Msg says what is wrong. When it is empty, Err says it.
	Msg string
	// Err is the underlying error, such as an *fs.PathError, or nil.
	Err error
}

// Error renders "data: FILE:LINE:FIELD (column "NAME"): MSG", leaving out
// the parts that are not set; the column is shown only with a line. With
// no Msg it renders "data: " followed by Err, which names the file itself
// (an *fs.PathError does).
func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return "data: " + e.Err.Error()
	}
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Field > 0 {
			b.WriteString(":" + strconv.Itoa(e.Field))
		}
		if e.Column != "" {
			b.WriteString(" (column " + strconv.Quote(e.Column) + ")")
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }
