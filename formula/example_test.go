package formula_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
)

func ExampleParse() {
	f, err := formula.Parse("y~x1*x2 + log(dose) - 1 + (1 + x1|school)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	fmt.Println(f.Terms(), f.Intercept(), f.GroupTerms())
	fmt.Println(f.Columns())
	// Output:
	// y ~ x1 * x2 + log(dose) - 1 + (1 + x1 | school)
	// [x1 x2 log(dose) x1:x2] false [(1 + x1 | school)]
	// [y x1 x2 dose school]
}

func ExampleSyntaxError() {
	_, err := formula.Parse("y ~ x1 + x2)")
	fmt.Println(err)
	// Output:
	// formula: unexpected ")" at column 12
	//   y ~ x1 + x2)
	//              ^
}

func ExampleFormula_Build() {
	csv := `switch,arsenic,dist,assoc
1,2.36,16.83,no
1,0.71,47.32,yes
0,2.07,20.97,no
1,1.15,21.49,yes
`
	fr, err := data.ReadCSV(strings.NewReader(csv), "wells.csv", data.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := formula.MustParse("switch ~ I(dist/100) + log(arsenic) * assoc")
	if err := fr.CheckMissing(f.Columns()); err != nil {
		fmt.Println(err)
		return
	}
	d, warnings, err := f.Build(fr)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Names, warnings)
	for i := range d.Rows() {
		fmt.Printf("%v | %.3f\n", d.Response[i], d.X.RawRowView(i))
	}

	_, _, err = formula.MustParse("switch ~ dsit").Build(fr)
	fmt.Println(err)
	// Output:
	// [Intercept I(dist/100) log(arsenic) assoc[yes] log(arsenic):assoc[yes]] []
	// 1 | [1.000 0.168 0.859 0.000 0.000]
	// 1 | [1.000 0.473 -0.342 1.000 -0.342]
	// 0 | [1.000 0.210 0.728 0.000 0.000]
	// 1 | [1.000 0.215 0.140 1.000 0.140]
	// formula: wells.csv: no column "dsit"; did you mean "dist"?
	//   switch ~ dsit
	//            ^
}

func ExampleRecipe_Build() {
	fit, _ := data.New("fit.csv",
		data.NewNumeric("y", []float64{1.2, 0.4, 2.2, 1.9}),
		data.NewNumeric("x", []float64{1, 2, 3, 4}),
		data.NewString("g", []string{"a", "b", "c", "a"}),
	)
	d, _, err := formula.MustParse("y ~ scale(x) + g + (1 | g)").Build(fit)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Save the recipe with the fit ...
	saved, _ := json.Marshal(d.Recipe())
	fmt.Println(string(saved))

	// ... and code new rows identically.
	var r formula.Recipe
	if err := json.Unmarshal(saved, &r); err != nil {
		fmt.Println(err)
		return
	}
	newRows, _ := data.New("new.csv",
		data.NewNumeric("x", []float64{2.5, 5}),
		data.NewString("g", []string{"c", "b"}),
	)
	p, err := r.Build(newRows)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Names)
	for i := range p.Rows() {
		fmt.Printf("%.3f group level %d\n", p.X.RawRowView(i), p.Groups[0].Index[i])
	}
	newRows.Columns[1].Str[0] = "d"
	_, err = r.Build(newRows)
	fmt.Println(err)
	// Output:
	// {"formula":"y ~ scale(x) + g + (1 | g)","names":["Intercept","scale(x)","g[b]","g[c]"],"variables":[{"expr":"scale(x)"},{"expr":"g","categorical":true,"levels":["a","b","c"]}],"scales":[{"expr":"scale(x)","center":2.5,"sd":1.2909944487358056}],"groups":[{"group":"g","levels":["a","b","c"]}]}
	// [Intercept scale(x) g[b] g[c]]
	// [1.000 0.000 0.000 1.000] group level 2
	// [1.000 1.936 1.000 0.000] group level 1
	// formula: g has level "d" in row 1 of new.csv, which was not in the data the model was fitted to (levels: "a", "b", "c")
	//   y ~ scale(x) + g + (1 | g)
	//                  ^
}
