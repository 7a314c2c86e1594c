package spec

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// Limits on the values a model takes from its data: every value of the
// response, trials, standard errors and design columns must be finite with
// magnitude at most MaxValue, and a column that varies must have an sd of
// at least MinScale (the default priors divide by it). Beyond these,
// squares and sums overflow or underflow in double precision.
const (
	MaxValue = 1e100
	MinScale = 1e-100
)

// maxSeparationWork bounds the size (signed rows × columns) of the linear
// program that looks for separation; larger designs are not checked.
const maxSeparationWork = 4e6

// checkValues reports the first value out of range in the design, naming
// the file, row and column, and a response or column whose scale is out
// of range.
func checkValues(des *formula.Design, fr *data.Frame, fam *Family, fitting bool) error {
	bad := func(col string, i int, v float64) error {
		return &DataError{File: fr.Source, Column: col, Lines: []int{fr.RowNumber(i)},
			Msg: fmt.Sprintf("row %d, column %s: the value %g is out of range: values must be finite and at most %g in magnitude; rescale the column", fr.RowNumber(i), col, v, MaxValue)}
	}
	check := func(col string, v []float64) error {
		for i, x := range v {
			if !(math.Abs(x) <= MaxValue) {
				return bad(col, i, x)
			}
		}
		return nil
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{des.ResponseName, des.Response}, {"trials of " + des.ResponseName, des.Trials}, {"se of " + des.ResponseName, des.SE}, {"offset", des.Offset}} {
		if err := check(c.name, c.v); err != nil {
			return err
		}
	}
	if x := des.X; x != nil {
		cs := checkColumns(x, fitting)
		for j, c := range cs {
			if c.bad >= 0 {
				return bad(des.Names[j], c.bad, x.At(c.bad, j))
			}
			if sd := c.sd; fitting && sd > 0 && sd < MinScale {
				return &DataError{File: fr.Source, Column: des.Names[j],
					Msg: fmt.Sprintf("column %s varies by too little (sd %g, below %g) to be fitted on this scale; rescale it", des.Names[j], sd, MinScale)}
			}
		}
	}
	for _, gt := range des.Groups {
		if err := check(gt.Group+":"+gt.Coef, gt.Value); err != nil {
			return err
		}
	}
	if fitting && fam.ScaleY && des.Response != nil && len(des.Response) > 1 {
		sd := robustSD(des.Response, nil)
		switch {
		case sd == 0 && des.SE == nil:
			return &DataError{File: fr.Source, Column: des.ResponseName,
				Msg: fmt.Sprintf("the response %s is constant (every value is %g): a %s model needs it to vary", des.ResponseName, des.Response[0], fam.Name)}
		case sd > 0 && sd < MinScale, math.IsInf(sd, 0):
			return &DataError{File: fr.Source, Column: des.ResponseName,
				Msg: fmt.Sprintf("the response %s has sd %g, outside the range %g to %g that the default priors and the fit can work with; rescale it", des.ResponseName, sd, MinScale, MaxValue)}
		}
	}
	return nil
}

// robustSD is the sd of v computed on v scaled by its largest magnitude,
// so that it neither underflows (values near 1e-300) nor overflows. The
// scaled values are written to w, which may be v (nil: a new slice).
func robustSD(v, w []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return scaledSD(v, w, m)
}

// scaledSD is robustSD given m, the largest magnitude in v.
func scaledSD(v, w []float64, m float64) float64 {
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return 0
	}
	if w == nil {
		w = make([]float64, len(v))
	}
	w = w[:len(v)]
	for i, x := range v {
		w[i] = x / m
	}
	return m * stat.StdDev(w, nil)
}

// columnCheck is what checkValues needs of a column of the design: the
// first row out of range (-1 for none) and, when the column has none and
// the model is being fitted, its robustSD.
type columnCheck struct {
	bad int
	sd  float64
}

// checkColumns checks every column of x, in parallel over blocks of
// adjacent columns, each a strip of x copied out a row at a time, with
// the same arithmetic on every column as robustSD on a copy of it.
func checkColumns(x *mat.Dense, fitting bool) []columnCheck {
	n, p := x.Dims()
	raw := x.RawMatrix()
	// Up to 4 columns a block, within 2²¹ numbers of scratch per worker.
	width := max(1, min(4, p, (1<<21)/n))
	chunks := (p + width - 1) / width
	out := make([]columnCheck, p)
	// Every column gets an allocation of its own, as robustSD's copy
	// does, so that stat.StdDev sums it in the same order (its assembly
	// depends on the alignment).
	// (Without fitting, only the range is checked: no copies.)
	scratch := make([][][]float64, parallel.Workers(chunks))
	for w := range scratch {
		scratch[w] = make([][]float64, width)
		for k := range scratch[w] {
			if fitting {
				scratch[w][k] = make([]float64, n)
			}
		}
	}
	var grp parallel.Group
	grp.Run(parallel.Func(func(w, c int) {
		j0, j1 := c*width, min(p, (c+1)*width)
		cols := scratch[w][:j1-j0]
		var big [4]float64 // the largest magnitudes
		bad := [4]int{-1, -1, -1, -1}
		// A block of rows at a time, so that its cache lines of x stay
		// in cache while each column is copied out of them.
		const block = 1024
		for lo := 0; lo < n; lo += block {
			hi := min(n, lo+block)
			for k, col := range cols {
				b, src := big[k], raw.Data[lo*raw.Stride+j0+k:]
				for i := range hi - lo {
					v := src[i*raw.Stride]
					if fitting {
						col[lo+i] = v
					}
					a := math.Abs(v)
					if !(a <= MaxValue) {
						if bad[k] < 0 {
							bad[k] = lo + i
						}
						continue
					}
					// As math.Max, for a not NaN.
					if a > b {
						b = a
					}
				}
				big[k] = b
			}
		}
		for k, col := range cols {
			cc := columnCheck{bad: bad[k]}
			if cc.bad < 0 && fitting {
				cc.sd = scaledSD(col, col, big[k])
			}
			out[j0+k] = cc
		}
	}), chunks)
	return out
}

// identify checks that the population-level coefficients are identified
// by the data: that the design has full column rank and, for binary and
// binomial responses, that no combination of the columns separates the
// outcomes (complete or quasi-complete separation, where the likelihood
// keeps rising along a direction). Along such a direction the posterior
// is the prior's: with flat priors on every coefficient involved it is
// improper, a *DataError naming the columns; otherwise a warning. coef
// holds the coefficients' priors (nil is flat).
func (b *Built) identify(coef []model.Prior) ([]string, error) {
	x := b.Design.X
	if x == nil {
		return nil, nil
	}
	flat := func(j int) bool { return coef[j] == nil }
	var warns []string
	indep, deps := rankColumns(x)
	for _, d := range deps {
		names := b.colNames(d.cols)
		allFlat := true
		for _, j := range d.cols {
			allFlat = allFlat && flat(j)
		}
		what := fmt.Sprintf("the design is rank-deficient: %s", d.text(b.Design.Names))
		if allFlat {
			return nil, &DataError{File: b.Source, Column: b.Design.Names[d.cols[0]],
				Msg: fmt.Sprintf("%s, so the data cannot tell the coefficients of %s apart, and with flat priors the posterior is improper; drop a column or give them proper priors", what, names)}
		}
		warns = append(warns, fmt.Sprintf("%s: the data cannot tell the coefficients of %s apart, so the posterior is the prior's in that direction (prior-dominated)", what, names))
	}
	if b.Family.Name != "bernoulli" && b.Family.Name != "binomial" {
		return warns, nil
	}
	sep, ok := b.separation(indep)
	if !ok || sep == nil {
		return warns, nil
	}
	names := b.colNames(sep)
	allFlat := true
	for _, j := range sep {
		allFlat = allFlat && flat(j)
	}
	what := fmt.Sprintf("the outcomes are (quasi-)completely separated by %s: a combination of them predicts %s perfectly on some rows and never wrongly", names, b.Design.ResponseName)
	if allFlat {
		return nil, &DataError{File: b.Source, Column: b.Design.Names[sep[len(sep)-1]],
			Msg: what + ", so the likelihood rises forever along it and with flat priors the posterior is improper; give the coefficients proper priors (e.g. the defaults, normal(0, 2.5))"}
	}
	return append(warns, what+", so the posterior is the prior's in that direction (prior-dominated): the estimates there reflect the prior, not the data"), nil
}

// colNames names design columns for messages: "the intercept", "x".
func (b *Built) colNames(cols []int) string {
	var s []string
	for _, j := range cols {
		if j == 0 && b.Design.Intercept {
			s = append(s, "the intercept")
		} else {
			s = append(s, b.Design.Names[j])
		}
	}
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// dependency is a column in the span of earlier ones: x[col] = Σ coef·x[i].
type dependency struct {
	cols []int // the dependent column last
	coef []float64
}

// text writes the dependency as "x2 = 2·x1".
func (d dependency) text(names []string) string {
	n := len(d.cols)
	if n == 1 {
		return fmt.Sprintf("column %s is zero", names[d.cols[0]])
	}
	var terms []string
	for i, c := range d.coef {
		terms = append(terms, fmt.Sprintf("%.4g·%s", c, names[d.cols[i]]))
	}
	return fmt.Sprintf("%s = %s", names[d.cols[n-1]], strings.ReplaceAll(strings.Join(terms, " + "), "+ -", "− "))
}

// rankColumns finds, by modified Gram-Schmidt on the columns scaled to
// unit norm, the columns of x independent of the earlier ones and, for
// every other column, its representation by them. A design that fullRank
// shows to be well conditioned skips the Gram-Schmidt, whose answer there
// is known: every column independent.
func rankColumns(x *mat.Dense) (indep []int, deps []dependency) {
	if fullRank(x) {
		_, p := x.Dims()
		indep = make([]int, p)
		for j := range indep {
			indep[j] = j
		}
		return indep, nil
	}
	return rankColumnsMGS(x)
}

// rankColumnsMGS is rankColumns by modified Gram-Schmidt alone.
func rankColumnsMGS(x *mat.Dense) (indep []int, deps []dependency) {
	n, p := x.Dims()
	const tol = 1e-9
	var q [][]float64 // orthonormal basis
	var r [][]float64 // r[k][i]: coefficient of basis k in scaled column indep[i]
	scale := make([]float64, p)
	for j := 0; j < p; j++ {
		v := mat.Col(nil, j, x)
		nv := floats.Norm(v, 2)
		scale[j] = nv
		if nv == 0 || math.IsInf(nv, 0) || math.IsNaN(nv) {
			deps = append(deps, dependency{cols: []int{j}})
			continue
		}
		floats.Scale(1/nv, v)
		c := make([]float64, len(q))
		for k, qk := range q {
			c[k] = floats.Dot(qk, v)
			floats.AddScaled(v, -c[k], qk)
		}
		// Re-orthogonalize once for accuracy when the projection removed
		// more than half of the (unit) norm; otherwise one pass keeps the
		// basis orthogonal to working precision ("twice is enough":
		// Giraud, Langou & Rozložník 2005), at half the cost.
		res := floats.Norm(v, 2)
		if res < 1/math.Sqrt2 {
			for k, qk := range q {
				d := floats.Dot(qk, v)
				c[k] += d
				floats.AddScaled(v, -d, qk)
			}
			res = floats.Norm(v, 2)
		}
		if res > tol {
			floats.Scale(1/res, v)
			q = append(q, v)
			for k := range r {
				r[k] = append(r[k], c[k])
			}
			row := make([]float64, len(indep)+1)
			row[len(indep)] = res
			r = append(r, row)
			indep = append(indep, j)
			continue
		}
		// v_j/‖x_j‖ = Σ_k c_k q_k = Σ_i a_i x_i/‖x_i‖ with R a = c.
		m := len(indep)
		a := make([]float64, m)
		for i := m - 1; i >= 0; i-- {
			s := c[i]
			for k := i + 1; k < m; k++ {
				s -= r[i][k] * a[k]
			}
			a[i] = s / r[i][i]
		}
		var d dependency
		for i, ai := range a {
			coef := ai * nv / scale[indep[i]]
			if math.Abs(ai) > 1e-6 {
				d.cols = append(d.cols, indep[i])
				d.coef = append(d.coef, coef)
			}
		}
		d.cols = append(d.cols, j)
		deps = append(deps, d)
	}
	_ = n
	return indep, deps
}

// separation looks for (quasi-)complete separation on the independent
// columns cols and returns a minimal set of them that separates the
// outcomes (nil when there is none). ok is false when the design is too
// large to check.
func (b *Built) separation(cols []int) (sep []int, ok bool) {
	y, trials := b.Design.Response, b.Design.Trials
	// outcomes says whether row i has a success and a failure.
	outcomes := func(i int) (success, failure bool) {
		if trials == nil {
			return y[i] > 0, y[i] == 0
		}
		if trials[i] == 0 {
			return false, false
		}
		return y[i] > 0, y[i] < trials[i]
	}
	// Count the signed rows first, so that a design too large to check
	// allocates nothing.
	signed := 0
	for i := range y {
		success, failure := outcomes(i)
		if success {
			signed++
		}
		if failure {
			signed++
		}
	}
	if float64(signed)*float64(len(cols)) > maxSeparationWork {
		return nil, false
	}
	signs := make([]float64, 0, signed)
	rows := make([]int, 0, signed)
	for i := range y {
		success, failure := outcomes(i)
		if success {
			rows, signs = append(rows, i), append(signs, 1)
		}
		if failure {
			rows, signs = append(rows, i), append(signs, -1)
		}
	}
	if !separated(b.Design.X, rows, signs, cols) {
		return nil, true
	}
	// Drop columns while the rest still separate.
	keep := append([]int(nil), cols...)
	for k := 0; k < len(keep); {
		try := append(append([]int(nil), keep[:k]...), keep[k+1:]...)
		if len(try) > 0 && separated(b.Design.X, rows, signs, try) {
			keep = try
			continue
		}
		k++
	}
	return keep, true
}

// separated reports whether some β ≠ 0 on the columns cols has
// sᵢ xᵢᵀβ ≥ 0 for every signed row, with some inequality strict. By
// Gordan's theorem that fails exactly when a strictly positive
// combination of the signed rows sums to zero: Σ (1 + zᵢ) sᵢxᵢ = 0 with
// z ≥ 0, a feasibility linear program with one constraint per column.
func separated(x *mat.Dense, rows []int, signs []float64, cols []int) bool {
	p := len(cols)
	var use []int
	for k, i := range rows {
		nonzero := false
		for _, j := range cols {
			if x.At(i, j) != 0 {
				nonzero = true
				break
			}
		}
		if nonzero {
			use = append(use, k)
		}
	}
	if len(use) == 0 {
		return false
	}
	a := mat.NewDense(p, len(use), nil)
	bvec := make([]float64, p)
	for c, k := range use {
		i, s := rows[k], signs[k]
		for r, j := range cols {
			v := s * x.At(i, j)
			a.Set(r, c, v)
			bvec[r] -= v
		}
	}
	if len(use) < p {
		return true // fewer signed rows than columns: a direction orthogonal to all
	}
	_, _, err := lp.Simplex(make([]float64, len(use)), a, bvec, 1e-10, nil)
	return errors.Is(err, lp.ErrInfeasible)
}
