package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkSVG checks that path is a non-empty XML document with an <svg> root
// and returns its content.
func checkSVG(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Fatalf("%s is empty", path)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not valid XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
	return string(b)
}

// checkPNG checks that path decodes as a PNG image.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("%s is only %v", path, b)
	}
}

func TestPlotELBO(t *testing.T) {
	dir := t.TempDir()
	trace := make([]float64, 200)
	for i := range trace {
		trace[i] = -1000 - 1e6*math.Exp(-float64(i)) // huge early values
	}
	trace[5] = math.NaN()
	svg := filepath.Join(dir, "elbo.svg")
	if err := PlotELBO(svg, trace); err != nil {
		t.Fatal(err)
	}
	if out := checkSVG(t, svg); !strings.Contains(out, "last 90%") {
		t.Error("clipped ELBO plot does not say so in its title")
	}
	pngPath := filepath.Join(dir, "elbo.PNG")
	if err := PlotELBO(pngPath, trace[:1]); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, pngPath)
	pdf := filepath.Join(dir, "elbo.pdf")
	if err := PlotELBO(pdf, trace); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("elbo.pdf is not a PDF (err %v)", err)
	}
	empty := filepath.Join(dir, "empty.svg")
	if err := PlotELBO(empty, nil); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, empty)
	if err := PlotELBO(filepath.Join(dir, "elbo.gif"), trace); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("unsupported format: err = %v", err)
	}
	checkDir(t, dir, "elbo.PNG", "elbo.pdf", "elbo.svg", "empty.svg")
}

func TestELBOYRange(t *testing.T) {
	tests := []struct {
		name    string
		trace   []float64
		lo, hi  float64
		clipped bool
	}{
		// last 90% of 10 points is points 2..10 (index 1..9): range [−110, −100].
		{"early outlier", []float64{-1e6, -110, -105, -104, -103, -102, -101, -100.5, -100.2, -100}, -110.5, -99.5, true},
		// tail −90 … −10, padded by 5% of 80.
		{"monotone", []float64{-100, -90, -80, -70, -60, -50, -40, -30, -20, -10}, -94, -6, true},
		{"flat", []float64{-5, -5, -5}, -6, -4, false},
		{"single", []float64{200}, 198, 202, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, clipped := elboYRange(tt.trace)
			if !closeTo(lo, tt.lo) || !closeTo(hi, tt.hi) || clipped != tt.clipped {
				t.Errorf("elboYRange = %v, %v, %v; want %v, %v, %v", lo, hi, clipped, tt.lo, tt.hi, tt.clipped)
			}
		})
	}
}

// marginalFit returns a fit with k parameters and S standard normal draws
// shifted by the parameter index.
func marginalFit(k, S int) *Fit {
	rng := rand.New(rand.NewPCG(1, 2))
	f := &Fit{Names: make([]string, k), Draws: make([][]float64, S)}
	for j := range f.Names {
		f.Names[j] = fmt.Sprintf("b[%d]", j+1)
	}
	for s := range f.Draws {
		f.Draws[s] = make([]float64, k)
		for j := range f.Draws[s] {
			f.Draws[s][j] = float64(j) + rng.NormFloat64()
		}
	}
	f.Params = Summarize(f.Names, f.Draws)
	return f
}

func TestPlotMarginals(t *testing.T) {
	dir := t.TempDir()
	f := marginalFit(3, 200)
	f.Draws[0][1] = math.Inf(1) // ignored
	svg := filepath.Join(dir, "marginals.svg")
	if err := PlotMarginals(svg, f); err != nil {
		t.Fatal(err)
	}
	out := checkSVG(t, svg)
	if strings.Contains(out, "showing the first") {
		t.Error("note printed for 3 parameters")
	}
	pngPath := filepath.Join(dir, "marginals.png")
	if err := PlotMarginals(pngPath, f); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, pngPath)
}

func TestPlotMarginalsCap(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "many.svg")
	if err := PlotMarginals(svg, marginalFit(40, 50)); err != nil {
		t.Fatal(err)
	}
	out := checkSVG(t, svg)
	if !strings.Contains(out, "showing the first 36 of 40 parameters") {
		t.Error("capped plot lacks its note")
	}
}

func TestPlotMarginalsEdgeCases(t *testing.T) {
	dir := t.TempDir()
	f := &Fit{Names: []string{"c", "nan"}, Draws: [][]float64{{2, math.NaN()}, {2, math.NaN()}, {2, math.NaN()}}}
	path := filepath.Join(dir, "edge.svg")
	if err := PlotMarginals(path, f); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, path)
	for name, bad := range map[string]*Fit{
		"nil":           nil,
		"no parameters": {},
		"ragged":        {Names: []string{"a", "b"}, Draws: [][]float64{{1}}},
	} {
		if err := PlotMarginals(filepath.Join(dir, "bad.svg"), bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	checkDir(t, dir, "edge.svg")
}

func TestSilvermanBandwidth(t *testing.T) {
	tests := []struct {
		x    []float64
		want float64
	}{
		// sd √2.5 ≈ 1.581, IQR 2 → 2/1.34 ≈ 1.493; 0.9·1.493·5^−0.2
		{[]float64{1, 2, 3, 4, 5}, 0.9735846228506357},
		// sd √27 ≈ 5.196, IQR 7.75 − 1.75 = 6 → 4.478; 0.9·4.478·4^−0.2
		{[]float64{10, -2, 7, 3}, 3.0540557683418466},
		// sd = IQR = 0: falls back to |x[0]| = 3
		{[]float64{3, 3, 3, 3, 3}, 0.9 * 3 * math.Pow(5, -0.2)},
		{[]float64{0, 0}, 0.9 * math.Pow(2, -0.2)},
		{[]float64{1}, math.NaN()},
	}
	for _, tt := range tests {
		if got := SilvermanBandwidth(tt.x); !closeTo(got, tt.want) {
			t.Errorf("SilvermanBandwidth(%v) = %.17g, want %.17g", tt.x, got, tt.want)
		}
	}
}

func TestKDE(t *testing.T) {
	got := KDE([]float64{0}, 1, []float64{0, 100})
	if !closeTo(got[0], 0.3989422804014327) || got[1] != 0 {
		t.Errorf("KDE of a point at 0 = %v", got)
	}
	// Two points at 0 and 1, h = 0.5, at 0.5: (φ(1)+φ(−1)) / (2·0.5)
	if got := KDE([]float64{0, 1}, 0.5, []float64{0.5}); !closeTo(got[0], 0.48394144903828673) {
		t.Errorf("KDE = %.17g", got[0])
	}
	// The density integrates to about 1.
	x := marginalFit(1, 300).Draws
	col := make([]float64, len(x))
	for i := range x {
		col[i] = x[i][0]
	}
	h := SilvermanBandwidth(col)
	grid := make([]float64, 2001)
	for i := range grid {
		grid[i] = -10 + 20*float64(i)/2000
	}
	var sum float64
	for _, d := range KDE(col, h, grid) {
		sum += d * 0.01
	}
	if math.Abs(sum-1) > 1e-3 {
		t.Errorf("density integrates to %v", sum)
	}
	if got := KDE([]float64{1}, 0, []float64{1}); !math.IsNaN(got[0]) {
		t.Errorf("KDE with h = 0 = %v, want NaN", got[0])
	}
}
