package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Options controls ReadCSV, ReadFile, OpenCSV and OpenParquet.
type Options struct {
	// DropMissing drops, while reading, every row with a missing cell in the
	// columns read (Columns when set, otherwise all columns). The number of
	// rows dropped is reported in Frame.Dropped. Without it missing cells
	// are kept (NaN or "") for [Frame.CheckMissing] to report.
	DropMissing bool
	// Comma is the field delimiter; 0 means ',' (or '\t' for ReadFile on a
	// file whose name ends in ".tsv").
	Comma rune
	// Columns, when not nil, restricts reading to the named columns: other
	// columns are skipped without being parsed or checked. Naming a column
	// that is not in the header is an error suggesting the nearest name.
	Columns []string
	// Categorical names columns to read as String (categorical) columns
	// whatever their content, e.g. numeric codes "01", "02". Names that are
	// not in the header are ignored.
	Categorical []string
	// ChunkBytes is the size of the chunks OpenCSV cuts a file into (whole
	// records of about that many bytes), and of the values (8 bytes a
	// cell) of the chunks OpenParquet cuts row groups into; 0 means 4 MB.
	ChunkBytes int
}

// ReadFile reads the CSV file at path (see [ReadCSV]), or the Parquet file
// when its name ends in ".parquet" (see [Parquet] for how its columns are
// read); path names the data in messages.
func ReadFile(path string, opt Options) (*Frame, error) {
	if isParquet(path) {
		return readParquet(path, opt)
	}
	fh, opt, err := openFile(path, opt)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return ReadCSV(fh, path, opt)
}

// openFile opens the CSV file at path; a .tsv file is tab-separated
// unless opt says otherwise.
func openFile(path string, opt Options) (*os.File, Options, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, opt, &Error{File: path, Err: err}
	}
	if opt.Comma == 0 && strings.EqualFold(filepath.Ext(path), ".tsv") {
		opt.Comma = '\t'
	}
	return fh, opt, nil
}

// ReadFileHeader returns the column names in the header of the CSV file
// at path, read as [ReadFile] reads them, without reading the data; for a
// Parquet file, the names of its columns.
func ReadFileHeader(path string, opt Options) ([]string, error) {
	if isParquet(path) {
		return parquetHeader(path)
	}
	fh, opt, err := openFile(path, opt)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return ReadHeader(fh, path, opt)
}

// ReadHeader returns the trimmed column names in the header of the CSV
// data in r, as [ReadCSV] reads them, without reading the data. name
// identifies the data in messages.
func ReadHeader(r io.Reader, name string, opt Options) ([]string, error) {
	if name == "" {
		name = "data"
	}
	comma := opt.Comma
	if comma == 0 {
		comma = ','
	}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: name, Msg: "empty file (a header row naming the columns is required)"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	for i, h := range rec {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		rec[i] = strings.TrimSpace(h)
	}
	return rec, nil
}

// ReadCSV reads CSV data with a header row from r into a Frame, following
// the rules in the package documentation. name identifies the data in
// messages (typically the file name) and becomes Frame.Source.
//
// Errors name the position: a record with the wrong number of fields
// ("data: wells.csv:7: 4 fields, want 3 as in the header"), malformed
// quoting, a stray non-numeric cell in a numeric column
// ("data: wells.csv:57:3 (column "dist"): "12a" is not a number"), an
// infinite number, an empty file or a header without data rows.
//
// The data are read in chunks of whole records of about 4 MB, parsed on
// all cores (GOMAXPROCS) and reassembled in file order, so memory holds the
// columns read and a few chunks, not the file. When r is not an
// io.ReadSeeker it is read into memory first (a column that turns out
// categorical may need its early chunks read again).
func ReadCSV(r io.Reader, name string, opt Options) (*Frame, error) {
	if name == "" {
		name = "data"
	}
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		buf, err := io.ReadAll(r)
		if err != nil {
			return nil, &Error{File: name, Msg: err.Error(), Err: err}
		}
		rs = bytes.NewReader(buf)
	}
	return readCSV(rs, name, opt)
}

// csvError wraps an encoding/csv error with the data name.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		where := ""
		if pe.StartLine != pe.Line {
			where = fmt.Sprintf(" (in the record starting on line %d)", pe.StartLine)
		}
		return &Error{File: name, Line: pe.Line, Msg: fmt.Sprintf("malformed CSV at character %d%s: %v", pe.Column, where, pe.Err), Err: err}
	}
	return &Error{File: name, Msg: err.Error(), Err: err}
}

// isMissing reports whether a trimmed cell is a missing-value marker:
// "", "NA", "." or NaN in any letter case.
func isMissing(s string) bool {
	switch len(s) {
	case 0:
		return true
	case 1:
		return s == "."
	case 2:
		return s == "NA"
	case 3:
		return (s[0] == 'n' || s[0] == 'N') && strings.EqualFold(s, "nan")
	}
	return false
}

// parseNumber parses a trimmed non-missing cell. ok is false when the cell
// is text; infinite values are returned with ok true.
func parseNumber(s string) (v float64, ok bool) {
	switch c := s[0]; {
	case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'i', c == 'I', c == 'n', c == 'N':
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, true // ±Inf or 0 after overflow/underflow
		}
		return 0, false
	}
	h := s
	if h[0] == '+' || h[0] == '-' {
		h = h[1:]
	}
	if len(h) > 1 && h[0] == '0' && h[1]|0x20 == 'x' {
		return 0, false // hexadecimal floats are read as text
	}
	return v, true
}

// cellErr is a problem at one cell.
type cellErr struct {
	line, field int
	col, msg    string
}

// plural renders "1 field", "2 fields".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
