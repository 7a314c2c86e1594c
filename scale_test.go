package govi_test

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/optim"
)

// On many rows Auto's start fits every 8th row first; the full-data fit
// from there reaches the same optimum in fewer full passes than from the
// narrow start.
func TestSubsampleStart(t *testing.T) {
	m := synth.LogisticModel(60000, 20, 3)
	d := m.Dim()
	for _, name := range []string{"fullrank", "meanfield"} {
		q, _ := family.New(name, d, 0)
		ch := govi.Auto(m, 1)
		if err := ch.Apply(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if ch.StartRows == 0 || ch.StartRows%7500 != 0 {
			t.Fatalf("%s: the start evaluated %d rows; want a positive multiple of the 7500 subsampled", name, ch.StartRows)
		}
		res, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil)
		if err != nil || !res.Converged() {
			t.Fatalf("%s: %v %s", name, err, res.Message)
		}

		ref, _ := family.New(name, d, 0)
		ref.ScaleBy(1e-3)
		rres, err := govi.Fit(context.Background(), m, ref, &elbo.Quadrature{}, &optim.NaturalGradient{}, nil)
		if err != nil || !rres.Converged() {
			t.Fatalf("%s reference: %v %s", name, err, rres.Message)
		}
		t.Logf("%s: %d full passes (+%d subsampled rows) vs %d; ELBO %.10g vs %.10g", name, res.Evals, ch.StartRows, rres.Evals, res.ELBO, rres.ELBO)
		if res.Evals >= rres.Evals {
			t.Errorf("%s: %d full-data passes from the subsample's fit, %d from the narrow start; want fewer", name, res.Evals, rres.Evals)
		}
		// Both stop within FuncTol·|f| of the optimum's value.
		if tol := 2e-12 * math.Abs(rres.ELBO); math.Abs(res.ELBO-rres.ELBO) > tol {
			t.Errorf("%s: ELBO %.12g vs %.12g, differ by more than %.2g", name, res.ELBO, rres.ELBO, tol)
		}
		var rc mat.SymDense
		ref.(family.Gaussian).Cov(&rc)
		z, sd := marginalError(q.(family.Gaussian), ref.Mean(nil), &rc)
		if z > 1e-3 || sd > 1e-3 {
			t.Errorf("%s: max z %.3g, sd error %.3g against the narrow start's fit; want ≤ 1e-3", name, z, sd)
		}
	}

	// Too few rows: no subsample.
	small := synth.LogisticModel(20000, 20, 3)
	q := family.NewFullRank(small.Dim())
	ch := govi.Auto(small, 1)
	if err := ch.Apply(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if ch.StartRows != 0 {
		t.Errorf("20,000 rows: the start evaluated %d rows, want 0", ch.StartRows)
	}
}

// AutoDraws keeps DefaultDraws on small data, and on large data grows with
// the fit's work within [MinDraws, DefaultDraws].
func TestAutoDraws(t *testing.T) {
	small := synth.LogisticModel(2000, 4, 1)
	if got := govi.AutoDraws(small, family.NewFullRank(small.Dim()), 2000, 8*2000, false); got != govi.DefaultDraws {
		t.Errorf("2000 rows × 5: %d draws, want DefaultDraws (%d)", got, govi.DefaultDraws)
	}
	m := synth.LogisticModel(100000, 100, 1)
	n, d := 100000, m.Dim()
	fr, mf := family.NewFullRank(d), family.NewMeanField(d)
	prev := 0
	for _, evals := range []int{1, 3, 5, 8, 12} {
		got := govi.AutoDraws(m, fr, n, evals*n, false)
		if got < govi.MinDraws || got > govi.DefaultDraws {
			t.Fatalf("%d passes: %d draws, outside [%d, %d]", evals, got, govi.MinDraws, govi.DefaultDraws)
		}
		if got < prev {
			t.Errorf("%d passes: %d draws, fewer than %d for fewer passes", evals, got, prev)
		}
		prev = got
		// A mean-field pass is cheaper (no projection on the factor), so
		// the same passes buy fewer draws.
		if g := govi.AutoDraws(m, mf, n, evals*n, false); g > got {
			t.Errorf("%d passes: mean-field %d draws, more than full-rank's %d", evals, g, got)
		}
	}
	if got := govi.AutoDraws(m, fr, n, 1, false); got != govi.MinDraws {
		t.Errorf("a negligible fit: %d draws, want MinDraws", got)
	}
	if got := govi.AutoDraws(m, fr, n, 1000*n, false); got != govi.DefaultDraws {
		t.Errorf("a fit of 1000 passes: %d draws, want DefaultDraws", got)
	}
	// Streamed passes also read the file: the same passes buy more draws.
	if s, b := govi.AutoDraws(m, fr, n, 5*n, true), govi.AutoDraws(m, fr, n, 5*n, false); s <= b {
		t.Errorf("streamed: %d draws, not more than %d in memory", s, b)
	}
}
