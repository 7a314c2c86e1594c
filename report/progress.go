package report

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/govi-dev/govi/optim"
)

// DefaultProgressInterval is the minimum time between two plain progress
// lines when the output is not a terminal.
const DefaultProgressInterval = 2 * time.Second

// barTick is how often the terminal bar is updated from the latest
// iteration.
const barTick = 100 * time.Millisecond

// Progress reports optimizer progress. Pass its Callback method as
// optim.Settings.Callback and call Done once the run is over.
//
// When the writer is a terminal (an *os.File for which term.IsTerminal is
// true), Progress shows an mpb progress bar with the iteration count out of
// the maximum, the current ELBO, iterations per second and an ETA. The
// callback then only stores the iteration and ELBO in atomic variables; a
// separate goroutine moves the bar every 100 ms, so the optimizer never
// waits for the display.
//
// Otherwise it prints plain lines such as
//
//	iter 1200/10000  elbo -1234.56  1450 it/s
//
// for the first callback and then at most once per Interval (the rate is
// measured since the previous line; the first line has none). These lines are written
// synchronously from the callback, which costs one clock read per iteration
// and a short write every Interval. When quiet is true nothing is printed.
//
// For a minibatch fit (optim.Progress.Epoch set) the display shows the
// epoch out of the epoch limit and the rows per second too, and the ELBO
// it shows is smoothed: the mean of the batches' estimates over the last
// complete epoch (over the current one during the first), the average
// whose change the fit's convergence test judges. A plain line reads
//
//	epoch 3/100  iter 2442/122100  elbo -1234.56  1221 it/s  10.0M rows/s
//
// A Progress is for one run; its methods are safe to call from the
// optimizer's goroutine while Done is called from another.
type Progress struct {
	// Interval is the minimum time between plain lines; zero prints one
	// line per callback. NewProgress sets it to DefaultProgressInterval.
	Interval time.Duration

	w       io.Writer
	quiet   bool
	tty     bool
	maxIter int

	// phase display state
	phaseMu   sync.Mutex
	phaseName string
	phaseLast time.Time
	now       func() time.Time // clock, replaceable in tests

	// plain-line state, used only from the callback (and Done, after it)
	mu       sync.Mutex
	started  bool
	start    time.Time
	lastTime time.Time
	lastIter int
	iter     int
	elbo     float64
	done     bool
	lastRows int
	epoch    int // minibatch fits: the epoch, 0 otherwise
	maxEp    int
	rows     int

	// smoothing of a minibatch fit's ELBO, used only from the callback
	sm smoother

	// terminal-bar state
	bar      *mpb.Bar
	pool     *mpb.Progress
	curIter  atomic.Int64
	curELBO  atomic.Uint64 // math.Float64bits
	curMax   atomic.Int64
	curEpoch atomic.Int64
	curMaxEp atomic.Int64
	curRows  atomic.Int64
	stopTick chan struct{}
	tickDone chan struct{}
}

// NewProgress returns a Progress writing to w for a run of at most maxIter
// iterations (the Max reported by the optimizer takes over when positive).
// With quiet true the Progress prints nothing. A nil w is treated as quiet.
func NewProgress(w io.Writer, quiet bool, maxIter int) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok && f != nil {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return newProgress(w, quiet, maxIter, tty)
}

// newProgress is NewProgress with the terminal decision made by the caller.
func newProgress(w io.Writer, quiet bool, maxIter int, tty bool) *Progress {
	p := &Progress{
		Interval: DefaultProgressInterval,
		w:        w,
		quiet:    quiet || w == nil,
		maxIter:  maxIter,
		tty:      tty,
		now:      time.Now,
		elbo:     math.NaN(),
	}
	p.curELBO.Store(math.Float64bits(math.NaN()))
	p.curMax.Store(int64(max(maxIter, 0)))
	if tty && !p.quiet {
		p.startBar()
	}
	return p
}

// smoother averages a minibatch fit's ELBO estimates by epoch.
type smoother struct {
	epoch    int
	sum      float64
	n        int
	lastMean float64
	have     bool
}

// add takes the estimate f of a batch of epoch e and returns the smoothed
// ELBO: the mean over the last complete epoch, or over the current one
// until one is complete.
func (s *smoother) add(e int, f float64) float64 {
	if e != s.epoch {
		if s.n > 0 && s.epoch > 0 {
			s.lastMean, s.have = s.sum/float64(s.n), true
		}
		s.epoch, s.sum, s.n = e, 0, 0
	}
	s.sum += f
	s.n++
	if s.have {
		return s.lastMean
	}
	return s.sum / float64(s.n)
}

// Callback records one iteration. Its signature matches
// optim.Settings.Callback; it always returns nil, so it never stops a run.
func (p *Progress) Callback(pr optim.Progress) error {
	if p.quiet {
		return nil
	}
	if pr.Epoch > 0 {
		pr.F = p.sm.add(pr.Epoch, pr.F)
	}
	if p.bar != nil {
		p.curIter.Store(int64(pr.Iter))
		p.curELBO.Store(math.Float64bits(pr.F))
		if pr.Max > 0 {
			p.curMax.Store(int64(pr.Max))
		}
		p.curEpoch.Store(int64(pr.Epoch))
		p.curMaxEp.Store(int64(pr.MaxEpochs))
		p.curRows.Store(int64(pr.Rows))
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return nil
	}
	now := p.now()
	first := !p.started
	if first {
		p.started = true
		p.start, p.lastTime, p.lastIter, p.lastRows = now, now, 0, 0
	}
	p.iter, p.elbo = pr.Iter, pr.F
	p.epoch, p.maxEp, p.rows = pr.Epoch, pr.MaxEpochs, pr.Rows
	if pr.Max > 0 {
		p.maxIter = pr.Max
	}
	if !first && p.Interval > 0 && now.Sub(p.lastTime) < p.Interval {
		return nil
	}
	line := p.plainLine(now)
	p.lastTime, p.lastIter, p.lastRows = now, pr.Iter, pr.Rows
	io.WriteString(p.w, line+"\n")
	return nil
}

// plainLine formats "iter i/max  elbo x  r it/s" for the current state,
// after "epoch e/max" and before the rows per second for a minibatch fit.
// The rates are left out when no time has passed since the previous line.
func (p *Progress) plainLine(now time.Time) string {
	s := ""
	if p.epoch > 0 {
		s = "epoch " + strconv.Itoa(p.epoch)
		if p.maxEp > 0 {
			s += "/" + strconv.Itoa(p.maxEp)
		}
		s += "  "
	}
	s += "iter " + strconv.Itoa(p.iter)
	if p.maxIter > 0 {
		s += "/" + strconv.Itoa(p.maxIter)
	}
	s += "  elbo " + fixed2(p.elbo)
	if dt := now.Sub(p.lastTime).Seconds(); dt > 0 {
		s += fmt.Sprintf("  %.0f it/s", float64(p.iter-p.lastIter)/dt)
		if p.epoch > 0 {
			s += "  " + rowRate(float64(p.rows-p.lastRows)/dt)
		}
	}
	return s
}

// rowRate formats rows per second: "850 rows/s", "12.5k rows/s",
// "10.0M rows/s".
func rowRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM rows/s", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk rows/s", r/1e3)
	}
	return fmt.Sprintf("%.0f rows/s", r)
}

// epochs renders " (n epochs)" for the done line of a minibatch fit.
func epochs(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 epoch)"
	}
	return " (" + strconv.Itoa(n) + " epochs)"
}

// Done ends the display. status is the optimizer's stop reason
// ("converged", "iteration limit", "failed", "canceled"). In terminal mode
// it stops the bar (completed for converged or iteration limit, aborted
// otherwise) and waits for mpb to finish drawing. Then it prints one final
// line: "done: <status> after <n> iterations  elbo <x>  (<t> s)". Later calls
// do nothing.
func (p *Progress) Done(status string) {
	if p.quiet {
		return
	}
	if p.bar != nil {
		p.mu.Lock()
		if p.done {
			p.mu.Unlock()
			return
		}
		p.done = true
		p.mu.Unlock()
		close(p.stopTick)
		<-p.tickDone
		p.bar.SetCurrent(p.curIter.Load())
		switch status {
		case "converged", "iteration limit", "completed":
			p.bar.SetTotal(-1, true)
		default:
			p.bar.Abort(false)
		}
		p.pool.Wait()
		elapsed := p.now().Sub(p.start).Seconds()
		fmt.Fprintf(p.w, "done: %s after %d iterations%s  elbo %s  (%.2f s)\n",
			status, p.curIter.Load(), epochs(int(p.curEpoch.Load())), fixed2(math.Float64frombits(p.curELBO.Load())), elapsed)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	elapsed := 0.0
	if p.started {
		elapsed = p.now().Sub(p.start).Seconds()
	}
	fmt.Fprintf(p.w, "done: %s after %d iterations%s  elbo %s  (%.2f s)\n", status, p.iter, epochs(p.epoch), fixed2(p.elbo), elapsed)
}

// startBar creates the mpb bar and the goroutine that updates it.
func (p *Progress) startBar() {
	p.start = p.now()
	p.pool = mpb.New(mpb.WithOutput(p.w), mpb.WithRefreshRate(150*time.Millisecond), mpb.ForceTTY(), mpb.WithAutoRefresh())
	total := p.curMax.Load()
	p.bar = p.pool.AddBar(total,
		mpb.BarWidth(30),
		mpb.PrependDecorators(
			decor.Any(func(decor.Statistics) string {
				e := p.curEpoch.Load()
				if e == 0 {
					return ""
				}
				if m := p.curMaxEp.Load(); m > 0 {
					return fmt.Sprintf("epoch %d/%d ", e, m)
				}
				return fmt.Sprintf("epoch %d ", e)
			}),
			decor.CountersNoUnit("iter %d/%d")),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				return "elbo " + fixed2(math.Float64frombits(p.curELBO.Load()))
			}, decor.WC{W: 15}),
			decor.EwmaSpeed(0, "%.0f it/s", 30, decor.WC{W: 11}),
			decor.Any(func(decor.Statistics) string {
				rows := p.curRows.Load()
				dt := p.now().Sub(p.start).Seconds()
				if rows == 0 || dt <= 0 {
					return ""
				}
				return "  " + rowRate(float64(rows)/dt)
			}),
			decor.Name("  eta "),
			decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_GO, 30), "done"),
		),
	)
	p.stopTick = make(chan struct{})
	p.tickDone = make(chan struct{})
	go p.tick()
}

// tick moves the bar to the latest iteration every barTick until Done.
func (p *Progress) tick() {
	defer close(p.tickDone)
	t := time.NewTicker(barTick)
	defer t.Stop()
	last := p.now()
	var lastIter, lastMax int64 = 0, p.curMax.Load()
	for {
		select {
		case <-p.stopTick:
			return
		case <-t.C:
		}
		if m := p.curMax.Load(); m != lastMax && m > 0 {
			p.bar.SetTotal(m, false)
			lastMax = m
		}
		it := p.curIter.Load()
		if it <= lastIter {
			continue
		}
		now := p.now()
		if it >= lastMax && lastMax > 0 {
			it = lastMax - 1 // leave completion to Done, so the bar stays live
		}
		if it > lastIter {
			p.bar.EwmaSetCurrent(it, now.Sub(last))
			lastIter = it
		}
		last = now
	}
}

// Phase shows the progress of a phase after the fit ("draws",
// "diagnostics", "writing") on a terminal: a line rewritten at most every
// 150 ms, "draws 1200/4000". It ends the fit's display first. It prints
// nothing when quiet or when w is not a terminal, and may be called
// concurrently.
func (p *Progress) Phase(name string, done, total int) {
	if p.quiet {
		return
	}
	p.Done("finished")
	if !p.tty {
		return
	}
	p.phaseMu.Lock()
	defer p.phaseMu.Unlock()
	now := p.now()
	if name == p.phaseName && now.Sub(p.phaseLast) < 150*time.Millisecond && done < total {
		return
	}
	p.phaseName, p.phaseLast = name, now
	line := name + "…"
	if total > 0 {
		line = fmt.Sprintf("%s %d/%d", name, done, total)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// EndPhases clears the phase line on a terminal.
func (p *Progress) EndPhases() {
	if p.quiet || !p.tty {
		return
	}
	p.phaseMu.Lock()
	defer p.phaseMu.Unlock()
	if p.phaseName != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
