package report

// Param summarizes one parameter's draws on its constrained (natural) scale.
type Param struct {
	Name string  // parameter name, brms style (b_Intercept, sigma, r_g[A,Intercept])
	Mean float64 // mean of the draws
	SD   float64 // standard deviation of the draws (divisor n−1)
	Q5   float64 // 5% quantile (R type 7)
	Q50  float64 // median (R type 7)
	Q95  float64 // 95% quantile (R type 7)
}

// PriorInfo records one prior statement as the user would write it in brms.
// Coef is empty when the prior applies to the whole class: {"b", "",
// "normal(0, 2.5)"} reads "b ~ normal(0, 2.5)" and {"b", "dist100",
// "normal(0,1)"} reads "b[dist100] ~ normal(0,1)".
type PriorInfo struct {
	Class string // parameter class: b, Intercept, sigma, sd, ...
	Coef  string // coefficient within the class, empty for the whole class
	Prior string // the distribution, e.g. "normal(0, 2.5)"
}

// Moment is a mean and sd of one parameter, such as its PSIS-corrected
// (importance-weighted) estimate.
type Moment struct {
	Name     string
	Mean, SD float64
}

// Diagnostics holds the importance-sampling checks of the approximation.
type Diagnostics struct {
	Khat          float64 // Pareto-smoothed importance sampling k-hat
	ESS           float64 // effective sample size of the importance weights
	ELBO          float64 // ELBO estimate from the diagnostic draws
	ELBOSE        float64 // its Monte Carlo standard error (0 when exact)
	LogEvidence   float64 // importance-weighted estimate of log p(D)
	LogEvidenceSE float64 // its standard error
	Reliability   string  // "good", "ok", "bad" or "very bad"
	// KhatSummaries is the largest expectation-specific k-hat of the
	// reported means and sds, SummaryReliability its grade (empty when not
	// computed) and WorstSummary the quantity attaining it.
	KhatSummaries      float64
	SummaryReliability string
	WorstSummary       string

	// Verdict is "reliable", "use with care" or "unreliable" (empty when
	// not assessed), and VerdictReason says why in a few words.
	Verdict       string
	VerdictReason string
	// KL and KLSE estimate KL(q ‖ p) = log p(D) − ELBO in nats.
	KL, KLSE float64
	// MeanShift is the largest move of a reported mean under PSIS
	// reweighting, in q's sds, for MeanShiftParam; SDRatio is the
	// reweighted over q's sd of SDRatioParam, the sd that moves most.
	MeanShift      float64
	MeanShiftParam string
	SDRatio        float64
	SDRatioParam   string
	// Halves holds the same figures on each independent half of the
	// draws (empty when not computed).
	Halves []Half
}

// Half is the verdict's figures on one half of the draws.
type Half struct {
	KL, KLSE, MeanShift, SDRatio, KhatSummaries float64
}

// Phase is the wall time of one phase of a run ("fit", "draws",
// "diagnostics", "writing").
type Phase struct {
	Name    string
	Seconds float64
}

// Fit is a finished fit as the report functions consume it. Every field is
// plain data; the package never modifies a Fit.
type Fit struct {
	Params []Param  // summary rows in output order
	Names  []string // parameter names (brms spelling), same order as Params
	// StanNames are the same names in Stan's indexed spelling (r_g[1,2]
	// for r_g[A,x]; model.ParamName.Stan), from which draws.csv's column
	// names are made by CSVNames; nil means Names.
	StanNames []string
	Draws     [][]float64 // S draws × len(Names), constrained scale
	LogP      []float64   // per draw: log p(θ, D) on the unconstrained scale, Jacobian included
	LogQ      []float64   // per draw: log q(θ)
	Mean      []float64   // mean of q pushed to the constrained scale (first CSV row)

	ELBO       float64   // final ELBO
	Trace      []float64 // ELBO per iteration
	Iterations int       // iterations run
	Converged  bool      // whether a convergence test passed
	Stop       string    // "converged", "iteration limit", "failed" or "canceled"
	Message    string    // optional detail about the stop
	Seconds    float64   // wall-clock time of the fit
	// DrawSeconds is the wall-clock time of drawing from the approximation
	// and evaluating the log densities for the diagnostics.
	DrawSeconds float64
	// Phases are the wall times of the phases of the run, in order (fit,
	// draws, diagnostics, …); nil when not measured.
	Phases []Phase
	// Interrupted reports that the run was interrupted (Ctrl-C): the fit
	// is not converged, and a phase after it may have been cut short.
	Interrupted bool

	Family    string // likelihood family, e.g. "bernoulli"
	Link      string // link function, e.g. "logit"
	Formula   string // model formula, e.g. "switch ~ dist100 + arsenic"
	Approx    string // a family name (family.Names) or "mixture"
	Estimator string // ELBO estimator: "quadrature" or "mc"
	Optimizer string // optimizer name, e.g. "lbfgs" or "adam"

	Seed   uint64      // random seed
	Priors []PriorInfo // priors in effect

	ELBORelative bool         // a flat (improper) prior makes the ELBO relative only
	Diagnostics  *Diagnostics // nil when not computed
	Warnings     []string     // warnings for the user, one sentence each
	Notes        []string     // informational messages, printed as "Note: …"
	Data         string       // data file name, for comments

	// PSIS holds the importance-weighted (PSIS-corrected) means and sds,
	// written to the JSON summary; ShowPSIS also prints them.
	PSIS     []Moment
	ShowPSIS bool
	// Resampled reports that Params and Draws come from draws resampled
	// with the smoothed importance weights (as rstan's vb does with
	// importance_resampling = TRUE) rather than from q.
	Resampled bool
}

// Summary is the content of the JSON summary written by WriteSummaryJSON,
// as ReadSummaryJSON returns it. Numbers written as null read back as NaN.
type Summary struct {
	Parameters   []Param
	ELBO         float64
	ELBORelative bool
	Iterations   int
	Converged    bool
	Stop         string
	Message      string
	Seconds      float64
	Family       string
	Link         string
	Formula      string
	Priors       []PriorInfo
	Approx       string
	Estimator    string
	Optimizer    string
	Seed         uint64
	Diagnostics  *Diagnostics // nil when the file has "diagnostics": null
	Phases       []Phase
	Interrupted  bool
	Warnings     []string
	Notes        []string
	PSIS         []Moment
	Resampled    bool
	Data         string // data file name (extra field "data")
	Draws        int    // number of draws written (extra field "draws")
}
