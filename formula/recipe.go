package formula

import (
	"fmt"

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
	return build(f, fr, r)
}
