package optim

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// effectiveDefaults returns, for each type, the value that the code uses
// for each field left at zero: the Settings fields for the methods, and
// the type's own fields.
func effectiveDefaults() map[string]map[string]any {
	st := stochasticConfig(Settings{})
	stoch := func(own map[string]any) map[string]any {
		maps.Copy(own, map[string]any{"MaxIter": st.maxIter, "TolRelObj": st.tolRelObj, "Window": st.window, "Span": st.span, "Anneal": st.anneal})
		return own
	}
	ga := (&GradientAscent{}).stepper(1)
	adam := (&Adam{}).stepper(1)
	lb := (&LBFGS{}).config(Settings{}, 1)
	ng := naturalGradientConfig(Settings{})
	tau, kappa := Decay{}.params()
	sv := (&StochasticNatural{}).config(Settings{})
	return map[string]map[string]any{
		"StochasticNatural": {"MaxIter": sv.maxIter, "TolRelObj": sv.tolRelObj, "Window": sv.window, "Span": sv.span,
			"Rate": sv.rate, "Schedule": sv.sch, "ParamTol": sv.paramTol},
		"GradientAscent":  stoch(map[string]any{"Rate": ga.rate, "Schedule": ga.sch}),
		"Adam":            stoch(map[string]any{"Rate": adam.rate, "Beta1": adam.b1, "Beta2": adam.b2, "Eps": adam.eps, "Schedule": adam.sch}),
		"LBFGS":           {"MaxIter": lb.maxIter, "GradTol": lb.gradTol, "FuncTol": lb.funcTol, "Store": lb.store},
		"NaturalGradient": {"MaxIter": ng.maxIter, "FuncTol": ng.funcTol},
		"Decay":           {"Tau": tau, "Kappa": kappa},
	}
}

// The defaults the code applies are the documented ones.
func TestDefaults(t *testing.T) {
	stoch := map[string]any{"MaxIter": 10000, "TolRelObj": 1e-4, "Window": 50, "Span": 4, "Anneal": 4}
	with := func(m map[string]any) map[string]any { maps.Copy(m, stoch); return m }
	want := map[string]map[string]any{
		"GradientAscent":  with(map[string]any{"Rate": 1e-3, "Schedule": Decay{}}),
		"Adam":            with(map[string]any{"Rate": 0.05, "Beta1": 0.9, "Beta2": 0.999, "Eps": 1e-8, "Schedule": Constant{}}),
		"LBFGS":           {"MaxIter": 2000, "GradTol": 1e-7, "FuncTol": 1e-15, "Store": 100},
		"NaturalGradient": {"MaxIter": 500, "FuncTol": 1e-12},
		"Decay":           {"Tau": 100.0, "Kappa": 0.6},
		"StochasticNatural": {"MaxIter": 20000, "TolRelObj": 1e-4, "Window": 50, "Span": 2,
			"Rate": 1.0, "Schedule": Decay{Tau: 4, Kappa: 0.6}, "ParamTol": 1e-4},
	}
	if got := effectiveDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("effective defaults\n%v\nwant\n%v", got, want)
	}
	if c := stochasticConfig(Settings{}); !c.stationarity || !c.average {
		t.Error("the zero Settings does not test stationarity or average the result")
	}
	if c := stochasticConfig(Settings{Anneal: -1, Stationarity: -1, NoAverage: true}); c.anneal != 0 || c.stationarity || c.average {
		t.Errorf("negative Anneal and Stationarity, NoAverage: %+v", c)
	}
	// Negative values select the defaults too; positive ones are kept.
	if c := (&LBFGS{}).config(Settings{MaxIter: -1, GradTol: -1, FuncTol: -1}, 1); c != (&LBFGS{}).config(Settings{}, 1) {
		t.Errorf("negative settings: %+v", c)
	}
	if c := (&LBFGS{Store: 7}).config(Settings{MaxIter: 3, GradTol: 2, FuncTol: 1}, 1); c != (lbfgsConfig{maxIter: 3, gradTol: 2, funcTol: 1, store: 7}) {
		t.Errorf("explicit settings: %+v", c)
	}
	// Store: 100 pairs up to 40000 parameters, then 4·10⁶/n, at least 5.
	for n, want := range map[int]int{1: 100, 40000: 100, 40001: 99, 400000: 10, 800000: 5, 10000000: 5} {
		if got := (&LBFGS{}).config(Settings{}, n).store; got != want {
			t.Errorf("Store for %d parameters: %d, want %d", n, got, want)
		}
	}
}

// defaultRE matches the documentation of a default, gonum's way.
var defaultRE = regexp.MustCompile(`If\s+(\w+)\s+is\s+(?:0|nil),\s+it\s+will\s+be\s+defaulted\s+to\s+(\S*[^\s.,;])`)

// typeDocs returns the documentation of each exported type of the package
// (its own and its fields'), from the source.
func typeDocs(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				text := gd.Doc.Text() + ts.Doc.Text()
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, field := range st.Fields.List {
						text += field.Doc.Text() + field.Comment.Text()
					}
				}
				docs[ts.Name.Name] = text
			}
		}
	}
	return docs
}

// Every default is documented on its method, as "If F is 0, it will be
// defaulted to V", with the value the code uses; no other default is
// documented; and the Settings documentation leaves the defaults to the
// methods.
func TestDocumentedDefaults(t *testing.T) {
	docs := typeDocs(t)
	effective := effectiveDefaults()
	for _, typ := range slices.Sorted(maps.Keys(docs)) {
		documented := map[string]string{}
		for _, m := range defaultRE.FindAllStringSubmatch(docs[typ], -1) {
			documented[m[1]] = m[2]
		}
		want := effective[typ]
		for _, field := range slices.Sorted(maps.Keys(documented)) {
			doc := documented[field]
			v, ok := want[field]
			if !ok {
				t.Errorf("%s documents a default %s for %s, which the code does not have", typ, doc, field)
				continue
			}
			var code string
			switch v := v.(type) {
			case int:
				code = strconv.Itoa(v)
			case float64:
				if d, err := strconv.ParseFloat(doc, 64); err == nil && d == v {
					continue
				}
				code = strconv.FormatFloat(v, 'g', -1, 64)
			case Schedule:
				code = strings.TrimPrefix(fmt.Sprintf("%T", v), "optim.") + "{}"
				if d, ok := v.(Decay); ok && d != (Decay{}) {
					code = fmt.Sprintf("Decay{Tau:%g,Kappa:%g}", d.Tau, d.Kappa)
				} else if !reflect.ValueOf(v).IsZero() {
					t.Errorf("%s: the default %s is not a zero value", typ, field)
				}
			}
			if doc != code {
				t.Errorf("%s documents %s = %s by default, the code uses %s", typ, field, doc, code)
			}
		}
		for _, field := range slices.Sorted(maps.Keys(want)) {
			if _, ok := documented[field]; !ok {
				t.Errorf("%s does not document the default of %s (%v)", typ, field, want[field])
			}
		}
	}
	for typ := range effective {
		if _, ok := docs[typ]; !ok {
			t.Errorf("no documentation found for %s", typ)
		}
	}
	if s := strings.ToLower(docs["Settings"]); strings.Contains(s, "defaulted") || strings.Contains(s, "zero means") {
		t.Errorf("the Settings documentation states defaults; they belong to the methods:\n%s", docs["Settings"])
	}
}

// A run with MaxIter left at zero that cannot converge stops after exactly
// the documented number of iterations, and one with MaxIter set after
// exactly that many; the limit is reported to the callback.
func TestIterationLimits(t *testing.T) {
	ill, illX0 := illConditioned(200)
	for _, tc := range []struct {
		name   string
		method Method
		obj    Objective
		x0     []float64
		want   int // the documented default
	}{
		// The stochastic methods climb f(x) = x steadily (by 1e-3 and 0.05
		// per iteration), with a gradient that is never zero: neither the
		// relative-change nor the stationarity test passes.
		{"GradientAscent", &GradientAscent{}, linear(1), []float64{0}, 10000},
		{"Adam", &Adam{}, linear(1), []float64{0}, 10000},
		{"LBFGS", &LBFGS{}, ill, illX0, 2000},
		// Every step improves f by 1: no full step is ever negligible.
		{"NaturalGradient", &NaturalGradient{}, newLinearCurved(1), []float64{0}, 500},
	} {
		for _, maxIter := range []int{0, 7} {
			want := tc.want
			if maxIter > 0 {
				want = maxIter
			}
			t.Run(fmt.Sprintf("%s/MaxIter=%d", tc.name, maxIter), func(t *testing.T) {
				calls := 0
				s := Settings{MaxIter: maxIter, Callback: func(p Progress) error {
					calls++
					if p.Max != want || p.Iter != calls {
						t.Fatalf("callback %d: Iter %d, Max %d; want %d and %d", calls, p.Iter, p.Max, calls, want)
					}
					return nil
				}}
				r := tc.method.Maximize(context.Background(), tc.obj, tc.x0, s)
				if r.Status != IterationLimit || r.Iterations != want || len(r.Trace) != want || calls != want {
					t.Errorf("status %v after %d iterations (%d traced, %d callbacks), want the iteration limit after %d: %s", r.Status, r.Iterations, len(r.Trace), calls, want, r.Message)
				}
				if !strings.Contains(r.Message, fmt.Sprintf("(%d)", want)) {
					t.Errorf("message %q does not state the limit %d", r.Message, want)
				}
			})
		}
	}
}
