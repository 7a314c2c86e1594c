package optim

import "math"

// The defaults of every method, in one place: each method's documentation
// states them ("If MaxIter is 0, it will be defaulted to …"), and
// TestDocumentedDefaults checks that the documentation and these values
// agree.
const (
	// GradientAscent and Adam.
	stochMaxIter   = 10000
	stochTolRelObj = 1e-4
	stochWindow    = 50
	stochSpan      = 4
	stochAnneal    = 4
	gaRate         = 1e-3
	adamRate       = 0.05
	adamBeta1      = 0.9
	adamBeta2      = 0.999
	adamEps        = 1e-8
	decayTau       = 100
	decayKappa     = 0.6

	// LBFGS.
	lbfgsMaxIter = 2000
	lbfgsGradTol = 1e-7
	lbfgsFuncTol = 1e-15
	// lbfgsStore pairs up to lbfgsStoreMaxN parameters; above, the memory
	// is capped at lbfgsStoreBudget numbers (64 MB), with at least
	// lbfgsStoreMin pairs.
	lbfgsStore       = 100
	lbfgsStoreMaxN   = 40000
	lbfgsStoreBudget = 4000000
	lbfgsStoreMin    = 5
	// lbfgsFuncIters is the number of iterations over which FuncTol is
	// tested.
	lbfgsFuncIters = 10

	// NaturalGradient.
	naturalMaxIter = 500
	naturalFuncTol = 1e-12

	// StochasticNatural.
	sviMaxIter  = 20000
	sviSpan     = 2
	sviParamTol = 1e-4
	sviRate     = 1
	sviTau      = 4
	sviKappa    = 0.6
)

// orInt returns v, or def if v is not positive.
func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// orFloat returns v, or def if v is not positive (or is NaN).
func orFloat(v, def float64) float64 {
	if !(v > 0) {
		return def
	}
	return v
}

// stochConfig is the effective configuration of a GradientAscent or Adam
// run.
type stochConfig struct {
	maxIter      int
	tolRelObj    float64
	window, span int
	anneal       int // 0: no annealing
	stationarity bool
	average      bool
}

func stochasticConfig(s Settings) stochConfig {
	c := stochConfig{
		maxIter:      orInt(s.MaxIter, stochMaxIter),
		tolRelObj:    orFloat(s.TolRelObj, stochTolRelObj),
		window:       orInt(s.Window, stochWindow),
		span:         orInt(s.Span, stochSpan),
		anneal:       s.Anneal,
		stationarity: s.Stationarity >= 0,
		average:      !s.NoAverage,
	}
	switch {
	case c.anneal == 0:
		c.anneal = stochAnneal
	case c.anneal < 0:
		c.anneal = 0
	}
	return c
}

// lbfgsConfig is the effective configuration of an LBFGS run.
type lbfgsConfig struct {
	maxIter          int
	gradTol, funcTol float64
	store            int
}

func (l *LBFGS) config(s Settings, n int) lbfgsConfig {
	store := l.Store
	if store <= 0 {
		store = lbfgsStore
		if n > lbfgsStoreMaxN {
			store = max(lbfgsStoreMin, lbfgsStoreBudget/n)
		}
	}
	return lbfgsConfig{
		maxIter: orInt(s.MaxIter, lbfgsMaxIter),
		gradTol: orFloat(s.GradTol, lbfgsGradTol),
		funcTol: orFloat(s.FuncTol, lbfgsFuncTol),
		store:   store,
	}
}

// naturalConfig is the effective configuration of a NaturalGradient run.
type naturalConfig struct {
	maxIter int
	funcTol float64
}

func naturalGradientConfig(s Settings) naturalConfig {
	return naturalConfig{
		maxIter: orInt(s.MaxIter, naturalMaxIter),
		funcTol: orFloat(s.FuncTol, naturalFuncTol),
	}
}

// flat reports whether a gradient of norm gnorm is negligible on the scale
// of f: a step of size δ changes f by about gnorm·δ, invisible in floating
// point once that is below ε|f|. LBFGS and NaturalGradient count a run that
// can no longer improve f as converged when flat holds.
func flat(gnorm, f float64) bool {
	return gnorm <= 1e-3*math.Sqrt(math.Max(1, math.Abs(f)))
}
