package formula

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/govi-dev/govi/data"
)

// Recipe records how a Design was coded so that new data (for prediction)
// is coded identically: the formula, the levels of categorical variables
// and grouping columns, the centers and scales of scale() terms and the
// coding of a categorical response. It is plain data and round-trips
// through encoding/json.
type Recipe struct {
	// Formula is the canonical formula text.
	Formula string `json:"formula"`
	// Names are the population-level column names, checked on rebuilding.
	Names []string `json:"names"`
	// Variables describes every term-level variable.
	Variables []RecipeVariable `json:"variables,omitempty"`
	// Scales holds the center and scale of every scale() expression.
	Scales []RecipeScale `json:"scales,omitempty"`
	// Groups holds the levels of every grouping column.
	Groups []RecipeGroup `json:"groups,omitempty"`
	// ResponseLevels holds the two levels of a categorical response (coded
	// 0 and 1), or nil.
	ResponseLevels []string `json:"response_levels,omitempty"`
}

// RecipeVariable describes one term-level variable.
type RecipeVariable struct {
	// Expr is the canonical text of the variable, e.g. "x", "log(x)",
	// "group", "factor(cyl)".
	Expr string `json:"expr"`
	// Categorical reports whether the variable is categorical.
	Categorical bool `json:"categorical,omitempty"`
	// Levels holds the levels of a categorical variable in order.
	Levels []string `json:"levels,omitempty"`
	// Numeric reports that a categorical variable's levels are numbers
	// (factor(x) of a numeric column), in numeric order.
	Numeric bool `json:"numeric,omitempty"`
}

// RecipeScale holds the statistics used by one scale() expression.
type RecipeScale struct {
	// Expr is the canonical text, e.g. "scale(x)".
	Expr string `json:"expr"`
	// Center is the mean subtracted.
	Center float64 `json:"center"`
	// SD is the standard deviation divided by.
	SD float64 `json:"sd"`
}

// RecipeGroup holds the levels of one grouping column.
type RecipeGroup struct {
	// Group is the grouping column name.
	Group string `json:"group"`
	// Levels holds its levels in order.
	Levels []string `json:"levels"`
	// Numeric reports whether the column held integer codes rather than
	// text.
	Numeric bool `json:"numeric,omitempty"`
}

// Categorical returns the data columns that held text when fitting (bare
// categorical variables and grouping columns), for data.Options.Categorical:
// reading new data with it keeps text codes such as "01" from being read as
// numbers.
func (r *Recipe) Categorical() []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, v := range r.Variables {
		if !v.Categorical {
			continue
		}
		f, err := Parse(v.Expr + " ~ 1")
		if err != nil {
			continue
		}
		if id, ok := unparen(f.resp).(*identNode); ok {
			add(id.name)
		}
	}
	for _, g := range r.Groups {
		if !g.Numeric {
			add(g.Group)
		}
	}
	return out
}

// Build codes new data like the data the recipe came from: the same
// columns of X in the same order, categorical variables with the fitted
// levels (a level not seen when fitting is an error naming it), scale()
// with the fitted center and sd. The response, trials and standard errors
// are filled in only when the frame has all of their columns (they are not
// needed to predict). Offsets and grouping columns are required.
//
// A grouping column may hold levels not seen when fitting: GroupTerm.Index
// is -1 for those rows, meaning the group-level effects are taken to be 0
// (the population mean), and BuildWarn reports them. GroupTerm.Levels are
// the fitted levels, so indices line up with the fitted coefficients.
func (r *Recipe) Build(fr *data.Frame) (*Design, error) {
	d, _, err := r.BuildWarn(fr)
	return d, err
}

// BuildWarn is Build, also returning warnings (new group levels).
func (r *Recipe) BuildWarn(fr *data.Frame) (*Design, []string, error) {
	f, err := Parse(r.Formula)
	if err != nil {
		return nil, nil, fmt.Errorf("formula: bad recipe: %w", err)
	}
	return build(f, fr, r, false)
}

// MergeRecipes returns the recipe of data read in two parts whose recipes
// (from BuildPart) are a and b, with na and nb rows: every categorical
// variable and grouping column takes the union of the parts' levels, in
// level order (numeric or byte order, as Build orders them), and every
// scale() the center and sd of the whole, pooled from the parts' (Chan,
// Golub & LeVeque 1979). The result has no Names: building with it
// (Recipe.Build) fills them in, since they depend on the levels. Folding
// the parts of a file in order gives the recipe Build gives on the whole
// file. A categorical response's levels are not merged: it is an error.
func MergeRecipes(a, b *Recipe, na, nb int) (*Recipe, error) {
	if a.Formula != b.Formula || len(a.Variables) != len(b.Variables) || len(a.Scales) != len(b.Scales) || len(a.Groups) != len(b.Groups) {
		return nil, fmt.Errorf("formula: MergeRecipes: the recipes are of different formulas")
	}
	if a.ResponseLevels != nil || b.ResponseLevels != nil {
		return nil, fmt.Errorf("formula: MergeRecipes: a categorical response cannot be merged")
	}
	out := &Recipe{Formula: a.Formula}
	for i, va := range a.Variables {
		vb := b.Variables[i]
		if va.Expr != vb.Expr {
			return nil, fmt.Errorf("formula: MergeRecipes: variable %s against %s", va.Expr, vb.Expr)
		}
		if va.Categorical != vb.Categorical {
			return nil, fmt.Errorf("formula: %s holds numbers in one part of the data and text in another (mark it categorical, e.g. --categorical)", va.Expr)
		}
		v := va
		if va.Categorical {
			v.Levels = unionLevels(va.Levels, vb.Levels, va.Numeric && vb.Numeric)
			v.Numeric = va.Numeric && vb.Numeric
		}
		out.Variables = append(out.Variables, v)
	}
	for i, sa := range a.Scales {
		sb := b.Scales[i]
		n1, n2 := float64(na), float64(nb)
		n := n1 + n2
		d := sb.Center - sa.Center
		ss := sa.SD*sa.SD*(n1-1) + sb.SD*sb.SD*(n2-1) + d*d*n1*n2/n
		out.Scales = append(out.Scales, RecipeScale{Expr: sa.Expr, Center: sa.Center + d*n2/n, SD: math.Sqrt(ss / (n - 1))})
	}
	for i, ga := range a.Groups {
		gb := b.Groups[i]
		g := ga
		g.Levels = unionLevels(ga.Levels, gb.Levels, ga.Numeric && gb.Numeric)
		g.Numeric = ga.Numeric && gb.Numeric
		out.Groups = append(out.Groups, g)
	}
	return out, nil
}

// unionLevels merges two level lists, each in level order.
func unionLevels(a, b []string, numeric bool) []string {
	u := append(slices.Clone(a), b...)
	if numeric {
		slices.SortFunc(u, func(x, y string) int {
			fx, _ := strconv.ParseFloat(x, 64)
			fy, _ := strconv.ParseFloat(y, 64)
			return cmp.Compare(fx, fy)
		})
	} else {
		slices.Sort(u)
	}
	return slices.Compact(u)
}
