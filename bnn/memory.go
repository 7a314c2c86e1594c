package bnn

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Workspace shapes shared by the estimators and the memory estimate.
const (
	// blockRows is the number of rows an estimator pushes through the
	// network at once.
	blockRows = 32
	// maxChunks bounds the number of chunks a batch is split into; each
	// chunk owns gradient accumulators of three times the number of
	// weights.
	maxChunks = 8
	// rowBuffers is the number of blockRows×width buffers per layer and
	// worker (the moment estimator's, the larger).
	rowBuffers = 14
)

// fallbackBudget is the memory budget when the available memory cannot be
// read.
const fallbackBudget = 4 << 30

// MemoryError reports a network too large for the memory budget.
type MemoryError struct {
	Sizes  []int   // layer widths
	Rows   int     // training rows
	Need   float64 // estimated bytes
	Budget int64   // the budget it exceeds
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("bnn: a network with layers %v on %d rows needs about %s (data, weights, the mean-field family, Adam's state and the training workspace), more than the budget of %s; use fewer or narrower layers, or raise Spec.MaxBytes",
		e.Sizes, e.Rows, formatBytes(e.Need), formatBytes(float64(e.Budget)))
}

func formatBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// EstimateBytes returns the bytes that fitting a network with the given
// layer widths (inputs, hidden layers, outputs) on rows training rows
// needs, as New checks it against the budget: the data (three copies of
// the inputs: standardized, and the estimators' sparse-aware pair), the
// mean-field family (3 values per coordinate of θ), Adam's state and the
// trial point (10 per coordinate), an estimator's per-coordinate arrays
// and per-chunk gradient accumulators (3 + 3·8 per coordinate), and per
// worker (GOMAXPROCS) the row buffers of a block of 32 rows and a point
// evaluation's buffers. It is computed in floating point, so absurd sizes
// do not overflow.
func EstimateBytes(sizes []int, gaussian bool, rows int) float64 {
	if len(sizes) < 2 {
		return 0
	}
	d := 0.0
	width := 0.0
	for l := 1; l < len(sizes); l++ {
		d += float64(sizes[l-1]+1) * float64(sizes[l])
		width += float64(sizes[l])
	}
	if gaussian {
		d++
	}
	p := float64(sizes[0])
	workers := float64(runtime.GOMAXPROCS(0))
	floats := float64(rows)*(3*p+1) + // data: standardized, and the estimators' two copies
		d*(3+10+3+3*maxChunks) + // family, optimizer, estimator
		workers*(float64(blockRows)*(width*rowBuffers+2*p)+float64(pointBlock)*(3*width+p))
	return 8 * floats
}

// DefaultBudget returns the memory budget New uses when Spec.MaxBytes is
// zero: the memory the system reports available (MemAvailable in
// /proc/meminfo), or 4 GiB where it cannot be read, and no more than the
// Go runtime's soft memory limit (GOMEMLIMIT, debug.SetMemoryLimit) when
// one is set.
func DefaultBudget() int64 {
	b := int64(fallbackBudget)
	if a := memAvailable(); a > 0 {
		b = a
	}
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < b {
		b = lim
	}
	return b
}

// memAvailable returns MemAvailable from /proc/meminfo in bytes, or 0.
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "MemAvailable:") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
			return 0
		}
		return kb * 1024
	}
	return 0
}
