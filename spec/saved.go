package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/report"
)

// A SavedFit is a fit read back from the directory govi fit --out wrote
// (LoadFit): a regression's description and draws, or a network's
// description and q.
type SavedFit struct {
	// Model is the description with its recipe (spec.json).
	Model *Model
	// Draws are a regression's draws (draws.csv); nil for a network.
	Draws *report.Draws
	// Network predicts from a network's q (network.json); nil for a
	// regression.
	Network *NetworkPredictor
	// Warnings say that the fit did not converge, when summary.json says
	// so.
	Warnings []string
}

// LoadFit reads a fit saved in dir. Its errors are *DataError values
// naming the file at fault.
func LoadFit(dir string) (*SavedFit, error) {
	bad := func(file, format string, a ...any) error {
		return &DataError{File: file, Msg: fmt.Sprintf(format, a...)}
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, bad(dir, "%v (give the directory written by 'govi fit --out DIR')", errors.Unwrap(err))
	} else if !st.IsDir() {
		return nil, bad(dir, "not a directory (give the directory written by 'govi fit --out DIR')")
	}
	sp := filepath.Join(dir, "spec.json")
	b, err := os.ReadFile(sp)
	if err != nil {
		return nil, bad(dir, "%v (not a directory written by 'govi fit --out DIR'?)", err)
	}
	m, err := Parse(b)
	if err == nil {
		err = m.Check()
	}
	if err == nil {
		_, err = m.Columns()
	}
	if err != nil {
		return nil, bad(sp, "%v", err)
	}
	if m.Recipe == nil {
		return nil, bad(sp, "no recipe: it is a model description, not a fit saved by 'govi fit --out'")
	}
	s := &SavedFit{Model: m}
	if m.IsNetwork() {
		np := filepath.Join(dir, "network.json")
		b, err := os.ReadFile(np)
		if err != nil {
			return nil, bad(dir, "%v", err)
		}
		if s.Network, err = LoadNetwork(m, b); err != nil {
			return nil, bad(np, "%v", err)
		}
	} else {
		dp := filepath.Join(dir, "draws.csv")
		f, err := os.Open(dp)
		if err != nil {
			return nil, bad(dir, "%v", err)
		}
		defer f.Close()
		if s.Draws, err = report.ReadDrawsCSV(f); err != nil {
			return nil, bad(dp, "%v", err)
		}
		if len(s.Draws.Rows) == 0 {
			return nil, bad(dp, "no draws")
		}
	}
	if sf, err := os.Open(filepath.Join(dir, "summary.json")); err == nil {
		var sum struct {
			Converged bool   `json:"converged"`
			Stop      string `json:"stop"`
		}
		if json.NewDecoder(sf).Decode(&sum) == nil && !sum.Converged {
			s.Warnings = append(s.Warnings, fmt.Sprintf("the fit in %s did not converge (stop: %s): the predictions inherit its inaccuracy", dir, sum.Stop))
		}
		sf.Close()
	}
	return s, nil
}

// Predict returns the predictions for the rows of fr (see Predictor and
// NetworkPredictor) in the form govi predict writes, with warnings about
// them; seed keys the simulated responses or the draws of the weights.
func (s *SavedFit) Predict(fr *data.Frame, seed uint64) (interface{ WriteCSV(io.Writer) error }, []string, error) {
	if s.Network != nil {
		pr, err := s.Network.Predict(fr, 0, seed)
		return pr, nil, err
	}
	p, err := NewPredictor(s.Model, s.Draws, fr)
	if err != nil {
		return nil, nil, err
	}
	return p.Summarize(seed), p.Warnings(), nil
}
