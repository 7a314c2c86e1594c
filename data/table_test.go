package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV read in chunks gives the rows ReadCSV gives, chunk by chunk in
// Scan and in any order afterwards, and reports a bad cell deep in the
// file by line and column.
func TestCSVChunks(t *testing.T) {
	defer func(old int) { chunkBytes = old }(chunkBytes)
	chunkBytes = 64
	var b strings.Builder
	b.WriteString("y,x,g\n")
	for i := 0; i < 200; i++ {
		b.WriteString(strings.Join([]string{itoa(i % 2), itoa(i), "g" + itoa(i%3)}, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	var lines []int
	var xs []float64
	if err := tab.Scan(func(k int, f *Frame) error {
		lines = append(lines, f.Lines...)
		xs = append(xs, f.Columns[1].Num...)
		if f.Columns[2].Kind != String {
			t.Errorf("chunk %d: g is %v", k, f.Columns[2].Kind)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if tab.Rows() != 200 || tab.NumChunks() < 10 || len(xs) != 200 {
		t.Fatalf("%d rows in %d chunks", tab.Rows(), tab.NumChunks())
	}
	for i := range xs {
		if xs[i] != want.Columns[1].Num[i] || lines[i] != want.Lines[i] {
			t.Fatalf("row %d: %v line %d, want %v line %d", i, xs[i], lines[i], want.Columns[1].Num[i], want.Lines[i])
		}
	}
	last := tab.NumChunks() - 1
	f, err := tab.ReadChunks([]int{last, 0})
	if err != nil {
		t.Fatal(err)
	}
	if n := tab.ChunkRows(last) + tab.ChunkRows(0); f.Rows != n || f.Lines[0] <= f.Lines[f.Rows-1] {
		t.Errorf("chunks %d and 0: %d rows, lines %v", last, f.Rows, f.Lines)
	}

	// A bad cell at row 150: the same message as ReadCSV's.
	text := strings.Replace(b.String(), "\n0,150,", "\n0,15x,", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, werr := ReadFile(path, Options{})
	tab2, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab2.Close()
	err = tab2.Scan(func(int, *Frame) error { return nil })
	if err == nil || werr == nil || err.Error() != werr.Error() || !strings.Contains(err.Error(), "d.csv:152:2") {
		t.Errorf("bad cell: %v, ReadFile: %v", err, werr)
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}

// Under DropMissing the chunks count the rows left, chunks left without
// rows are not passed on, and a file with no rows left is an error, as
// for ReadFile.
func TestCSVChunksDropMissing(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,x\n")
	kept := 0
	for i := 0; i < 200; i++ {
		x := itoa(i)
		if i%3 == 0 || i >= 40 && i < 80 { // rows 40–79 fill whole chunks
			x = "NA"
		} else {
			kept++
		}
		b.WriteString(itoa(i%2) + "," + x + "\n")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := ReadFile(path, Options{DropMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := OpenCSV(path, Options{DropMissing: true, ChunkBytes: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	var got []*Frame
	if err := tab.Scan(func(k int, f *Frame) error {
		if f.Rows == 0 {
			t.Errorf("chunk %d without rows", k)
		}
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for k := 0; k < tab.NumChunks(); k++ {
		sum += tab.ChunkRows(k)
	}
	if want.Rows != kept || tab.Rows() != kept || sum != kept || len(got) != tab.NumChunks() {
		t.Errorf("%d rows, chunked %d (chunks %d), want %d", want.Rows, tab.Rows(), sum, kept)
	}
	assertFrame(t, "Scan", concat(got), want)

	all := filepath.Join(dir, "na.csv")
	os.WriteFile(all, []byte("y\nNA\n\nNA\n"), 0o644)
	_, werr := ReadFile(all, Options{DropMissing: true})
	tab2, err := OpenCSV(all, Options{DropMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tab2.Close()
	if err := tab2.Scan(func(int, *Frame) error { return nil }); err == nil || werr == nil || err.Error() != werr.Error() {
		t.Errorf("every row dropped: %v, ReadFile: %v", err, werr)
	}
}
