package govi_test

import (
	"context"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/optim"
)

// BenchmarkFitLogistic100k fits the anchors' scaling problem (logistic
// regression, N = 100000, d = 101; shared/anchors task C, where Stan's
// full-rank ADVI takes 34-45 s) with the full-rank family, quadrature and
// natural-gradient steps from a narrow start.
func BenchmarkFitLogistic100k(b *testing.B) {
	m := synth.LogisticModel(100000, 100, 1)
	for _, fam := range []string{"fullrank", "meanfield"} {
		b.Run(fam, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var q family.Family = family.NewFullRank(m.Dim())
				if fam == "meanfield" {
					q = family.NewMeanField(m.Dim())
				}
				q.ScaleBy(1e-3)
				res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{}, &optim.NaturalGradient{}, nil)
				if err != nil || !res.Converged() {
					b.Fatalf("%v %v", err, res.Message)
				}
				b.ReportMetric(float64(res.Iterations), "iterations")
			}
		})
	}
}
