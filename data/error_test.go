package data

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Errors are *Error values naming the place, whatever went wrong.
func TestErrorFields(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("y,dist\n1,2\n0,12a\n1,3\n1,4\n"), "w.csv", Options{})
	var e *Error
	if !errors.As(err, &e) || e.File != "w.csv" || e.Line != 3 || e.Field != 2 || e.Column != "dist" || e.Msg != `"12a" is not a number` {
		t.Errorf("non-numeric cell: %#v", err)
	}
	if err.Error() != `data: w.csv:3:2 (column "dist"): "12a" is not a number` {
		t.Errorf("message %q", err)
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), "none.csv"), Options{})
	if !errors.As(err, &e) || !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(e.File, "none.csv") {
		t.Errorf("missing file: %#v", err)
	}
	fr := read(t, "a,b\n1,\n2,3\n", Options{})
	if err := fr.CheckMissing(nil); !errors.As(err, &e) || e.Column != "b" || e.Line != 0 {
		t.Errorf("missing values: %#v", err)
	}
	if _, err := fr.Col("c"); !errors.As(err, &e) || e.Column != "c" || !strings.Contains(err.Error(), `no column "c"`) {
		t.Errorf("unknown column: %#v", err)
	}
}

func TestReadHeader(t *testing.T) {
	h, err := ReadHeader(strings.NewReader("\ufeff a ,b\n1,2\n"), "h.csv", Options{})
	if err != nil || len(h) != 2 || h[0] != "a" || h[1] != "b" {
		t.Errorf("header %q, %v", h, err)
	}
	var e *Error
	if _, err := ReadHeader(strings.NewReader(""), "h.csv", Options{}); !errors.As(err, &e) || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty: %v", err)
	}
}
