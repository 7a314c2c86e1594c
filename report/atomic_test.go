package report

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// checkDir checks that dir holds exactly the given file names: no
// temporary files left behind.
func checkDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteFileAtomicSuccess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFileAtomic(path, writeString("hello\n")); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "hello\n")
	checkDir(t, dir, "out.txt")
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o644 {
			t.Errorf("mode = %v, want 0644", st.Mode().Perm())
		}
	}
}

func TestWriteFileAtomicFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial ", 20000)) // more than the buffer
		return boom
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("err = %v, want report: … boom", err)
	}
	checkDir(t, dir) // neither the target nor a temporary file
}

func TestWriteFileAtomicReplacesOnlyOnSuccess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "new but broken")
		return errors.New("fail")
	}); err == nil {
		t.Fatal("failing writer reported success")
	}
	checkFile(t, path, "old")
	checkDir(t, dir, "out.txt")

	if err := WriteFileAtomic(path, writeString("new")); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "new")
	checkDir(t, dir, "out.txt")
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, want the replaced file's 0600", st.Mode().Perm())
		}
	}
}

func TestWriteFileAtomicPanicCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		WriteFileAtomic(path, func(w io.Writer) error { panic("writer bug") })
	}()
	checkDir(t, dir)
}

func TestWriteFileAtomicErrorMessage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "draws.csv")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		f := smallFit()
		f.Mean = f.Mean[:1]
		return WriteDrawsCSV(w, f)
	})
	want := "report: writing " + path + ": WriteDrawsCSV: Mean has 1 values, want 2"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	checkDir(t, dir)
}

func TestWriteFileAtomicBadPaths(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "out.txt"), writeString("x")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	if err := WriteFileAtomic(dir, writeString("x")); err == nil {
		t.Error("write over a directory succeeded")
	}
	checkDir(t, dir)
}

// WriteFiles leaves every file or none: a failing output removes the ones
// written before it, and a canceled context writes nothing.
func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ok := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	fail := func(io.Writer) error { return errors.New("disk full") }
	err := WriteFiles(context.Background(), dir, []Output{{Name: "a", Write: ok("1")}, {Name: "b", Write: fail}, {Name: "c", Write: ok("3")}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want disk full", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after a failure: %v", entries)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteFiles(ctx, dir, []Output{{Name: "a", Write: ok("1")}}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written after cancel: %v", entries)
	}
	outs := []Output{{Name: "a", Write: ok("1")}, {Name: "b", Save: func(p string) error { return os.WriteFile(p, []byte("2"), 0o644) }}}
	if err := WriteFiles(context.Background(), dir, outs); err != nil {
		t.Fatal(err)
	}
	for i, name := range OutputNames(outs) {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != strconv.Itoa(i+1) {
			t.Errorf("%s holds %q", name, b)
		}
	}
}
