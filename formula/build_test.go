package formula

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/govi-dev/govi/data"
)

// fixture returns a small hand-made frame:
//
//	row  y  x  z  g  h  n  s    e   cyl id  lab
//	1    1  1  2  b  u  2  0.5  1   4   3   b
//	2    2  2  0  a  v  3  1    2   6   1   a
//	3    3  3  1  c  u  4  1    4   8   2   B
//	4    4  4  3  a  v  5  2    8   4   3   10
//	5    5  5  1  b  u  6  2    16  6   1   9
//	6    6  6  2  c  v  7  0.5  32  8   10  a
func fixture(t *testing.T) *data.Frame {
	t.Helper()
	f, err := data.New("t.csv",
		data.NewNumeric("y", []float64{1, 2, 3, 4, 5, 6}),
		data.NewNumeric("x", []float64{1, 2, 3, 4, 5, 6}),
		data.NewNumeric("z", []float64{2, 0, 1, 3, 1, 2}),
		data.NewString("g", []string{"b", "a", "c", "a", "b", "c"}),
		data.NewString("h", []string{"u", "v", "u", "v", "u", "v"}),
		data.NewNumeric("n", []float64{2, 3, 4, 5, 6, 7}),
		data.NewNumeric("s", []float64{0.5, 1, 1, 2, 2, 0.5}),
		data.NewNumeric("e", []float64{1, 2, 4, 8, 16, 32}),
		data.NewNumeric("cyl", []float64{4, 6, 8, 4, 6, 8}),
		data.NewNumeric("id", []float64{3, 1, 2, 3, 1, 10}),
		data.NewString("lab", []string{"b", "a", "B", "10", "9", "a"}),
		data.NewNumeric("c0", []float64{2, 2, 2, 2, 2, 2}),
		data.NewNumeric("x2", []float64{1, 2, 3, 4, 5, 6}),
		data.NewNumeric("half", []float64{1, 1.5, 2, 1, 1, 2}),
		data.NewString("one", []string{"a", "a", "a", "a", "a", "a"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// mustBuild parses and builds, failing the test on error.
func mustBuild(t *testing.T, formula string, fr *data.Frame) (*Design, []string) {
	t.Helper()
	f, err := Parse(formula)
	if err != nil {
		t.Fatal(err)
	}
	d, warns, err := f.Build(fr)
	if err != nil {
		t.Fatalf("Build(%q): %v", formula, err)
	}
	return d, warns
}

// close reports whether a and b agree to 1e-12 (relative).
func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}

// checkVec compares a vector entry by entry.
func checkVec(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Errorf("%s = %v, want nil", what, got)
		}
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s has %d entries %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if !close(got[i], want[i]) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// checkX compares the column names and the design matrix entry by entry;
// rows are the expected rows of X.
func checkX(t *testing.T, d *Design, names []string, rows [][]float64) {
	t.Helper()
	if !slices.Equal(d.Names, names) {
		t.Fatalf("Names = %q, want %q", d.Names, names)
	}
	if len(names) == 0 {
		if d.X != nil {
			t.Fatalf("X is %v, want nil", d.X)
		}
		return
	}
	r, c := d.X.Dims()
	if r != len(rows) || c != len(names) {
		t.Fatalf("X is %d×%d, want %d×%d", r, c, len(rows), len(names))
	}
	for i, row := range rows {
		for j, want := range row {
			if got := d.X.At(i, j); !close(got, want) {
				t.Errorf("X[%d, %q] = %v, want %v", i, names[j], got, want)
			}
		}
	}
}

// checkWarnings compares warnings exactly.
func checkWarnings(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) || !slices.Equal(got, want) {
		t.Errorf("warnings\n got: %q\nwant: %q", got, want)
	}
}

func TestDesignMatrices(t *testing.T) {
	fr := fixture(t)
	for _, tc := range []struct {
		formula string
		names   []string
		rows    [][]float64
		warns   []string
	}{
		{"y ~ x", []string{"Intercept", "x"}, [][]float64{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}}, nil},
		{"y ~ 1", []string{"Intercept"}, [][]float64{{1}, {1}, {1}, {1}, {1}, {1}}, nil},
		// Treatment contrasts, levels sorted: a is the reference.
		{"y ~ g", []string{"Intercept", "g[b]", "g[c]"},
			[][]float64{{1, 1, 0}, {1, 0, 0}, {1, 0, 1}, {1, 0, 0}, {1, 1, 0}, {1, 0, 1}}, nil},
		// Without an intercept every level gets a column.
		{"y ~ 0 + g", []string{"g[a]", "g[b]", "g[c]"},
			[][]float64{{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, nil},
		{"y ~ g - 1", []string{"g[a]", "g[b]", "g[c]"},
			[][]float64{{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, nil},
		// ... but only the first categorical term.
		{"y ~ 0 + g + h", []string{"g[a]", "g[b]", "g[c]", "h[v]"},
			[][]float64{{0, 1, 0, 0}, {1, 0, 0, 1}, {0, 0, 1, 0}, {1, 0, 0, 1}, {0, 1, 0, 0}, {0, 0, 1, 1}}, nil},
		// Byte order: digits < upper case < lower case; "10" < "9".
		{"y ~ lab", []string{"Intercept", "lab[9]", "lab[B]", "lab[a]", "lab[b]"},
			[][]float64{{1, 0, 0, 0, 1}, {1, 0, 0, 1, 0}, {1, 0, 1, 0, 0}, {1, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 0, 0, 1, 0}}, nil},
		// Numeric × numeric.
		{"y ~ x*z", []string{"Intercept", "x", "z", "x:z"},
			[][]float64{{1, 1, 2, 2}, {1, 2, 0, 0}, {1, 3, 1, 3}, {1, 4, 3, 12}, {1, 5, 1, 5}, {1, 6, 2, 12}}, nil},
		{"y ~ x:z", []string{"Intercept", "x:z"},
			[][]float64{{1, 2}, {1, 0}, {1, 3}, {1, 12}, {1, 5}, {1, 12}}, nil},
		// Numeric × categorical.
		{"y ~ x*g", []string{"Intercept", "x", "g[b]", "g[c]", "x:g[b]", "x:g[c]"},
			[][]float64{{1, 1, 1, 0, 1, 0}, {1, 2, 0, 0, 0, 0}, {1, 3, 0, 1, 0, 3}, {1, 4, 0, 0, 0, 0}, {1, 5, 1, 0, 5, 0}, {1, 6, 0, 1, 0, 6}}, nil},
		{"y ~ g:x", []string{"Intercept", "g[a]:x", "g[b]:x", "g[c]:x"},
			[][]float64{{1, 0, 1, 0}, {1, 2, 0, 0}, {1, 0, 0, 3}, {1, 4, 0, 0}, {1, 0, 5, 0}, {1, 0, 0, 6}}, nil},
		{"y ~ x + x:g", []string{"Intercept", "x", "x:g[b]", "x:g[c]"},
			[][]float64{{1, 1, 1, 0}, {1, 2, 0, 0}, {1, 3, 0, 3}, {1, 4, 0, 0}, {1, 5, 5, 0}, {1, 6, 0, 6}}, nil},
		// Categorical × categorical, first factor varying fastest.
		{"y ~ g*h", []string{"Intercept", "g[b]", "g[c]", "h[v]", "g[b]:h[v]", "g[c]:h[v]"},
			[][]float64{{1, 1, 0, 0, 0, 0}, {1, 0, 0, 1, 0, 0}, {1, 0, 1, 0, 0, 0}, {1, 0, 0, 1, 0, 0}, {1, 1, 0, 0, 0, 0}, {1, 0, 1, 1, 0, 1}},
			[]string{`column "g[b]:h[v]" is constant: its coefficient is not identified by the data; use a proper prior`}},
		{"y ~ g + g:h", []string{"Intercept", "g[b]", "g[c]", "g[a]:h[v]", "g[b]:h[v]", "g[c]:h[v]"},
			[][]float64{{1, 1, 0, 0, 0, 0}, {1, 0, 0, 1, 0, 0}, {1, 0, 1, 0, 0, 0}, {1, 0, 0, 1, 0, 0}, {1, 1, 0, 0, 0, 0}, {1, 0, 1, 0, 0, 1}},
			[]string{`column "g[b]:h[v]" is constant: its coefficient is not identified by the data; use a proper prior`}},
		{"y ~ 0 + g:h", []string{"g[a]:h[u]", "g[b]:h[u]", "g[c]:h[u]", "g[a]:h[v]", "g[b]:h[v]", "g[c]:h[v]"},
			[][]float64{{0, 1, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0}, {0, 0, 1, 0, 0, 0}, {0, 0, 0, 1, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 1}},
			[]string{
				`column "g[a]:h[u]" is constant: its coefficient is not identified by the data; use a proper prior`,
				`column "g[b]:h[v]" is constant: its coefficient is not identified by the data; use a proper prior`,
			}},
		// Three-way with a numeric variable.
		{"y ~ x:g:h - 1", []string{"x:g[a]:h[u]", "x:g[b]:h[u]", "x:g[c]:h[u]", "x:g[a]:h[v]", "x:g[b]:h[v]", "x:g[c]:h[v]"},
			[][]float64{{0, 1, 0, 0, 0, 0}, {0, 0, 0, 2, 0, 0}, {0, 0, 3, 0, 0, 0}, {0, 0, 0, 4, 0, 0}, {0, 5, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 6}},
			[]string{
				`column "x:g[a]:h[u]" is constant: its coefficient is not identified by the data; use a proper prior`,
				`column "x:g[b]:h[v]" is constant: its coefficient is not identified by the data; use a proper prior`,
			}},
		// Functions and I().
		{"y ~ 0 + I(x^2) + I(x/100) + I(x - 3) + I(x*z) + log(x) + log(I(x+1)) + sqrt(x) + exp(z) + abs(I(z - 2)) + log1p(z)",
			[]string{"I(x^2)", "I(x/100)", "I(x - 3)", "I(x * z)", "log(x)", "log(I(x + 1))", "sqrt(x)", "exp(z)", "abs(I(z - 2))", "log1p(z)"},
			func() [][]float64 {
				x := []float64{1, 2, 3, 4, 5, 6}
				z := []float64{2, 0, 1, 3, 1, 2}
				var rows [][]float64
				for i := range x {
					rows = append(rows, []float64{x[i] * x[i], x[i] / 100, x[i] - 3, x[i] * z[i], math.Log(x[i]), math.Log(x[i] + 1),
						math.Sqrt(x[i]), math.Exp(z[i]), math.Abs(z[i] - 2), math.Log1p(z[i])})
				}
				return rows
			}(), nil},
		{"y ~ log2(e) + log10(e) + expm1(z) + I(-x^2) + I(2^-1*x)", []string{"Intercept", "log2(e)", "log10(e)", "expm1(z)", "I(-x^2)", "I(2^(-1) * x)"},
			[][]float64{
				{1, 0, 0, math.Expm1(2), -1, 0.5},
				{1, 1, math.Log10(2), 0, -4, 1},
				{1, 2, math.Log10(4), math.Expm1(1), -9, 1.5},
				{1, 3, math.Log10(8), math.Expm1(3), -16, 2},
				{1, 4, math.Log10(16), math.Expm1(1), -25, 2.5},
				{1, 5, math.Log10(32), math.Expm1(2), -36, 3},
			}, nil},
		// scale(): mean 3.5, sd sqrt(3.5) (denominator n-1).
		{"y ~ scale(x)", []string{"Intercept", "scale(x)"},
			func() [][]float64 {
				var rows [][]float64
				for _, x := range []float64{1, 2, 3, 4, 5, 6} {
					rows = append(rows, []float64{1, (x - 3.5) / math.Sqrt(3.5)})
				}
				return rows
			}(), nil},
		// factor() of a numeric column: levels sorted numerically.
		{"y ~ factor(cyl)", []string{"Intercept", "factor(cyl)[6]", "factor(cyl)[8]"},
			[][]float64{{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 0, 0}, {1, 1, 0}, {1, 0, 1}}, nil},
		{"y ~ factor(id) - 1", []string{"factor(id)[1]", "factor(id)[2]", "factor(id)[3]", "factor(id)[10]"},
			[][]float64{{0, 0, 1, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {1, 0, 0, 0}, {0, 0, 0, 1}}, nil},
		// Identification warnings.
		{"y ~ x + c0", []string{"Intercept", "x", "c0"},
			[][]float64{{1, 1, 2}, {1, 2, 2}, {1, 3, 2}, {1, 4, 2}, {1, 5, 2}, {1, 6, 2}},
			[]string{`column "c0" is constant: its coefficient is not identified by the data; use a proper prior`}},
		{"y ~ 0 + c0", []string{"c0"}, [][]float64{{2}, {2}, {2}, {2}, {2}, {2}}, nil},
		{"y ~ x + x2 + z", []string{"Intercept", "x", "x2", "z"},
			[][]float64{{1, 1, 1, 2}, {1, 2, 2, 0}, {1, 3, 3, 1}, {1, 4, 4, 3}, {1, 5, 5, 1}, {1, 6, 6, 2}},
			[]string{`columns "x" and "x2" are identical: their coefficients are not separately identified by the data; use a proper prior`}},
		{"y ~ x + one", []string{"Intercept", "x"}, [][]float64{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}},
			[]string{`one has a single level ("a")`}},
		// No population-level columns at all.
		{"y ~ 0 + (1 | g)", nil, nil, nil},
	} {
		t.Run(tc.formula, func(t *testing.T) {
			d, warns := mustBuild(t, tc.formula, fr)
			checkX(t, d, tc.names, tc.rows)
			checkWarnings(t, warns, tc.warns...)
			if want := len(tc.names) > 0 && tc.names[0] == "Intercept"; d.Intercept != want {
				t.Errorf("Intercept = %v, want %v", d.Intercept, want)
			}
			checkVec(t, "Response", d.Response, []float64{1, 2, 3, 4, 5, 6})
			if d.Trials != nil || d.SE != nil || d.Offset != nil {
				t.Errorf("Trials %v SE %v Offset %v, want nil", d.Trials, d.SE, d.Offset)
			}
			if d.ResponseName != "y" || d.Rows() != 6 {
				t.Errorf("ResponseName %q Rows %d", d.ResponseName, d.Rows())
			}
		})
	}
}

func TestResponses(t *testing.T) {
	fr := fixture(t)

	d, _ := mustBuild(t, "log(y) ~ x", fr)
	checkVec(t, "Response", d.Response, []float64{0, math.Log(2), math.Log(3), math.Log(4), math.Log(5), math.Log(6)})
	if d.ResponseName != "log(y)" {
		t.Errorf("ResponseName %q", d.ResponseName)
	}

	d, _ = mustBuild(t, "cbind(y, z) ~ x", fr)
	checkVec(t, "Response", d.Response, []float64{1, 2, 3, 4, 5, 6})
	checkVec(t, "Trials", d.Trials, []float64{3, 2, 4, 7, 6, 8})
	if d.ResponseName != "y" {
		t.Errorf("ResponseName %q", d.ResponseName)
	}

	d, _ = mustBuild(t, "y | trials(n) ~ x", fr)
	checkVec(t, "Response", d.Response, []float64{1, 2, 3, 4, 5, 6})
	checkVec(t, "Trials", d.Trials, []float64{2, 3, 4, 5, 6, 7})
	checkVec(t, "SE", d.SE, nil)

	d, _ = mustBuild(t, "y | trials(10) ~ x", fr)
	checkVec(t, "Trials", d.Trials, []float64{10, 10, 10, 10, 10, 10})

	d, _ = mustBuild(t, "y | se(s) ~ 1", fr)
	checkVec(t, "SE", d.SE, []float64{0.5, 1, 1, 2, 2, 0.5})
	checkVec(t, "Trials", d.Trials, nil)
	checkX(t, d, []string{"Intercept"}, [][]float64{{1}, {1}, {1}, {1}, {1}, {1}})

	d, _ = mustBuild(t, "y ~ x + offset(log(e)) + offset(z)", fr)
	checkVec(t, "Offset", d.Offset, []float64{2, math.Log(2), math.Log(4) + 1, math.Log(8) + 3, math.Log(16) + 1, math.Log(32) + 2})
	checkX(t, d, []string{"Intercept", "x"}, [][]float64{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}})

	// A two-level categorical response is coded 0/1 with a warning.
	d, warns := mustBuild(t, "h ~ x", fr)
	checkVec(t, "Response", d.Response, []float64{0, 1, 0, 1, 0, 1})
	checkWarnings(t, warns, `response "h" is categorical: coded 0 = "u", 1 = "v"`)
	if got := d.Recipe().ResponseLevels; !slices.Equal(got, []string{"u", "v"}) {
		t.Errorf("ResponseLevels %q", got)
	}
}

// checkGroup compares one GroupTerm.
func checkGroup(t *testing.T, got GroupTerm, group, coef string, levels []string, index []int, value []float64) {
	t.Helper()
	if got.Group != group || got.Coef != coef {
		t.Errorf("group term %s/%s, want %s/%s", got.Group, got.Coef, group, coef)
	}
	if !slices.Equal(got.Levels, levels) {
		t.Errorf("%s/%s: Levels %q, want %q", group, coef, got.Levels, levels)
	}
	if !slices.Equal(got.Index, index) {
		t.Errorf("%s/%s: Index %v, want %v", group, coef, got.Index, index)
	}
	checkVec(t, group+"/"+coef+" Value", got.Value, value)
}

func TestGroupTerms(t *testing.T) {
	fr := fixture(t)
	gIndex := []int{1, 0, 2, 0, 1, 2}
	abc := []string{"a", "b", "c"}

	d, _ := mustBuild(t, "y ~ x + (1 + x | g) + (0 + z | id) + (1 | h)", fr)
	checkX(t, d, []string{"Intercept", "x"}, [][]float64{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}})
	if len(d.Groups) != 4 {
		t.Fatalf("%d group terms, want 4: %+v", len(d.Groups), d.Groups)
	}
	checkGroup(t, d.Groups[0], "g", "Intercept", abc, gIndex, nil)
	checkGroup(t, d.Groups[1], "g", "x", abc, gIndex, []float64{1, 2, 3, 4, 5, 6})
	// An integer-coded grouping column: levels sorted numerically.
	checkGroup(t, d.Groups[2], "id", "z", []string{"1", "2", "3", "10"}, []int{2, 0, 1, 2, 0, 3}, []float64{2, 0, 1, 3, 1, 2})
	checkGroup(t, d.Groups[3], "h", "Intercept", []string{"u", "v"}, []int{0, 1, 0, 1, 0, 1}, nil)

	// (x | g) means (1 + x | g).
	d, _ = mustBuild(t, "y ~ (x | g)", fr)
	if len(d.Groups) != 2 || d.Groups[0].Coef != "Intercept" || d.Groups[1].Coef != "x" {
		t.Errorf("(x | g): %+v", d.Groups)
	}

	// Categorical and transformed varying coefficients.
	d, _ = mustBuild(t, "y ~ (1 | g) + (0 + h + log(x) | g)", fr)
	if len(d.Groups) != 4 {
		t.Fatalf("%d group terms, want 4", len(d.Groups))
	}
	checkGroup(t, d.Groups[0], "g", "Intercept", abc, gIndex, nil)
	checkGroup(t, d.Groups[1], "g", "h[u]", abc, gIndex, []float64{1, 0, 1, 0, 1, 0})
	checkGroup(t, d.Groups[2], "g", "h[v]", abc, gIndex, []float64{0, 1, 0, 1, 0, 1})
	checkGroup(t, d.Groups[3], "g", "log(x)", abc, gIndex, []float64{0, math.Log(2), math.Log(3), math.Log(4), math.Log(5), math.Log(6)})

	d, _ = mustBuild(t, "y ~ (h | g)", fr)
	checkGroup(t, d.Groups[1], "g", "h[v]", abc, gIndex, []float64{0, 1, 0, 1, 0, 1})

	// (1 + x | g) is one correlated block, as brms reads it; (1 + x || g)
	// and single-coefficient terms are none.
	for _, c := range []struct {
		formula string
		want    [][]int
	}{
		{"y ~ x + (1 + x | g) + (0 + z | id) + (1 | h)", [][]int{{0, 1}}},
		{"y ~ (1 + x || g)", nil},
		{"y ~ (1 | g) + (0 + x | g)", nil},
		{"y ~ (1 + x + z | g) + (1 + x | h)", [][]int{{0, 1, 2}, {3, 4}}},
	} {
		d, _ := mustBuild(t, c.formula, fr)
		if !reflect.DeepEqual(d.Correlated, c.want) {
			t.Errorf("%s: correlated blocks %v, want %v", c.formula, d.Correlated, c.want)
		}
	}
}

// buildErr builds and returns the error message.
func buildErr(t *testing.T, formula string, fr *data.Frame) string {
	t.Helper()
	f, err := Parse(formula)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Build(fr)
	if err == nil {
		t.Fatalf("Build(%q): no error", formula)
	}
	return err.Error()
}

func TestBuildErrors(t *testing.T) {
	fr := fixture(t)
	for _, tc := range []struct{ formula, want string }{
		{"y ~ xx", `formula: t.csv: no column "xx"; did you mean "x"?
  y ~ xx
      ^`},
		{"y ~ G", `formula: t.csv: no column "G"; did you mean "g"?
  y ~ G
      ^`},
		{"weight ~ x", `formula: t.csv: no column "weight" (columns: y, x, z, g, h, n, s, e, cyl, id, ... (15 in all))
  weight ~ x
  ^`},
		{"y ~ x + (1 | hh)", `formula: t.csv: no column "hh"; did you mean "h"?
  y ~ x + (1 | hh)
               ^`},
		{"y ~ log(g)", `formula: column "g" is categorical (text values, e.g. "b"): it cannot be used in arithmetic
  y ~ log(g)
          ^`},
		{"log(h) ~ x", `formula: column "h" is categorical (text values, e.g. "u"): it cannot be used in arithmetic
  log(h) ~ x
      ^`},
		{"y ~ log(z)", `formula: log(z) is -Inf in row 2 of t.csv
  y ~ log(z)
      ^`},
		{"y ~ x + sqrt(I(z - 1))", `formula: sqrt(I(z - 1)) is NaN in row 2 of t.csv
  y ~ x + sqrt(I(z - 1))
          ^`},
		{"y ~ I(x/z)", `formula: I(x/z) is +Inf in row 2 of t.csv
  y ~ I(x/z)
      ^`},
		{"y ~ scale(c0)", `formula: scale(c0): c0 is constant, so it cannot be scaled
  y ~ scale(c0)
      ^`},
		{"g ~ x", `formula: categorical response "g" must have exactly 2 levels to be coded 0/1; it has 3 ("a", "b", "c")
  g ~ x
  ^`},
		{"one ~ x", `formula: categorical response "one" must have exactly 2 levels to be coded 0/1; it has 1 ("a")
  one ~ x
  ^`},
		{"y ~ (1 | half)", `formula: grouping column "half" must be categorical or hold integer codes; it has 1.5 in row 2 of t.csv
  y ~ (1 | half)
           ^`},
		{"y | trials(z) ~ x", `formula: binomial response y = 2 with trials(z) = 0 in row 2 of t.csv: need 0 <= successes <= trials
  y | trials(z) ~ x
  ^`},
		{"y | se(z) ~ x", `formula: se(z) must be positive; it is 0 in row 2 of t.csv
  y | se(z) ~ x
         ^`},
		{"cbind(y, I(z - 1)) ~ x", `formula: cbind(successes, failures) needs non-negative counts; got 2 and -1 in row 2 of t.csv
  cbind(y, I(z - 1)) ~ x
        ^`},
	} {
		t.Run(tc.formula, func(t *testing.T) {
			got := buildErr(t, tc.formula, fr)
			if got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}

	// Missing values are reported by data.Frame.CheckMissing, for the
	// columns the formula uses only.
	withNA, err := data.New("na.csv",
		data.NewNumeric("y", []float64{1, 2, 3}),
		data.NewNumeric("x", []float64{1, math.NaN(), 3}),
		data.NewNumeric("unused", []float64{math.NaN(), math.NaN(), math.NaN()}),
		data.NewString("g", []string{"a", "b", ""}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := buildErr(t, "y ~ x + (1 | g)", withNA),
		`data: na.csv: 2 missing values (row 2 column "x", row 3 column "g"); use --drop-missing to drop those rows`; got != want {
		t.Errorf("error\n got: %s\nwant: %s", got, want)
	}
	clean, n := withNA.DropMissing(MustParse("y ~ x + (1 | g)").Columns())
	if n != 2 {
		t.Fatalf("dropped %d rows", n)
	}
	d, _ := mustBuild(t, "y ~ x + (1 | g)", clean)
	checkX(t, d, []string{"Intercept", "x"}, [][]float64{{1, 1}})
}
