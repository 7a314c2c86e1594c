package bnn

import (
	"context"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// linearBaseline fits govi's Bayesian linear regression and returns test RMSE and mean test LL.
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

func TestExploreDiabetes(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	x, y := readCSV(t, sharedFile(t, "diabetes.csv"), "y")
	var sb, sl [2]float64
	for sp := 0; sp < int(envf("SPLITS", 20)); sp++ {
		tr, te := split(442, 44, uint64(sp))
		xtr, ytr := subset(x, y, tr)
		xte, yte := subset(x, y, te)
		lr, ll := linearBaseline(t, xtr, ytr, xte, yte, uint64(sp))
		net, _ := New(Spec{Hidden: []int{50}, Likelihood: Gaussian, Prior: Prior{Scale: envf("SCALE", 1), FanIn: envf("FANIN", 0) == 1, Learn: envf("LEARN", 0) == 1}}, xtr, ytr)
		q := family.NewMeanField(net.Dim())
		net.InitFamily(q, 1)
		var est Estimator = &LocalReparam{Seed: 1}
		if envf("MOM", 0) == 1 {
			est = &Moments{}
		}
		res, _ := net.Train(context.Background(), q, est, TrainSettings{Epochs: int(envf("EPOCHS", 1000)), Batch: int(envf("BATCH", 64)), Rate: envf("RATE", 1e-2), Seed: 1})
		pr, _ := net.Predict(q, xte, nil)
		lp, _ := net.LogPredictive(q, xte, yte, nil)
		br, bl := 0.0, 0.0
		for i := range yte {
			br += (pr.Mean[i] - yte[i]) * (pr.Mean[i] - yte[i])
			bl += lp[i]
		}
		br = math.Sqrt(br / 44)
		bl /= 44
		t.Logf("split %2d: linear %.2f %.3f  bnn %.2f %.3f (%.2fs, σ %.1f)", sp, lr, ll, br, bl, res.Seconds, math.Exp(q.Mean(nil)[net.NoiseIndex()])*net.ySD)
		sb[0] += br
		sb[1] += bl
		sl[0] += lr
		sl[1] += ll
	}
	t.Logf("mean: linear %.2f %.3f  bnn %.2f %.3f", sl[0]/20, sl[1]/20, sb[0]/20, sb[1]/20)
}
