package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

type countTask struct {
	hits    []atomic.Int32
	workers int
	maxW    atomic.Int32
}

func (t *countTask) Do(w, c int) {
	t.hits[c].Add(1)
	for {
		m := t.maxW.Load()
		if int32(w) <= m || t.maxW.CompareAndSwap(m, int32(w)) {
			break
		}
	}
}

// Every chunk runs exactly once and worker indices stay below Workers.
func TestRunCoversEveryChunkOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var g Group
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 3, 64, 1000} {
			task := &countTask{hits: make([]atomic.Int32, n)}
			g.Run(task, n)
			for c := range task.hits {
				if h := task.hits[c].Load(); h != 1 {
					t.Fatalf("GOMAXPROCS %d, %d chunks: chunk %d ran %d times", procs, n, c, h)
				}
			}
			if n > 0 && int(task.maxW.Load()) >= Workers(n) {
				t.Errorf("worker index %d ≥ Workers(%d) = %d", task.maxW.Load(), n, Workers(n))
			}
		}
	}
}

// Chunk boundaries depend only on the sizes, and cover the items exactly.
func TestChunksAndRange(t *testing.T) {
	for _, tc := range []struct{ n, min, max, want int }{
		{0, 10, 8, 0}, {5, 10, 8, 1}, {100, 10, 8, 8}, {100, 30, 8, 3}, {7, 0, 64, 7},
	} {
		c := Chunks(tc.n, tc.min, tc.max)
		if c != tc.want {
			t.Errorf("Chunks(%d, %d, %d) = %d, want %d", tc.n, tc.min, tc.max, c, tc.want)
		}
		next := 0
		for i := 0; i < c; i++ {
			lo, hi := Range(tc.n, c, i)
			if lo != next || hi < lo {
				t.Fatalf("Range(%d, %d, %d) = [%d, %d), want start %d", tc.n, c, i, lo, hi, next)
			}
			next = hi
		}
		if c > 0 && next != tc.n {
			t.Errorf("ranges end at %d, want %d", next, tc.n)
		}
	}
}

// Run allocates nothing once its workers exist.
func TestRunAllocs(t *testing.T) {
	var g Group
	task := &countTask{hits: make([]atomic.Int32, 32)}
	g.Run(task, 32)
	if a := testing.AllocsPerRun(20, func() { g.Run(task, 32) }); a != 0 {
		t.Errorf("%v allocations per Run", a)
	}
}
