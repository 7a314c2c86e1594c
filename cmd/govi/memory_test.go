package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// limitHeap sets a memory limit above the live heap after a collection,
// never lowers it, and stop restores the default.
func TestLimitHeap(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 || os.Getenv("GOGC") != "" {
		t.Skip("GOMEMLIMIT or GOGC is set")
	}
	stop := limitHeap()
	ballast := make([]float64, 4<<20) // 32 MB live
	var limit int64
	for i := 0; i < 100 && limit == 0; i++ {
		runtime.GC()
		runtime.Gosched()
		if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
			limit = l
		}
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if limit == 0 {
		t.Fatal("no memory limit was set after 100 collections")
	}
	if l := int64(live[0].Value.Uint64()); limit < l {
		t.Errorf("memory limit %d below the live heap %d", limit, l)
	}
	runtime.KeepAlive(ballast)
	ballast = nil
	for range 3 {
		runtime.GC()
		runtime.Gosched()
	}
	if l := debug.SetMemoryLimit(-1); l < limit {
		t.Errorf("memory limit lowered from %d to %d", limit, l)
	}
	stop()
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit %d after stop, want none", l)
	}
}
