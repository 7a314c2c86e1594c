package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// MaxMarginalPanels is the largest number of parameters PlotMarginals
// draws; later parameters are left out and a note says so.
const MaxMarginalPanels = 36

// pngDPI is the resolution of PNG output.
const pngDPI = 150

// kdeGrid is the number of points at which each density is evaluated.
const kdeGrid = 128

// ELBOTailFraction is the share of the trace, counted from the end, whose
// range sets the y-axis of PlotELBO.
const ELBOTailFraction = 0.9

// plotFormat returns the output format for path's extension.
func plotFormat(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch ext {
	case "svg", "png", "pdf":
		return ext, nil
	}
	return "", fmt.Errorf("report: unsupported plot format %q for %s (use .svg, .png or .pdf)", ext, path)
}

// newCanvas returns a canvas of the given size that writes format.
func newCanvas(format string, w, h vg.Length) vg.CanvasWriterTo {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))}
	case "pdf":
		return vgpdf.New(w, h)
	}
	return vgsvg.New(w, h)
}

// saveCanvas draws with fn on a new canvas and writes it atomically to path.
func saveCanvas(path, format string, w, h vg.Length, fn func(dc draw.Canvas)) error {
	c := newCanvas(format, w, h)
	fn(draw.New(c))
	return WriteFileAtomic(path, func(out io.Writer) error {
		_, err := c.WriteTo(out)
		return err
	})
}

// PlotELBO writes a line plot of the ELBO trace (iteration 1, 2, … on x) to
// path, as SVG, PNG or PDF according to its extension.
//
// The first iterations of a fit often sit far below the rest and would
// flatten the part of the trace that matters. The y-axis therefore spans the
// range of the last 90% of the iterations (ELBOTailFraction), padded by 5%;
// earlier points outside it run off the plot, and the title then says
// "(y-axis: last 90% of iterations)". Non-finite values are left out. An
// empty trace gives an empty plot titled "ELBO (no iterations)".
func PlotELBO(path string, trace []float64) error { return plotTrace(path, trace, "iteration") }

// PlotEpochELBO is PlotELBO for a trace of one ELBO per epoch (a network's
// training, govi fit --bnn).
func PlotEpochELBO(path string, trace []float64) error { return plotTrace(path, trace, "epoch") }

// plotTrace is PlotELBO with unit naming the x-axis.
func plotTrace(path string, trace []float64, unit string) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = "ELBO"
	p.X.Label.Text = unit
	p.Y.Label.Text = "ELBO"

	var xys plotter.XYs
	for i, v := range trace {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			xys = append(xys, plotter.XY{X: float64(i + 1), Y: v})
		}
	}
	if len(xys) == 0 {
		p.Title.Text = "ELBO (no " + unit + "s)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	} else {
		line, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		p.Add(line, plotter.NewGrid())

		lo, hi, clipped := elboYRange(trace)
		p.Y.Min, p.Y.Max = lo, hi
		p.X.Min, p.X.Max = 1, float64(max(len(trace), 2))
		if clipped {
			p.Title.Text = "ELBO (y-axis: last 90% of " + unit + "s)"
		}
	}
	return saveCanvas(path, format, 6*vg.Inch, 4*vg.Inch, p.Draw)
}

// elboYRange returns the y-range for PlotELBO: the finite range of the last
// ELBOTailFraction of the trace, padded by 5% on each side (or by 1, or 1%
// of the magnitude, when the range is a single value), and whether any
// finite point of the trace falls outside it.
func elboYRange(trace []float64) (lo, hi float64, clipped bool) {
	start := int(math.Floor(float64(len(trace)) * (1 - ELBOTailFraction)))
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range trace[start:] {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi { // the tail has no finite value: use the whole trace
		for _, v := range trace {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	span := hi - lo
	pad := 0.05 * span
	if span == 0 {
		pad = math.Max(1e-2*math.Abs(lo), 1)
	}
	for _, v := range trace {
		if !math.IsNaN(v) && !math.IsInf(v, 0) && (v < lo || v > hi) {
			clipped = true
			break
		}
	}
	return lo - pad, hi + pad, clipped
}

// PlotMarginals writes a grid of small panels, one per parameter (at most
// MaxMarginalPanels = 36), to path as SVG, PNG or PDF according to its
// extension. Each panel, titled with the parameter name, shows a Gaussian
// kernel density estimate of the parameter's draws with Silverman's
// rule-of-thumb bandwidth (SilvermanBandwidth), evaluated on 128 points
// spanning the draws ±3 bandwidths; the 90% interval from q5 to q95 is
// shaded and the median marked by a vertical line. The interval comes from
// f.Params when its names match f.Names, and from the draws otherwise.
// Non-finite draws are ignored. When parameters are left out, a note at the
// top says "showing the first 36 of N parameters".
func PlotMarginals(path string, f *Fit) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	if f == nil {
		return fmt.Errorf("report: PlotMarginals: nil fit")
	}
	names := f.Names
	for s, row := range f.Draws {
		if len(row) != len(names) {
			return fmt.Errorf("report: PlotMarginals: draw %d has %d values, want %d", s+1, len(row), len(names))
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("report: PlotMarginals: the fit has no parameters")
	}
	n := min(len(names), MaxMarginalPanels)
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols

	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	x := make([]float64, 0, len(f.Draws))
	for j := range n {
		x = x[:0]
		for _, row := range f.Draws {
			if v := row[j]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				x = append(x, v)
			}
		}
		var q Param
		if j < len(f.Params) && f.Params[j].Name == names[j] {
			q = f.Params[j]
		} else {
			q = summarizeColumn(names[j], x)
		}
		p, err := marginalPanel(names[j], x, q)
		if err != nil {
			return err
		}
		plots[j/cols][j%cols] = p
	}

	note := ""
	if len(names) > n {
		note = fmt.Sprintf("showing the first %d of %d parameters", n, len(names))
	}
	panelW, panelH := 2.4*vg.Inch, 1.9*vg.Inch
	noteH := vg.Length(0)
	if note != "" {
		noteH = 0.35 * vg.Inch
	}
	width, height := vg.Length(cols)*panelW, vg.Length(rows)*panelH+noteH
	return saveCanvas(path, format, width, height, func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		if note != "" {
			sty := plot.New().Title.TextStyle
			sty.XAlign, sty.YAlign = text.XCenter, text.YTop
			sty.Font.Size = vg.Points(10)
			dc.FillText(sty, vg.Point{X: width / 2, Y: height - 0.1*vg.Inch}, note)
			dc = draw.Crop(dc, 0, 0, 0, -noteH)
		}
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
			PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
		canvases := plot.Align(plots, tiles, dc)
		for r := range plots {
			for c, p := range plots[r] {
				if p != nil {
					p.Draw(canvases[r][c])
				}
			}
		}
	})
}

// marginalPanel builds one panel of PlotMarginals from the finite draws x.
func marginalPanel(name string, x []float64, q Param) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = name
	p.Title.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Label.Font.Size = vg.Points(7)
	p.HideY()
	p.BackgroundColor = color.Transparent
	if len(x) == 0 {
		p.Title.Text = name + " (no finite draws)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return p, nil
	}
	h := SilvermanBandwidth(x)
	lo, hi := slices.Min(x)-3*h, slices.Max(x)+3*h
	grid := make([]float64, kdeGrid)
	for i := range grid {
		grid[i] = lo + (hi-lo)*float64(i)/float64(kdeGrid-1)
	}
	dens := KDE(x, h, grid)

	curve := make(plotter.XYs, kdeGrid)
	var top float64
	for i := range grid {
		curve[i] = plotter.XY{X: grid[i], Y: dens[i]}
		top = math.Max(top, dens[i])
	}

	// Shade the 90% interval: the area under the curve from q5 to q95.
	if q5, q95 := q.Q5, q.Q95; !math.IsNaN(q5) && !math.IsNaN(q95) && q95 >= q5 {
		area := plotter.XYs{{X: q5, Y: 0}}
		area = append(area, plotter.XY{X: q5, Y: KDE(x, h, []float64{q5})[0]})
		for i := range grid {
			if grid[i] > q5 && grid[i] < q95 {
				area = append(area, curve[i])
			}
		}
		area = append(area, plotter.XY{X: q95, Y: KDE(x, h, []float64{q95})[0]}, plotter.XY{X: q95, Y: 0})
		poly, err := plotter.NewPolygon(area)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		poly.Color = color.RGBA{R: 158, G: 202, B: 225, A: 255}
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	line, err := plotter.NewLine(curve)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	line.Color = color.RGBA{R: 8, G: 81, B: 156, A: 255}
	p.Add(line)
	if m := q.Q50; !math.IsNaN(m) && !math.IsInf(m, 0) {
		med, err := plotter.NewLine(plotter.XYs{{X: m, Y: 0}, {X: m, Y: KDE(x, h, []float64{m})[0]}})
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		med.Color = color.RGBA{R: 8, G: 48, B: 107, A: 255}
		med.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(med)
	}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, top*1.05
	if top == 0 {
		p.Y.Max = 1
	}
	return p, nil
}

// SilvermanBandwidth returns Silverman's rule-of-thumb bandwidth for a
// Gaussian kernel, computed as R's bw.nrd0: 0.9 · min(sd, IQR/1.34) ·
// n^(−1/5), where the IQR uses type 7 quantiles. As in R, when that minimum
// is 0 it falls back to the sd, then to |x[0]|, then to 1. x must not
// contain NaN; it is not modified. It returns NaN for fewer than 2 values.
func SilvermanBandwidth(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	_, sd := meanSD(x)
	s := slices.Clone(x)
	slices.Sort(s)
	iqr := quantile7(s, 0.75) - quantile7(s, 0.25)
	lo := math.Min(sd, iqr/1.34)
	if lo == 0 {
		lo = sd
		if lo == 0 {
			lo = math.Abs(x[0])
			if lo == 0 {
				lo = 1
			}
		}
	}
	return 0.9 * lo * math.Pow(float64(len(x)), -0.2)
}

// KDE evaluates at each point of at the Gaussian kernel density estimate of
// x with bandwidth h: (1/(n·h)) Σ φ((t − x_i)/h). It returns zeros for an
// empty x and NaN values when h is not positive and finite.
func KDE(x []float64, h float64, at []float64) []float64 {
	out := make([]float64, len(at))
	if len(x) == 0 {
		return out
	}
	if !(h > 0) || math.IsInf(h, 0) {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	norm := 1 / (float64(len(x)) * h * math.Sqrt(2*math.Pi))
	for i, t := range at {
		var sum float64
		for _, v := range x {
			u := (t - v) / h
			if u > -9 && u < 9 { // φ(9) < 1e-17: negligible
				sum += math.Exp(-0.5 * u * u)
			}
		}
		out[i] = sum * norm
	}
	return out
}
