package data

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet is a Parquet file read in chunks (OpenParquet): each row group,
// or each of the even pieces a row group is split into so that a chunk
// holds about Options.ChunkBytes (default 4 MB) of values at 8 bytes a
// cell, as a CSV chunk does. Only the columns read are decoded.
//
// Column kinds come from the file's schema, not from the values:
//
//   - BOOLEAN (as 0 and 1), INT32, INT64 (signed or unsigned), FLOAT and
//     DOUBLE columns are Numeric, as are INT32 and INT64 decimals (the
//     unscaled integer times 10^−scale); dates and timestamps stored as
//     integers are read as those integers;
//   - BYTE_ARRAY columns (strings, enums) are String (categorical);
//   - nested columns (groups, lists, maps), repeated columns, INT96 and
//     FIXED_LEN_BYTE_ARRAY columns (UUIDs, FLOAT16, fixed-size decimals)
//     are not supported: reading one is an error naming the column and
//     its type.
//
// Nulls are missing values (NaN in a Numeric column, "" in a String
// column), as are a NaN float and an empty string (text is not trimmed,
// and "NA" is a value); an infinite float is an error naming the
// file, row and column as the CSV reader's "not a finite number" does.
// Options.Categorical reads numeric columns as String all the same, their
// values formatted as strconv formats them (booleans as "false", "true").
// Rows are identified by their 1-based row number plus one (Frame.Lines),
// the line the row would have in a CSV file with a header, so that an
// error names the same place in either format. Options.Comma is not used.
//
// Seeking to a chunk within a row group uses the file's offset index
// (parquet-go writes one; pyarrow does with write_page_index=True); without
// it the pages before the chunk are decoded and skipped.
type Parquet struct {
	fh      *os.File
	pf      *parquet.File
	name    string
	opt     Options
	cols    []pqCol
	pieces  []pqChunk // every chunk of the file
	chunks  []pqChunk // the chunks with rows (after DropMissing), after Scan
	rows    int
	scanned bool
}

var _ Chunked = (*Parquet)(nil)

// pqCol is a column read.
type pqCol struct {
	name  string
	field int // 1-based position among the file's columns
	leaf  int // leaf column index
	kind  parquet.Kind
	str   bool    // read as String
	scale float64 // decimals: 10^−scale, else 1
	uns   bool    // unsigned integer
}

// pqChunk is the rows [lo, hi) of row group g; row is the file row of lo
// (0-based), kept the rows left after DropMissing.
type pqChunk struct {
	g      int
	lo, hi int64
	row    int64
	kept   int
}

// OpenParquet opens a Parquet file for chunked reading and checks its
// schema: a column of Options.Columns that the file lacks, or a column read
// whose type is not supported, is an error.
func OpenParquet(path string, opt Options) (*Parquet, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	t, err := openParquet(fh, path, opt)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return t, nil
}

func openParquet(fh *os.File, path string, opt Options) (_ *Parquet, err error) {
	defer malformed(path, &err)
	st, err := fh.Stat()
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &Error{File: path, Msg: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	t := &Parquet{fh: fh, pf: pf, name: path, opt: opt}
	if err := t.columns(); err != nil {
		return nil, err
	}
	size := opt.ChunkBytes
	if size <= 0 {
		size = chunkTarget
	}
	per := int64(max(1, size/(8*max(1, len(t.cols)))))
	var row int64
	for g, rg := range pf.RowGroups() {
		n := rg.NumRows()
		if n == 0 {
			continue
		}
		parts := (n + per - 1) / per
		for p := int64(0); p < parts; p++ {
			lo, hi := n*p/parts, n*(p+1)/parts
			t.pieces = append(t.pieces, pqChunk{g: g, lo: lo, hi: hi, row: row + lo})
		}
		row += n
	}
	return t, nil
}

// columns chooses the columns to read, in file order, and checks their
// types.
func (t *Parquet) columns() error {
	top := t.pf.Root().Columns()
	names := make([]string, len(top))
	pos := make(map[string]int, len(top))
	for j, c := range top {
		names[j] = c.Name()
		pos[c.Name()] = j
	}
	want := make([]bool, len(top))
	if t.opt.Columns == nil {
		for j := range want {
			want[j] = true
		}
	}
	for _, c := range t.opt.Columns {
		j, ok := pos[c]
		if !ok {
			return &Error{File: t.name, Column: c, Msg: UnknownName("column", c, names)}
		}
		want[j] = true
	}
	for j, c := range top {
		if !want[j] {
			continue
		}
		col, err := pqColumn(c, j)
		if err != nil {
			return &Error{File: t.name, Column: c.Name(), Msg: err.Error()}
		}
		for _, cat := range t.opt.Categorical {
			col.str = col.str || cat == col.name
		}
		t.cols = append(t.cols, col)
	}
	return nil
}

// pqColumn describes a top-level column, or says why it is not supported.
func pqColumn(c *parquet.Column, j int) (pqCol, error) {
	col := pqCol{name: c.Name(), field: j + 1, leaf: c.Index(), scale: 1}
	unsupported := func(what string) (pqCol, error) {
		return col, fmt.Errorf("column %q has the Parquet type %s, which is not supported: columns must be BOOLEAN, INT32, INT64, FLOAT, DOUBLE (numeric) or BYTE_ARRAY (text)", c.Name(), what)
	}
	if !c.Leaf() {
		what := "GROUP (a nested column)"
		if lt := c.Type().LogicalType(); lt != nil && lt.String() != "" {
			what = lt.String() + " (a nested column)"
		}
		return unsupported(what)
	}
	typ := c.Type()
	kind := typ.Kind()
	lt := typ.LogicalType()
	if c.Repeated() {
		return unsupported("repeated " + kind.String())
	}
	col.kind = kind
	switch kind {
	case parquet.Boolean, parquet.Float, parquet.Double:
	case parquet.Int32, parquet.Int64:
		if lt != nil {
			switch v := lt.Value.(type) {
			case *format.DecimalType:
				col.scale = math.Pow(10, -float64(v.Scale))
			case *format.IntType:
				col.uns = !v.IsSigned
			}
		}
	case parquet.ByteArray:
		if lt != nil {
			if d, ok := lt.Value.(*format.DecimalType); ok {
				return unsupported(fmt.Sprintf("BYTE_ARRAY %s", d))
			}
		}
		col.str = true
	case parquet.Int96:
		return unsupported("INT96 (a legacy timestamp)")
	default:
		what := kind.String()
		if lt != nil && lt.String() != "" {
			what += " " + lt.String()
		}
		return unsupported(what)
	}
	return col, nil
}

// Source implements Chunked: the file name.
func (t *Parquet) Source() string { return t.name }

// Names returns the names of the columns read.
func (t *Parquet) Names() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.name
	}
	return out
}

// Scan implements Chunked: the chunks are read on all cores and passed to
// fn in file order; chunks left without rows by DropMissing are skipped.
func (t *Parquet) Scan(fn func(k int, f *Frame) error) error {
	if t.scanned {
		return rescan(t, fn)
	}
	var chunks []pqChunk
	rows := 0
	err := inOrder(len(t.pieces), func(i int) (*Frame, error) {
		return t.read(t.pieces[i : i+1])
	}, func(i int, f *Frame) error {
		if f.Rows == 0 {
			return nil
		}
		c := t.pieces[i]
		c.kept = f.Rows
		chunks = append(chunks, c)
		rows += f.Rows
		return fn(len(chunks)-1, f)
	})
	if err != nil {
		return err
	}
	if rows == 0 {
		return t.noRows()
	}
	t.chunks, t.rows, t.scanned = chunks, rows, true
	return nil
}

// noRows is the error for a file without rows left.
func (t *Parquet) noRows() error {
	if n := t.pf.NumRows(); n > 0 && t.opt.DropMissing {
		return &Error{File: t.name, Msg: fmt.Sprintf("every row has a missing value; nothing left after dropping %d rows", n)}
	}
	return &Error{File: t.name, Msg: "no data rows"}
}

// inOrder runs work(i) for i < n on all cores, at most two items ahead per
// core, and calls fn with the results in order; it stops at the first
// error in that order.
func inOrder(n int, work func(int) (*Frame, error), fn func(int, *Frame) error) error {
	type result struct {
		f   *Frame
		err error
	}
	nw := max(1, workers())
	queue := make(chan chan result, 2*nw)
	sem := make(chan struct{}, nw)
	stop := make(chan struct{})
	go func() {
		defer close(queue)
		for i := 0; i < n; i++ {
			out := make(chan result, 1)
			select {
			case queue <- out:
			case <-stop:
				return
			}
			sem <- struct{}{}
			go func(i int) {
				defer func() { <-sem }()
				f, err := work(i)
				out <- result{f, err}
			}(i)
		}
	}()
	var err error
	i := 0
	for out := range queue {
		r := <-out
		if err == nil {
			err = r.err
			if err == nil {
				err = fn(i, r.f)
			}
			if err != nil {
				close(stop)
			}
		}
		i++
	}
	// Wait for the workers still running.
	for k := 0; k < nw; k++ {
		sem <- struct{}{}
	}
	return err
}

// NumChunks implements Chunked.
func (t *Parquet) NumChunks() int { return len(t.chunks) }

// ChunkRows implements Chunked: the rows of chunk k (after DropMissing).
func (t *Parquet) ChunkRows(k int) int { return t.chunks[k].kept }

// Rows implements Chunked: the rows of the file (after DropMissing).
func (t *Parquet) Rows() int { return t.rows }

// ReadChunks implements Chunked; the chunks are read in parallel.
func (t *Parquet) ReadChunks(ks []int) (*Frame, error) {
	if !t.scanned {
		return nil, ErrNotScanned
	}
	cs := make([]pqChunk, len(ks))
	for i, k := range ks {
		if k < 0 || k >= len(t.chunks) {
			return nil, fmt.Errorf("data: chunk %d outside [0, %d)", k, len(t.chunks))
		}
		cs[i] = t.chunks[k]
	}
	f, err := t.read(cs)
	if err == nil && f.Rows != rowsKept(cs) {
		err = &Error{File: t.name, Msg: "the file changed while it was read"}
	}
	return f, err
}

func rowsKept(cs []pqChunk) int {
	n := 0
	for _, c := range cs {
		n += c.kept
	}
	return n
}

// Close implements Chunked.
func (t *Parquet) Close() error { return t.fh.Close() }

// read reads the chunks cs, in that order and in parallel, into one frame,
// dropping the rows with missing values under Options.DropMissing. The
// error is the first bad cell in the order of cs.
func (t *Parquet) read(cs []pqChunk) (*Frame, error) {
	rows := 0
	offs := make([]int, len(cs))
	for i, c := range cs {
		offs[i] = rows
		rows += int(c.hi - c.lo)
	}
	f := &Frame{Rows: rows, Source: t.name, Lines: make([]int, rows)}
	for _, c := range t.cols {
		col := &Column{Name: c.name, Kind: Numeric}
		if c.str {
			col.Kind, col.Str = String, make([]string, rows)
		} else {
			col.Num = make([]float64, rows)
		}
		f.Columns = append(f.Columns, col)
	}
	errs := make([]error, len(cs))
	if len(cs) == 1 {
		errs[0] = t.readChunk(cs[0], f, 0)
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(1, workers()))
		for i, c := range cs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				errs[i] = t.readChunk(c, f, offs[i])
			}()
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if t.opt.DropMissing {
		g, n := f.DropMissing(nil)
		g.Dropped = n
		return g, nil
	}
	return f, nil
}

// readChunk reads chunk c into the rows from off of f's columns; the error
// is its first bad cell by row, then column.
func (t *Parquet) readChunk(c pqChunk, f *Frame, off int) (err error) {
	defer malformed(t.name, &err)
	n := int(c.hi - c.lo)
	for i := 0; i < n; i++ {
		f.Lines[off+i] = int(c.row) + i + 2
	}
	rg := t.pf.RowGroups()[c.g]
	var first *Error
	firstRow := -1
	for j, col := range t.cols {
		bad, err := t.readColumn(rg.ColumnChunks()[col.leaf], col, c, f.Columns[j], off, n)
		if err != nil {
			return &Error{File: t.name, Column: col.name, Msg: fmt.Sprintf("column %q: %v", col.name, err), Err: err}
		}
		if bad != nil && (first == nil || bad.row < firstRow) {
			first, firstRow = bad.err, bad.row
		}
	}
	if first != nil {
		return first
	}
	return nil
}

type badCell struct {
	row int
	err *Error
}

// valueBuf is the number of values decoded at a time.
const valueBuf = 4096

var valuePool = sync.Pool{New: func() any { b := make([]parquet.Value, valueBuf); return &b }}

// readColumn reads the rows of chunk c of one column into dst from off; it
// returns the first non-finite cell.
func (t *Parquet) readColumn(cc parquet.ColumnChunk, col pqCol, c pqChunk, dst *Column, off, n int) (*badCell, error) {
	pages := cc.Pages()
	defer pages.Close()
	if c.lo > 0 {
		if err := pages.SeekToRow(c.lo); err != nil {
			return nil, err
		}
	}
	bp := valuePool.Get().(*[]parquet.Value)
	defer valuePool.Put(bp)
	buf := *bp
	var intern map[string]string
	if col.str {
		intern = make(map[string]string)
	}
	var bad *badCell
	i := 0 // rows read
	for i < n {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// A required DOUBLE page decodes straight into the column.
		if dr, ok := p.Values().(parquet.DoubleReader); ok && !col.str && col.kind == parquet.Double && p.NumNulls() == 0 && len(p.DefinitionLevels()) == 0 {
			m := min(int(p.NumRows()), n-i)
			out := dst.Num[off+i : off+i+m]
			for k := 0; k < m; {
				r, err := dr.ReadDoubles(out[k:])
				k += r
				if err == io.EOF || (err == nil && r == 0) {
					if k < m {
						return nil, io.ErrUnexpectedEOF
					}
					break
				}
				if err != nil {
					return nil, err
				}
			}
			if bad == nil {
				for k, x := range out {
					if math.IsInf(x, 0) {
						bad = t.nonFinite(col, c, i+k, x)
						break
					}
				}
			}
			i += m
			parquet.Release(p)
			continue
		}
		vr := p.Values()
		for i < n {
			r, err := vr.ReadValues(buf[:min(len(buf), n-i)])
			for _, v := range buf[:r] {
				if col.str {
					dst.Str[off+i] = t.str(v, col, intern)
				} else {
					x := t.num(v, col)
					if math.IsInf(x, 0) && bad == nil {
						bad = t.nonFinite(col, c, i, x)
					}
					dst.Num[off+i] = x
				}
				i++
			}
			if err == io.EOF || (err == nil && r == 0) {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		parquet.Release(p)
	}
	if i < n {
		return nil, fmt.Errorf("%d values in rows %d to %d, want %d", i, c.row+1, c.row+int64(n), n)
	}
	return bad, nil
}

func (t *Parquet) nonFinite(col pqCol, c pqChunk, i int, x float64) *badCell {
	return &badCell{row: i, err: &Error{File: t.name, Line: int(c.row) + i + 2, Field: col.field, Column: col.name,
		Msg: fmt.Sprintf("%q is not a finite number", strconv.FormatFloat(x, 'g', -1, 64))}}
}

// num returns the value of a numeric cell: NaN when null.
func (t *Parquet) num(v parquet.Value, col pqCol) float64 {
	if v.IsNull() {
		return math.NaN()
	}
	switch col.kind {
	case parquet.Double:
		return v.Double()
	case parquet.Float:
		return float64(v.Float())
	case parquet.Boolean:
		if v.Boolean() {
			return 1
		}
		return 0
	case parquet.Int32:
		if col.uns {
			return float64(v.Uint32())
		}
		return float64(v.Int32()) * col.scale
	case parquet.Int64:
		if col.uns {
			return float64(v.Uint64())
		}
		return float64(v.Int64()) * col.scale
	}
	return math.NaN()
}

// str returns the value of a cell read as a string: "" when null or NaN.
func (t *Parquet) str(v parquet.Value, col pqCol, intern map[string]string) string {
	if v.IsNull() {
		return ""
	}
	switch col.kind {
	case parquet.ByteArray:
		b := v.ByteArray()
		if w, ok := intern[string(b)]; ok {
			return w
		}
		w := string(b)
		intern[w] = w
		return w
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		switch {
		case col.scale != 1:
		case col.uns:
			return strconv.FormatUint(uint64(v.Uint32()), 10)
		default:
			return strconv.FormatInt(int64(v.Int32()), 10)
		}
	case parquet.Int64:
		switch {
		case col.scale != 1:
		case col.uns:
			return strconv.FormatUint(v.Uint64(), 10)
		default:
			return strconv.FormatInt(v.Int64(), 10)
		}
	}
	x := t.num(v, col)
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// readParquet reads a whole Parquet file into a frame, as ReadFile does a
// CSV file.
func readParquet(path string, opt Options) (*Frame, error) {
	t, err := OpenParquet(path, opt)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if len(t.pieces) == 0 {
		return nil, &Error{File: path, Msg: "no data rows"}
	}
	f, err := t.read(t.pieces)
	if err != nil {
		return nil, err
	}
	if f.Rows == 0 {
		return nil, t.noRows()
	}
	return f, nil
}

// parquetHeader returns the names of the columns of a Parquet file.
func parquetHeader(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer fh.Close()
	t, err := openParquet(fh, path, Options{Columns: []string{}})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range t.pf.Root().Columns() {
		names = append(names, c.Name())
	}
	return names, nil
}

// parquetMemory estimates the memory of reading a Parquet file and
// fitting it: memoryFactor times its rows × columns × 8 bytes (16 for a
// text column's string headers).
func parquetMemory(path string) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, &Error{File: path, Err: err}
	}
	defer fh.Close()
	t, err := openParquet(fh, path, Options{Columns: []string{}})
	if err != nil {
		return 0, err
	}
	var per int64
	for _, c := range t.pf.Root().Columns() {
		per += 8
		if c.Leaf() && c.Type().Kind() == parquet.ByteArray {
			per += 8
		}
	}
	return int64(memoryFactor * float64(per*t.pf.NumRows())), nil
}

// malformed turns a panic of the Parquet library, which it raises on some
// malformed files (found by FuzzReadParquet: a page index pointing past
// its buffer), into an error naming the file.
func malformed(path string, err *error) {
	if r := recover(); r != nil {
		*err = &Error{File: path, Msg: fmt.Sprintf("not a readable Parquet file (malformed: %v)", r)}
	}
}

// isParquet reports whether path names a Parquet file (by its extension).
func isParquet(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".parquet")
}
