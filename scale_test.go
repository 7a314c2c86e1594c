package govi_test

import (
	"context"
	"math"
	"strings"
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

// On 10⁶ rows or more, when the exact diagnostics at MinDraws would cost
// more than the fit, AutoSubsample evaluates the draws on about 10⁵ rows.
func TestAutoSubsample(t *testing.T) {
	m := synth.LogisticModel(1000, 10, 1)
	q := family.NewFullRank(m.Dim())
	n := 2000000
	draws, stride, ok := govi.AutoSubsample(m, q, n, 5*n, false)
	if !ok || stride != 20 || draws < govi.MinDraws || draws > govi.DefaultDraws {
		t.Errorf("2,000,000 rows, 5 passes: %d draws, stride %d, %v; want a subsample of every 20th row", draws, stride, ok)
	}
	if exact := govi.AutoDraws(m, q, n, 5*n, false); exact != govi.MinDraws {
		t.Errorf("the exact pass would take %d draws; this test assumes the MinDraws floor binds", exact)
	}
	// A longer fit buys more draws.
	if more, _, ok := govi.AutoSubsample(m, q, n, 10*n, false); !ok || more <= draws {
		t.Errorf("10 passes: %d draws (%v), not more than %d for 5", more, ok, draws)
	}
	if _, stride, ok := govi.AutoSubsample(m, q, 500000, 5*500000, false); !ok || stride != 5 {
		t.Errorf("500,000 rows: stride %d, %v; want every 5th row", stride, ok)
	}
	// Below 2·10⁵ rows the stride makes MinDraws draws and the control
	// variate's pass cost the fit, on at least 10⁴ rows per draw.
	for _, tc := range []struct {
		n, passes int
		want      bool
	}{
		{150000, 5, true},
		{150000, 1, false}, // one pass is too short for 10⁴ rows per draw
		{99999, 5, false},  // below 10⁵ rows: exact
	} {
		draws, stride, ok := govi.AutoSubsample(m, q, tc.n, tc.passes*tc.n, false)
		if ok != tc.want {
			t.Errorf("%d rows, %d passes: subsampled %v, want %v", tc.n, tc.passes, ok, tc.want)
			continue
		}
		if ok && (stride < 2 || (tc.n+stride-1)/stride < 10000 || draws < govi.MinDraws) {
			t.Errorf("%d rows, %d passes: %d draws on every %d-th row; want ≥ %d draws on ≥ 10⁴ rows, stride ≥ 2", tc.n, tc.passes, draws, stride, govi.MinDraws)
		}
	}
	// A fit long enough for MinDraws exact draws keeps the exact pass.
	if _, _, ok := govi.AutoSubsample(m, q, n, 2000*n, false); ok {
		t.Error("2000 passes: subsampled, want the exact pass")
	}
}

// Run's diagnostics on 10⁶ rows use the subsampled log densities, with a
// note, a small standard error, and the verdict of an exact fit.
func TestRunSubsampledDiagnostics(t *testing.T) {
	if testing.Short() {
		t.Skip("a fit of 1,000,000 rows")
	}
	m := synth.LogisticModel(1000000, 3, 4)
	out, err := govi.Run(context.Background(), m, govi.RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range out.Notes {
		found = found || strings.Contains(n, "estimated from every 10th row")
	}
	if !found {
		t.Fatalf("notes %q: want the subsampled diagnostics' note", out.Notes)
	}
	if se := out.Draws.LogPSE; !(se > 0 && se < 0.01) {
		t.Errorf("largest standard error %g nats, want in (0, 0.01)", se)
	}
	if dg := out.Diagnostics; dg.Verdict != govi.Reliable || math.Abs(dg.KL) > 0.01 {
		t.Errorf("verdict %v, KL %.3g: want reliable and |KL| ≤ 0.01 for a 4-parameter logistic regression on 10⁶ rows", dg.Verdict, dg.KL)
	}
	t.Logf("%d draws, SE %.2g, KL %.2g", out.Draws.X.RawMatrix().Rows, out.Draws.LogPSE, out.Diagnostics.KL)
}

// On 100,000 rows, a mean-field fit is cheaper than MinDraws exact draws:
// the diagnostics subsample every 2nd row (the stride that lets MinDraws
// draws cost the fit), with a standard error below 0.1 nats, and reach the
// exact pass's verdict with a KL within its Monte Carlo error.
func TestRunSubsampledDiagnosticsFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("two fits of 100,000 × 100 rows")
	}
	m := synth.LogisticModel(100000, 100, 1)
	sub, err := govi.Run(context.Background(), m, govi.RunOptions{Family: "meanfield", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := govi.Run(context.Background(), m, govi.RunOptions{Family: "meanfield", Seed: 1, Draws: govi.MinDraws})
	if err != nil {
		t.Fatal(err)
	}
	se := sub.Draws.LogPSE
	t.Logf("subsampled: %d draws, SE %.2g, KL %.3g ± %.2g, %v; exact: %d draws, KL %.3g ± %.2g, %v",
		sub.Draws.X.RawMatrix().Rows, se, sub.Diagnostics.KL, sub.Diagnostics.KLSE, sub.Diagnostics.Verdict,
		exact.Draws.X.RawMatrix().Rows, exact.Diagnostics.KL, exact.Diagnostics.KLSE, exact.Diagnostics.Verdict)
	if !(se > 0 && se < 0.1) {
		t.Errorf("largest standard error %g nats, want in (0, 0.1): the subsampled pass was not chosen or is too noisy", se)
	}
	if exact.Draws.LogPSE != 0 {
		t.Errorf("--draws %d: standard error %g, want the exact pass", govi.MinDraws, exact.Draws.LogPSE)
	}
	if sub.Diagnostics.Verdict != exact.Diagnostics.Verdict {
		t.Errorf("verdict %v, exact pass %v", sub.Diagnostics.Verdict, exact.Diagnostics.Verdict)
	}
	tol := 4 * math.Hypot(sub.Diagnostics.KLSE, exact.Diagnostics.KLSE)
	if d := math.Abs(sub.Diagnostics.KL - exact.Diagnostics.KL); d > tol {
		t.Errorf("KL %.3g against the exact pass's %.3g: differ by %.3g, more than 4 SE (%.3g)", sub.Diagnostics.KL, exact.Diagnostics.KL, d, tol)
	}
}
