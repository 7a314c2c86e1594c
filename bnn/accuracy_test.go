package bnn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

// gapFunc is the regression function of the gap test.
func gapFunc(x float64) float64 { return math.Sin(x) + 0.1*x*x }

// gapData draws n points with x uniform on [−3, −1] ∪ [1, 3] (alternating)
// and y = sin x + x²/10 + N(0, 0.2²).
func gapData(n int, seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, 5))
	x := mat.NewDense(n, 1, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		v := 1 + 2*r.Float64()
		if i%2 == 0 {
			v = -v
		}
		x.Set(i, 0, v)
		y[i] = gapFunc(v) + 0.2*r.NormFloat64()
	}
	return x, y
}

// TestGapRegression fits a 1-20-20-1 tanh network (LocalReparam, Adam)
// to 200 points with a gap in the inputs, (−1, 1). The predictive sd in
// the gap must exceed 1.5 times its mean over the training range, and the
// 95% predictive intervals must cover at least 90% of 400 new points
// from the training range.
//
// With one hidden layer the mean-field posterior cannot widen between
// clusters of inputs (Foong et al. 2019, "'In-between' uncertainty in
// Bayesian neural networks"); two layers can.
func TestGapRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds; skipped with -short")
	}
	x, y := gapData(200, 1)
	net, err := New(Spec{Hidden: []int{20, 20}, Activation: Tanh, Likelihood: Gaussian}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 1); err != nil {
		t.Fatal(err)
	}
	res, err := net.Train(context.Background(), q, &LocalReparam{Seed: 1}, TrainSettings{Epochs: 3000, Batch: 100, Rate: 1e-2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ELBO %.2f after %d epochs (%.1f s); noise sd %.3f (true 0.2)", res.ELBO[len(res.ELBO)-1], res.Epochs, res.Seconds, math.Exp(q.Mean(nil)[net.NoiseIndex()])*net.ySD)
	grid := mat.NewDense(33, 1, nil)
	for i := 0; i < 33; i++ {
		grid.Set(i, 0, -4+0.25*float64(i))
	}
	pr, err := net.Predict(q, grid, &PredictOptions{Draws: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var inGap, inData []float64
	for i := 0; i < 33; i++ {
		v := grid.At(i, 0)
		where := ""
		switch a := math.Abs(v); {
		case a <= 0.5:
			inGap = append(inGap, pr.SD[i])
			where = "gap"
		case a >= 1 && a <= 3:
			inData = append(inData, pr.SD[i])
			where = "data"
		}
		t.Logf("x %5.2f  mean %6.3f (true %6.3f)  sd %.3f  95%% [%6.3f, %6.3f] %s", v, pr.Mean[i], gapFunc(v), pr.SD[i], pr.Quantiles.At(i, 0), pr.Quantiles.At(i, 2), where)
	}
	gap, data := mean(inGap), mean(inData)
	t.Logf("mean predictive sd: %.3f in the gap |x| ≤ 0.5, %.3f on the training range 1 ≤ |x| ≤ 3 (ratio %.2f)", gap, data, gap/data)
	if !(gap > 1.5*data) {
		t.Errorf("the predictive sd in the gap (%.3f) is not 1.5 times that on the data (%.3f)", gap, data)
	}
	xt, yt := gapData(400, 2)
	pt, err := net.Predict(q, xt, &PredictOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cover := 0
	for i, v := range yt {
		if v >= pt.Quantiles.At(i, 0) && v <= pt.Quantiles.At(i, 2) {
			cover++
		}
	}
	c := float64(cover) / float64(len(yt))
	t.Logf("95%% predictive intervals cover %.3f of %d held-out points from the training range", c, len(yt))
	if c < 0.9 {
		t.Errorf("coverage %.3f < 0.90", c)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// moons draws n points of the two-moons problem with Gaussian noise of
// sd noise: class 0 on the upper half circle, class 1 on the lower one
// shifted by (1, 0.5).
func moons(n int, noise float64, seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, 6))
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		a := math.Pi * r.Float64()
		if i%2 == 0 {
			x.Set(i, 0, math.Cos(a)+noise*r.NormFloat64())
			x.Set(i, 1, math.Sin(a)+noise*r.NormFloat64())
		} else {
			x.Set(i, 0, 1-math.Cos(a)+noise*r.NormFloat64())
			x.Set(i, 1, 0.5-math.Sin(a)+noise*r.NormFloat64())
			y[i] = 1
		}
	}
	return x, y
}

// accuracy returns the fraction of predicted classes equal to y and the
// mean log predictive density of y.
func accuracy(t *testing.T, net *Network, q family.Family, x *mat.Dense, y []float64, draws int) (acc, ll float64) {
	t.Helper()
	pr, err := net.Predict(q, x, &PredictOptions{Draws: draws, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range pr.Class {
		if c == y[i] {
			acc++
		}
	}
	lp, err := net.LogPredictive(q, x, y, &PredictOptions{Draws: draws, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return acc / float64(len(y)), mean(lp)
}

// TestTwoMoons fits a 2-20-20-1 ReLU network with a Bernoulli likelihood
// to 400 two-moons points (noise sd 0.15) with each estimator (only
// LocalReparam with -short); held-out accuracy on 1000 new points must
// reach 0.95.
func TestTwoMoons(t *testing.T) {
	x, y := moons(400, 0.15, 1)
	xt, yt := moons(1000, 0.15, 2)
	for _, c := range []struct {
		name string
		est  Estimator
	}{{"LocalReparam", &LocalReparam{Seed: 1}}, {"Moments", &Moments{}}} {
		if testing.Short() && c.name == "Moments" {
			continue
		}
		net, err := New(Spec{Hidden: []int{20, 20}, Likelihood: Bernoulli}, x, y)
		if err != nil {
			t.Fatal(err)
		}
		q := family.NewMeanField(net.Dim())
		if err := net.InitFamily(q, 1); err != nil {
			t.Fatal(err)
		}
		res, err := net.Train(context.Background(), q, c.est, TrainSettings{Epochs: 500, Batch: 64, Rate: 1e-2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		acc, ll := accuracy(t, net, q, xt, yt, 500)
		t.Logf("%-12s ELBO %.2f (%.2f s): held-out accuracy %.4f, test log-likelihood %.4f per point", c.name, res.ELBO[len(res.ELBO)-1], res.Seconds, acc, ll)
		if acc < 0.95 {
			t.Errorf("%s: held-out accuracy %.4f < 0.95", c.name, acc)
		}
	}
}

// digitsSplit holds out the rows i ≡ 0 (mod 5) of digits.csv (360 rows)
// and trains on the other 1437, as bench/bbb_digits.py does.
func digitsSplit(t testing.TB) (xtr *mat.Dense, ytr []float64, xte *mat.Dense, yte []float64) {
	x, y := digits(t)
	var tr, te []int
	for i := range y {
		if i%5 == 0 {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	xtr, ytr = subset(x, y, tr)
	xte, yte = subset(x, y, te)
	return xtr, ytr, xte, yte
}

// TestDigits trains the 64-100-100-10 ReLU network (17,610 weights,
// prior N(0, 1)) on digits.csv for 200 epochs of Adam (step 1e-3,
// batches of 128, seed 1) with each estimator. LocalReparam must reach a
// held-out accuracy of 0.96; Moments' accuracy and test log-likelihood
// are reported (its diagonal propagation ignores the correlations of the
// second layer's units, see TestMomentsVersusMonteCarlo).
func TestDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 17,610-weight network; skipped with -short")
	}
	xtr, ytr, xte, yte := digitsSplit(t)
	for _, c := range []struct {
		name string
		est  Estimator
	}{{"LocalReparam", &LocalReparam{Seed: 1}}, {"Moments", &Moments{}}} {
		net, err := New(Spec{Hidden: []int{100, 100}, Likelihood: Categorical}, xtr, ytr)
		if err != nil {
			t.Fatal(err)
		}
		q := family.NewMeanField(net.Dim())
		if err := net.InitFamily(q, 1); err != nil {
			t.Fatal(err)
		}
		res, err := net.Train(context.Background(), q, c.est, TrainSettings{Epochs: 200, Batch: 128, Rate: 1e-3, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		acc, ll := accuracy(t, net, q, xte, yte, 1000)
		t.Logf("%-12s %d weights, %d epochs in %.1f s, ELBO %.1f: held-out accuracy %.4f, test log-likelihood %.4f per row", c.name, res.Weights, res.Epochs, res.Seconds, res.ELBO[len(res.ELBO)-1], acc, ll)
		if c.name == "LocalReparam" && acc < 0.96 {
			t.Errorf("held-out accuracy %.4f < 0.96", acc)
		}
	}
}
