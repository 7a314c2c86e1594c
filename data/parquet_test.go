package data

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// pqRow is a row of the test file: every supported type, optional
// columns with nulls.
type pqRow struct {
	Y   float64  `parquet:"y"`
	X   *float64 `parquet:"x,optional"`
	N   int32    `parquet:"n"`
	M   int64    `parquet:"m"`
	F   float32  `parquet:"f"`
	B   bool     `parquet:"b"`
	G   string   `parquet:"g,dict"`
	H   *string  `parquet:"h,optional"`
	U   uint32   `parquet:"u,uint(32)"`
	Dec int64    `parquet:"dec,decimal(2:10)"`
	D   float64  `parquet:"d,dict"`
}

// writeParquet writes rows to a file in dir in row groups of group rows.
func writeParquet[T any](t *testing.T, dir, name string, rows []T, group int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](fh, parquet.MaxRowsPerRowGroup(int64(group)))
	for i := 0; i < len(rows); i += group {
		if _, err := w.Write(rows[i:min(len(rows), i+group)]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func pqRows(n int) []pqRow {
	rows := make([]pqRow, n)
	for i := range rows {
		x := float64(i) / 4
		h := "h" + strconv.Itoa(i%3)
		rows[i] = pqRow{Y: float64(i % 2), X: &x, N: int32(-i), M: int64(i) << 40, F: float32(i) + 0.5, B: i%3 == 0,
			G: "g" + strconv.Itoa(i%4), H: &h, U: math.MaxUint32 - uint32(i), Dec: int64(100*i + 25), D: float64(i % 3)}
		if i%5 == 3 {
			rows[i].X = nil
		}
		if i%7 == 2 {
			rows[i].H = nil
		}
	}
	return rows
}

// Every supported type reads as its value, nulls as missing values, rows
// numbered as CSV lines; the chunks give the whole file's rows, also when
// they split row groups of dictionary-encoded columns.
func TestParquetValues(t *testing.T) {
	const n = 23
	rows := pqRows(n)
	path := writeParquet(t, t.TempDir(), "d.parquet", rows, 5)
	f, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != n || f.Source != path {
		t.Fatalf("%d rows from %s", f.Rows, f.Source)
	}
	want := []string{"y", "x", "n", "m", "f", "b", "g", "h", "u", "dec", "d"}
	if !slices.Equal(f.Names(), want) {
		t.Fatalf("columns %v, want %v", f.Names(), want)
	}
	hdr, err := ReadFileHeader(path, Options{})
	if err != nil || !slices.Equal(hdr, want) {
		t.Errorf("header %v (%v), want %v", hdr, err, want)
	}
	for i, r := range rows {
		x := math.NaN()
		if r.X != nil {
			x = *r.X
		}
		h := ""
		if r.H != nil {
			h = *r.H
		}
		b := 0.0
		if r.B {
			b = 1
		}
		num := []struct {
			col  string
			want float64
		}{
			{"y", r.Y}, {"x", x}, {"n", float64(r.N)}, {"m", float64(r.M)}, {"f", float64(r.F)},
			{"b", b}, {"u", float64(r.U)}, {"dec", float64(r.Dec) / 100}, {"d", r.D},
		}
		for _, c := range num {
			col := f.Lookup(c.col)
			if col.Kind != Numeric {
				t.Fatalf("%s is %v", c.col, col.Kind)
			}
			got := col.Num[i]
			if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want) || math.Abs(got-c.want) < 1e-12*math.Abs(c.want)) {
				t.Errorf("row %d %s: %v, want %v", i, c.col, got, c.want)
			}
		}
		if g := f.Lookup("g"); g.Kind != String || g.Str[i] != r.G {
			t.Errorf("row %d g: %v %q, want %q", i, g.Kind, g.Str[i], r.G)
		}
		if got := f.Lookup("h").Str[i]; got != h {
			t.Errorf("row %d h: %q, want %q", i, got, h)
		}
		if f.RowNumber(i) != i+2 {
			t.Errorf("row %d: number %d, want %d", i, f.RowNumber(i), i+2)
		}
	}
	// g and d are dictionary-encoded.
	t0, err := OpenParquet(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []int{6, 10} {
		enc := t0.pf.Metadata().RowGroups[1].Columns[j].MetaData.Encoding
		if !slices.Contains(enc, format.RLEDictionary) && !slices.Contains(enc, format.PlainDictionary) {
			t.Errorf("column %s: encodings %v, want a dictionary", want[j], enc)
		}
	}
	t0.Close()
	// A missing value is reported by row number, as in a CSV file.
	if err := f.CheckMissing([]string{"x"}); err == nil || !strings.Contains(err.Error(), `row 5 column "x"`) {
		t.Errorf("CheckMissing: %v", err)
	}

	// In chunks of 2 to 3 rows (row groups of 5 split), in Scan and in
	// any order afterwards.
	for _, size := range []int{0, 8 * 11 * 2} {
		tab, err := OpenParquet(path, Options{ChunkBytes: size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tab.ReadChunks([]int{0}); err != ErrNotScanned {
			t.Errorf("ReadChunks before Scan: %v", err)
		}
		var got []*Frame
		if err := tab.Scan(func(k int, c *Frame) error {
			if k != len(got) {
				t.Errorf("chunk %d after %d", k, len(got))
			}
			got = append(got, c)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantChunks := 5 // the row groups
		if size > 0 {
			wantChunks = 4*3 + 2 // 2 rows a chunk: 5 rows in 3, 3 rows in 2
		}
		if tab.NumChunks() != wantChunks || tab.Rows() != n {
			t.Errorf("ChunkBytes %d: %d chunks, %d rows", size, tab.NumChunks(), tab.Rows())
		}
		assertFrame(t, "Scan", concat(got), f)
		var ks []int
		for k := tab.NumChunks() - 1; k >= 0; k-- {
			ks = append(ks, k)
		}
		back, err := tab.ReadChunks(ks)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(got)
		assertFrame(t, "ReadChunks", back, concat(got))
		again := 0
		if err := tab.Scan(func(k int, c *Frame) error { again += c.Rows; return nil }); err != nil || again != n {
			t.Errorf("second Scan: %d rows, %v", again, err)
		}
		tab.Close()
	}

	// Categorical forces numeric columns to strings.
	c, err := ReadFile(path, Options{Columns: []string{"n", "b", "dec", "u"}, Categorical: []string{"n", "b", "dec", "u", "nothere"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		col  string
		want string
	}{{"n", "-7"}, {"b", "false"}, {"dec", "7.25"}, {"u", "4294967288"}} {
		if col := c.Lookup(tc.col); col.Kind != String || col.Str[7] != tc.want {
			t.Errorf("categorical %s: %v %q, want %q", tc.col, col.Kind, col.Str[7], tc.want)
		}
	}
}

// concat joins chunk frames.
func concat(fs []*Frame) *Frame {
	out := &Frame{Source: fs[0].Source}
	for j, c := range fs[0].Columns {
		out.Columns = append(out.Columns, &Column{Name: c.Name, Kind: c.Kind})
		for _, f := range fs {
			out.Columns[j].Num = append(out.Columns[j].Num, f.Columns[j].Num...)
			out.Columns[j].Str = append(out.Columns[j].Str, f.Columns[j].Str...)
		}
	}
	for _, f := range fs {
		out.Rows += f.Rows
		out.Lines = append(out.Lines, f.Lines...)
	}
	return out
}

// assertFrame checks that got holds want's rows, names, kinds and lines.
func assertFrame(t *testing.T, what string, got, want *Frame) {
	t.Helper()
	if got.Rows != want.Rows || !slices.Equal(got.Names(), want.Names()) || !slices.Equal(got.Lines, want.Lines) {
		t.Fatalf("%s: %d rows %v lines %v, want %d rows %v lines %v", what, got.Rows, got.Names(), got.Lines, want.Rows, want.Names(), want.Lines)
	}
	for j, c := range want.Columns {
		g := got.Columns[j]
		same := g.Kind == c.Kind && slices.Equal(g.Str, c.Str) && slices.EqualFunc(g.Num, c.Num, func(a, b float64) bool {
			return a == b || math.IsNaN(a) && math.IsNaN(b)
		})
		if !same {
			t.Errorf("%s: column %s: %v %v %q, want %v %v %q", what, c.Name, g.Kind, g.Num, g.Str, c.Kind, c.Num, c.Str)
		}
	}
}

// DropMissing drops the rows with a null in the columns read, whole and
// in chunks, and the chunks count the rows left; a file without rows left
// is an error.
func TestParquetDropMissing(t *testing.T) {
	const n = 23
	rows := pqRows(n)
	dir := t.TempDir()
	path := writeParquet(t, dir, "d.parquet", rows, 5)
	for _, cols := range [][]string{nil, {"y", "x"}, {"y", "g"}} {
		f, err := ReadFile(path, Options{DropMissing: true, Columns: cols})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, r := range rows {
			drop := (cols == nil || slices.Contains(cols, "x")) && r.X == nil || cols == nil && r.H == nil
			if !drop {
				kept++
			}
		}
		if f.Rows != kept || f.Dropped != n-kept {
			t.Errorf("columns %v: %d rows, %d dropped; want %d, %d", cols, f.Rows, f.Dropped, kept, n-kept)
		}
		if err := f.CheckMissing(nil); err != nil {
			t.Errorf("columns %v: %v", cols, err)
		}
		tab, err := OpenParquet(path, Options{DropMissing: true, Columns: cols, ChunkBytes: 8 * 11})
		if err != nil {
			t.Fatal(err)
		}
		var got []*Frame
		if err := tab.Scan(func(k int, c *Frame) error {
			if c.Rows == 0 || c.Rows != tab.chunkKept(k, c) {
				t.Errorf("chunk %d: %d rows", k, c.Rows)
			}
			got = append(got, c)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for k := 0; k < tab.NumChunks(); k++ {
			sum += tab.ChunkRows(k)
		}
		if tab.Rows() != kept || sum != kept {
			t.Errorf("columns %v: chunked %d rows (chunks %d), want %d", cols, tab.Rows(), sum, kept)
		}
		assertFrame(t, "DropMissing Scan", concat(got), f)
		tab.Close()
	}

	// Every row has a null: the CSV reader's message.
	type opt struct {
		Y *float64 `parquet:"y,optional"`
	}
	empty := writeParquet(t, dir, "e.parquet", []opt{{}, {}, {}}, 2)
	_, err := ReadFile(empty, Options{DropMissing: true})
	csvPath := filepath.Join(dir, "e.csv")
	os.WriteFile(csvPath, []byte("y\nNA\nNA\nNA\n"), 0o644)
	_, cerr := ReadFile(csvPath, Options{DropMissing: true})
	if err == nil || cerr == nil || strings.ReplaceAll(err.Error(), empty, "F") != strings.ReplaceAll(cerr.Error(), csvPath, "F") {
		t.Errorf("all dropped: %v; CSV: %v", err, cerr)
	}
	tab, err := OpenParquet(empty, Options{DropMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if err := tab.Scan(func(int, *Frame) error { return nil }); err == nil || !strings.Contains(err.Error(), "every row has a missing value") {
		t.Errorf("all dropped, chunked: %v", err)
	}
}

// chunkKept returns the rows Scan kept for chunk k.
func (t *Parquet) chunkKept(k int, c *Frame) int {
	if t.scanned {
		return t.ChunkRows(k)
	}
	return c.Rows
}

// An infinite value is an error naming the file, row and column as the
// CSV reader does for the same data, whole and in chunks, at the first
// such cell in file order.
func TestParquetNonFinite(t *testing.T) {
	type row struct {
		Y float64  `parquet:"y"`
		X *float64 `parquet:"x,optional"`
		Z float32  `parquet:"z"`
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		row, col int // the bad cells, 0-based
		val      float64
		where    string
	}{
		{"required", 17, 0, math.Inf(1), ":19:1 (column \"y\"): \"+Inf\" is not a finite number"},
		{"optional", 3, 1, math.Inf(-1), ":5:2 (column \"x\"): \"-Inf\" is not a finite number"},
		{"float", 11, 2, math.Inf(1), ":13:3 (column \"z\"): \"+Inf\" is not a finite number"},
	} {
		rows := make([]row, 30)
		var b strings.Builder
		b.WriteString("y,x,z\n")
		for i := range rows {
			x := float64(i)
			rows[i] = row{Y: 1, X: &x, Z: 2}
			cells := []float64{1, x, 2}
			if i == tc.row {
				cells[tc.col] = tc.val
				switch tc.col {
				case 0:
					rows[i].Y = tc.val
				case 1:
					*rows[i].X = tc.val
				case 2:
					rows[i].Z = float32(tc.val)
				}
			}
			// A later bad cell is not the one reported.
			if i == 25 {
				rows[i].Y = math.Inf(1)
				cells[0] = math.Inf(1)
			}
			for j, v := range cells {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
			b.WriteByte('\n')
		}
		path := writeParquet(t, dir, tc.name+".parquet", rows, 8)
		csvPath := filepath.Join(dir, tc.name+".csv")
		if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path, Options{})
		_, cerr := ReadFile(csvPath, Options{})
		if err == nil || err.Error() != "data: "+path+tc.where {
			t.Fatalf("%s: %v, want %q", tc.name, err, path+tc.where)
		}
		if cerr == nil || strings.ReplaceAll(cerr.Error(), csvPath, "F") != strings.ReplaceAll(err.Error(), path, "F") {
			t.Errorf("%s: %v; CSV: %v", tc.name, err, cerr)
		}
		tab, oerr := OpenParquet(path, Options{ChunkBytes: 8 * 3 * 4})
		if oerr != nil {
			t.Fatal(oerr)
		}
		chunks := 0
		serr := tab.Scan(func(int, *Frame) error { chunks++; return nil })
		if serr == nil || serr.Error() != err.Error() {
			t.Errorf("%s: Scan: %v, want %v", tc.name, serr, err)
		}
		if chunks != tc.row/4 {
			t.Errorf("%s: %d chunks before the error, want %d", tc.name, chunks, tc.row/4)
		}
		tab.Close()
	}
}

// A column that the file lacks and a column of an unsupported type are
// errors naming the column (and the nearest name, or the type); the
// other columns of such a file can be read.
func TestParquetColumnErrors(t *testing.T) {
	type row struct {
		Y    float64          `parquet:"y"`
		Dist float64          `parquet:"dist"`
		Tags []string         `parquet:"tags,list"`
		Rep  []int32          `parquet:"rep"`
		TS   deprecated.Int96 `parquet:"ts"`
		ID   [16]byte         `parquet:"id,uuid"`
		Dec  [6]byte          `parquet:"price,decimal(2:12)"`
		Sub  struct {
			A float64 `parquet:"a"`
		} `parquet:"sub"`
	}
	path := writeParquet(t, t.TempDir(), "u.parquet", []row{{Y: 1, Dist: 2, Tags: []string{"a"}}, {Y: 0, Dist: 3}}, 10)
	f, err := ReadFile(path, Options{Columns: []string{"dist", "y"}})
	if err != nil || f.Rows != 2 || f.Lookup("dist").Num[1] != 3 {
		t.Fatalf("supported columns: %v, %v", f, err)
	}
	for _, tc := range []struct {
		cols []string
		want []string
	}{
		{[]string{"y", "dsit"}, []string{path, `no column "dsit"`, `did you mean "dist"?`}},
		{[]string{"y", "tags"}, []string{path, `column "tags"`, "LIST", "not supported"}},
		{[]string{"rep"}, []string{`column "rep"`, "repeated INT32", "not supported"}},
		{[]string{"ts"}, []string{`column "ts"`, "INT96", "not supported"}},
		{[]string{"id"}, []string{`column "id"`, "FIXED_LEN_BYTE_ARRAY UUID", "not supported"}},
		{[]string{"price"}, []string{`column "price"`, "FIXED_LEN_BYTE_ARRAY DECIMAL", "not supported"}},
		{[]string{"sub"}, []string{`column "sub"`, "GROUP", "not supported"}},
		{nil, []string{`column "tags"`, "LIST"}},
	} {
		_, err := ReadFile(path, Options{Columns: tc.cols})
		_, oerr := OpenParquet(path, Options{Columns: tc.cols})
		if err == nil || oerr == nil || err.Error() != oerr.Error() {
			t.Errorf("%v: ReadFile %v, OpenParquet %v", tc.cols, err, oerr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.cols, err, w)
			}
		}
		if e, ok := err.(*Error); !ok || e.Column == "" {
			t.Errorf("%v: %#v is not a data.Error with its column", tc.cols, err)
		}
	}
	// A file that is not Parquet.
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	os.WriteFile(bad, []byte("y,x\n1,2\n"), 0o644)
	if _, err := ReadFile(bad, Options{}); err == nil || !strings.Contains(err.Error(), "bad.parquet: not a readable Parquet file") {
		t.Errorf("not Parquet: %v", err)
	}
}

// MemoryEstimate of a Parquet file counts its rows and columns.
func TestParquetMemoryEstimate(t *testing.T) {
	path := writeParquet(t, t.TempDir(), "d.parquet", pqRows(40), 7)
	got, err := MemoryEstimate(path)
	// 9 numeric columns, 2 text columns.
	if want := int64(memoryFactor * 40 * (9*8 + 2*16)); err != nil || got != want {
		t.Errorf("MemoryEstimate %d (%v), want %d", got, err, want)
	}
}
