// Package data reads rectangular data (CSV and Parquet files) into typed
// columns for model fitting, whole (ReadFile, ReadCSV) or a chunk of rows
// at a time for data larger than memory (Open, OpenCSV, OpenParquet).
//
// The rules below are those of CSV files; a Parquet file's columns are
// typed by its schema instead (see [Parquet]).
//
// A [Frame] holds one [Column] per CSV column. A column is either Numeric
// (float64 values, NaN where a cell is missing) or String (raw strings,
// used as a categorical variable; "" where a cell is missing).
//
// # Reading rules
//
//   - The first record is a header naming the columns; names are trimmed of
//     surrounding spaces and must be unique and non-empty.
//   - Every cell is trimmed of surrounding spaces.
//   - A cell is missing when it is empty, "NA", "." or any spelling of NaN
//     ("NaN", "nan", ...). Missing cells are allowed while reading; the model
//     code asks [Frame.CheckMissing] or [Frame.DropMissing] about the columns
//     it actually uses.
//   - A cell is a number when [strconv.ParseFloat] accepts it ("3", "-0",
//     ".5", "1e-3", ...), except hexadecimal forms, which are read as text.
//     Infinite cells ("Inf", "-Inf", "Infinity") in a numeric column are an
//     error.
//
// # Numeric or categorical
//
// A column is Numeric when every non-missing cell is a number. Otherwise it
// is categorical (Kind String) when its first non-missing cell is not a
// number, or when at least half of its non-missing cells are not numbers.
// Otherwise (a mostly numeric column with a few stray cells, typically a
// typo such as "12a") reading fails with an error naming the first stray
// cell by file, line and field number:
//
//	data: wells.csv:57:3 (column "dist"): "12a" is not a number
//
// Line numbers are 1-based line numbers in the file (the header is line 1);
// field numbers are 1-based. [Options.Categorical] forces named columns to be
// read as categorical whatever their content.
//
// Rows in messages are identified by the same line numbers (see
// [Frame.RowNumber]).
package data

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type of a column.
type Kind int

const (
	// Numeric columns hold float64 values in Column.Num (NaN where missing).
	Numeric Kind = iota
	// String columns hold raw strings in Column.Str ("" where missing); the
	// model treats them as categorical variables.
	String
)

// String returns "numeric" or "string".
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case String:
		return "string"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one named, typed column of a Frame.
type Column struct {
	// Name is the column name from the header.
	Name string
	// Num holds the values when Kind == Numeric (NaN where missing).
	Num []float64
	// Str holds the trimmed raw strings when Kind == String ("" where missing).
	Str []string
	// Kind says which of Num and Str is used.
	Kind Kind
}

// NewNumeric returns a Numeric column; NaN values are missing.
func NewNumeric(name string, v []float64) *Column {
	return &Column{Name: name, Num: v, Kind: Numeric}
}

// NewString returns a String (categorical) column; "" values are missing.
func NewString(name string, v []string) *Column {
	return &Column{Name: name, Str: v, Kind: String}
}

// Len returns the number of values in the column.
func (c *Column) Len() int {
	if c.Kind == String {
		return len(c.Str)
	}
	return len(c.Num)
}

// IsMissing reports whether value i is missing (NaN in a Numeric column, ""
// in a String column).
func (c *Column) IsMissing(i int) bool {
	if c.Kind == String {
		return c.Str[i] == ""
	}
	return math.IsNaN(c.Num[i])
}

// hasMissing reports whether any cell of c is missing.
func (c *Column) hasMissing() bool {
	if c.Kind == String {
		return slices.Contains(c.Str, "")
	}
	for _, v := range c.Num {
		if v != v { // NaN
			return true
		}
	}
	return false
}

// subset returns a copy of the column holding only the given rows.
func (c *Column) subset(rows []int) *Column {
	out := &Column{Name: c.Name, Kind: c.Kind}
	if c.Kind == String {
		out.Str = make([]string, len(rows))
		for k, i := range rows {
			out.Str[k] = c.Str[i]
		}
	} else {
		out.Num = make([]float64, len(rows))
		for k, i := range rows {
			out.Num[k] = c.Num[i]
		}
	}
	return out
}

// Frame is a set of equally long named columns.
type Frame struct {
	// Columns in file order.
	Columns []*Column
	// Rows is the number of rows (the length of every column).
	Rows int
	// Source names the data in messages, typically the file name.
	Source string
	// Lines holds, for each row, its line number in the source file (the
	// header is line 1). It is nil for frames built in memory.
	Lines []int
	// Dropped counts the rows removed by Options.DropMissing while reading.
	Dropped int
}

// New returns a frame of the given columns, which must have equal lengths
// and distinct non-empty names. Source names the frame in messages.
func New(source string, cols ...*Column) (*Frame, error) {
	f := &Frame{Columns: cols, Source: source}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		if c.Name == "" {
			return nil, &Error{File: f.src(), Msg: fmt.Sprintf("column %d has no name", i+1)}
		}
		if seen[c.Name] {
			return nil, &Error{File: f.src(), Column: c.Name, Msg: fmt.Sprintf("duplicate column %q", c.Name)}
		}
		seen[c.Name] = true
		if i == 0 {
			f.Rows = c.Len()
		} else if c.Len() != f.Rows {
			return nil, &Error{File: f.src(), Column: c.Name, Msg: fmt.Sprintf("column %q has %d values, column %q has %d",
				c.Name, c.Len(), cols[0].Name, f.Rows)}
		}
	}
	return f, nil
}

// src returns the name used in messages.
func (f *Frame) src() string {
	if f.Source == "" {
		return "data"
	}
	return f.Source
}

// Names returns the column names in order.
func (f *Frame) Names() []string {
	out := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		out[i] = c.Name
	}
	return out
}

// Lookup returns the named column, or nil when there is none.
func (f *Frame) Lookup(name string) *Column {
	for _, c := range f.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Col returns the named column. When there is none, the error names the
// source and suggests the nearest column name (see [Suggest]), e.g.
//
//	data: wells.csv: no column "dsit"; did you mean "dist"?
func (f *Frame) Col(name string) (*Column, error) {
	if c := f.Lookup(name); c != nil {
		return c, nil
	}
	return nil, &Error{File: f.src(), Column: name, Msg: UnknownName("column", name, f.Names())}
}

// UnknownName describes a name that is not among candidates, suggesting the
// nearest one (see [Suggest]) or, failing that, listing up to 10 candidates:
//
//	no column "dsit"; did you mean "dist"?
//	no column "foo" (columns: a, b, c)
//
// what names the kind of thing ("column", "function", ...).
func UnknownName(what, name string, candidates []string) string {
	if s, ok := Suggest(name, candidates); ok {
		return fmt.Sprintf("no %s %q; did you mean %q?", what, name, s)
	}
	if len(candidates) == 0 {
		return fmt.Sprintf("no %s %q", what, name)
	}
	hint := ""
	if len(candidates) == 1 {
		for _, d := range []struct{ sep, name string }{{";", "semicolons"}, {"\t", "tabs"}, {"|", "bars"}} {
			if strings.Contains(candidates[0], d.sep) {
				hint = fmt.Sprintf("; the file has one column whose name contains %s: it looks delimited by %s, but govi reads comma-separated files (convert it, e.g. to commas)", d.name, d.name)
				break
			}
		}
	}
	list := candidates
	more := ""
	if len(list) > 10 {
		list = list[:10]
		more = fmt.Sprintf(", ... (%d in all)", len(candidates))
	}
	for i, c := range list {
		if len(c) > 60 {
			list = slices.Clone(list)
			list[i] = c[:57] + "…"
		}
	}
	return fmt.Sprintf("no %s %q (%ss: %s%s)%s", what, name, what, strings.Join(list, ", "), more, hint)
}

// Suggest returns the candidate nearest to name, if any is near enough:
// first a case-insensitive exact match, otherwise the candidate with the
// smallest edit distance between the lower-cased strings (Levenshtein
// distance counting an adjacent transposition such as "dsit"/"dist" as one
// edit), provided the distance is at most max(1, min(3, len(name)/2)) and
// less than len(name) (so "c" does not suggest "a"). Ties go to the earlier
// candidate.
func Suggest(name string, candidates []string) (string, bool) {
	ln := strings.ToLower(name)
	for _, c := range candidates {
		if strings.ToLower(c) == ln {
			return c, true
		}
	}
	n := len([]rune(name))
	limit := min(max(1, min(3, n/2)), n-1)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editDistance(ln, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD <= limit
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	n, m := len(ra), len(rb)
	// Three rolling rows: prev2 (i-2), prev (i-1), cur (i).
	prev2 := make([]int, m+1)
	prev := make([]int, m+1)
	cur := make([]int, m+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= n; i++ {
		cur[0] = i
		for j := 1; j <= m; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[m]
}

// RowNumber returns the number that identifies row i (0-based) in
// messages: its line number in the source file (the header is line 1), or
// i+1 for frames built in memory.
func (f *Frame) RowNumber(i int) int {
	if f.Lines != nil {
		return f.Lines[i]
	}
	return i + 1
}

// Select returns a frame holding only the named columns, in the given
// order. The columns are shared with f, not copied.
func (f *Frame) Select(names []string) (*Frame, error) {
	out := &Frame{Rows: f.Rows, Source: f.Source, Lines: f.Lines, Dropped: f.Dropped}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		c, err := f.Col(name)
		if err != nil {
			return nil, err
		}
		out.Columns = append(out.Columns, c)
	}
	return out, nil
}

// Subset returns a new frame holding copies of the given rows (0-based
// indices, in the given order). Line numbers are carried over.
func (f *Frame) Subset(rows []int) *Frame {
	out := &Frame{Rows: len(rows), Source: f.Source, Dropped: f.Dropped}
	out.Columns = make([]*Column, len(f.Columns))
	for j, c := range f.Columns {
		out.Columns[j] = c.subset(rows)
	}
	if f.Lines != nil {
		out.Lines = make([]int, len(rows))
		for k, i := range rows {
			out.Lines[k] = f.Lines[i]
		}
	}
	return out
}

// Cell is the position of one cell.
type Cell struct {
	// Row is a 0-based row index into the frame (see Frame.RowNumber for
	// the number to show).
	Row int
	// Column is the column name.
	Column string
}

// columns resolves names (all columns when names is nil) and ignores
// unknown names when lax is set.
func (f *Frame) columns(names []string, lax bool) ([]*Column, error) {
	if names == nil {
		return f.Columns, nil
	}
	out := make([]*Column, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		c := f.Lookup(n)
		if c == nil {
			if lax {
				continue
			}
			_, err := f.Col(n)
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Missing returns the positions of missing cells in the named columns
// (every column when names is nil), ordered by row and then by the order
// of names. Unknown names are an error.
func (f *Frame) Missing(names []string) ([]Cell, error) {
	cols, err := f.columns(names, false)
	if err != nil {
		return nil, err
	}
	// Most data have no missing cell: a pass down each column shows it
	// faster than the pass across the rows that orders the cells.
	if !slices.ContainsFunc(cols, (*Column).hasMissing) {
		return nil, nil
	}
	var out []Cell
	for i := 0; i < f.Rows; i++ {
		for _, c := range cols {
			if c.IsMissing(i) {
				out = append(out, Cell{Row: i, Column: c.Name})
			}
		}
	}
	return out, nil
}

// maxListed is how many missing cells an error message lists.
const maxListed = 5

// CheckMissing returns an error when any of the named columns (every column
// when names is nil) has missing cells, or when a name is not a column. The
// message counts the missing cells and lists the first five by row number
// (see [Frame.RowNumber]) and column:
//
//	data: wells.csv: 3 missing values (row 12 column "arsenic", row 40 column "dist", row 41 column "dist"); use --drop-missing to drop those rows
func (f *Frame) CheckMissing(names []string) error {
	cells, err := f.Missing(names)
	if err != nil {
		return err
	}
	if len(cells) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d missing value", len(cells))
	if len(cells) > 1 {
		b.WriteByte('s')
	}
	b.WriteString(" (")
	for k, c := range cells {
		if k == maxListed {
			fmt.Fprintf(&b, ", and %d more", len(cells)-maxListed)
			break
		}
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "row %d column %q", f.RowNumber(c.Row), c.Column)
	}
	b.WriteString("); use --drop-missing to drop those rows")
	first := cells[0]
	return &Error{File: f.src(), Column: first.Column, Msg: b.String()}
}

// DropMissing returns a frame without the rows that have a missing cell in
// any of the named columns (every column when names is nil; unknown names
// are ignored) and the number of rows dropped. When nothing is dropped f
// itself is returned.
func (f *Frame) DropMissing(names []string) (*Frame, int) {
	cols, _ := f.columns(names, true)
	keep := make([]int, 0, f.Rows)
	for i := 0; i < f.Rows; i++ {
		ok := true
		for _, c := range cols {
			if c.IsMissing(i) {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	dropped := f.Rows - len(keep)
	if dropped == 0 {
		return f, 0
	}
	return f.Subset(keep), dropped
}

// Levels returns the sorted distinct non-missing values of a String column
// (byte order, as R's sort() in the C locale) or nil for a Numeric column.
func (c *Column) Levels() []string {
	if c.Kind != String {
		return nil
	}
	set := make(map[string]struct{})
	for _, s := range c.Str {
		if s != "" {
			set[s] = struct{}{}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
