package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// read parses CSV text, failing the test on error.
func read(t *testing.T, text string, opt Options) *Frame {
	t.Helper()
	f, err := ReadCSV(strings.NewReader(text), "wells.csv", opt)
	if err != nil {
		t.Fatalf("ReadCSV(%q): %v", text, err)
	}
	return f
}

// checkNum checks a Numeric column entry by entry (NaN matches NaN).
func checkNum(t *testing.T, f *Frame, name string, want []float64) {
	t.Helper()
	c, err := f.Col(name)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != Numeric {
		t.Fatalf("column %q: kind %v, want numeric (values %q)", name, c.Kind, c.Str)
	}
	if len(c.Num) != len(want) {
		t.Fatalf("column %q: %d values %v, want %d %v", name, len(c.Num), c.Num, len(want), want)
	}
	for i := range want {
		if got := c.Num[i]; !(got == want[i] || math.IsNaN(got) && math.IsNaN(want[i])) {
			t.Errorf("column %q row %d: %v, want %v", name, i, got, want[i])
		}
		if math.Signbit(c.Num[i]) != math.Signbit(want[i]) {
			t.Errorf("column %q row %d: sign of %v, want %v", name, i, c.Num[i], want[i])
		}
	}
}

// checkStr checks a String column entry by entry.
func checkStr(t *testing.T, f *Frame, name string, want []string) {
	t.Helper()
	c, err := f.Col(name)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != String {
		t.Fatalf("column %q: kind %v, want string (values %v)", name, c.Kind, c.Num)
	}
	if !slices.Equal(c.Str, want) {
		t.Errorf("column %q: %q, want %q", name, c.Str, want)
	}
}

// checkErr checks that err has exactly the message want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error\n got: %s\nwant: %s", err, want)
	}
}

var nan = math.NaN()

func TestReadNumbers(t *testing.T) {
	f := read(t, "a, b ,c\n1,1e-3, 7\n-0,.5,NA\n 2.5 ,-1E2,\n3,+4,.\n4,5,NaN\n5,6,nan\n", Options{})
	if f.Rows != 6 || f.Source != "wells.csv" {
		t.Fatalf("Rows %d, Source %q", f.Rows, f.Source)
	}
	if got := f.Names(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("names %q (header cells are trimmed)", got)
	}
	checkNum(t, f, "a", []float64{1, math.Copysign(0, -1), 2.5, 3, 4, 5})
	checkNum(t, f, "b", []float64{0.001, 0.5, -100, 4, 5, 6})
	checkNum(t, f, "c", []float64{7, nan, nan, nan, nan, nan})
	if !slices.Equal(f.Lines, []int{2, 3, 4, 5, 6, 7}) {
		t.Errorf("Lines %v", f.Lines)
	}
}

// TestCategoricalRule checks the documented rule: numeric when every
// non-missing cell is a number; categorical when the first non-missing cell
// is text or at least half the non-missing cells are; an error otherwise.
func TestCategoricalRule(t *testing.T) {
	for _, tc := range []struct {
		name, cells string // cells separated by "|"
		wantNum     []float64
		wantStr     []string
		wantErr     string
	}{
		{name: "all numbers", cells: "1|2|3", wantNum: []float64{1, 2, 3}},
		{name: "all missing", cells: "NA||.", wantNum: []float64{nan, nan, nan}},
		{name: "first cell text", cells: "a|1|2|3|4", wantStr: []string{"a", "1", "2", "3", "4"}},
		{name: "first non-missing text", cells: "NA|a|1|2|3", wantStr: []string{"", "a", "1", "2", "3"}},
		{name: "numeric-looking text kept raw", cells: "b|01|1.0|2", wantStr: []string{"b", "01", "1.0", "2"}},
		{name: "half text", cells: "1|2|x|y", wantStr: []string{"1", "2", "x", "y"}},
		{name: "mostly text after a number", cells: "01|a|NA|b|c", wantStr: []string{"01", "a", "", "b", "c"}},
		{name: "one stray cell", cells: "1|2|12a|4", wantErr: `data: wells.csv:4:2 (column "x"): "12a" is not a number`},
		{name: "first stray reported", cells: "1|2|3|4|5|a|b", wantErr: `data: wells.csv:7:2 (column "x"): "a" is not a number`},
		{name: "Inf", cells: "1|Inf|3", wantErr: `data: wells.csv:3:2 (column "x"): "Inf" is not a finite number`},
		{name: "-Inf", cells: "1|2|-inf", wantErr: `data: wells.csv:4:2 (column "x"): "-inf" is not a finite number`},
		{name: "overflow", cells: "1|1e400", wantErr: `data: wells.csv:3:2 (column "x"): "1e400" is not a finite number`},
		{name: "Inf in a categorical column", cells: "a|Inf|b", wantStr: []string{"a", "Inf", "b"}},
		{name: "hex is text", cells: "a|0x1p-2", wantStr: []string{"a", "0x1p-2"}},
		{name: "hex stray", cells: "1|2|0x10", wantErr: `data: wells.csv:4:2 (column "x"): "0x10" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "id,x\n"
			for i, c := range strings.Split(tc.cells, "|") {
				text += fmt.Sprintf("%d,%s\n", i, c)
			}
			f, err := ReadCSV(strings.NewReader(text), "wells.csv", Options{})
			if tc.wantErr != "" {
				checkErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantStr != nil {
				checkStr(t, f, "x", tc.wantStr)
			} else {
				checkNum(t, f, "x", tc.wantNum)
			}
		})
	}
}

func TestForcedCategorical(t *testing.T) {
	f := read(t, "id,code\n1,01\n2,02\n3,NA\n", Options{Categorical: []string{"code", "absent"}})
	checkNum(t, f, "id", []float64{1, 2, 3})
	checkStr(t, f, "code", []string{"01", "02", ""})
	if got := f.Columns[1].Levels(); !slices.Equal(got, []string{"01", "02"}) {
		t.Errorf("levels %q", got)
	}
}

func TestLevelsByteOrder(t *testing.T) {
	f := read(t, "g\nb\na\nB\n10\n9\na\n_\n", Options{})
	c, _ := f.Col("g")
	want := []string{"10", "9", "B", "_", "a", "b"}
	if got := c.Levels(); !slices.Equal(got, want) {
		t.Errorf("Levels() = %q, want %q", got, want)
	}
	if NewNumeric("x", []float64{1}).Levels() != nil {
		t.Error("Levels of a numeric column should be nil")
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opt        Options
		want       string
	}{
		{name: "empty", text: "", want: "data: wells.csv: empty file (a header row naming the columns is required)"},
		{name: "blank lines", text: "\n\n", want: "data: wells.csv: empty file (a header row naming the columns is required)"},
		{name: "header only", text: "a,b\n", want: "data: wells.csv: no data rows (only a header)"},
		{name: "too few fields", text: "a,b,c\n1,2,3\n4,5\n", want: "data: wells.csv:3: 2 fields, want 3 as in the header"},
		{name: "too many fields", text: "a,b\n1,2\n\n3,4,5\n", want: "data: wells.csv:4: 3 fields, want 2 as in the header"},
		{name: "one field", text: "a,b\n1,2\n3\n", want: "data: wells.csv:3: 1 field, want 2 as in the header"},
		{name: "duplicate name", text: "a,b, a\n1,2,3\n", want: `data: wells.csv:1:3: duplicate column name "a" (also field 1)`},
		{name: "empty name", text: "a,,c\n1,2,3\n", want: "data: wells.csv:1:2: empty column name in header"},
		{name: "bare quote", text: "a,b\n1,x\"y\n", want: `data: wells.csv:2: malformed CSV at character 4: bare " in non-quoted-field`},
		{name: "unclosed quote", text: "a,b\n1,\"x\n2,3\n", want: `data: wells.csv:3: malformed CSV at character 5 (in the record starting on line 2): extraneous or missing " in quoted-field`},
		{name: "stray cell in third column", text: "switch,arsenic,dist\n1,2.3,16.8\n0,0.7,47.3\n1,1.1,12a\n1,2.1,20.1\n0,0.9,33.1\n",
			want: `data: wells.csv:4:3 (column "dist"): "12a" is not a number`},
		{name: "earliest error wins", text: "a,b\n1,2\n2,3\n3,x\ny,4\n5,6\n6,7\n7,8\n",
			want: `data: wells.csv:4:2 (column "b"): "x" is not a number`},
		{name: "line after a multi-line cell", text: "note,x\n\"two\nlines\",1\nok,2\nok,3\nok,4\nok,oops\n",
			want: `data: wells.csv:7:2 (column "x"): "oops" is not a number`},
		{name: "unknown selected column", text: "dist,arsenic\n1,2\n", opt: Options{Columns: []string{"dsit"}},
			want: `data: wells.csv: no column "dsit"; did you mean "dist"?`},
		{name: "all rows dropped", text: "a\nNA\n\"\"\n", opt: Options{DropMissing: true},
			want: "data: wells.csv: every row has a missing value; nothing left after dropping 2 rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.text), "wells.csv", tc.opt)
			checkErr(t, err, tc.want)
		})
	}
}

func TestReadOptions(t *testing.T) {
	text := "\xef\xbb\xbfy;x;g;junk\n1;2;a;12a\n2;NA;b;x\n3;4;;3\n4;5;a;1\n"
	f := read(t, text, Options{Comma: ';', Columns: []string{"g", "y", "x"}})
	if got := f.Names(); !slices.Equal(got, []string{"y", "x", "g"}) {
		t.Fatalf("names %q: want file order without the unread column", got)
	}
	checkNum(t, f, "x", []float64{2, nan, 4, 5})
	checkStr(t, f, "g", []string{"a", "b", "", "a"})

	f = read(t, text, Options{Comma: ';', Columns: []string{"y", "x", "g"}, DropMissing: true})
	if f.Rows != 2 || f.Dropped != 2 {
		t.Fatalf("Rows %d Dropped %d, want 2 and 2", f.Rows, f.Dropped)
	}
	checkNum(t, f, "y", []float64{1, 4})
	if !slices.Equal(f.Lines, []int{2, 5}) {
		t.Errorf("Lines %v, want [2 5]", f.Lines)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	tsv := filepath.Join(dir, "wells.tsv")
	if err := os.WriteFile(tsv, []byte("a\tb\n1\tx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(tsv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Source != tsv {
		t.Errorf("Source %q", f.Source)
	}
	checkNum(t, f, "a", []float64{1})
	checkStr(t, f, "b", []string{"x"})

	_, err = ReadFile(filepath.Join(dir, "none.csv"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "data: open ") || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file: %v", err)
	}
}

// missingFrame has missing cells on lines 3, 4, 6 and 8.
const missingText = `switch,arsenic,dist,educ
1,2.36,16.8,0
1,NA,47.3,0
0,2.07,,10
1,1.15,21.5,12
1,.,NaN,
1,0.6,10,3
0,nan,NA,
`

func TestCheckMissing(t *testing.T) {
	f := read(t, missingText, Options{})
	for _, tc := range []struct {
		name string
		cols []string
		want string
	}{
		{name: "none", cols: []string{"switch"}},
		{name: "one", cols: []string{"switch", "educ", "dist"}[:1:1]},
		{name: "singular", cols: []string{"switch", "arsenic"}[1:],
			want: `data: wells.csv: 3 missing values (row 3 column "arsenic", row 6 column "arsenic", row 8 column "arsenic"); use --drop-missing to drop those rows`},
		{name: "educ", cols: []string{"educ"},
			want: `data: wells.csv: 2 missing values (row 6 column "educ", row 8 column "educ"); use --drop-missing to drop those rows`},
		{name: "more than five", cols: []string{"dist", "arsenic"},
			want: `data: wells.csv: 6 missing values (row 3 column "arsenic", row 4 column "dist", row 6 column "dist", row 6 column "arsenic", row 8 column "dist", and 1 more); use --drop-missing to drop those rows`},
		{name: "unknown column", cols: []string{"arsenc"},
			want: `data: wells.csv: no column "arsenc"; did you mean "arsenic"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.CheckMissing(tc.cols)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkErr(t, err, tc.want)
		})
	}
	one, _ := New("mem", NewNumeric("x", []float64{1, nan}))
	checkErr(t, one.CheckMissing(nil), `data: mem: 1 missing value (row 2 column "x"); use --drop-missing to drop those rows`)
}

func TestDropMissing(t *testing.T) {
	f := read(t, missingText, Options{})
	g, n := f.DropMissing([]string{"dist", "nonexistent"})
	if n != 3 || g.Rows != 4 {
		t.Fatalf("dropped %d, %d rows left; want 3 and 4", n, g.Rows)
	}
	checkNum(t, g, "dist", []float64{16.8, 47.3, 21.5, 10})
	checkNum(t, g, "arsenic", []float64{2.36, nan, 1.15, 0.6})
	if !slices.Equal(g.Lines, []int{2, 3, 5, 7}) {
		t.Errorf("Lines %v", g.Lines)
	}
	if err := g.CheckMissing([]string{"dist"}); err != nil {
		t.Error(err)
	}
	checkErr(t, g.CheckMissing([]string{"arsenic"}),
		`data: wells.csv: 1 missing value (row 3 column "arsenic"); use --drop-missing to drop those rows`)
	if h, n := g.DropMissing([]string{"dist"}); n != 0 || h != g {
		t.Errorf("nothing to drop: got %d and a new frame", n)
	}
	all, n := f.DropMissing(nil)
	if n != 4 || all.Rows != 3 {
		t.Errorf("DropMissing(nil): dropped %d, %d left", n, all.Rows)
	}
	cells, err := f.Missing([]string{"educ"})
	if err != nil || !slices.Equal(cells, []Cell{{4, "educ"}, {6, "educ"}}) {
		t.Errorf("Missing: %v %v", cells, err)
	}
	// String columns: "" is missing.
	s, _ := New("mem", NewString("g", []string{"a", "", "b"}))
	if s2, n := s.DropMissing(nil); n != 1 || !slices.Equal(s2.Columns[0].Str, []string{"a", "b"}) || s2.RowNumber(1) != 2 {
		t.Errorf("string DropMissing: %d %q", n, s2.Columns[0].Str)
	}
}

func TestCol(t *testing.T) {
	f := read(t, "switch,arsenic,dist,assoc,educ\n1,2,3,4,5\n", Options{})
	for _, tc := range []struct{ name, want string }{
		{"dist", ""},
		{"dsit", `data: wells.csv: no column "dsit"; did you mean "dist"?`},
		{"DIST", `data: wells.csv: no column "DIST"; did you mean "dist"?`},
		{"arsnic", `data: wells.csv: no column "arsnic"; did you mean "arsenic"?`},
		{"height", `data: wells.csv: no column "height" (columns: switch, arsenic, dist, assoc, educ)`},
	} {
		c, err := f.Col(tc.name)
		if tc.want == "" {
			if err != nil || c.Name != tc.name {
				t.Errorf("Col(%q): %v", tc.name, err)
			}
			continue
		}
		checkErr(t, err, tc.want)
	}
	var many []string
	for i := range 12 {
		many = append(many, fmt.Sprintf("column%d", i))
	}
	if got, want := UnknownName("column", "zzz", many), `no column "zzz" (columns: column0, column1, column2, column3, column4, column5, column6, column7, column8, column9, ... (12 in all))`; got != want {
		t.Errorf("UnknownName: %s", got)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"switch", "arsenic", "dist", "dist100", "Educ", "x"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"dsit", "dist", true},       // transposition counts one edit
		{"dist10", "dist100", true},  // nearest: dist100 is one edit, dist two
		{"educ", "Educ", true},       // case-insensitive match first
		{"ARSENIC", "arsenic", true}, // case-insensitive exact
		{"swtch", "switch", true},
		{"y", "", false},  // a one-letter name is never one edit from another
		{"xx", "x", true}, // but two letters may be
		{"height", "", false},
		{"abcdefgh", "", false},
	} {
		got, ok := Suggest(tc.name, cands)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Suggest(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Suggest("a", nil); ok {
		t.Error("Suggest with no candidates")
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"dsit", "dist", 1}, {"ab", "ba", 1}, {"abc", "abc", 0}, {"héllo", "hello", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

func TestNewSelectSubset(t *testing.T) {
	_, err := New("mem", NewNumeric("a", []float64{1, 2}), NewString("b", []string{"x"}))
	checkErr(t, err, `data: mem: column "b" has 1 values, column "a" has 2`)
	_, err = New("mem", NewNumeric("a", nil), NewNumeric("a", nil))
	checkErr(t, err, `data: mem: duplicate column "a"`)
	_, err = New("", NewNumeric("", nil))
	checkErr(t, err, `data: data: column 1 has no name`)

	f, err := New("mem", NewNumeric("a", []float64{1, 2, 3}), NewString("b", []string{"x", "y", "z"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Select([]string{"b", "a", "b"})
	if err != nil || !slices.Equal(s.Names(), []string{"b", "a"}) || s.Rows != 3 {
		t.Fatalf("Select: %v %v", s, err)
	}
	_, err = f.Select([]string{"c"})
	checkErr(t, err, `data: mem: no column "c" (columns: a, b)`)
	sub := f.Subset([]int{2, 0})
	checkNum(t, sub, "a", []float64{3, 1})
	checkStr(t, sub, "b", []string{"z", "x"})
	if sub.RowNumber(0) != 1 || f.RowNumber(2) != 3 {
		t.Error("RowNumber of in-memory frames is the 1-based index")
	}
	if f.Lookup("zz") != nil || f.Lookup("a") == nil {
		t.Error("Lookup")
	}
	if Numeric.String() != "numeric" || String.String() != "string" || Kind(7).String() != "Kind(7)" {
		t.Error("Kind.String")
	}
}

// TestBackfillAcrossRows checks that a column read as numbers for many rows
// before turning out categorical keeps the raw text of the early rows.
func TestBackfillAcrossRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("n,code\n")
	var want []string
	for i := range 10 {
		fmt.Fprintf(&b, "%d,0%d\n", i, i)
		want = append(want, fmt.Sprintf("0%d", i))
	}
	for i := range 10 {
		fmt.Fprintf(&b, "%d,c%d\n", i, i)
		want = append(want, fmt.Sprintf("c%d", i))
	}
	f := read(t, b.String(), Options{})
	checkStr(t, f, "code", want)
}

func ExampleReadCSV() {
	text := `switch,arsenic,dist,assoc
1,2.36,16.83,no
1,0.71,47.32,yes
0,NA,20.97,no
`
	f, err := ReadCSV(strings.NewReader(text), "wells.csv", Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range f.Columns {
		fmt.Println(c.Name, c.Kind, c.Num, c.Str)
	}
	fmt.Println(f.CheckMissing([]string{"switch", "dist"}))
	fmt.Println(f.CheckMissing([]string{"switch", "arsenic"}))
	g, n := f.DropMissing([]string{"arsenic"})
	fmt.Println(n, "dropped,", g.Rows, "rows left")

	_, err = ReadCSV(strings.NewReader("switch,dist\n1,16.8\n0,12a\n1,20.1\n"), "wells.csv", Options{})
	fmt.Println(err)
	_, err = f.Col("dsit")
	fmt.Println(err)
	// Output:
	// switch numeric [1 1 0] []
	// arsenic numeric [2.36 0.71 NaN] []
	// dist numeric [16.83 47.32 20.97] []
	// assoc string [] [no yes no]
	// <nil>
	// data: wells.csv: 1 missing value (row 4 column "arsenic"); use --drop-missing to drop those rows
	// 1 dropped, 2 rows left
	// data: wells.csv:3:2 (column "dist"): "12a" is not a number
	// data: wells.csv: no column "dsit"; did you mean "dist"?
}
