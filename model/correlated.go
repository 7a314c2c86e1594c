package model

import (
	"fmt"
	"math"
)

// Correlation makes the effects of K ≥ 2 groups of one grouping factor
// correlated, as brms and lme4 read (1 + x | g): for each level l the
// vector of the groups' effects is
//
//	r_l = diag(τ) L z_l,  z_l ~ N(0, I_K),  Ω = LLᵀ ~ LKJ(Eta),
//
// with τ the groups' sds and L the Cholesky factor of the correlation
// matrix Ω. L is parameterized as Stan's cholesky_factor_corr: K(K−1)/2
// unconstrained y_cm (c > m) give canonical partial correlations
// z_cm = tanh(y_cm), L_cm = z_cm Π_{j<m} √(1 − z_cj²) and
// L_cc = Π_{j<c} √(1 − z_cj²). Under LKJ(η) the partial correlations
// are independent, z_cm ~ Beta(b_m, b_m) on (−1, 1) with
// b_m = η + (K − 2 − m)/2 (Lewandowski, Kurowicka & Joe 2009), which is
// the prior govi places on them, with the Jacobian of tanh. The groups
// must share Name, Levels and Index, and are non-centered (their Centered
// is ignored).
type Correlation struct {
	// Groups are the indices in Terms.Groups of the K groups, in the order
	// of Ω's rows.
	Groups []int
	// Eta is the LKJ shape; 0 means 1 (uniform over correlation matrices).
	Eta float64
}

func (c Correlation) eta() float64 {
	if c.Eta > 0 {
		return c.Eta
	}
	return 1
}

// corBlock is a Correlation with its positions in θ.
type corBlock struct {
	groups []int
	k      int
	yAt    int // θ index of y_10; y_cm at yAt + c(c−1)/2 + m
	eta    float64
}

func (b *corBlock) yIndex(c, m int) int { return b.yAt + c*(c-1)/2 + m }

// corCholesky stores in l (K×K row-major, lower) the Cholesky factor of the
// correlation matrix at the unconstrained y (K(K−1)/2, row-major over
// c > m).
func corCholesky(l, y []float64, k int) {
	clear(l)
	for c := 0; c < k; c++ {
		w := 1.0 // Π_{j<m} √(1 − z_cj²)
		for m := 0; m < c; m++ {
			z := math.Tanh(y[c*(c-1)/2+m])
			l[c*k+m] = z * w
			w *= math.Sqrt(1 - z*z)
		}
		l[c*k+c] = w
	}
}

// corEntry returns L_cm at y (the row c of y: y[c(c−1)/2 : c(c−1)/2+c])
// and, if grad is not nil, stores ∂L_cm/∂y_cj for j < c in grad[j].
func corEntry(grad, yc []float64, c, m int) float64 {
	if grad != nil {
		clear(grad[:c])
	}
	w := 1.0
	for j := 0; j < m; j++ {
		z := math.Tanh(yc[j])
		w *= math.Sqrt(1 - z*z)
	}
	var v float64
	if m < c {
		z := math.Tanh(yc[m])
		v = z * w
		if grad != nil {
			grad[m] = (1 - z*z) * w // ∂(tanh y)/∂y · w
		}
	} else {
		v = w
	}
	if grad != nil {
		// ∂ log √(1 − tanh² y)/∂y = −tanh y for each factor of w.
		for j := 0; j < m; j++ {
			grad[j] = -math.Tanh(yc[j]) * v
		}
	}
	return v
}

// corMultiplier returns the multiplier τ_c L_cm of z_m in r_c, a function
// of (log τ_c, y_c0 … y_c,c−1).
func corMultiplier(sdAt int, b *corBlock, c, m int) *Multiplier {
	at := []int{sdAt}
	for j := 0; j < c; j++ {
		at = append(at, b.yIndex(c, j))
	}
	return &Multiplier{At: at, F: func(grad, x []float64) float64 {
		tau := math.Exp(x[0])
		var gl []float64
		if grad != nil {
			gl = grad[1:]
		}
		l := corEntry(gl, x[1:], c, m)
		if grad != nil {
			grad[0] = tau * l
			for j := range gl[:c] {
				gl[j] *= tau
			}
		}
		return tau * l
	}}
}

// cpcPrior is the LKJ prior of one canonical partial correlation,
// z = tanh(y) ~ Beta(b, b) on (−1, 1), on y with the Jacobian of tanh:
// log p(y) = b·log(1 − z²) − (2b − 1)·log 2 − log B(b, b).
type cpcPrior struct{ b, logC float64 }

func newCPCPrior(b float64) cpcPrior {
	lg, _ := math.Lgamma(b)
	lg2, _ := math.Lgamma(2 * b)
	return cpcPrior{b: b, logC: -(2*b-1)*math.Ln2 - (2*lg - lg2)}
}

// LogProb returns log p(y) with log(1 − tanh² y) = 2·(log 2 − |y| −
// log1p(e^{−2|y|})), stable for large |y|, and its derivatives.
func (p cpcPrior) LogProb(y float64) (lp, d1, d2 float64) {
	a := math.Abs(y)
	l1 := 2 * (math.Ln2 - a - math.Log1p(math.Exp(-2*a)))
	z := math.Tanh(y)
	return p.b*l1 + p.logC, -2 * p.b * z, -2 * p.b * (1 - z*z)
}
func (cpcPrior) Positive() bool { return false }
func (cpcPrior) Proper() bool   { return true }
func (p cpcPrior) String() string {
	return fmt.Sprintf("lkj partial correlation (beta(%g, %g) on (-1, 1))", p.b, p.b)
}

// corBlocks checks t's Correlations and returns them with their y
// positions starting at at, and each group's block (−1 for none).
func corBlocks(t Terms, at int) ([]corBlock, []int, int, error) {
	blockOf := make([]int, len(t.Groups))
	for g := range blockOf {
		blockOf[g] = -1
	}
	var blocks []corBlock
	for bi, c := range t.Correlations {
		k := len(c.Groups)
		if k < 2 {
			return nil, nil, 0, fmt.Errorf("model: correlation %d has %d groups; it needs at least 2", bi, k)
		}
		if !(c.eta() > 0) || math.IsInf(c.eta(), 0) {
			return nil, nil, 0, fmt.Errorf("model: correlation %d: LKJ shape %g must be positive", bi, c.Eta)
		}
		for pos, g := range c.Groups {
			if g < 0 || g >= len(t.Groups) {
				return nil, nil, 0, fmt.Errorf("model: correlation %d: group %d outside [0, %d)", bi, g, len(t.Groups))
			}
			if blockOf[g] >= 0 {
				return nil, nil, 0, fmt.Errorf("model: group %d (%s) is in two correlations", g, t.Groups[g].Coef)
			}
			blockOf[g] = bi
			g0 := t.Groups[c.Groups[0]]
			if pos > 0 {
				gr := t.Groups[g]
				if gr.Name != g0.Name || len(gr.Levels) != len(g0.Levels) || len(gr.Index) != len(g0.Index) {
					return nil, nil, 0, fmt.Errorf("model: correlation %d: groups %s and %s are not of one grouping factor", bi, g0.Coef, gr.Coef)
				}
				for i := range gr.Index {
					if gr.Index[i] != g0.Index[i] {
						return nil, nil, 0, fmt.Errorf("model: correlation %d: groups %s and %s differ in row %d's level", bi, g0.Coef, gr.Coef, i+1)
					}
				}
			}
		}
		blocks = append(blocks, corBlock{groups: c.Groups, k: k, yAt: at, eta: c.eta()})
		at += k * (k - 1) / 2
	}
	return blocks, blockOf, at, nil
}

// corName returns brms's name of the correlation of coefficients a and b
// of grouping factor g: cor_g__a__b.
func corName(g, a, b string) string { return "cor_" + g + "__" + a + "__" + b }
