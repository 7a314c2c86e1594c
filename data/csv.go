package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Options controls ReadCSV and ReadFile.
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
}

// ReadFile reads the CSV file at path (see [ReadCSV]); path names the data
// in messages.
func ReadFile(path string, opt Options) (*Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer fh.Close()
	if opt.Comma == 0 && strings.EqualFold(filepath.Ext(path), ".tsv") {
		opt.Comma = '\t'
	}
	return ReadCSV(fh, path, opt)
}

// ReadFileHeader returns the column names in the header of the CSV file
// at path, read as [ReadFile] reads them, without reading the data.
func ReadFileHeader(path string, opt Options) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer fh.Close()
	if opt.Comma == 0 && strings.EqualFold(filepath.Ext(path), ".tsv") {
		opt.Comma = '\t'
	}
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
func ReadCSV(r io.Reader, name string, opt Options) (*Frame, error) {
	if name == "" {
		name = "data"
	}
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error(), Err: err}
	}
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	comma := opt.Comma
	if comma == 0 {
		comma = ','
	}
	cr := newReader(buf, comma)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: name, Msg: "empty file (a header row naming the columns is required)"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	names := make([]string, len(header))
	pos := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, &Error{File: name, Line: 1, Field: j + 1, Msg: "empty column name in header"}
		}
		if k, dup := pos[h]; dup {
			return nil, &Error{File: name, Line: 1, Field: j + 1, Msg: fmt.Sprintf("duplicate column name %q (also field %d)", h, k+1)}
		}
		names[j] = h
		pos[h] = j
	}

	// Choose the columns to read.
	var states []*colState
	if opt.Columns == nil {
		for j, h := range names {
			states = append(states, &colState{field: j, name: h})
		}
	} else {
		want := make(map[int]bool)
		for _, c := range opt.Columns {
			j, ok := pos[c]
			if !ok {
				return nil, &Error{File: name, Column: c, Msg: UnknownName("column", c, names)}
			}
			want[j] = true
		}
		for j, h := range names {
			if want[j] {
				states = append(states, &colState{field: j, name: h})
			}
		}
	}
	for _, c := range opt.Categorical {
		for _, s := range states {
			if s.name == c {
				s.forceStr = true
			}
		}
	}
	hint := bytes.Count(buf, []byte{'\n'})
	for _, s := range states {
		s.init(hint)
	}

	lines := make([]int, 0, hint)
	row := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("%s, want %d as in the header", plural(len(rec), "field"), len(names))}
		}
		lines = append(lines, line)
		for _, s := range states {
			s.add(strings.TrimSpace(rec[s.field]), row, cr)
		}
		row++
	}
	if row == 0 {
		return nil, &Error{File: name, Msg: "no data rows (only a header)"}
	}

	// Decide the kinds; report the first error in file order.
	var first *cellErr
	var backfill []*colState
	for _, s := range states {
		e, needFill := s.finish()
		if e != nil && (first == nil || e.line < first.line || e.line == first.line && e.field < first.field) {
			first = e
		}
		if needFill {
			backfill = append(backfill, s)
		}
	}
	if first != nil {
		return nil, &Error{File: name, Line: first.line, Field: first.field + 1, Column: first.col, Msg: first.msg}
	}
	if len(backfill) > 0 {
		fillStrings(buf, comma, backfill)
	}

	f := &Frame{Rows: row, Source: name, Lines: lines}
	for _, s := range states {
		f.Columns = append(f.Columns, s.column())
	}
	if opt.DropMissing {
		var n int
		f, n = f.DropMissing(nil)
		f.Dropped = n
		if f.Rows == 0 {
			return nil, &Error{File: name, Msg: fmt.Sprintf("every row has a missing value; nothing left after dropping %d rows", n)}
		}
	}
	return f, nil
}

// newReader returns a CSV reader on buf that leaves field counts to us.
func newReader(buf []byte, comma rune) *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(buf))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
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

// column modes while reading.
const (
	modeUndecided = iota // no non-missing cell yet
	modeNum              // first non-missing cell was a number
	modeStr              // categorical for sure
)

// cellErr is a problem at one cell.
type cellErr struct {
	line, field int
	col, msg    string
}

// colState accumulates one column while reading.
type colState struct {
	field    int
	name     string
	forceStr bool
	mode     int
	num      []float64
	str      []string // in modeNum: nil until the first text cell
	strFrom  int      // in modeNum: first row held in str
	intern   map[string]string
	nonMiss  int
	text     int
	textErr  *cellErr // first text cell in modeNum
	infErr   *cellErr // first infinite number
}

func (s *colState) init(hint int) {
	s.intern = make(map[string]string)
	if s.forceStr {
		s.mode = modeStr
		s.str = make([]string, 0, hint)
		return
	}
	s.num = make([]float64, 0, hint)
}

// internStr returns a private copy of v shared by equal cells.
func (s *colState) internStr(v string) string {
	if w, ok := s.intern[v]; ok {
		return w
	}
	w := strings.Clone(v)
	s.intern[w] = w
	return w
}

// add appends the trimmed cell v of data row row.
func (s *colState) add(v string, row int, cr *csv.Reader) {
	missing := isMissing(v)
	if s.mode == modeStr {
		if missing {
			s.str = append(s.str, "")
		} else {
			s.nonMiss++
			s.str = append(s.str, s.internStr(v))
		}
		return
	}
	if missing {
		s.num = append(s.num, math.NaN())
		if s.str != nil {
			s.str = append(s.str, "")
		}
		return
	}
	x, isNum := parseNumber(v)
	if isNum && math.IsNaN(x) { // e.g. "+nan"
		s.num = append(s.num, x)
		if s.str != nil {
			s.str = append(s.str, "")
		}
		return
	}
	s.nonMiss++
	if s.mode == modeUndecided {
		if !isNum {
			// First non-missing cell is text: categorical.
			s.mode = modeStr
			s.str = make([]string, len(s.num), cap(s.num))
			s.num = nil
			s.str = append(s.str, s.internStr(v))
			return
		}
		s.mode = modeNum
		s.str = nil
	}
	if isNum {
		if math.IsInf(x, 0) && s.infErr == nil {
			line, _ := cr.FieldPos(s.field)
			s.infErr = &cellErr{line: line, field: s.field, col: s.name,
				msg: fmt.Sprintf("%q is not a finite number", v)}
		}
		s.num = append(s.num, x)
	} else {
		s.text++
		if s.textErr == nil {
			line, _ := cr.FieldPos(s.field)
			s.textErr = &cellErr{line: line, field: s.field, col: s.name,
				msg: fmt.Sprintf("%q is not a number", v)}
			s.strFrom = row
			s.str = make([]string, row, cap(s.num))
		}
		s.num = append(s.num, math.NaN())
	}
	if s.str != nil {
		s.str = append(s.str, s.internStr(v))
	}
}

// finish decides the column kind. It returns an error for a numeric column
// with stray text or infinite cells, and whether rows before strFrom need
// their strings filled in by a second pass.
func (s *colState) finish() (*cellErr, bool) {
	switch s.mode {
	case modeStr:
		s.num = nil
		return nil, false
	case modeUndecided:
		s.str = nil
		return nil, false
	}
	if s.text == 0 {
		s.str = nil
		if s.infErr != nil {
			return s.infErr, false
		}
		return nil, false
	}
	if 2*s.text >= s.nonMiss {
		s.mode = modeStr
		s.num = nil
		return nil, s.strFrom > 0
	}
	return s.textErr, false
}

// column returns the finished column.
func (s *colState) column() *Column {
	if s.mode == modeStr {
		return &Column{Name: s.name, Str: s.str, Kind: String}
	}
	return &Column{Name: s.name, Num: s.num, Kind: Numeric}
}

// fillStrings reads buf again to fill in the raw strings of rows that were
// read as numbers before a column turned out to be categorical.
func fillStrings(buf []byte, comma rune, cols []*colState) {
	cr := newReader(buf, comma)
	if _, err := cr.Read(); err != nil { // header
		return
	}
	last := 0
	for _, s := range cols {
		last = max(last, s.strFrom)
	}
	for row := 0; row < last; row++ {
		rec, err := cr.Read()
		if err != nil {
			return
		}
		for _, s := range cols {
			if row < s.strFrom {
				if v := strings.TrimSpace(rec[s.field]); !isMissing(v) {
					s.str[row] = s.internStr(v)
				}
			}
		}
	}
}

// plural renders "1 field", "2 fields".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
