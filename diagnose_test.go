package govi_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/diagnose"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

func TestDiagnoseConjugate(t *testing.T) {
	c := testmodel.NewConjugate(250, 6, 1)
	m := c.Linear()
	mean, cov := c.Posterior()
	lz := c.LogEvidence()

	// q = the exact posterior: every ratio p(θ, D)/q(θ) equals p(D).
	q := family.NewFullRank(m.Dim())
	if err := q.MatchMoments(mean, cov); err != nil {
		t.Fatal(err)
	}
	dg, err := govi.Diagnose(govi.Sample(m, q, nil, 4000, 1), govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exact q: k-hat %.3g, ESS %.0f, log p(D) %.10f ± %.2g (exact %.10f)", dg.Khat, dg.ESS, dg.LogEvidence, dg.LogEvidenceSE, lz)
	if !(dg.Khat < 0.5) || dg.Reliability != diagnose.Good {
		t.Errorf("exact posterior: k-hat %g, want below 0.5", dg.Khat)
	}
	if math.Abs(dg.LogEvidence-lz) > 3*dg.LogEvidenceSE+1e-9*math.Abs(lz) {
		t.Errorf("importance-weighted log p(D) %.10f, exact %.10f (SE %.3g)", dg.LogEvidence, lz, dg.LogEvidenceSE)
	}

	// The same q with other draws, and a q with sds halved (too narrow).
	for _, tc := range []struct {
		shrink  float64
		wantBad bool
	}{{1, false}, {0.5, true}} {
		q := family.NewFullRank(m.Dim())
		q.MatchMoments(mean, cov)
		q.ScaleBy(tc.shrink)
		dg, err := govi.Diagnose(govi.Sample(m, q, nil, 4000, 2), govi.DiagnoseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tc.wantBad && !(dg.Khat > 0.7) {
			t.Errorf("q with sds shrunk by %g: k-hat %.3g, want above 0.7", tc.shrink, dg.Khat)
		}
		if !tc.wantBad && !(dg.Khat < 0.5) {
			t.Errorf("exact q: k-hat %.3g, want below 0.5", dg.Khat)
		}
		t.Logf("shrink %g: k-hat %.3g: %s", tc.shrink, dg.Khat, dg.Advice)
	}
}

// For a 2-D logistic regression the importance-weighted evidence estimate
// lies within 3 standard errors of the brute-force evidence, and above the
// ELBO.
func TestDiagnoseLogisticEvidence(t *testing.T) {
	x, y := logisticData(40, 3)
	m, err := model.NewLinear(model.Terms{Lik: testmodel.Logit{Y: y}, X: x,
		Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 2}, testmodel.Normal{Mu: 0, Sigma: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewFullRank(2)
	res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{Nodes: 40}, &optim.LBFGS{}, nil)
	if err != nil || !res.Converged() {
		t.Fatal(err, res.Message)
	}
	var cov mat.SymDense
	q.Cov(&cov)
	lz := bruteLogEvidence(m, q.Mean(nil), []float64{math.Sqrt(cov.At(0, 0)), math.Sqrt(cov.At(1, 1))})
	dg, err := govi.Diagnose(govi.Sample(m, q, nil, 8000, 3), govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("log p(D) brute force %.6f, IW %.6f ± %.2g, ELBO %.6f (draws %.6f ± %.2g), k-hat %.2f", lz, dg.LogEvidence, dg.LogEvidenceSE, res.ELBO, dg.ELBO, dg.ELBOSE, dg.Khat)
	if math.Abs(dg.LogEvidence-lz) > 3*dg.LogEvidenceSE {
		t.Errorf("IW estimate %.6f ± %.2g is more than 3 SE from %.6f", dg.LogEvidence, dg.LogEvidenceSE, lz)
	}
	if !(dg.LogEvidence > res.ELBO) {
		t.Errorf("IW estimate %.6f not above the ELBO %.6f", dg.LogEvidence, res.ELBO)
	}
	// The draws' ELBO estimate agrees with the quadrature ELBO within its SE.
	if math.Abs(dg.ELBO-res.ELBO) > 4*dg.ELBOSE {
		t.Errorf("ELBO from draws %.6f ± %.2g, quadrature %.6f", dg.ELBO, dg.ELBOSE, res.ELBO)
	}
}

// Importance weighting corrects a q that is too narrow: the PSIS-corrected
// moments and the resampled draws move toward the exact posterior.
func TestCorrectedAndResampled(t *testing.T) {
	c := testmodel.NewConjugate(250, 6, 1)
	m := c.Linear()
	mean, cov := c.Posterior()
	q := family.NewFullRank(m.Dim())
	q.MatchMoments(mean, cov)
	q.ScaleBy(0.8) // sds 20% too small: k-hat about 1 − 0.8² = 0.36
	ds := govi.Sample(m, q, nil, 20000, 4)
	dg, err := govi.Diagnose(ds, govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm, csd, err := govi.Corrected(ds, dg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := govi.Resample(ds, dg, 20000, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range mean {
		sd := math.Sqrt(cov.At(i, i))
		// Corrected sds recover most of the 20% shortfall; with ESS in the
		// thousands their error is a few percent.
		if r := csd[i] / sd; r < 0.93 || r > 1.07 {
			t.Errorf("corrected sd[%d]/exact = %.3f", i, r)
		}
		if z := math.Abs(cm[i]-mean[i]) / sd; z > 0.05 {
			t.Errorf("corrected mean[%d] off by %.3f sd", i, z)
		}
		col := mat.Col(nil, i, rs.X)
		var s, s2 float64
		for _, v := range col {
			s += v
			s2 += v * v
		}
		n := float64(len(col))
		rsd := math.Sqrt(s2/n - (s/n)*(s/n))
		if r := rsd / sd; r < 0.9 || r > 1.1 {
			t.Errorf("resampled sd[%d]/exact = %.3f", i, r)
		}
	}
	t.Logf("k-hat %.2f, ESS %.0f", dg.Khat, dg.ESS)
}

// On the wells logistic regression the full-rank fit is nearly exact
// (ELBO within 0.001 nats of the importance-weighted evidence), yet the
// ratios' tail shape gives a high k-hat; the expectation-specific k-hat of
// the reported means and sds is what tells that the summaries are right.
// A q that is too narrow is still flagged by both.
func TestSummaryKhat(t *testing.T) {
	m := wellsModel(t)
	if m == nil {
		t.Skip("shared/posteriordb-extra not found (set GOVI_SHARED)")
	}
	q := family.NewFullRank(m.Dim())
	ch := govi.Auto(m, 1)
	if err := ch.Apply(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if _, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil); err != nil {
		t.Fatal(err)
	}
	dg, err := govi.Diagnose(govi.Sample(m, q, nil, 4000, 1), govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ratios k-hat %.2f, summaries %.2f (%s), ESS %.0f: %s", dg.Khat, dg.KhatSummaries, dg.WorstSummary, dg.ESS, dg.Advice)
	if !(dg.KhatSummaries < 0.5) {
		t.Errorf("expectation-specific k-hat %.2f for a near-exact fit", dg.KhatSummaries)
	}
	q.ScaleBy(0.5)
	dg, err = govi.Diagnose(govi.Sample(m, q, nil, 4000, 1), govi.DiagnoseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !(dg.Khat > 0.7) || !(dg.KhatSummaries > 0.7) || !strings.Contains(dg.Advice, "NOT reliable") {
		t.Errorf("too narrow q: k-hat %.2f, summaries %.2f: %s", dg.Khat, dg.KhatSummaries, dg.Advice)
	}
}
