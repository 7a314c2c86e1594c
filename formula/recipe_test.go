package formula

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/govi-dev/govi/data"
)

// rowsOf returns the rows of d.X picked by idx.
func rowsOf(d *Design, idx []int) [][]float64 {
	_, p := d.X.Dims()
	var out [][]float64
	for _, i := range idx {
		row := make([]float64, p)
		for j := range row {
			row[j] = d.X.At(i, j)
		}
		out = append(out, row)
	}
	return out
}

const recipeFormula = "y ~ x * g + scale(z) + factor(cyl) + log(e) + offset(log(n)) + (1 + x | h) + (1 | id)"

func TestRecipeReproducesColumns(t *testing.T) {
	fr := fixture(t)
	fit, _ := mustBuild(t, recipeFormula, fr)
	r := fit.Recipe()
	if r.Formula != MustParse(recipeFormula).String() {
		t.Errorf("Recipe.Formula %q", r.Formula)
	}

	// The same data again gives the same design.
	again, err := r.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	all := []int{0, 1, 2, 3, 4, 5}
	checkX(t, again, fit.Names, rowsOf(fit, all))
	checkVec(t, "Offset", again.Offset, fit.Offset)
	checkVec(t, "Response", again.Response, fit.Response)
	if !reflect.DeepEqual(again.Groups, fit.Groups) {
		t.Errorf("Groups differ:\n%+v\n%+v", again.Groups, fit.Groups)
	}

	// Some rows in another order, without the response, and with fewer
	// levels present: same columns, same values as the fitted rows,
	// scale() with the fitted center and sd.
	idx := []int{5, 2, 2}
	sub := fr.Subset(idx)
	var cols []*data.Column
	for _, c := range sub.Columns {
		if c.Name != "y" {
			cols = append(cols, c)
		}
	}
	newData, err := data.New("new.csv", cols...)
	if err != nil {
		t.Fatal(err)
	}
	pred, warns, err := r.BuildWarn(newData)
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, warns)
	checkX(t, pred, fit.Names, rowsOf(fit, idx))
	checkVec(t, "Response", pred.Response, nil)
	checkVec(t, "Offset", pred.Offset, []float64{math.Log(7), math.Log(4), math.Log(4)})
	if len(pred.Groups) != 3 {
		t.Fatalf("%d group terms", len(pred.Groups))
	}
	checkGroup(t, pred.Groups[0], "h", "Intercept", []string{"u", "v"}, []int{1, 0, 0}, nil)
	checkGroup(t, pred.Groups[1], "h", "x", []string{"u", "v"}, []int{1, 0, 0}, []float64{6, 3, 3})
	checkGroup(t, pred.Groups[2], "id", "Intercept", []string{"1", "2", "3", "10"}, []int{3, 1, 1}, nil)
	if pred.Recipe() != r {
		t.Error("Recipe() of a design built from a recipe should be that recipe")
	}
}

func TestRecipeJSON(t *testing.T) {
	fr := fixture(t)
	fit, _ := mustBuild(t, recipeFormula, fr)
	buf, err := json.Marshal(fit.Recipe())
	if err != nil {
		t.Fatal(err)
	}
	var r Recipe
	if err := json.Unmarshal(buf, &r); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&r, fit.Recipe()) {
		t.Fatalf("round trip changed the recipe:\n%s\n%+v", buf, r)
	}
	d, err := r.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	checkX(t, d, fit.Names, rowsOf(fit, []int{0, 1, 2, 3, 4, 5}))

	// What the recipe holds.
	want := Recipe{
		Formula: "y ~ x * g + scale(z) + factor(cyl) + log(e) + offset(log(n)) + (1 + x | h) + (1 | id)",
		Names: []string{"Intercept", "x", "g[b]", "g[c]", "scale(z)", "factor(cyl)[6]", "factor(cyl)[8]", "log(e)",
			"x:g[b]", "x:g[c]"},
		Variables: []RecipeVariable{
			{Expr: "x"},
			{Expr: "g", Categorical: true, Levels: []string{"a", "b", "c"}},
			{Expr: "scale(z)"},
			{Expr: "factor(cyl)", Categorical: true, Levels: []string{"4", "6", "8"}, Numeric: true},
			{Expr: "log(e)"},
		},
		Scales: []RecipeScale{{Expr: "scale(z)", Center: 1.5, SD: math.Sqrt(5.5 / 5)}},
		Groups: []RecipeGroup{
			{Group: "h", Levels: []string{"u", "v"}},
			{Group: "id", Levels: []string{"1", "2", "3", "10"}, Numeric: true},
		},
	}
	got := *fit.Recipe()
	if math.Abs(got.Scales[0].SD-want.Scales[0].SD) < 1e-15 {
		got.Scales[0].SD = want.Scales[0].SD
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recipe\n got: %+v\nwant: %+v", got, want)
	}
	checkStrings(t, "Categorical()", fit.Recipe().Categorical(), []string{"g", "h"})
}

func TestRecipeErrors(t *testing.T) {
	fr := fixture(t)
	fit, _ := mustBuild(t, "y ~ x + g + (1 | h)", fr)
	r := fit.Recipe()

	mk := func(cols ...*data.Column) *data.Frame {
		t.Helper()
		f, err := data.New("new.csv", cols...)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	x := data.NewNumeric("x", []float64{1, 2, 3})

	// An unseen level of a categorical variable is an error.
	_, err := r.Build(mk(x, data.NewString("g", []string{"a", "d", "b"}), data.NewString("h", []string{"u", "u", "v"})))
	want := `formula: g has level "d" in row 2 of new.csv, which was not in the data the model was fitted to (levels: "a", "b", "c")
  y ~ x + g + (1 | h)
          ^`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}

	// An unseen level of a grouping column gets index -1 and a warning.
	d, warns, err := r.BuildWarn(mk(x, data.NewString("g", []string{"a", "c", "b"}), data.NewString("h", []string{"w", "u", "z"})))
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, warns, `grouping column "h": 2 rows have levels not seen when fitting ("w", "z"); their group-level effects are taken to be 0`)
	checkGroup(t, d.Groups[0], "h", "Intercept", []string{"u", "v"}, []int{-1, 0, -1}, nil)
	checkX(t, d, []string{"Intercept", "x", "g[b]", "g[c]"}, [][]float64{{1, 1, 0, 0}, {1, 2, 0, 1}, {1, 3, 1, 0}})

	// A column that was numeric must still be.
	_, err = r.Build(mk(data.NewString("x", []string{"1", "two", "3"}), data.NewString("g", []string{"a", "c", "b"}), data.NewString("h", []string{"u", "u", "v"})))
	want = `formula: column "x" was numeric in the data the model was fitted to, but holds text in new.csv (e.g. "1")
  y ~ x + g + (1 | h)
      ^`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}

	// A categorical column read as numbers is matched by its labels.
	fr2 := mk(data.NewNumeric("y", []float64{1, 2, 3}), data.NewString("k", []string{"1", "2", "10"}))
	fit2, _ := mustBuild(t, "y ~ k", fr2)
	checkStrings(t, "Names", fit2.Names, []string{"Intercept", "k[10]", "k[2]"}) // byte order: "1" < "10" < "2"
	d, err = fit2.Recipe().Build(mk(data.NewNumeric("k", []float64{2, 10})))
	if err != nil {
		t.Fatal(err)
	}
	checkX(t, d, []string{"Intercept", "k[10]", "k[2]"}, [][]float64{{1, 0, 1}, {1, 1, 0}})

	// Missing predictors are still errors; the response may be absent.
	_, err = r.Build(mk(data.NewString("g", []string{"a", "c", "b"}), data.NewString("h", []string{"u", "u", "v"})))
	want = `formula: new.csv: no column "x" (columns: g, h)
  y ~ x + g + (1 | h)
      ^`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}

	// A two-level response is coded as when fitting.
	fit3, _ := mustBuild(t, "h ~ x", fr)
	d, err = fit3.Recipe().Build(mk(x, data.NewString("h", []string{"v", "v", "u"})))
	if err != nil {
		t.Fatal(err)
	}
	checkVec(t, "Response", d.Response, []float64{1, 1, 0})
	_, err = fit3.Recipe().Build(mk(x, data.NewString("h", []string{"v", "w", "u"})))
	want = `formula: response "h" has level "w" in row 2 of new.csv, not one of "u" and "v"
  h ~ x
  ^`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}

	// A recipe that does not match its formula.
	bad := *r
	bad.Names = slices.Clone(r.Names[:2])
	_, err = bad.Build(fr)
	want = "formula: the recipe has columns Intercept, x but t.csv gives Intercept, x, g[b], g[c]"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
	_, err = (&Recipe{Formula: "y ~"}).Build(fr)
	if err == nil || err.Error()[:29] != "formula: bad recipe: formula:" {
		t.Errorf("bad formula in recipe: %v", err)
	}
}

// New data may hold the trials or standard errors without the response;
// PredictColumns says which columns are needed.
func TestRecipePartialResponse(t *testing.T) {
	mk := func(cols ...*data.Column) *data.Frame {
		fr, err := data.New("new.csv", cols...)
		if err != nil {
			t.Fatal(err)
		}
		return fr
	}
	x := data.NewNumeric("x", []float64{1, 2, 3})
	fit, _ := mustBuild(t, "k | trials(n) ~ x", mk(data.NewNumeric("k", []float64{1, 0, 2}), data.NewNumeric("n", []float64{2, 3, 4}), x))
	f := MustParse("k | trials(n) ~ x")
	need, resp := f.PredictColumns()
	if !slices.Equal(need, []string{"n", "x"}) || !slices.Equal(resp, []string{"k"}) || f.Trials() != "n" || f.SE() != "" {
		t.Errorf("need %q, response %q, trials %q", need, resp, f.Trials())
	}
	d, err := fit.Recipe().Build(mk(data.NewNumeric("n", []float64{5, 6, 7}), x))
	if err != nil {
		t.Fatal(err)
	}
	checkVec(t, "Trials", d.Trials, []float64{5, 6, 7})
	checkVec(t, "Response", d.Response, nil)
	if _, err := fit.Recipe().Build(mk(data.NewNumeric("n", []float64{5, -1, 7}), x)); err == nil {
		t.Error("negative trials accepted")
	}

	cb := MustParse("cbind(s, f) ~ x")
	if need, resp := cb.PredictColumns(); !slices.Equal(need, []string{"s", "f", "x"}) || resp != nil || cb.Trials() != "s + f" {
		t.Errorf("cbind: need %q, response %q, trials %q", need, resp, cb.Trials())
	}
	se := MustParse("y | se(s) ~ x + (1 | g)")
	if need, resp := se.PredictColumns(); !slices.Equal(need, []string{"s", "x", "g"}) || !slices.Equal(resp, []string{"y"}) || se.SE() != "s" {
		t.Errorf("se: need %q, response %q", need, resp)
	}

	// Evaluation errors are *EvalError values pointing at the term.
	_, _, err = MustParse("y ~ log(x)").Build(mk(data.NewNumeric("y", []float64{1, 2, 3}), data.NewNumeric("x", []float64{1, 0, 2})))
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Pos != 4 || ee.Formula != "y ~ log(x)" {
		t.Errorf("log(0): %#v", err)
	}
}

// Recipes of the parts of a data set, merged in order, code every part as
// Build codes the whole: the same columns, levels and scale() statistics,
// also when a part lacks levels or has a constant scale() argument.
func TestMergeRecipes(t *testing.T) {
	g := []string{"b", "a", "b", "c", "a", "b", "d", "a", "c"}
	cyl := []float64{6, 4, 6, 6, 8, 4, 10, 8, 6}
	z := []float64{1, 1, 1, 2.5, 3, 0.5, 7, 2, 2}
	x := []float64{0.1, 0.7, -1, 2, 0.3, 0.9, 1.4, -0.2, 0.5}
	whole, err := data.New("t.csv", data.NewNumeric("x", x), data.NewString("g", g), data.NewNumeric("cyl", cyl), data.NewNumeric("z", z))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("x ~ g + factor(cyl) + scale(z)")
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := f.Build(whole)
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}} // the first part has z constant
	var rec *Recipe
	n := 0
	for _, p := range parts {
		d, _, err := f.BuildPart(whole.Subset(p))
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			rec, n = d.Recipe(), len(p)
			continue
		}
		if rec, err = MergeRecipes(rec, d.Recipe(), n, len(p)); err != nil {
			t.Fatal(err)
		}
		n += len(p)
	}
	got, err := rec.Build(whole)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Names, want.Names) {
		t.Fatalf("names %v, want %v", got.Names, want.Names)
	}
	if !reflect.DeepEqual(rec.Variables, want.Recipe().Variables) {
		t.Errorf("variables\n got %+v\nwant %+v", rec.Variables, want.Recipe().Variables)
	}
	sg, sw := rec.Scales[0], want.Recipe().Scales[0]
	if math.Abs(sg.Center-sw.Center) > 1e-14 || math.Abs(sg.SD-sw.SD) > 1e-14 {
		t.Errorf("scale %+v, want %+v", sg, sw)
	}
	for i := 0; i < whole.Rows; i++ {
		for j := range want.Names {
			if d := math.Abs(got.X.At(i, j) - want.X.At(i, j)); d > 1e-14 {
				t.Fatalf("X[%d,%d] = %g, want %g", i, j, got.X.At(i, j), want.X.At(i, j))
			}
		}
	}
	// Whole data constant under scale() stays an error.
	flat, _ := data.New("flat.csv", data.NewNumeric("x", x[:3]), data.NewNumeric("z", z[:3]))
	fz, _ := Parse("x ~ scale(z)")
	d, _, err := fz.BuildPart(flat)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recipe().Build(flat); err == nil {
		t.Error("a recipe with sd 0 coded the data")
	}
	// Kinds that differ between parts.
	num, _ := Parse("x ~ g")
	a, _, _ := num.BuildPart(whole.Subset([]int{0, 1}))
	other, _ := data.New("t.csv", data.NewNumeric("x", x[:2]), data.NewNumeric("g", cyl[:2]))
	b, _, _ := num.BuildPart(other)
	if _, err := MergeRecipes(a.Recipe(), b.Recipe(), 2, 2); err == nil {
		t.Error("merged a categorical and a numeric g")
	}
}
