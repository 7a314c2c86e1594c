package report

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the name of every temporary file WriteFileAtomic
// creates.
const tempPrefix = ".govi-tmp-"

// WriteFileAtomic writes a file so that path holds either its old content
// (or nothing) or the complete new content, never a partial file. It calls
// write with a buffered writer on a temporary file created in path's
// directory (named ".govi-tmp-<base>-<random>"), flushes it, fsyncs it,
// closes it and renames it over path; on Unix it then fsyncs the directory,
// ignoring errors from that last step.
//
// If write returns an error or panics, or any step fails, the temporary file
// is removed and path is left as it was: absent if it did not exist,
// unchanged if it did. The new file gets the permission bits of the file it
// replaces, or 0644 when path did not exist.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("report: WriteFileAtomic: %q names a directory", path)
	}
	perm := fs.FileMode(0o644)
	if st, serr := os.Stat(path); serr == nil {
		if st.IsDir() {
			return fmt.Errorf("report: WriteFileAtomic: %s is a directory", path)
		}
		perm = st.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close() // may already be closed; the error is irrelevant here
			os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return &writeError{path, err}
	}
	if err := bw.Flush(); err != nil {
		return &writeError{path, err}
	}
	if err := f.Chmod(perm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("report: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("report: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: closing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	committed = true
	syncDir(dir)
	return nil
}

// writeError reports a failed write to path. Its message does not repeat
// the "report: " prefix when the cause already has it.
type writeError struct {
	path string
	err  error
}

func (e *writeError) Error() string {
	return "report: writing " + e.path + ": " + strings.TrimPrefix(e.err.Error(), "report: ")
}

func (e *writeError) Unwrap() error { return e.err }

// syncDir fsyncs a directory so a rename survives a crash; it is best
// effort, since some systems (Windows) cannot sync directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// CheckOutDir checks, without creating anything lasting, that dir can be
// created (if needed) and written, and that none of files (names in dir)
// exists as anything but a regular file, so that a run can find out
// before its work that its outputs can be written.
func CheckOutDir(dir string, files []string) error {
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				if d == filepath.Clean(dir) {
					return fmt.Errorf("exists and is not a directory")
				}
				return fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("no existing parent directory")
		}
		d = parent
	}
	f, err := os.CreateTemp(d, ".govi-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", d, err)
	}
	f.Close()
	os.Remove(f.Name())
	for _, name := range files {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("%s exists and is not a regular file; remove it or choose another path", p)
		}
	}
	return nil
}

// An Output is one file of a set that WriteFiles writes: its name in the
// directory and either its content (Write, written with WriteFileAtomic)
// or a function that saves it by path itself (Save, e.g. PlotELBO, which
// writes atomically too).
type Output struct {
	Name  string
	Write func(w io.Writer) error
	Save  func(path string) error
}

// WriteFiles creates dir if needed and writes the outputs into it in
// order, each atomically. On an error, or when ctx is done before a file,
// it removes the files it wrote, so that either every output is there,
// whole, or none of this call's (earlier files of the same names are
// replaced only by complete new ones). Put the file whose presence means
// "complete" (summary.json) last.
func WriteFiles(ctx context.Context, dir string, outs []Output) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	for _, o := range outs {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(dir, o.Name)
		if o.Save != nil {
			err = o.Save(path)
		} else {
			err = WriteFileAtomic(path, o.Write)
		}
		if err != nil {
			return err
		}
		written = append(written, path)
	}
	return nil
}

// OutputNames returns the outputs' names.
func OutputNames(outs []Output) []string {
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.Name
	}
	return names
}
