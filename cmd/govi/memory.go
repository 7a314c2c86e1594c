package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// An in-memory fit's live heap peaks at about twice the design matrix (the
// frame and X while X is filled, then X and the rank check's copy of it).
// Under the default GOGC the heap may grow to twice the live heap, and
// freed pages stay resident until the slow background scavenger returns
// them: the peak RSS was about four times the design. A soft memory limit
// a little above the highest live heap so far makes the collector run, and
// return freed pages, near it. It never falls below the live heap, so the
// collector does not run continuously, and never falls at all, so that
// after the peak (the fit holds about X) collections are rare.
const (
	heapSlack    = 0.02    // of the live heap
	heapSlackMin = 4 << 20 // bytes
)

// limitHeap sets the soft memory limit (debug.SetMemoryLimit) after every
// collection until stop is called, which restores the previous limit. A
// memory limit or GOGC the user set is kept.
func limitHeap() (stop func()) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 || os.Getenv("GOGC") != "" {
		return func() {}
	}
	var (
		mu      sync.Mutex
		stopped bool
		limit   int64
	)
	m := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	// A sentinel is collected, and its finalizer run, once per collection.
	type sentinel struct{ _ *int }
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			metrics.Read(m)
			var v [5]int64
			for i := range v {
				v[i] = int64(m[i].Value.Uint64())
			}
			// The limit counts the runtime's own memory (spans, metadata,
			// stacks) too.
			live, own := v[0], max(v[1]-v[2]-v[3]-v[4], 0)
			if l := int64(float64(live)*(1+heapSlack)) + heapSlackMin + own; live > 0 && l > limit {
				limit = l
				debug.SetMemoryLimit(limit)
			}
			arm()
		})
	}
	arm()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		debug.SetMemoryLimit(prev)
	}
}
