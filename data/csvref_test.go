package data

// The reader before the chunked parser (encoding/csv over the whole file),
// kept as the reference the fuzz and equivalence tests compare with.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strings"
)

// ReadCSV reads CSV data with a header row from r into a Frame, following
// the rules in the package documentation. name identifies the data in
// messages (typically the file name) and becomes Frame.Source.
//
// Errors name the position: a record with the wrong number of fields
// ("data: wells.csv:7: 4 fields, want 3 as in the header"), malformed
// quoting, a stray non-numeric cell in a numeric column
// ("data: wells.csv:57:3 (column "dist"): "12a" is not a number"), an
// infinite number, an empty file or a header without data rows.
func readCSVRef(r io.Reader, name string, opt Options) (*Frame, error) {
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
	cr := refNewReader(buf, comma)
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
	var states []*refColState
	if opt.Columns == nil {
		for j, h := range names {
			states = append(states, &refColState{field: j, name: h})
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
				states = append(states, &refColState{field: j, name: h})
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
	var backfill []*refColState
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
		refFillStrings(buf, comma, backfill)
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
func refNewReader(buf []byte, comma rune) *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(buf))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// column modes while reading.
const (
	refModeUndecided = iota // no non-missing cell yet
	refModeNum              // first non-missing cell was a number
	refModeStr              // categorical for sure
)

// refColState accumulates one column while reading.
type refColState struct {
	field    int
	name     string
	forceStr bool
	mode     int
	num      []float64
	str      []string // in refModeNum: nil until the first text cell
	strFrom  int      // in refModeNum: first row held in str
	intern   map[string]string
	nonMiss  int
	text     int
	textErr  *cellErr // first text cell in refModeNum
	infErr   *cellErr // first infinite number
}

func (s *refColState) init(hint int) {
	s.intern = make(map[string]string)
	if s.forceStr {
		s.mode = refModeStr
		s.str = make([]string, 0, hint)
		return
	}
	s.num = make([]float64, 0, hint)
}

// internStr returns a private copy of v shared by equal cells.
func (s *refColState) internStr(v string) string {
	if w, ok := s.intern[v]; ok {
		return w
	}
	w := strings.Clone(v)
	s.intern[w] = w
	return w
}

// add appends the trimmed cell v of data row row.
func (s *refColState) add(v string, row int, cr *csv.Reader) {
	missing := isMissing(v)
	if s.mode == refModeStr {
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
	if s.mode == refModeUndecided {
		if !isNum {
			// First non-missing cell is text: categorical.
			s.mode = refModeStr
			s.str = make([]string, len(s.num), cap(s.num))
			s.num = nil
			s.str = append(s.str, s.internStr(v))
			return
		}
		s.mode = refModeNum
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
func (s *refColState) finish() (*cellErr, bool) {
	switch s.mode {
	case refModeStr:
		s.num = nil
		return nil, false
	case refModeUndecided:
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
		s.mode = refModeStr
		s.num = nil
		return nil, s.strFrom > 0
	}
	return s.textErr, false
}

// column returns the finished column.
func (s *refColState) column() *Column {
	if s.mode == refModeStr {
		return &Column{Name: s.name, Str: s.str, Kind: String}
	}
	return &Column{Name: s.name, Num: s.num, Kind: Numeric}
}

// fillStrings reads buf again to fill in the raw strings of rows that were
// read as numbers before a column turned out to be categorical.
func refFillStrings(buf []byte, comma rune, cols []*refColState) {
	cr := refNewReader(buf, comma)
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
