package govi_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
)

// gaussKL returns KL(N(m1, S1) ‖ N(m0, S0)).
func gaussKL(m1 []float64, s1 *mat.SymDense, m0 []float64, s0 *mat.SymDense) float64 {
	d := len(m0)
	var c0, c1 mat.Cholesky
	if !c0.Factorize(s0) || !c1.Factorize(s1) {
		panic("not positive definite")
	}
	var inv mat.SymDense
	c0.InverseTo(&inv)
	var prod mat.Dense
	prod.Mul(&inv, s1)
	diff := mat.NewVecDense(d, nil)
	for i := range m0 {
		diff.SetVec(i, m0[i]-m1[i])
	}
	return 0.5 * (mat.Trace(&prod) + mat.Inner(diff, &inv, diff) - float64(d) + c0.LogDet() - c1.LogDet())
}

// The verdict on q's of known distance from the exact posterior of a
// conjugate regression: the exact q and a q with sds 3 % short are
// reliable, a mean 0.15 sd off is not reliable, a mean 0.5 sd off or sds
// halved are unreliable; and the estimate of KL(q ‖ p) agrees with the
// closed form within 3 standard errors (plus 10 % for the bias of the
// importance-weighted log evidence).
func TestVerdictConjugate(t *testing.T) {
	c := testmodel.NewConjugate(250, 6, 1)
	m := c.Linear()
	mean, cov := c.Posterior()
	for _, tc := range []struct {
		name         string
		shift, scale float64
		want         string
		reason       string
	}{
		{"exact", 0, 1, govi.Reliable, "reweighting moves no mean"},
		{"sds 3% short", 0, 0.97, govi.Reliable, "reweighting moves no mean"},
		{"mean 0.15 sd off", 0.15, 1, govi.UseWithCare, "mean of"},
		{"mean 0.5 sd off", 0.5, 1, govi.Unreliable, "mean of"},
		{"sds halved", 0, 0.5, govi.Unreliable, "reweighting toward the posterior"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := family.NewFullRank(m.Dim())
			mu := append([]float64(nil), mean...)
			mu[1] += tc.shift * math.Sqrt(cov.At(1, 1))
			qc := mat.NewSymDense(len(mu), nil)
			qc.ScaleSym(tc.scale*tc.scale, cov)
			if err := q.MatchMoments(mu, qc); err != nil {
				t.Fatal(err)
			}
			ds := govi.Sample(m, q, nil, 4000, 3)
			// The exact ELBO: E_q[log p(θ, D)] − E_q[log q] = log p(D) − KL.
			kl := gaussKL(mu, qc, mean, cov)
			elbo := c.LogEvidence() - kl
			dg, err := govi.Diagnose(ds, govi.DiagnoseOptions{ExactELBO: elbo, ELBOIsExact: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s (%s); KL %.4f ± %.4f, exact %.4f", tc.name, dg.Verdict, dg.VerdictReason, dg.KL, dg.KLSE, kl)
			if dg.Verdict != tc.want {
				t.Errorf("verdict %q, want %q (%s)", dg.Verdict, tc.want, dg.VerdictReason)
			}
			if !strings.Contains(dg.VerdictReason, tc.reason) {
				t.Errorf("reason %q does not say %q", dg.VerdictReason, tc.reason)
			}
			if math.Abs(dg.KL-kl) > 3*dg.KLSE+0.1*kl+1e-9 {
				t.Errorf("KL estimate %.5f ± %.5f, exact %.5f", dg.KL, dg.KLSE, kl)
			}
			if (dg.Verdict == govi.Reliable) != (dg.Advice == "") {
				t.Errorf("advice %q for verdict %s", dg.Advice, dg.Verdict)
			}
			if dg.Halves[0] == nil || dg.Halves[1] == nil {
				t.Fatal("no halves")
			}
		})
	}
}

// Without an exact ELBO the KL estimate is log mean exp − mean of the log
// ratios, which Jensen's inequality keeps at or above 0, and its standard
// error is positive for a q that is not the posterior.
func TestVerdictMonteCarloELBO(t *testing.T) {
	c := testmodel.NewConjugate(100, 3, 2)
	m := c.Linear()
	mean, cov := c.Posterior()
	q := family.NewFullRank(m.Dim())
	qc := mat.NewSymDense(len(mean), nil)
	qc.ScaleSym(0.8*0.8, cov)
	if err := q.MatchMoments(mean, qc); err != nil {
		t.Fatal(err)
	}
	dg, err := govi.Diagnose(govi.Sample(m, q, nil, 2000, 1), govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !(dg.KL >= 0) || !(dg.KLSE > 0) {
		t.Errorf("KL %g ± %g, want ≥ 0 with a positive SE", dg.KL, dg.KLSE)
	}
	if dg.Verdict == govi.Reliable {
		t.Errorf("sds 20%% short: verdict %s (%s)", dg.Verdict, dg.VerdictReason)
	}
}

// Advice never suggests the other parameterization when both were fitted,
// and suggests fitting both (not the other one) otherwise.
func TestAdviceParameterization(t *testing.T) {
	c := testmodel.NewConjugate(100, 3, 2)
	m := c.Linear()
	mean, cov := c.Posterior()
	q := family.NewFullRank(m.Dim())
	qc := mat.NewSymDense(len(mean), nil)
	qc.ScaleSym(0.25, cov)
	if err := q.MatchMoments(mean, qc); err != nil {
		t.Fatal(err)
	}
	ds := govi.Sample(m, q, nil, 2000, 1)
	for _, opt := range []govi.DiagnoseOptions{{Centered: true}, {NonCentered: true}, {Centered: true, Both: true}} {
		dg, err := govi.Diagnose(ds, opt)
		if err != nil {
			t.Fatal(err)
		}
		if dg.Verdict != govi.Unreliable {
			t.Fatalf("sds halved: verdict %s", dg.Verdict)
		}
		if strings.Contains(dg.Advice, "centered parameterization") {
			t.Errorf("%+v: advice suggests one parameterization: %s", opt, dg.Advice)
		}
		if got := strings.Contains(dg.Advice, "--parameterization auto"); got == opt.Both {
			t.Errorf("%+v: advice %q", opt, dg.Advice)
		}
	}
}
