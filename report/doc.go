// Package report turns a finished govi fit into the files and text a user
// sees: a JSON summary, draws in CmdStan's CSV layout, the ELBO trace as CSV
// and as a plot, a grid of marginal densities, the printed summary table and
// a progress display for the optimizer.
//
// The package is a leaf: its input is the plain [Fit] struct, and the only
// govi package it imports is optim (for the progress callback type).
// Nothing here keeps global state and, apart from the progress display's
// timing, every output is a deterministic function of its input.
//
// # Summaries
//
// [Summarize] computes, per parameter, the mean, the standard deviation
// (divisor n−1) and the 5%, 50% and 95% quantiles with R's default type 7
// definition (linear interpolation between order statistics), which is what
// posterior::summarise_draws, rstan and rstanarm report.
//
// # JSON
//
// [WriteSummaryJSON] writes the fields documented there. JSON has no NaN or
// infinity, so every non-finite number is written as null; [ReadSummaryJSON]
// reads null back as NaN (the sign of an infinity is not kept).
//
// # Draws CSV
//
// [WriteDrawsCSV] follows CmdStan's output for its variational method so that
// cmdstanpy (from_csv), cmdstanr/posterior (read_cmdstan_csv, as_cmdstan_fit)
// and ArviZ (from_cmdstan) read the file unchanged:
//
//   - configuration comments starting with "#" in CmdStan's "key = value"
//     style: model, method = variational, algorithm = meanfield|fullrank, the
//     settings cmdstanpy insists on (see WriteDrawsCSV), id, the data file
//     and the seed, then a "govi" block (family, link, formula, estimator,
//     optimizer, iterations, stop reason, ELBO, diagnostics) and a "priors"
//     block, one prior per line;
//   - the header lp__,log_p__,log_g__,<parameters>;
//   - a first row holding the mean of the approximation, with lp__, log_p__
//     and log_g__ all 0, exactly as CmdStan writes it for ADVI;
//   - one row per draw with lp__ = 0, log_p__ = log p(θ, D) (unconstrained
//     scale, Jacobian included) and log_g__ = log q(θ);
//   - CmdStan's "Elapsed Time" block, which rstan's read_stan_csv looks
//     for.
//
// [ReadDrawsCSV] reads such a file back: the parameter columns, the mean
// row, the draws and the "key = value" comments.
//
// Numbers are written with strconv's shortest round-trip form ('g', -1);
// non-finite values are written as CmdStan writes them: nan, inf, -inf.
//
// # Column names
//
// Stan CSV readers split column names on "." to recover arrays: CmdStan
// writes b[1] as b.1 and m[2,3] as m.2.3, and cmdstanpy (through stanio),
// ArviZ, rstan and cmdstanr all convert the parts after the first "." to
// integer indices. [WriteDrawsCSV] names the columns from Fit.StanNames,
// where a labelled array element such as r_g[A,Intercept] is given by its
// indices, r_g[1,1] (model.ParamName.Stan), so that it becomes r_g.1.1.
// [CSVName] maps a name as follows:
//
//   - name[i,j,...] with every index a positive integer written without
//     leading zeros becomes name.i.j... (b[1] → b.1, Sigma[1,2] →
//     Sigma.1.2);
//   - any other bracketed name is flattened with underscores instead, because
//     a non-integer index after a dot makes those readers fail:
//     r_g[A,Intercept] → r_g_A_Intercept, group[level] → group_level
//     (spaces after commas are dropped);
//   - outside the generated dots, every character that is not an ASCII
//     letter, digit or '_' becomes '_'. This includes a literal '.', which a
//     reader would otherwise take for an index separator: x1:x2 → x1_x2,
//     log(x) → log_x_, dist.100 → dist_100;
//   - a name that would end in "__" (the suffix Stan reserves for lp__,
//     log_p__ and other method columns, which the readers file separately)
//     has its trailing underscores cut to one: x__ → x_; an empty result
//     becomes "_".
//
// [CSVNames] maps a whole list and adds two rules that need the whole list.
// First, dotted names are kept only when each array forms a complete
// rectangular block in CmdStan's column-major order (b.1, b.2, …; m.1.1,
// m.2.1, m.1.2, …), in consecutive columns, with no other column of the same
// base name; otherwise that array's names fall back to the underscore form
// (b[1], b[3] → b_1, b_3), since stanio would reshape them wrongly. Second,
// if two names still collide, the first keeps its name and later ones get
// "_2", "_3", … (the smallest suffix not used by any other column).
//
// # Plots
//
// [PlotELBO] and [PlotMarginals] write SVG, PNG or PDF chosen by the file
// extension, using gonum.org/v1/plot with its built-in fonts. All files are
// written through [WriteFileAtomic], so a failed write never leaves a partial
// file behind.
package report
