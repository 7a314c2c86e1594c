package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govi-dev/govi/optim"
)

// fakeClock advances by step on every call.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

func TestProgressPlainEveryCallback(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, 1000) // a bytes.Buffer is never a terminal
	p.Interval = 0
	clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
	p.now = clock.now
	for i := 1; i <= 3; i++ {
		if err := p.Callback(optim.Progress{Iter: i * 100, F: -1234.5678 + float64(i), Max: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	p.Done("converged")
	want := "iter 100/1000  elbo -1233.57\n" +
		"iter 200/1000  elbo -1232.57  200 it/s\n" +
		"iter 300/1000  elbo -1231.57  200 it/s\n" +
		"done: converged after 300 iterations  elbo -1231.57  (1.50 s)\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// A minibatch fit's lines show the epoch out of its limit, the rows per
// second and the ELBO smoothed over the last complete epoch (the current
// one during the first).
func TestProgressPlainMinibatch(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, 0)
	p.Interval = 0
	clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
	p.now = clock.now
	// Three batches of 1000 rows an epoch, their estimates −10, −20, −30
	// in epoch 1 and −1, −2, −3 in epoch 2.
	fs := []float64{-10, -20, -30, -1, -2, -3, -4}
	for i, f := range fs {
		p.Callback(optim.Progress{Iter: i + 1, F: f, Max: 300, Epoch: 1 + i/3, MaxEpochs: 100, Rows: 1000 * (i + 1)})
	}
	p.Done("converged")
	want := []string{
		"epoch 1/100  iter 1/300  elbo -10.00",
		"epoch 1/100  iter 2/300  elbo -15.00  2 it/s  2000 rows/s",
		"epoch 1/100  iter 3/300  elbo -20.00  2 it/s  2000 rows/s",
		"epoch 2/100  iter 4/300  elbo -20.00  2 it/s  2000 rows/s", // the mean of epoch 1
		"epoch 2/100  iter 5/300  elbo -20.00  2 it/s  2000 rows/s",
		"epoch 2/100  iter 6/300  elbo -20.00  2 it/s  2000 rows/s",
		"epoch 3/100  iter 7/300  elbo -2.00  2 it/s  2000 rows/s", // the mean of epoch 2
		"done: converged after 7 iterations (3 epochs)  elbo -2.00  (3.50 s)",
	}
	if got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tc := range []struct {
		r    float64
		want string
	}{{850, "850 rows/s"}, {12500, "12.5k rows/s"}, {1.0e7, "10.0M rows/s"}} {
		if got := rowRate(tc.r); got != tc.want {
			t.Errorf("rowRate(%g) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestProgressPlainInterval(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, 0)
	if p.Interval != DefaultProgressInterval {
		t.Errorf("Interval = %v, want %v", p.Interval, DefaultProgressInterval)
	}
	clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
	p.now = clock.now
	for i := 1; i <= 10; i++ {
		p.Callback(optim.Progress{Iter: i, F: -10, Max: 0})
	}
	p.Done("iteration limit")
	p.Done("again") // ignored
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// Callbacks at 0.5 s, 1.0 s, …; lines at the first one, then ≥ 2 s later.
	want := []string{
		"iter 1  elbo -10.00",
		"iter 5  elbo -10.00  2 it/s",
		"iter 9  elbo -10.00  2 it/s",
		"done: iteration limit after 10 iterations  elbo -10.00  (5.00 s)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines[:3] {
		for _, field := range []string{"iter ", "elbo "} {
			if !strings.Contains(l, field) {
				t.Errorf("line %q lacks %q", l, field)
			}
		}
	}
}

func TestProgressQuiet(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, true, 100)
	p.Interval = 0
	for i := 1; i <= 5; i++ {
		if err := p.Callback(optim.Progress{Iter: i, F: -1, Max: 100}); err != nil {
			t.Fatal(err)
		}
	}
	p.Done("converged")
	if buf.Len() != 0 {
		t.Errorf("quiet progress printed %q", buf.String())
	}
	NewProgress(nil, false, 10).Done("converged") // nil writer is quiet, no panic
}

// syncBuffer is a bytes.Buffer safe for mpb's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressBar(t *testing.T) {
	for _, status := range []string{"converged", "failed"} {
		t.Run(status, func(t *testing.T) {
			var buf syncBuffer
			p := newProgress(&buf, false, 50, true)
			if p.bar == nil {
				t.Fatal("terminal mode did not create a bar")
			}
			start := time.Now()
			for i := 1; i <= 30; i++ {
				p.Callback(optim.Progress{Iter: i, F: -99.5, Max: 50})
			}
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("30 callbacks took %v", d)
			}
			time.Sleep(3 * barTick) // let the ticker move the bar
			p.Done(status)
			out := buf.String()
			for _, want := range []string{"iter", "elbo -99.50", "done: " + status + " after 30 iterations"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%q", want, out)
				}
			}
			p.Done(status) // second call is a no-op and must not block
		})
	}
}

// A minibatch fit's bar shows the epoch and the rows per second.
func TestProgressBarMinibatch(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, false, 0, true)
	for i := 1; i <= 30; i++ {
		p.Callback(optim.Progress{Iter: i, F: -5, Max: 50, Epoch: 1 + i/20, MaxEpochs: 10, Rows: 100 * i})
	}
	time.Sleep(3 * barTick)
	p.Done("converged")
	out := buf.String()
	for _, want := range []string{"epoch 2/10", "iter", "rows/s", "elbo -5.00", "done: converged after 30 iterations (2 epochs)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
}
