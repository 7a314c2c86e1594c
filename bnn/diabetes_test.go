package bnn

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// linearBaseline fits govi's Bayesian linear regression to the training
// split, on inputs standardized with the training rows, with rstanarm's
// weakly informative priors (intercept N(ȳ, (2.5 s_y)²), coefficients
// N(0, (2.5 s_y)²), σ ~ exponential(1/s_y)), the full-rank family and
// govi.Auto (quadrature, natural-gradient steps and L-BFGS), and returns
// the test RMSE of the posterior predictive mean and the mean log
// posterior predictive density over 4000 draws.
func linearBaseline(t testing.TB, xtr *mat.Dense, ytr []float64, xte *mat.Dense, yte []float64, seed uint64) (float64, float64) {
	n, p := xtr.Dims()
	mean, sd := make([]float64, p), make([]float64, p)
	for j := 0; j < p; j++ {
		for i := 0; i < n; i++ {
			mean[j] += xtr.At(i, j) / float64(n)
		}
		for i := 0; i < n; i++ {
			sd[j] += (xtr.At(i, j) - mean[j]) * (xtr.At(i, j) - mean[j]) / float64(n)
		}
		sd[j] = math.Sqrt(sd[j])
	}
	design := func(x *mat.Dense) *mat.Dense {
		r, _ := x.Dims()
		d := mat.NewDense(r, p+1, nil)
		for i := 0; i < r; i++ {
			d.Set(i, 0, 1)
			for j := 0; j < p; j++ {
				d.Set(i, j+1, (x.At(i, j)-mean[j])/sd[j])
			}
		}
		return d
	}
	ym, ys := 0.0, 0.0
	for _, v := range ytr {
		ym += v / float64(n)
	}
	for _, v := range ytr {
		ys += (v - ym) * (v - ym) / float64(n)
	}
	ys = math.Sqrt(ys)
	l, _ := lik.NewGaussian(ytr)
	coef := []model.Prior{prior.Normal{Mu: ym, Sigma: 2.5 * ys}}
	for j := 0; j < p; j++ {
		coef = append(coef, prior.Normal{Mu: 0, Sigma: 2.5 * ys})
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: design(xtr), Coef: coef, Aux: []model.Prior{prior.Exponential{Rate: 1 / ys}}})
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewFullRank(m.Dim())
	ch := govi.Auto(m, seed)
	ch.Apply(context.Background(), q)
	res, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil)
	if err != nil || !res.Converged() {
		t.Fatalf("linear fit: %v %v", err, res.Message)
	}
	ds := govi.Sample(m, q, nil, 4000, seed)
	dte := design(xte)
	rmse, ll := 0.0, 0.0
	S, _ := ds.X.Dims()
	for i := range yte {
		row := dte.RawRowView(i)
		mx, se, pm := math.Inf(-1), 0.0, 0.0
		for s := 0; s < S; s++ {
			dr := ds.X.RawRowView(s)
			mu := 0.0
			for j := 0; j <= p; j++ {
				mu += row[j] * dr[j]
			}
			sig := dr[p+1]
			pm += mu / float64(S)
			z := (yte[i] - mu) / sig
			lv := -halfLog2Pi - math.Log(sig) - 0.5*z*z
			mx, se = lseMerge(mx, se, lv, 1)
		}
		ll += mx + math.Log(se) - math.Log(float64(S))
		rmse += (yte[i] - pm) * (yte[i] - pm)
	}
	return math.Sqrt(rmse / float64(len(yte))), ll / float64(len(yte))
}

// TestDiabetes compares, over 20 random 90/10 splits of diabetes.csv
// (442 rows; split k holds out 44 rows chosen by a PCG stream seeded k),
// a 10-50-1 ReLU network (Gaussian likelihood, per-layer prior scales
// learned by empirical Bayes, LocalReparam and Moments, 300 epochs of
// Adam, step 1e-2, batches of 128) with govi's Bayesian linear regression
// on the same splits: test RMSE and mean test log-likelihood (log
// posterior predictive density per row). Both tables are logged.
//
// Measured: test RMSE 54.0 for the networks (both estimators) and 54.2
// for the linear model (± 1.2 over splits); test log-likelihood −5.432
// and −5.431 for the networks, −5.420 for the linear model, 0.013 and
// 0.011 ± 0.011 nats per row lower paired over splits: the linear model
// is at least as good on these data (it is known to be hard to beat
// here). The assertions are what that supports: the networks' RMSE is
// within two paired standard errors of the linear model's or better, and
// their test log-likelihood is no more than 0.05 nats per row below it,
// half the between-split sd of the linear model's own test
// log-likelihood (0.10).
func TestDiabetes(t *testing.T) {
	if testing.Short() {
		t.Skip("20 splits × 3 fits; skipped with -short")
	}
	x, y := readCSV(t, sharedFile(t, "diabetes.csv"), "y")
	if n, _ := x.Dims(); n != 442 {
		t.Fatalf("diabetes.csv has %d rows, want 442", n)
	}
	const splits = 20
	type row struct{ rmse, ll [3]float64 }
	rows := make([]row, splits)
	names := [3]string{"linear", "bnn lrt", "bnn moments"}
	for sp := 0; sp < splits; sp++ {
		tr, te := split(442, 44, uint64(sp))
		xtr, ytr := subset(x, y, tr)
		xte, yte := subset(x, y, te)
		rows[sp].rmse[0], rows[sp].ll[0] = linearBaseline(t, xtr, ytr, xte, yte, uint64(sp))
		for k, est := range []Estimator{&LocalReparam{Seed: uint64(sp)}, &Moments{}} {
			net, err := New(Spec{Hidden: []int{50}, Likelihood: Gaussian, Prior: Prior{Learn: true}}, xtr, ytr)
			if err != nil {
				t.Fatal(err)
			}
			q := family.NewMeanField(net.Dim())
			if err := net.InitFamily(q, uint64(sp)); err != nil {
				t.Fatal(err)
			}
			if _, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: 300, Batch: 128, Rate: 1e-2, Seed: uint64(sp)}); err != nil {
				t.Fatal(err)
			}
			pr, err := net.Predict(q, xte, &PredictOptions{Draws: 500, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			lp, err := net.LogPredictive(q, xte, yte, &PredictOptions{Draws: 500, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			se := 0.0
			for i := range yte {
				se += (pr.Mean[i] - yte[i]) * (pr.Mean[i] - yte[i])
			}
			rows[sp].rmse[k+1] = math.Sqrt(se / float64(len(yte)))
			rows[sp].ll[k+1] = mean(lp)
		}
	}
	t.Logf("split | RMSE: %-8s %-8s %-11s | test LL: %-8s %-8s %-11s", names[0], names[1], names[2], names[0], names[1], names[2])
	for sp, r := range rows {
		t.Logf("%5d |       %-8.2f %-8.2f %-11.2f |          %-8.3f %-8.3f %-11.3f", sp, r.rmse[0], r.rmse[1], r.rmse[2], r.ll[0], r.ll[1], r.ll[2])
	}
	meanSE := func(f func(r row) float64) (m, se float64) {
		var s, s2 float64
		for _, r := range rows {
			v := f(r)
			s += v
			s2 += v * v
		}
		m = s / splits
		return m, math.Sqrt(math.Max(s2/splits-m*m, 0) / (splits - 1))
	}
	for k := 0; k < 3; k++ {
		rm, rs := meanSE(func(r row) float64 { return r.rmse[k] })
		lm, ls := meanSE(func(r row) float64 { return r.ll[k] })
		t.Logf("%-12s mean test RMSE %.2f ± %.2f, mean test log-likelihood %.3f ± %.3f", names[k], rm, rs, lm, ls)
	}
	for k := 1; k < 3; k++ {
		dl, dls := meanSE(func(r row) float64 { return r.ll[k] - r.ll[0] })
		dr, drs := meanSE(func(r row) float64 { return r.rmse[k] - r.rmse[0] })
		t.Logf("%-12s − linear, paired over splits: test LL %+.3f ± %.3f, RMSE %+.2f ± %.2f", names[k], dl, dls, dr, drs)
		if dl < -0.05 {
			t.Errorf("%s: mean test log-likelihood %.3f ± %.3f nats per row below the linear model's", names[k], dl, dls)
		}
		if dr > 2*drs {
			t.Errorf("%s: test RMSE %.2f ± %.2f above the linear model's", names[k], dr, drs)
		}
	}
}
