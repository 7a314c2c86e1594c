package spec

import (
	"context"
	"math"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/stream"
)

// Stream is a Model evaluated on data read a chunk at a time (a CSV or
// Parquet file larger than memory): the model built on the first chunk
// with the statistics of the whole data (Built: its parameters, priors,
// centers and names), and the data pass that codes any chunks into rows
// of that model (a stream.Source).
//
// The data-dependent parts of the model come from a first pass over the
// file (Model.Stream): the number of rows, the mean and sd of y (default
// priors of gaussian-like families) and of every design column (their
// default priors and the centers); every chunk's cells and response are
// checked on the way, so a bad cell or a response outside the family's
// support anywhere in the file is reported, with its line, before
// fitting. Categorical variables and scale() make the coding depend on
// the whole data: the first pass then collects their levels and
// statistics (formula.MergeRecipes) and a second pass the statistics of
// the design so coded, and every chunk is coded with the merged recipe,
// as Build codes the whole file. Group-level terms and a categorical
// response are not streamed: Stream returns an *Error saying so.
type Stream struct {
	*Built
	data    data.Chunked
	f       *formula.Formula
	recipe  *formula.Recipe // nil when the coding does not depend on the data
	rows    int
	centers []float64
}

var _ stream.Source = (*Stream)(nil)

// moments accumulates the mean and the sum of squared deviations of a
// value in chunks (Chan, Golub & LeVeque's pairwise update), in chunk
// order.
type moments struct {
	n       float64
	mean, s []float64
}

func (mo *moments) add(mean, s []float64, n float64) {
	if mo.mean == nil {
		mo.mean, mo.s, mo.n = append([]float64(nil), mean...), append([]float64(nil), s...), n
		return
	}
	tot := mo.n + n
	for j := range mo.mean {
		d := mean[j] - mo.mean[j]
		mo.mean[j] += d * n / tot
		mo.s[j] += s[j] + d*d*mo.n*n/tot
	}
	mo.n = tot
}

func (mo *moments) sd() []float64 {
	out := make([]float64, len(mo.s))
	for j, v := range mo.s {
		out[j] = math.Sqrt(v / (mo.n - 1))
	}
	return out
}

// Stream makes the first pass over t and returns the model with its data
// pass. Its errors are Build's, found in any chunk.
func (m *Model) Stream(t data.Chunked) (*Stream, error) {
	fam, err := m.check()
	if err != nil {
		return nil, err
	}
	m, f, err := m.parse(t.Names())
	if err != nil {
		return nil, err
	}
	var first *data.Frame
	var xs, ys moments
	var rec *formula.Recipe // merged, when the coding depends on the data
	recRows := 0
	stats := func(des *formula.Design, fr *data.Frame) error {
		if _, err := fam.likelihood(m, des, fr); err != nil {
			return err
		}
		st := statsOf(des)
		n := float64(des.Rows())
		if st.haveX {
			sx := make([]float64, len(st.sdX))
			for j, v := range st.sdX {
				sx[j] = v * v * (n - 1)
			}
			xs.add(st.meanX, sx, n)
		}
		if st.haveY {
			ys.add([]float64{st.meanY}, []float64{st.sdY * st.sdY * (n - 1)}, n)
		}
		return nil
	}
	err = t.Scan(func(k int, fr *data.Frame) error {
		if err := fr.CheckMissing(f.Columns()); err != nil {
			return err
		}
		des, _, err := f.BuildPart(fr)
		if err != nil {
			return err
		}
		r := des.Recipe()
		if k == 0 {
			first = fr
			if err := fam.suits(des); err != nil {
				return err
			}
			if len(r.Groups) > 0 || len(r.ResponseLevels) > 0 {
				return errorf("streamed data (--batch-size, or data larger than --memory) take no group-level terms or categorical response: fit those with the data in memory")
			}
			if len(r.Scales) > 0 || hasCategorical(r) {
				rec, recRows = r, fr.Rows
			}
			if rec != nil {
				return nil
			}
		} else if rec != nil || hasCategorical(r) {
			if rec == nil {
				return errorf("column kinds changed within the file: a variable that the first chunk read as numbers holds text later on; mark it categorical (--categorical)")
			}
			if rec, err = formula.MergeRecipes(rec, r, recRows, fr.Rows); err != nil {
				return err
			}
			recRows += fr.Rows
			return nil
		}
		return stats(des, fr)
	})
	if err != nil {
		return nil, err
	}
	if rec != nil {
		// The second pass: the design's statistics under the whole data's
		// coding, and the likelihood's checks.
		for k := 0; k < t.NumChunks(); k++ {
			fr, err := t.ReadChunks([]int{k})
			if err != nil {
				return nil, err
			}
			des, err := rec.Build(fr)
			if err != nil {
				return nil, err
			}
			if err := stats(des, fr); err != nil {
				return nil, err
			}
		}
	}
	st := &designStats{recipe: rec}
	if ys.mean != nil {
		st.meanY, st.sdY, st.haveY = ys.mean[0], ys.sd()[0], true
	}
	if xs.mean != nil {
		st.meanX, st.sdX, st.haveX = xs.mean, xs.sd(), true
	}
	b, err := m.build(first, st)
	if err != nil {
		return nil, err
	}
	b.Source = t.Source()
	return &Stream{Built: b, data: t, f: f, recipe: rec, rows: t.Rows(), centers: b.centers}, nil
}

func hasCategorical(r *formula.Recipe) bool {
	for _, v := range r.Variables {
		if v.Categorical {
			return true
		}
	}
	return false
}

// NumRows implements stream.Source.
func (s *Stream) NumRows() int { return s.rows }

// NumChunks implements stream.Source.
func (s *Stream) NumChunks() int { return s.data.NumChunks() }

// ChunkRows implements stream.Source.
func (s *Stream) ChunkRows(k int) int { return s.data.ChunkRows(k) }

// Read implements stream.Source: it reads the chunks and codes their rows
// as the first pass coded them (the same columns, centers and checks).
func (s *Stream) Read(ks []int) (*stream.Block, error) {
	fr, err := s.data.ReadChunks(ks)
	if err != nil {
		return nil, err
	}
	var des *formula.Design
	if s.recipe != nil {
		des, err = s.recipe.Build(fr)
	} else {
		// BuildPart: the identification checks (constant and identical
		// columns) belong to the whole data, which the first pass did.
		des, _, err = s.f.BuildPart(fr)
	}
	if err != nil {
		return nil, err
	}
	if s.centers != nil {
		centerColumns(des.X, s.centers)
	}
	l, err := s.Family.likelihood(s.Spec, des, fr)
	if err != nil {
		return nil, err
	}
	lin, err := model.NewLinear(model.Terms{Lik: l, X: des.X, Offset: des.Offset})
	if err != nil {
		return nil, err
	}
	return &stream.Block{Layout: lin.Layout(), Lines: fr.Lines}, nil
}

// Fit fits the model over the data pass with govi.Run (a minibatch fit,
// RunOptions.Source set to s) and returns the report, as Built.Fit does.
func (s *Stream) Fit(ctx context.Context, opt govi.RunOptions) (*report.Fit, *govi.Outcome, error) {
	opt.Source = s
	return s.Built.Fit(ctx, opt)
}
