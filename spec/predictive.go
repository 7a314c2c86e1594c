package spec

import (
	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/report"
)

// Draws returns the draws of out, a fit of b (Built.Fit), as the draws.csv
// of the fit holds them: what NewPredictor and Predict take, so that a
// program predicts from a fit in memory as govi predict does from its
// files.
func (b *Built) Draws(out *govi.Outcome) *report.Draws {
	ds := out.Draws
	n, _ := ds.X.Dims()
	d := &report.Draws{
		Names: report.CSVNames(model.StanStrings(b.Params)),
		Mean:  out.Mean,
		Rows:  make([][]float64, n),
		Config: map[string]string{
			"family": b.Spec.Family, "link": b.Spec.link(b.Family), "formula": b.Spec.Formula,
		},
	}
	for s := range d.Rows {
		d.Rows[s] = ds.X.RawRowView(s)
	}
	return d
}

// Predict summarizes the posterior predictive distribution of the rows of
// fr under out, a fit of b: Predict(b.Spec, b.Draws(out), fr, seed).
func (b *Built) Predict(out *govi.Outcome, fr *data.Frame, seed uint64) (*Predictions, error) {
	return Predict(b.Spec, b.Draws(out), fr, seed)
}
