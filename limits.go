package govi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/stream"
)

// MaxDraws is the most draws Run takes from q.
const MaxDraws = 10_000_000

// LimitError says that a run would exceed a documented limit (the number
// of draws, the memory they need) before anything is allocated.
type LimitError struct {
	// What names the setting ("draws").
	What string
	// Msg says what the limit is and what to do.
	Msg string
}

func (e *LimitError) Error() string { return "govi: " + e.Msg }

// ErrInterrupted is returned by Run when its context is canceled while
// it draws from q or diagnoses the draws (an interrupted fit is not an
// error: Run goes on from the fit it has).
var ErrInterrupted = errors.New("govi: interrupted")

// DrawMemory returns the bytes that s draws of a model with d coordinates
// and k reported quantities take: the draws on both scales and their log
// densities (8 bytes each), doubled for the copies of resampling and of
// the diagnostics' halves.
func DrawMemory(s, k, d int) float64 {
	return 2 * 8 * float64(s) * float64(k+d+2)
}

// CheckDraws returns a *LimitError when s draws are more than MaxDraws, or
// need more memory than the machine has available (MemAvailable in
// /proc/meminfo where there is one).
func CheckDraws(s, k, d int) error {
	if s > MaxDraws {
		return &LimitError{What: "draws", Msg: fmt.Sprintf("%d draws are more than the limit of %d", s, MaxDraws)}
	}
	need := DrawMemory(s, k, d)
	if avail, ok := availableMemory(); ok && need > avail {
		return &LimitError{What: "draws", Msg: fmt.Sprintf("%d draws of %d quantities need about %.3g GB of memory, more than the %.3g GB available; use fewer draws (at most about %d)",
			s, k+d, need/1e9, avail/1e9, int(avail/DrawMemory(1, k, d)))}
	}
	return nil
}

// availableMemory reads MemAvailable from /proc/meminfo.
func availableMemory() (float64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseFloat(fields[0], 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// cancelable is a log density that gives up (NaN) once ctx is done, so
// that drawing stops within one evaluation of an interrupt, and counts
// its evaluations for progress reports.
type cancelable struct {
	m     model.LogDensity
	ctx   context.Context
	count atomic.Int64
	every int64
	total int
	phase func(string, int, int)
}

func (c *cancelable) LogDensity(x []float64) float64 {
	if c.ctx.Err() != nil {
		return nanValue
	}
	n := c.count.Add(1)
	if c.phase != nil && c.every > 0 && n%c.every == 0 {
		c.phase("draws", int(n), c.total)
	}
	return c.m.LogDensity(x)
}

func (c *cancelable) Dim() int { return c.m.Dim() }

var nanValue = math.NaN()

// passProgress is a data pass that stops at the next block once ctx is
// done and reports the share of rows read as draws done, for a progress
// display of the blocked draws.
type passProgress struct {
	stream.Source
	ctx   context.Context
	phase func(string, int, int)
	draws int
	read  int
}

func (p *passProgress) Read(ks []int) (*stream.Block, error) {
	if err := p.ctx.Err(); err != nil {
		return nil, err
	}
	b, err := p.Source.Read(ks)
	if err == nil && p.phase != nil {
		p.read += b.Len()
		p.phase("draws", int(int64(p.draws)*int64(p.read)/int64(max(1, p.Source.NumRows()))), p.draws)
	}
	return b, err
}
