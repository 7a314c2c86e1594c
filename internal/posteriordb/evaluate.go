package posteriordb

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// The two variational families, spelled as Stan's ADVI algorithms,
// govi's low-rank family (rank LowRankRank, or d − 1 when d is smaller)
// and the quadrature mixture over the hyperparameters (govi.FitMixture,
// for the hierarchical posteriors).
const (
	FullRank  = "fullrank"
	MeanField = "meanfield"
	LowRank   = "lowrank"
	Mixture   = "mixture"
	// LowRankRank is the rank of the low-rank family, the command's
	// default.
	LowRankRank = 5
)

// Families lists FullRank and MeanField.
var Families = []string{FullRank, MeanField}

// Fit fits a Gaussian q of the named family to p with govi's default
// deterministic path: govi.Auto's estimator and method, from a new family
// (μ = 0, unit scale) scaled by Auto's InitScale.
func Fit(ctx context.Context, p *Posterior, fam string, seed uint64) (*govi.Result, error) {
	var q family.Family
	switch fam {
	case FullRank:
		q = family.NewFullRank(p.Model.Dim())
	case MeanField:
		q = family.NewMeanField(p.Model.Dim())
	case LowRank:
		q = family.NewLowRank(p.Model.Dim(), max(1, min(LowRankRank, p.Model.Dim()-1)))
	default:
		return nil, fmt.Errorf("posteriordb: unknown family %q", fam)
	}
	ch := govi.Auto(p.Model, seed)
	if err := ch.Apply(ctx, q); err != nil {
		return nil, err
	}
	return govi.Fit(ctx, p.Model, q, ch.Estimator, ch.Method, nil)
}

// Options sets the draws and seeds of Evaluate. Zero values select the
// defaults.
type Options struct {
	// Draws is the number of draws from q for the summaries; zero means
	// 20000, which puts the Monte Carlo error of z near 1/√20000 ≈ 0.007
	// (times r) and that of r near 1/√(2·20000) ≈ 0.5 % for near-Gaussian
	// marginals.
	Draws int
	// KhatDraws is the number of those draws (the first ones) used for
	// the PSIS k-hat; zero means 4000.
	KhatDraws int
	// Seed keys the optimizer (Monte Carlo paths only) and the draws;
	// zero means 1.
	Seed uint64
}

func (o Options) defaults() Options {
	if o.Draws == 0 {
		o.Draws = 20000
	}
	if o.KhatDraws == 0 {
		o.KhatDraws = 4000
	}
	o.KhatDraws = min(o.KhatDraws, o.Draws)
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// Score is the accuracy of one fitted q against a reference posterior.
type Score struct {
	// Posterior and Family name the fit.
	Posterior, Family string
	// Names are the reference's parameters.
	Names []string
	// Mean and SD are q's mean and sd of each parameter on the constrained
	// scale, estimated from Options.Draws draws.
	Mean, SD []float64
	// RefMean and RefSD are the reference's.
	RefMean, RefSD []float64
	// Z = |Mean − RefMean|/RefSD and R = SD/RefSD per parameter.
	Z, R []float64
	// W = √(Z² + (R − 1)²) per parameter is the 2-Wasserstein distance
	// between N(Mean, SD²) and N(RefMean, RefSD²) in units of RefSD: one
	// number that penalizes a wrong mean, too small and too large an sd.
	W []float64
	// Summaries over the parameters.
	MaxZ, MedianZ, MinR, MaxR, MaxW float64
	// MCSEZ is the largest Monte Carlo standard error of Z (R/√Draws).
	MCSEZ float64
	// Fit is the optimizer's result (time, iterations, status, ELBO).
	Fit *govi.Result
	// Diag is govi.Diagnose on the first Options.KhatDraws draws.
	Diag *govi.Diagnostics
	// Draws are the draws the summaries come from, with the reference's
	// parameters in Draws.X.
	Draws *govi.DrawSet
}

// Evaluate fits q of the named family to p, draws from it and scores the
// draws against ref.
func Evaluate(ctx context.Context, p *Posterior, ref *Reference, fam string, opt Options) (*Score, error) {
	opt = opt.defaults()
	var res *govi.Result
	var err error
	if fam == Mixture {
		res, err = fitMixture(ctx, p)
	} else {
		res, err = Fit(ctx, p, fam, opt.Seed)
	}
	if err != nil {
		return nil, err
	}
	ds := govi.Sample(p.Model, res.Approx, p.Params, opt.Draws, opt.Seed)
	s, err := score(ds, ref)
	if err != nil {
		return nil, fmt.Errorf("posteriordb: %s: %w", p.Name, err)
	}
	s.Posterior, s.Family, s.Fit, s.Draws = p.Name, fam, res, ds
	k := opt.KhatDraws
	sub := &govi.DrawSet{
		Names: ds.Names,
		X:     ds.X.Slice(0, k, 0, len(ds.Names)).(*mat.Dense),
		Theta: ds.Theta.Slice(0, k, 0, p.Model.Dim()).(*mat.Dense),
		LogP:  ds.LogP[:k],
		LogQ:  ds.LogQ[:k],
	}
	s.Diag, err = govi.Diagnose(sub, govi.DiagnoseOptions{MeanField: fam == MeanField, Centered: p.Centered,
		ExactELBO: res.ELBO, ELBOIsExact: fam != Mixture && isQuadrature(govi.Auto(p.Model, opt.Seed).Estimator)})
	if err != nil {
		return nil, fmt.Errorf("posteriordb: %s %s: %w", p.Name, fam, err)
	}
	return s, nil
}

// ErrNotHierarchical is returned by Evaluate for the mixture on a
// posterior without group-level effects (or not a model.Predictors).
var ErrNotHierarchical = errors.New("posteriordb: the mixture is for the hierarchical posteriors")

// fitMixture fits the quadrature mixture to p, as a Result whose Approx
// is the mixture and whose Iterations count the conditional fits.
func fitMixture(ctx context.Context, p *Posterior) (*govi.Result, error) {
	pm, ok := p.Model.(model.Predictors)
	if !ok || p.Kind != Hierarchical {
		return nil, ErrNotHierarchical
	}
	fit, err := govi.FitMixture(ctx, pm, govi.MixtureOptions{})
	if err != nil {
		return nil, err
	}
	return &govi.Result{Approx: fit.Mixture, ELBO: math.NaN(), Iterations: fit.Fits, Elapsed: fit.Elapsed, Status: optim.Converged}, nil
}

// isQuadrature reports whether est computes the ELBO without Monte Carlo
// error.
func isQuadrature(est elbo.Estimator) bool {
	_, ok := est.(*elbo.Quadrature)
	return ok
}

// score compares the draws' means and sds with the reference's.
func score(ds *govi.DrawSet, ref *Reference) (*Score, error) {
	if len(ds.Names) != len(ref.Names) {
		return nil, fmt.Errorf("draws have %d parameters, the reference %d", len(ds.Names), len(ref.Names))
	}
	n, k := ds.X.Dims()
	s := &Score{Names: ref.Names, RefMean: ref.Mean, RefSD: ref.SD}
	col := make([]float64, n)
	for j := 0; j < k; j++ {
		if ds.Names[j] != ref.Names[j] {
			return nil, fmt.Errorf("parameter %d is %s in the draws, %s in the reference", j+1, ds.Names[j], ref.Names[j])
		}
		mat.Col(col, j, ds.X)
		m, sd := meanSD(col)
		z := math.Abs(m-ref.Mean[j]) / ref.SD[j]
		r := sd / ref.SD[j]
		s.Mean = append(s.Mean, m)
		s.SD = append(s.SD, sd)
		s.Z = append(s.Z, z)
		s.R = append(s.R, r)
		s.W = append(s.W, math.Hypot(z, r-1))
		s.MCSEZ = math.Max(s.MCSEZ, r/math.Sqrt(float64(n)))
	}
	s.MaxZ, s.MaxW = maxOf(s.Z), maxOf(s.W)
	s.MinR, s.MaxR = -maxOf(neg(s.R)), maxOf(s.R)
	s.MedianZ = median(s.Z)
	return s, nil
}

// meanSD returns the mean and the sample sd (n − 1 denominator) of x,
// with the two-pass formula.
func meanSD(x []float64) (m, sd float64) {
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss, c float64
	for _, v := range x {
		d := v - m
		ss += d * d
		c += d
	}
	n := float64(len(x))
	return m, math.Sqrt((ss - c*c/n) / (n - 1))
}

// maxOf returns the largest element of x; NaN if any element is NaN.
func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN()
		}
		m = math.Max(m, v)
	}
	return m
}

func neg(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = -v
	}
	return y
}
