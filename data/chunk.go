package data

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
)

// workers is the number of goroutines parsing chunks.
func workers() int { return runtime.GOMAXPROCS(0) }

// The CSV reader cuts the byte stream into chunks of whole records (about
// chunkTarget bytes each, cut at a newline outside quotes), parses the
// chunks on all cores with a byte-level parser for numeric cells, and
// reassembles the columns in file order. A chunk holding a quote is parsed
// by encoding/csv instead, so quoting rules and their errors stay those of
// the standard library; line numbers are carried from chunk to chunk.

const (
	// chunkTarget is the size the chunker aims at.
	chunkTarget = 4 << 20
	// maxRecord bounds the bytes the chunker holds while looking for the
	// end of one record (an unclosed quote would otherwise read the whole
	// file into memory).
	maxRecord = 64 << 20
)

// chunkBytes is the chunk size used; tests lower it to cut small data
// into many chunks.
var chunkBytes = chunkTarget

// rawChunk is a chunk of whole records.
type rawChunk struct {
	buf  []byte
	mem  []byte // the buffer buf is cut from, for chunker.release
	off  int64  // offset of buf[0] from the start of the data
	line int    // file line of buf[0]
}

// chunker cuts a CSV stream into chunks of whole records. It reads no
// further than a chunk needs, so that only the partial record after the
// cut is copied, and it recycles the buffers of released chunks: fresh
// buffers cost page faults and zeroing, which on a wide numeric file were
// a third of the reader's time.
type chunker struct {
	r      io.Reader
	pend   []byte // read, not yet returned
	off    int64  // offset of pend[0]
	line   int    // line of pend[0]
	eof    bool
	target int
	err    error
	free   chan []byte // released buffers
}

func newChunker(r io.Reader, target int) *chunker {
	if target <= 0 {
		target = chunkTarget
	}
	return &chunker{r: r, line: 1, target: target, free: make(chan []byte, 2*workers()+2)}
}

// bufCap is the capacity of a chunk buffer: a chunk and the read beyond
// it that finds the end of a record crossing the target.
func (c *chunker) bufCap() int { return c.target + c.target/4 + 1 }

// buffer returns an empty buffer of capacity at least n, recycled when one
// is free.
func (c *chunker) buffer(n int) []byte {
	select {
	case b := <-c.free:
		if cap(b) >= n {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, max(n, c.bufCap()))
}

// release hands back the buffer of a chunk whose bytes are no longer
// used (its parsed values copy what they keep). It is safe to call from
// any goroutine.
func (c *chunker) release(ch rawChunk) {
	if ch.mem == nil {
		return
	}
	select {
	case c.free <- ch.mem[:0]:
	default:
	}
}

// next returns the next chunk, or io.EOF after the last.
func (c *chunker) next() (rawChunk, error) {
	for {
		if len(c.pend) >= c.target || c.eof {
			if cut := c.cut(); cut > 0 {
				return c.take(cut), nil
			}
			if c.eof {
				if len(c.pend) == 0 {
					if c.err != nil {
						return rawChunk{}, c.err
					}
					return rawChunk{}, io.EOF
				}
				return c.take(len(c.pend)), nil
			}
			if len(c.pend) > maxRecord {
				return rawChunk{}, errLongRecord
			}
		}
		c.fill()
	}
}

var errLongRecord = fmt.Errorf("a record longer than %d MB (an unclosed quote?)", maxRecord>>20)

// fill reads more bytes into pend: up to the target, or a quarter of it
// more when pend holds the target without a whole record.
func (c *chunker) fill() {
	want := max(c.target-len(c.pend), c.target/4+1)
	if cap(c.pend)-len(c.pend) < want {
		nb := c.buffer(max(2*cap(c.pend), len(c.pend)+want))
		nb = append(nb, c.pend...)
		c.pend = nb
	}
	n, err := c.r.Read(c.pend[len(c.pend) : len(c.pend)+want])
	c.pend = c.pend[:len(c.pend)+n]
	if c.off == 0 && c.line == 1 && len(c.pend) >= 3 && bytes.HasPrefix(c.pend, []byte("\xef\xbb\xbf")) {
		c.pend = c.pend[3:] // UTF-8 byte order mark
		c.off = 3
	}
	if err == io.EOF {
		c.eof = true
	} else if err != nil {
		c.eof, c.err = true, err
	}
}

// cut returns the end of the last record that ends within the target
// size, or of the first record beyond it, or 0 when pend holds no whole
// record.
func (c *chunker) cut() int {
	p := c.pend
	limit := min(len(p), c.target)
	q := bytes.IndexByte(p, '"')
	if q < 0 || q >= limit {
		if i := bytes.LastIndexByte(p[:limit], '\n'); i >= 0 {
			return i + 1
		}
		if q < 0 {
			if i := bytes.IndexByte(p[limit:], '\n'); i >= 0 {
				return limit + i + 1
			}
			return 0
		}
	}
	// Quote-aware scan: a newline ends a record outside quotes ("" toggles
	// twice).
	in := false
	last := -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			in = !in
		case '\n':
			if !in {
				if i >= limit {
					if last >= 0 {
						return last + 1
					}
					return i + 1
				}
				last = i
			}
		}
	}
	return last + 1
}

// take hands out pend[:n] as a chunk and keeps the rest.
func (c *chunker) take(n int) rawChunk {
	ch := rawChunk{buf: c.pend[:n:n], mem: c.pend, off: c.off, line: c.line}
	rest := c.pend[n:]
	c.pend = append(c.buffer(len(rest)+c.target/4+1), rest...)
	c.off += int64(n)
	c.line += bytes.Count(ch.buf, []byte{'\n'})
	return ch
}

// parseSpec says how to parse the records of one file.
type parseSpec struct {
	name    string
	comma   rune
	nfields int
	slot    []int    // per field: the column slot, or −1
	fields  []int    // per slot: the field
	names   []string // per slot
	strMode []bool   // per slot: read as strings only
	strict  bool     // numeric slots: a text cell is an error at once (streaming)
}

// chunkCol is one column of a parsed chunk.
type chunkCol struct {
	num     []float64
	str     []string // every row when hasStr
	hasStr  bool
	first   int8 // kind of the first non-missing cell: 0 none, 1 number, 2 text
	first0  int  // its row
	nonMiss int
	text    int
	textRow int
	textErr *cellErr
	infErr  *cellErr
	nanRows []int // rows of cells that parse as NaN ("+nan"), kept raw in str
	intern  map[string]string
}

// chunkRes is a parsed chunk.
type chunkRes struct {
	raw   rawChunk
	size  int // len(raw.buf), kept when the bytes are released
	rows  int
	lines []int
	cols  []chunkCol
	err   error // a structural error: field count, quoting
}

// parseChunk parses the records of raw; wantStr asks for the strings of
// numeric slots too.
func parseChunk(raw rawChunk, sp *parseSpec, wantStr []bool) *chunkRes {
	res := &chunkRes{raw: raw, size: len(raw.buf), cols: make([]chunkCol, len(sp.fields))}
	hint := bytes.Count(raw.buf, []byte{'\n'}) + 1
	res.lines = make([]int, 0, hint)
	for s := range res.cols {
		c := &res.cols[s]
		if sp.strMode[s] || wantStr[s] {
			c.hasStr = true
			c.str = make([]string, 0, hint)
			c.intern = make(map[string]string)
		}
		if !sp.strMode[s] {
			c.num = make([]float64, 0, hint)
		}
	}
	if sp.comma < 0x80 && bytes.IndexByte(raw.buf, '"') < 0 {
		res.fast(sp)
	} else {
		res.general(sp)
	}
	return res
}

// fast parses a chunk without quotes, splitting at bytes.
func (res *chunkRes) fast(sp *parseSpec) {
	comma := byte(sp.comma)
	b := res.raw.buf
	line := res.raw.line
	for len(b) > 0 {
		var rec []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			rec, b = b[:i], b[i+1:]
		} else {
			rec, b = b, nil
		}
		if n := len(rec); n > 0 && rec[n-1] == '\r' {
			rec = rec[:n-1]
		}
		if len(rec) == 0 {
			line++
			continue
		}
		if n := bytes.Count(rec, []byte{comma}) + 1; n != sp.nfields {
			res.err = &Error{File: sp.name, Line: line, Msg: fmt.Sprintf("%s, want %d as in the header", plural(n, "field"), sp.nfields)}
			return
		}
		row := res.rows
		for f := 0; ; f++ {
			i := bytes.IndexByte(rec, comma)
			cell := rec
			if i >= 0 {
				cell = rec[:i]
			}
			if s := sp.slot[f]; s >= 0 {
				if err := res.cols[s].add(bytes.TrimSpace(cell), row, line, f, sp, s); err != nil {
					res.err = err
					return
				}
			}
			if i < 0 {
				break
			}
			rec = rec[i+1:]
		}
		res.lines = append(res.lines, line)
		res.rows++
		line++
	}
}

// general parses a chunk with encoding/csv.
func (res *chunkRes) general(sp *parseSpec) {
	cr := csv.NewReader(bytes.NewReader(res.raw.buf))
	cr.Comma = sp.comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	base := res.raw.line - 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			if pe, ok := err.(*csv.ParseError); ok {
				pe.StartLine += base
				pe.Line += base
			}
			res.err = csvError(sp.name, err)
			return
		}
		l0, _ := cr.FieldPos(0)
		line := l0 + base
		if len(rec) != sp.nfields {
			res.err = &Error{File: sp.name, Line: line, Msg: fmt.Sprintf("%s, want %d as in the header", plural(len(rec), "field"), sp.nfields)}
			return
		}
		row := res.rows
		for s, f := range sp.fields {
			fl, _ := cr.FieldPos(f)
			if err := res.cols[s].add([]byte(strings.TrimSpace(rec[f])), row, fl+base, f, sp, s); err != nil {
				res.err = err
				return
			}
		}
		res.lines = append(res.lines, line)
		res.rows++
	}
}

// missingBytes is isMissing for a trimmed cell.
func missingBytes(v []byte) bool {
	switch len(v) {
	case 0:
		return true
	case 1:
		return v[0] == '.'
	case 2:
		return v[0] == 'N' && v[1] == 'A'
	case 3:
		return (v[0]|0x20) == 'n' && (v[1]|0x20) == 'a' && (v[2]|0x20) == 'n'
	}
	return false
}

func (c *chunkCol) internStr(v []byte) string {
	if w, ok := c.intern[string(v)]; ok {
		return w
	}
	w := string(v)
	c.intern[w] = w
	return w
}

// add appends the trimmed cell v of chunk row row.
func (c *chunkCol) add(v []byte, row, line, field int, sp *parseSpec, s int) error {
	missing := missingBytes(v)
	if sp.strMode[s] {
		if missing {
			c.str = append(c.str, "")
			return nil
		}
		if c.first == 0 {
			c.first, c.first0 = 2, row
		}
		c.nonMiss++
		c.str = append(c.str, c.internStr(v))
		return nil
	}
	if missing {
		c.num = append(c.num, math.NaN())
		if c.hasStr {
			c.str = append(c.str, "")
		}
		return nil
	}
	x, isNum := parseFloatBytes(v)
	if isNum && math.IsNaN(x) { // e.g. "+nan": missing, but its text is kept
		c.num = append(c.num, x)
		if c.hasStr {
			c.nanRows = append(c.nanRows, row)
			c.str = append(c.str, c.internStr(v))
		}
		return nil
	}
	c.nonMiss++
	if c.first == 0 {
		c.first, c.first0 = 1, row
		if !isNum {
			c.first = 2
		}
	}
	if isNum {
		if math.IsInf(x, 0) && c.infErr == nil {
			c.infErr = &cellErr{line: line, field: field, col: sp.names[s], msg: fmt.Sprintf("%q is not a finite number", v)}
			if sp.strict {
				return c.infErr.error(sp.name)
			}
		}
		c.num = append(c.num, x)
	} else {
		c.text++
		if c.textErr == nil {
			c.textErr = &cellErr{line: line, field: field, col: sp.names[s], msg: fmt.Sprintf("%q is not a number", v)}
			c.textRow = row
			if sp.strict {
				return c.textErr.error(sp.name)
			}
		}
		c.num = append(c.num, math.NaN())
	}
	if c.hasStr {
		c.str = append(c.str, c.internStr(v))
	}
	return nil
}

func (e *cellErr) error(file string) error {
	return &Error{File: file, Line: e.line, Field: e.field + 1, Column: e.col, Msg: e.msg}
}

// parseFloatBytes is parseNumber for a trimmed non-missing cell, with a
// fast exact path for plain decimals.
func parseFloatBytes(v []byte) (float64, bool) {
	if x, ok := fastDecimal(v); ok {
		return x, true
	}
	return parseNumber(string(v))
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastDecimal parses [sign] digits [. digits] [e [sign] digits] when the
// digits form an integer below 2⁵³ and the decimal exponent is within
// ±22: then one multiplication or division of exact float64 values gives
// the correctly rounded result (Clinger 1990), which is what
// strconv.ParseFloat returns. Other forms report false.
func fastDecimal(v []byte) (float64, bool) {
	i, n := 0, len(v)
	neg := false
	if i < n && (v[i] == '-' || v[i] == '+') {
		neg = v[i] == '-'
		i++
	}
	var m uint64
	digits, exp := 0, 0
	start := i
	for ; i < n && v[i] >= '0' && v[i] <= '9'; i++ {
		if digits < 19 {
			m = m*10 + uint64(v[i]-'0')
			if m > 0 {
				digits++
			}
		} else {
			return 0, false
		}
	}
	intDigits := i - start
	fracDigits := 0
	if i < n && v[i] == '.' {
		i++
		fs := i
		for ; i < n && v[i] >= '0' && v[i] <= '9'; i++ {
			if digits < 19 {
				m = m*10 + uint64(v[i]-'0')
				if m > 0 {
					digits++
				}
				exp--
			} else {
				return 0, false
			}
		}
		fracDigits = i - fs
	}
	if intDigits+fracDigits == 0 {
		return 0, false
	}
	if i < n && (v[i] == 'e' || v[i] == 'E') {
		i++
		eneg := false
		if i < n && (v[i] == '-' || v[i] == '+') {
			eneg = v[i] == '-'
			i++
		}
		es := i
		e := 0
		for ; i < n && v[i] >= '0' && v[i] <= '9'; i++ {
			if e < 10000 {
				e = e*10 + int(v[i]-'0')
			}
		}
		if i == es {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != n || m > 1<<53 {
		return 0, false
	}
	f := float64(m)
	switch {
	case m == 0:
	case exp == 0:
	case exp > 0 && exp <= 22:
		f *= pow10[exp]
	case exp < 0 && exp >= -22:
		f /= pow10[-exp]
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// readCSV is ReadCSV's engine on a seekable stream positioned at the data.
func readCSV(rs io.ReadSeeker, name string, opt Options) (*Frame, error) {
	base, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error(), Err: err}
	}
	comma := opt.Comma
	if comma == 0 {
		comma = ','
	}
	ch := newChunker(rs, chunkBytes)
	sp, first, err := startCSV(ch, name, comma, opt)
	if err != nil {
		return nil, err
	}
	// The first chunk alone: its columns whose first value is text are
	// categorical for sure, so later chunks keep their strings only.
	wantStr := make([]bool, len(sp.fields))
	r0 := parseFull(first, sp, wantStr)
	if r0.err != nil {
		return nil, r0.err
	}
	later := *sp
	later.strMode = append([]bool(nil), sp.strMode...)
	for s := range later.strMode {
		if r0.cols[s].first == 2 {
			later.strMode[s] = true
		}
	}
	r0.raw.buf = nil
	results := []*chunkRes{r0}
	rest, err := parseAll(ch, &later, wantStr)
	if err != nil {
		return nil, err
	}
	results = append(results, rest...)

	rows := 0
	for _, r := range results {
		rows += r.rows
	}
	if rows == 0 {
		return nil, &Error{File: name, Msg: "no data rows (only a header)"}
	}
	cols, err := mergeColumns(results, sp, &later, rows, func(r *chunkRes, want []bool) (*chunkRes, error) {
		buf := make([]byte, r.size)
		if _, err := rs.Seek(base+r.raw.off, io.SeekStart); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(rs, buf); err != nil {
			return nil, err
		}
		return parseChunk(rawChunk{buf: buf, off: r.raw.off, line: r.raw.line}, &later, want), nil
	})
	if err != nil {
		return nil, err
	}
	lines := make([]int, 0, rows)
	for _, r := range results {
		lines = append(lines, r.lines...)
	}
	f := &Frame{Rows: rows, Source: name, Lines: lines, Columns: cols}
	if opt.DropMissing {
		var n int
		f, n = f.DropMissing(nil)
		f.Dropped = n
		if f.Rows == 0 {
			return nil, &Error{File: name, Msg: fmt.Sprintf("every row has a missing value; nothing left after dropping %d rows", n)}
		}
	}
	return f, nil
}

// parseFull parses raw and, when a numeric slot met text, again with its
// strings, so that a chunk holds the strings of every slot with text.
func parseFull(raw rawChunk, sp *parseSpec, wantStr []bool) *chunkRes {
	r := parseChunk(raw, sp, wantStr)
	if r.err != nil {
		return r
	}
	var again []bool
	for s := range r.cols {
		if c := &r.cols[s]; c.text > 0 && !c.hasStr {
			if again == nil {
				again = append([]bool(nil), wantStr...)
			}
			again[s] = true
		}
	}
	if again != nil {
		r = parseChunk(raw, sp, again)
	}
	return r
}

// startCSV reads the header from the first chunk and returns the parse
// spec and the first chunk's records after the header.
func startCSV(ch *chunker, name string, comma rune, opt Options) (*parseSpec, rawChunk, error) {
	c0, err := ch.next()
	if err == io.EOF {
		return nil, rawChunk{}, &Error{File: name, Msg: "empty file (a header row naming the columns is required)"}
	}
	if err != nil {
		return nil, rawChunk{}, chunkErr(name, err, ch)
	}
	var cr *csv.Reader
	var header []string
	for {
		cr = csv.NewReader(bytes.NewReader(c0.buf))
		cr.Comma = comma
		cr.FieldsPerRecord = -1
		header, err = cr.Read()
		if err != io.EOF {
			break
		}
		// Only blank lines so far: the header is in a later chunk.
		c1, err1 := ch.next()
		if err1 == io.EOF {
			return nil, rawChunk{}, &Error{File: name, Msg: "empty file (a header row naming the columns is required)"}
		}
		if err1 != nil {
			return nil, rawChunk{}, chunkErr(name, err1, ch)
		}
		c0.buf = append(c0.buf[:len(c0.buf):len(c0.buf)], c1.buf...)
	}
	if err != nil {
		return nil, rawChunk{}, csvError(name, err)
	}
	off := cr.InputOffset()
	rest := rawChunk{buf: c0.buf[off:], off: c0.off + off, line: c0.line + bytes.Count(c0.buf[:off], []byte{'\n'})}
	sp, err := newParseSpec(name, comma, header, opt)
	return sp, rest, err
}

// chunkErr turns a chunker error into a data error.
func chunkErr(name string, err error, ch *chunker) error {
	if err == errLongRecord {
		return &Error{File: name, Line: ch.line, Msg: err.Error()}
	}
	return &Error{File: name, Msg: err.Error(), Err: err}
}

// newParseSpec checks the header and chooses the columns to read.
func newParseSpec(name string, comma rune, header []string, opt Options) (*parseSpec, error) {
	names := make([]string, len(header))
	pos := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, &Error{File: name, Line: 1, Field: j + 1, Msg: "empty column name in header"}
		}
		if k, dup := pos[h]; dup {
			return nil, &Error{File: name, Line: 1, Field: j + 1, Msg: fmt.Sprintf("duplicate column name %q (also field %d)", h, k+1)}
		}
		names[j] = h
		pos[h] = j
	}
	sp := &parseSpec{name: name, comma: comma, nfields: len(names), slot: make([]int, len(names))}
	want := make([]bool, len(names))
	if opt.Columns == nil {
		for j := range want {
			want[j] = true
		}
	} else {
		for _, c := range opt.Columns {
			j, ok := pos[c]
			if !ok {
				return nil, &Error{File: name, Column: c, Msg: UnknownName("column", c, names)}
			}
			want[j] = true
		}
	}
	for j, h := range names {
		sp.slot[j] = -1
		if want[j] {
			sp.slot[j] = len(sp.fields)
			sp.fields = append(sp.fields, j)
			sp.names = append(sp.names, h)
			forced := false
			for _, c := range opt.Categorical {
				forced = forced || c == h
			}
			sp.strMode = append(sp.strMode, forced)
		}
	}
	return sp, nil
}

// parseAll parses the remaining chunks of ch on all cores and returns them
// in file order; it stops at the first structural error in file order.
func parseAll(ch *chunker, sp *parseSpec, wantStr []bool) ([]*chunkRes, error) {
	type job struct {
		k   int
		raw rawChunk
	}
	nw := max(1, workers())
	jobs := make(chan job, nw)
	var (
		mu      sync.Mutex
		results []*chunkRes
		errAt   = -1
		readErr error
		wg      sync.WaitGroup
	)
	stop := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return errAt >= 0
	}
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := parseFull(j.raw, sp, wantStr)
				ch.release(j.raw) // parsed: only the columns are kept, not the bytes too
				r.raw.buf, r.raw.mem = nil, nil
				mu.Lock()
				for len(results) <= j.k {
					results = append(results, nil)
				}
				results[j.k] = r
				if r.err != nil && (errAt < 0 || j.k < errAt) {
					errAt = j.k
				}
				mu.Unlock()
			}
		}()
	}
	for k := 0; ; k++ {
		if stop() {
			break
		}
		raw, err := ch.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = chunkErr(sp.name, err, ch)
			break
		}
		jobs <- job{k, raw}
	}
	close(jobs)
	wg.Wait()
	for _, r := range results {
		if r != nil && r.err != nil {
			return nil, r.err
		}
	}
	if readErr != nil {
		return nil, readErr
	}
	return results, nil
}

// mergeColumns decides every column's kind by the package's rules over all
// chunks and concatenates the chunks' values in order. reparse reads a
// chunk again for the strings of the slots want selects (for a column that
// turned out categorical after a chunk read it as numbers).
func mergeColumns(results []*chunkRes, sp0, sp *parseSpec, rows int, reparse func(*chunkRes, []bool) (*chunkRes, error)) ([]*Column, error) {
	var first *cellErr
	cols := make([]*Column, len(sp.fields))
	for s := range sp.fields {
		col, e, err := mergeSlot(results, sp0, sp, s, rows, reparse)
		if err != nil {
			return nil, err
		}
		if e != nil && (first == nil || e.line < first.line || e.line == first.line && e.field < first.field) {
			first = e
		}
		cols[s] = col
	}
	if first != nil {
		return nil, first.error(sp.name)
	}
	return cols, nil
}

func mergeSlot(results []*chunkRes, sp0, sp *parseSpec, s, rows int, reparse func(*chunkRes, []bool) (*chunkRes, error)) (*Column, *cellErr, error) {
	name := sp.names[s]
	if sp0.strMode[s] {
		return &Column{Name: name, Kind: String, Str: concatStr(results, s, rows)}, nil, nil
	}
	// Global tallies, and the global row of the first value and text.
	var kind int8
	firstRow, textRow := -1, -1
	nonMiss, text := 0, 0
	var textErr, infErr *cellErr
	row0 := 0
	for _, r := range results {
		c := &r.cols[s]
		if kind == 0 && c.first != 0 {
			kind, firstRow = c.first, row0+c.first0
		}
		nonMiss += c.nonMiss
		text += c.text
		if textErr == nil && c.textErr != nil {
			textErr, textRow = c.textErr, row0+c.textRow
		}
		if infErr == nil && c.infErr != nil {
			infErr = c.infErr
		}
		row0 += r.rows
	}
	var nanFrom, nanTo int // rows whose NaN cells read as missing
	switch {
	case kind == 2: // the first value is text: categorical
		nanFrom, nanTo = 0, firstRow
	case kind == 0 || text == 0:
		num := make([]float64, 0, rows)
		for _, r := range results {
			num = append(num, r.cols[s].num...)
			r.cols[s].num = nil
		}
		if kind != 0 && infErr != nil {
			return nil, infErr, nil
		}
		return &Column{Name: name, Kind: Numeric, Num: num}, nil, nil
	case 2*text >= nonMiss: // mostly text: categorical
		nanFrom, nanTo = textRow, rows
	default:
		return nil, textErr, nil
	}
	want := make([]bool, len(sp.fields))
	want[s] = true
	for k, r := range results {
		c := &r.cols[s]
		if c.hasStr {
			continue
		}
		nr, err := reparse(r, want)
		if err != nil {
			return nil, nil, &Error{File: sp.name, Msg: err.Error(), Err: err}
		}
		results[k].cols[s].str, results[k].cols[s].nanRows, results[k].cols[s].hasStr = nr.cols[s].str, nr.cols[s].nanRows, true
	}
	str := make([]string, 0, rows)
	row0 = 0
	for _, r := range results {
		c := &r.cols[s]
		at := len(str)
		str = append(str, c.str...)
		for _, i := range c.nanRows {
			if g := row0 + i; g >= nanFrom && g < nanTo {
				str[at+i] = ""
			}
		}
		c.str, c.num = nil, nil
		row0 += r.rows
	}
	return &Column{Name: name, Kind: String, Str: str}, nil, nil
}

func concatStr(results []*chunkRes, s, rows int) []string {
	str := make([]string, 0, rows)
	for _, r := range results {
		str = append(str, r.cols[s].str...)
		r.cols[s].str = nil
	}
	return str
}
