package data

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// sameFrame reports how two reads differ ("" when they agree): the same
// error message, or the same columns, kinds, values and lines.
func sameFrame(f, g *Frame, ef, eg error) string {
	switch {
	case (ef == nil) != (eg == nil):
		return fmt.Sprintf("errors differ: %v vs %v", ef, eg)
	case ef != nil:
		if ef.Error() != eg.Error() {
			return fmt.Sprintf("errors differ:\n%s\n%s", ef, eg)
		}
		return ""
	}
	if f.Rows != g.Rows || f.Dropped != g.Dropped || !slices.Equal(f.Lines, g.Lines) || len(f.Columns) != len(g.Columns) {
		return fmt.Sprintf("shape differs: %d/%d rows, %d/%d dropped, lines %v/%v", f.Rows, g.Rows, f.Dropped, g.Dropped, f.Lines, g.Lines)
	}
	for j, c := range f.Columns {
		d := g.Columns[j]
		if c.Name != d.Name || c.Kind != d.Kind {
			return fmt.Sprintf("column %d: %s %v vs %s %v", j, c.Name, c.Kind, d.Name, d.Kind)
		}
		if !slices.Equal(c.Str, d.Str) {
			return fmt.Sprintf("column %s: %q vs %q", c.Name, c.Str, d.Str)
		}
		if len(c.Num) != len(d.Num) {
			return fmt.Sprintf("column %s: %d vs %d numbers", c.Name, len(c.Num), len(d.Num))
		}
		for i := range c.Num {
			a, b := c.Num[i], d.Num[i]
			if math.Float64bits(a) != math.Float64bits(b) && !(math.IsNaN(a) && math.IsNaN(b)) {
				return fmt.Sprintf("column %s row %d: %v vs %v", c.Name, i, a, b)
			}
		}
	}
	return ""
}

// compareReaders reads text with the chunked reader at several chunk
// sizes and with the reference reader and reports a difference.
func compareReaders(t *testing.T, text string, opt Options) {
	t.Helper()
	want, werr := readCSVRef(strings.NewReader(text), "f.csv", opt)
	defer func(old int) { chunkBytes = old }(chunkBytes)
	for _, size := range []int{1, 7, 64, chunkTarget} {
		chunkBytes = size
		got, err := ReadCSV(strings.NewReader(text), "f.csv", opt)
		if d := sameFrame(got, want, err, werr); d != "" {
			t.Fatalf("chunks of %d bytes, %q: %s", size, text, d)
		}
	}
}

func TestChunkedMatchesReference(t *testing.T) {
	cases := []string{
		"a,b\n1,2\n3,4\n",
		"a,b\r\n1,2\r\n\r\n3,4",
		"x,g\n1,a\n2,b\n3,01\n4,\n",
		"x\n1\n2\n3\nx\ny\nz\n",             // mostly numeric then text: categorical
		"x\n1\n2\n3\n4\n5\n6\nx\n",          // a stray text cell
		"x\nNA\n\n+nan\n7\nInf\n",           // missing forms, infinite
		"x\n+nan\nu\n2\n+nan\nv\n",          // NaN text before and after the first text
		"x\n1\n+nan\n2\nv\nw\n+nan\nz\n",    // NaN text in a mostly-text column
		"n,x\n\"two\nlines\",1\nok,2\nok,3", // quotes across chunks
		"a,b\n1,\"2\"\"x\"\n3,4\n",
		"a;b\n1;2\n", "\xef\xbb\xbfa,b\n1,2\n",
		"a,b\n1,2\n3\n",
		"a,b\n 1 , 2 \n0x10,1e400\n",
		"a,b\n1,2e-3\n-0,.5\n5.,-1E+2\n",
	}
	for _, c := range cases {
		compareReaders(t, c, Options{})
		compareReaders(t, c, Options{DropMissing: true})
		compareReaders(t, c, Options{Categorical: []string{"x", "b"}})
	}
	compareReaders(t, "a;b\n1;2\n3;x\n", Options{Comma: ';'})
	compareReaders(t, "a\u00a7b\n1\u00a72\n", Options{Comma: '\u00a7'})
}

// The fast decimal parser agrees with strconv on the numbers it accepts.
func TestFastDecimal(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.5", "-1.2345", "123456789012345678", "9007199254740993",
		"1e22", "1e23", "1.7976931348623157e308", "4.9e-324", "0.1", "3.14159265358979", "1e-22", "12.5e-3", "00012", ".000"} {
		got, ok1 := parseFloatBytes([]byte(s))
		want, ok2 := parseNumber(s)
		if ok1 != ok2 || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%s: %v %v, want %v %v", s, got, ok1, want, ok2)
		}
	}
}

// FuzzReadCSV checks that the chunked reader agrees with the reference
// reader (encoding/csv over the whole file) on any input, at small chunk
// sizes, and never panics.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "x\n1\nx\ny\n", "n,x\n\"a\nb\",1\n", "a\n+nan\n1e400\n", "a,b\n1\n"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		if len(b) > 1<<16 {
			return
		}
		text := string(b)
		want, werr := readCSVRef(bytes.NewReader(b), "f.csv", Options{})
		defer func(old int) { chunkBytes = old }(chunkBytes)
		chunkBytes = int(size) + 1
		got, err := ReadCSV(strings.NewReader(text), "f.csv", Options{})
		if d := sameFrame(got, want, err, werr); d != "" {
			t.Fatalf("%q: %s", text, d)
		}
	})
}
