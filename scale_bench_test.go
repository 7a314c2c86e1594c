package govi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/stream"
)

// BenchmarkFitLogistic100k fits the anchors' scaling problem (logistic
// regression, N = 100000, d = 101; shared/anchors task C, where Stan's
// full-rank ADVI takes 34-45 s) with quadrature and natural-gradient steps:
// from a narrow start, and ("-auto") as Auto chooses, from the subsampled
// start with steps that stop by extrapolation.
func BenchmarkFitLogistic100k(b *testing.B) {
	m := synth.LogisticModel(100000, 100, 1)
	for _, fam := range []string{"fullrank", "meanfield"} {
		for _, auto := range []bool{false, true} {
			name := fam
			if auto {
				name += "-auto"
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					q, _ := family.New(fam, m.Dim(), 0)
					var (
						est    elbo.Estimator = &elbo.Quadrature{}
						method optim.Method   = &optim.NaturalGradient{}
					)
					if auto {
						ch := govi.Auto(m, 1)
						if err := ch.Apply(context.Background(), q); err != nil {
							b.Fatal(err)
						}
						est, method = ch.Estimator, ch.Method
					} else {
						q.ScaleBy(1e-3)
					}
					res, err := govi.Fit(context.Background(), m, q, est, method, nil)
					if err != nil || !res.Converged() {
						b.Fatalf("%v %v", err, res.Message)
					}
					b.ReportMetric(float64(res.Iterations), "iterations")
					b.ReportMetric(float64(res.Evals), "passes")
				}
			})
		}
	}
}

// wellsModel is posteriordb's wells_dae_inter_model: switching on three
// centered predictors and their two-way interactions, flat prior
// (shared/posteriordb-extra). It returns nil when the data are absent.
func wellsModel(tb testing.TB) *model.Linear {
	tb.Helper()
	shared := os.Getenv("GOVI_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "shared")
	}
	b, err := os.ReadFile(filepath.Join(shared, "posteriordb-extra", "wells_data-wells_dae_inter_model", "data.json"))
	if err != nil {
		return nil
	}
	var d struct {
		Switched, Dist, Arsenic, Educ []float64
	}
	if err := json.Unmarshal(b, &d); err != nil {
		tb.Fatal(err)
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	n := len(d.Switched)
	md, ma, me := mean(d.Dist), mean(d.Arsenic), mean(d.Educ)
	x := mat.NewDense(n, 7, nil)
	for i := 0; i < n; i++ {
		cd, ca, ce := (d.Dist[i]-md)/100, d.Arsenic[i]-ma, (d.Educ[i]-me)/4
		x.SetRow(i, []float64{1, cd, ca, ce, cd * ca, cd * ce, ca * ce})
	}
	l, err := lik.NewBernoulliLogit(d.Switched)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: x})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkFitWells fits the wells logistic regression (N = 3020, d = 7)
// with govi's default path, in both families.
func BenchmarkFitWells(b *testing.B) {
	m := wellsModel(b)
	if m == nil {
		b.Skip("shared/posteriordb-extra not found (set GOVI_SHARED)")
	}
	for _, fam := range []string{"fullrank", "meanfield"} {
		b.Run(fam, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var q family.Family = family.NewFullRank(m.Dim())
				if fam == "meanfield" {
					q = family.NewMeanField(m.Dim())
				}
				ch := govi.Auto(m, 1)
				if err := ch.Apply(context.Background(), q); err != nil {
					b.Fatal(err)
				}
				res, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil)
				if err != nil || !res.Converged() {
					b.Fatalf("%v %v", err, res.Message)
				}
				b.ReportMetric(float64(res.Iterations), "iterations")
			}
		})
	}
}

// BenchmarkFitMethods compares optimizers on one full-rank logistic
// regression (N = 10000, d = 21), in the same run: natural-gradient steps
// and L-BFGS on the quadrature ELBO, and Adam on a 32-draw Monte Carlo
// ELBO (the path closest to Stan's ADVI, which also ends at a noisier
// answer).
func BenchmarkFitMethods(b *testing.B) {
	m := synth.LogisticModel(10000, 20, 3)
	for _, tc := range []struct {
		name  string
		est   func() elbo.Estimator
		meth  func() optim.Method
		scale float64
	}{
		{"natural", func() elbo.Estimator { return &elbo.Quadrature{} }, func() optim.Method { return &optim.NaturalGradient{} }, 1e-3},
		{"lbfgs", func() elbo.Estimator { return &elbo.Quadrature{} }, func() optim.Method { return &optim.LBFGS{} }, 1},
		{"adam-mc", func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 32, Seed: 1} }, func() optim.Method { return &optim.Adam{} }, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				q := family.NewFullRank(m.Dim())
				q.ScaleBy(tc.scale)
				res, err := govi.Fit(context.Background(), m, q, tc.est(), tc.meth(), nil)
				if err != nil || res.Status == optim.Failed {
					b.Fatalf("%v %v", err, res.Message)
				}
				b.ReportMetric(float64(res.Iterations), "iterations")
				b.ReportMetric(float64(res.Evals), "evals")
			}
		})
	}
}

// BenchmarkSampleWells draws 4000 times from a fitted q for the wells
// model with their log densities: the blocked pass (Sample on the
// model.Predictors model) against the draw-by-draw evaluation of the same
// log density (the model hidden behind a plain LogDensity).
func BenchmarkSampleWells(b *testing.B) {
	m := wellsModel(b)
	if m == nil {
		b.Skip("shared/posteriordb-extra not found (set GOVI_SHARED)")
	}
	q := family.NewFullRank(m.Dim())
	ch := govi.Auto(m, 1)
	if err := ch.Apply(context.Background(), q); err != nil {
		b.Fatal(err)
	}
	if _, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    model.LogDensity
	}{{"blocked", m}, {"perdraw", plainDensity{m}}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				govi.Sample(tc.m, q, m, govi.DefaultDraws, 1)
			}
		})
	}
}

// plainDensity hides every interface of a model but LogDensity.
type plainDensity struct{ m model.LogDensity }

func (p plainDensity) LogDensity(x []float64) float64 { return p.m.LogDensity(x) }
func (p plainDensity) Dim() int                       { return p.m.Dim() }

// BenchmarkMinibatchStream measures the rows per second of the streamed
// minibatch path (stream.Minibatch, stochastic natural-gradient steps on
// quadrature batches of 8192 rows) over three epochs of a 1,000,000 × 10
// logistic regression held in memory in chunks of 65,536 rows, as a
// Parquet file's row groups: the fit without the file's decoding. Run with
// -cpu 1,2 for the two-core ratio.
func BenchmarkMinibatchStream(b *testing.B) {
	const n, size, epochs = 1000000, 8192, 3
	m := synth.LogisticModel(n, 10, 1)
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := family.NewFullRank(m.Dim())
		q.ScaleBy(1e-3)
		mb := &stream.Minibatch{Source: stream.Rows(m, 1<<16), Size: size, Seed: 1}
		s := &govi.Settings{Optim: optim.Settings{MaxIter: epochs * ((n + size - 1) / size)}}
		if _, err := govi.Fit(context.Background(), m, q, mb, &optim.StochasticNatural{}, s); err != nil {
			b.Fatal(err)
		}
		mb.Close()
		rows += mb.Rows()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
