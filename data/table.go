package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Chunked is data read a chunk of rows at a time, for data larger than
// memory: a CSV file (CSV) or a Parquet file (Parquet). Scan reads every
// chunk once, in order; after it, ReadChunks reads any chunks again in any
// order. Frames have the columns read (Options.Columns) with line numbers
// (CSV) or 1-based row numbers plus one (Parquet: the line a header would
// shift them to) in Frame.Lines.
type Chunked interface {
	// Source names the data in messages.
	Source() string
	// Names returns the names of the columns read, as the frames have
	// them.
	Names() []string
	// Scan calls fn with every chunk in order, leaving out chunks without
	// rows (Options.DropMissing may drop every row of one). It reports
	// the first bad cell or record with its position, as ReadCSV would.
	Scan(fn func(k int, f *Frame) error) error
	// NumChunks, ChunkRows and Rows describe the chunks found by Scan;
	// rows dropped by Options.DropMissing are not counted.
	NumChunks() int
	ChunkRows(k int) int
	Rows() int
	// ReadChunks reads the chunks ks after Scan, in that order, into one
	// frame.
	ReadChunks(ks []int) (*Frame, error)
	// Close releases the file.
	Close() error
}

// CSV is a CSV file read in chunks of about 4 MB of whole records
// (OpenCSV). The kinds of the columns are decided by the first chunk, as
// ReadCSV decides them for a whole file (a column whose first value is
// text is categorical), except that a text cell in a column that the first
// chunk made numeric is an error at once ("12a" is not a number), wherever
// it is, and that a column becomes categorical only from its first text
// value on when the first chunk has none; Options.Categorical forces
// columns to be categorical from the start.
type CSV struct {
	f      *os.File
	name   string
	opt    Options
	sp     *parseSpec
	first  rawChunk // the first chunk's records, until Scan
	ch     *chunker
	chunks []csvChunk
	rows   int
	mu     sync.Mutex
}

type csvChunk struct {
	off        int64
	size, line int
	rows       int // records
	kept       int // rows left after DropMissing
}

var _ Chunked = (*CSV)(nil)

// ErrNotScanned is returned by ReadChunks before Scan.
var ErrNotScanned = errors.New("data: chunks read before the first scan")

// Open opens the file at path for chunked reading: a Parquet file
// (OpenParquet) when its name ends in ".parquet", otherwise a CSV file
// (OpenCSV).
func Open(path string, opt Options) (Chunked, error) {
	if isParquet(path) {
		return OpenParquet(path, opt)
	}
	return OpenCSV(path, opt)
}

// OpenCSV opens a CSV file for chunked reading and reads its header.
func OpenCSV(path string, opt Options) (*CSV, error) {
	fh, opt, err := openFile(path, opt)
	if err != nil {
		return nil, err
	}
	if opt.Comma == 0 {
		opt.Comma = ','
	}
	t := &CSV{f: fh, name: path, opt: opt}
	size := opt.ChunkBytes
	if size <= 0 {
		size = chunkBytes
	}
	t.ch = newChunker(fh, size)
	sp, first, err := startCSV(t.ch, path, opt.Comma, opt)
	if err != nil {
		fh.Close()
		return nil, err
	}
	t.sp, t.first = sp, first
	t.sp.strict = true
	return t, nil
}

// Source returns the file name.
func (t *CSV) Source() string { return t.name }

// rescan is Scan after the first one: the chunks again, in order.
func rescan(t Chunked, fn func(k int, f *Frame) error) error {
	for k := 0; k < t.NumChunks(); k++ {
		f, err := t.ReadChunks([]int{k})
		if err != nil {
			return err
		}
		if err := fn(k, f); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the names of the columns read.
func (t *CSV) Names() []string { return t.sp.names }

// Scan implements Chunked: chunks are parsed on all cores and passed to fn
// in file order.
func (t *CSV) Scan(fn func(k int, f *Frame) error) error {
	if t.chunks != nil {
		return rescan(t, fn)
	}
	// The first chunk decides the kinds.
	lax := *t.sp
	lax.strict = false
	r0 := parseChunk(t.first, &lax, make([]bool, len(t.sp.fields)))
	if r0.err != nil {
		return r0.err
	}
	for s := range t.sp.strMode {
		if c := &r0.cols[s]; c.first == 2 {
			t.sp.strMode[s] = true
		}
	}
	r0 = parseChunk(t.first, t.sp, make([]bool, len(t.sp.fields)))
	if r0.err != nil {
		return r0.err
	}
	var chunks []csvChunk
	k := 0
	raw := 0
	emit := func(r *chunkRes) error {
		raw += r.rows
		if r.rows == 0 {
			return nil
		}
		f, err := t.frame([]*chunkRes{r})
		if err != nil {
			return err
		}
		chunks = append(chunks, csvChunk{off: r.raw.off, size: r.size, line: r.raw.line, rows: r.rows, kept: f.Rows})
		if f.Rows == 0 {
			return nil // every row dropped
		}
		err = fn(k, f)
		k++
		return err
	}
	if err := emit(r0); err != nil {
		return err
	}
	// The rest, two chunks ahead per core.
	nw := max(1, workers())
	type job struct {
		raw rawChunk
		out chan *chunkRes
	}
	jobs := make(chan job, nw)
	queue := make(chan chan *chunkRes, 2*nw)
	var readErr error
	go func() {
		defer close(queue)
		defer close(jobs)
		for {
			raw, err := t.ch.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = chunkErr(t.name, err, t.ch)
				return
			}
			out := make(chan *chunkRes, 1)
			queue <- out
			jobs <- job{raw, out}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := parseChunk(j.raw, t.sp, make([]bool, len(t.sp.fields)))
				t.ch.release(j.raw)
				r.raw.buf, r.raw.mem = nil, nil
				j.out <- r
			}
		}()
	}
	var err error
	for out := range queue {
		r := <-out
		if err != nil {
			continue // drain
		}
		if r.err != nil {
			err = r.err
			continue
		}
		err = emit(r)
	}
	wg.Wait()
	if err == nil {
		err = readErr
	}
	if err != nil {
		return err
	}
	// Empty chunks (blank lines only, or every row dropped) are left out
	// of the index.
	t.chunks = t.chunks[:0]
	for _, c := range chunks {
		if c.kept > 0 {
			t.chunks = append(t.chunks, c)
			t.rows += c.kept
		}
	}
	switch {
	case raw == 0:
		return &Error{File: t.name, Msg: "no data rows (only a header)"}
	case t.rows == 0:
		return &Error{File: t.name, Msg: fmt.Sprintf("every row has a missing value; nothing left after dropping %d rows", raw)}
	}
	return nil
}

// frame assembles parsed chunks into a frame with the decided kinds.
func (t *CSV) frame(rs []*chunkRes) (*Frame, error) {
	rows := 0
	for _, r := range rs {
		rows += r.rows
	}
	f := &Frame{Rows: rows, Source: t.name, Lines: make([]int, 0, rows)}
	for _, r := range rs {
		f.Lines = append(f.Lines, r.lines...)
	}
	for s, name := range t.sp.names {
		if t.sp.strMode[s] {
			f.Columns = append(f.Columns, &Column{Name: name, Kind: String, Str: concatStr(rs, s, rows)})
			continue
		}
		num := make([]float64, 0, rows)
		for _, r := range rs {
			num = append(num, r.cols[s].num...)
		}
		f.Columns = append(f.Columns, &Column{Name: name, Kind: Numeric, Num: num})
	}
	if t.opt.DropMissing {
		g, n := f.DropMissing(nil)
		g.Dropped = n
		return g, nil
	}
	return f, nil
}

// NumChunks implements Chunked.
func (t *CSV) NumChunks() int { return len(t.chunks) }

// ChunkRows implements Chunked: the rows of chunk k (after DropMissing).
func (t *CSV) ChunkRows(k int) int { return t.chunks[k].kept }

// Rows implements Chunked: the rows of the file (after DropMissing).
func (t *CSV) Rows() int { return t.rows }

// ReadChunks implements Chunked; the chunks are read and parsed in
// parallel.
func (t *CSV) ReadChunks(ks []int) (*Frame, error) {
	if t.chunks == nil {
		return nil, ErrNotScanned
	}
	rs := make([]*chunkRes, len(ks))
	errs := make([]error, len(ks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, workers()))
	for i, k := range ks {
		if k < 0 || k >= len(t.chunks) {
			return nil, fmt.Errorf("data: chunk %d outside [0, %d)", k, len(t.chunks))
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, c csvChunk) {
			defer wg.Done()
			defer func() { <-sem }()
			buf := make([]byte, c.size)
			if _, err := t.f.ReadAt(buf, c.off); err != nil {
				errs[i] = &Error{File: t.name, Msg: err.Error(), Err: err}
				return
			}
			r := parseChunk(rawChunk{buf: buf, off: c.off, line: c.line}, t.sp, make([]bool, len(t.sp.fields)))
			if r.err == nil && r.rows != c.rows {
				r.err = &Error{File: t.name, Line: c.line, Msg: "the file changed while it was read"}
			}
			rs[i], errs[i] = r, r.err
		}(i, t.chunks[k])
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return t.frame(rs)
}

// Close implements Chunked.
func (t *CSV) Close() error { return t.f.Close() }

// MemoryEstimate returns about how many bytes reading the file at path
// into memory and fitting it takes: memoryFactor times its values' size,
// which is about its size for a CSV file (a numeric cell of 8 to 20
// characters becomes an 8-byte number) and, for a Parquet file (a name
// ending in ".parquet"), its rows × columns × 8 bytes (16 for a text
// column), from its metadata. The command compares it with its memory
// budget to choose the streaming path.
func MemoryEstimate(path string) (int64, error) {
	if isParquet(path) {
		return parquetMemory(path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, &Error{File: path, Err: err}
	}
	return int64(memoryFactor * float64(st.Size())), nil
}

// memoryFactor is the peak memory of an in-memory fit over the size of
// its data's values: the frame and the design matrix while X is filled,
// then X and the rank check's copy of it. Measured (docs/scale.md): 2.2
// for a 2,000,000 × 11 logistic regression from Parquet (393 MB for
// 176 MB of values), 2.1 from CSV over the file's size; 2.5 leaves room
// for the runtime's own memory.
const memoryFactor = 2.5

// DefaultMemory returns the default memory budget: half of the machine's
// memory (MemTotal in /proc/meminfo), or 4 GiB where that is unknown.
func DefaultMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if n, _ := fmt.Sscanf(line, "MemTotal: %d kB", &kb); n == 1 && kb > 0 {
				return kb << 10 / 2
			}
		}
	}
	return 4 << 30
}
