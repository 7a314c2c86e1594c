package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// methodColumns returns the method columns that precede the parameters in
// a variational Stan CSV.
func methodColumns() []string { return []string{"lp__", "log_p__", "log_g__"} }

// CSVName maps one parameter name to a CmdStan-safe column name; see the
// package documentation for the rules. Examples: b[1] → b.1, Sigma[2,1] →
// Sigma.2.1, r_g[A,Intercept] → r_g_A_Intercept, x1:x2 → x1_x2, log(x) →
// log_x_. Use CSVNames for a whole header, which also keeps the names unique
// and the arrays readable.
func CSVName(name string) string {
	if base, idx, ok := splitIndex(name); ok {
		if allPositiveInts(idx) {
			return sanitizeName(base) + "." + strings.Join(idx, ".")
		}
		return flatName(base, idx)
	}
	return sanitizeName(name)
}

// CSVNames maps every name with CSVName, then (1) reverts an array to the
// underscore form unless its dotted names form a complete column-major
// block in consecutive columns with no other column of the same base name,
// and (2) makes the result unique: the first of two equal names keeps it and
// later ones get "_2", "_3", … (the smallest suffix used by no other
// column). The result never contains lp__, log_p__ or log_g__.
func CSVNames(names []string) []string {
	type parsed struct {
		base string
		idx  []string
	}
	out := make([]string, len(names))
	info := make([]*parsed, len(names))
	for i, n := range names {
		out[i] = CSVName(n)
		if base, idx, ok := splitIndex(n); ok && allPositiveInts(idx) {
			info[i] = &parsed{sanitizeName(base), idx}
		}
	}

	// Group dotted names by their (sanitized) base and check each group.
	groups := map[string][]int{}
	var order []string
	for i, p := range info {
		if p == nil {
			continue
		}
		if _, seen := groups[p.base]; !seen {
			order = append(order, p.base)
		}
		groups[p.base] = append(groups[p.base], i)
	}
	plain := map[string]bool{}
	for i, p := range info {
		if p == nil {
			plain[out[i]] = true
		}
	}
	for _, base := range order {
		cols := groups[base]
		ok := !plain[base] && contiguous(cols)
		if ok {
			idx := make([][]string, len(cols))
			for k, c := range cols {
				idx[k] = info[c].idx
			}
			ok = columnMajorBlock(idx)
		}
		if !ok {
			for _, c := range cols {
				out[c] = flatName(info[c].base, info[c].idx)
			}
		}
	}

	// Make names unique without stealing a name another column uses.
	used := map[string]bool{}
	for _, m := range methodColumns() {
		used[m] = true
	}
	for _, n := range out {
		used[n] = true
	}
	seen := map[string]bool{}
	for i, n := range out {
		if !seen[n] {
			seen[n] = true
			continue
		}
		for k := 2; ; k++ {
			c := n + "_" + strconv.Itoa(k)
			if !used[c] {
				used[c], seen[c] = true, true
				out[i] = c
				break
			}
		}
	}
	return out
}

// splitIndex splits "base[i,j]" into base and its trimmed indices. It
// reports false unless the name ends in a single bracket group, the base is
// not empty, and no index is empty.
func splitIndex(name string) (base string, idx []string, ok bool) {
	open := strings.IndexByte(name, '[')
	if open <= 0 || !strings.HasSuffix(name, "]") {
		return "", nil, false
	}
	inner := name[open+1 : len(name)-1]
	if strings.ContainsAny(inner, "[]") {
		return "", nil, false
	}
	idx = strings.Split(inner, ",")
	for i, s := range idx {
		idx[i] = strings.TrimSpace(s)
		if idx[i] == "" {
			return "", nil, false
		}
	}
	return name[:open], idx, true
}

// allPositiveInts reports whether every index is a positive decimal
// integer without leading zeros.
func allPositiveInts(idx []string) bool {
	for _, s := range idx {
		if s == "" || s[0] < '1' || s[0] > '9' {
			return false
		}
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return true
}

// flatName is the underscore form of base[idx...].
func flatName(base string, idx []string) string {
	return sanitizeName(base + "_" + strings.Join(idx, "_"))
}

// sanitizeName replaces every character that is not an ASCII letter, digit
// or '_' with '_', cuts a trailing "__" run to a single '_' and turns an
// empty result into "_".
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if strings.HasSuffix(out, "__") {
		out = strings.TrimRight(out, "_") + "_"
	}
	if out == "" {
		out = "_"
	}
	return out
}

// contiguous reports whether the sorted column positions are consecutive.
func contiguous(cols []int) bool {
	for k := 1; k < len(cols); k++ {
		if cols[k] != cols[k-1]+1 {
			return false
		}
	}
	return true
}

// columnMajorBlock reports whether idx (each a list of positive integers
// as strings) enumerates a full array in column-major order, first index
// fastest, which is how CmdStan writes arrays and how stanio reshapes them.
func columnMajorBlock(idx [][]string) bool {
	rank := len(idx[0])
	dims := make([]int, rank)
	vals := make([][]int, len(idx))
	for k, ix := range idx {
		if len(ix) != rank {
			return false
		}
		vals[k] = make([]int, rank)
		for d, s := range ix {
			v, err := strconv.Atoi(s)
			if err != nil {
				return false
			}
			vals[k][d] = v
			dims[d] = max(dims[d], v)
		}
	}
	total := 1
	for _, d := range dims {
		if d > len(idx) || total > len(idx) {
			return false
		}
		total *= d
	}
	if total != len(idx) {
		return false
	}
	cur := make([]int, rank)
	for d := range cur {
		cur[d] = 1
	}
	for _, v := range vals {
		for d := range rank {
			if v[d] != cur[d] {
				return false
			}
		}
		for d := range rank { // advance, first index fastest
			cur[d]++
			if cur[d] <= dims[d] {
				break
			}
			cur[d] = 1
		}
	}
	return true
}

// appendNumber appends x in strconv's shortest 'g' form, or as CmdStan
// writes non-finite values: nan, inf, -inf.
func appendNumber(b []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, "nan"...)
	case math.IsInf(x, 1):
		return append(b, "inf"...)
	case math.IsInf(x, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64)
}

// commentValue makes s safe for a one-line "#" comment.
func commentValue(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// WriteDrawsCSV writes the fit's draws in CmdStan's CSV layout for the
// variational method (see the package documentation). Column names are
// CSVNames(f.StanNames), or CSVNames(f.Names) when StanNames is nil; when
// f.Names is empty too the names of f.Params are used.
//
// The first data row is f.Mean with lp__ = log_p__ = log_g__ = 0, as CmdStan
// writes it; when f.Mean is nil the column means of the draws are used
// instead. Each later row is one draw with lp__ = 0, log_p__ = f.LogP[s] and
// log_g__ = f.LogQ[s]; if LogP or LogQ is nil its column is written as nan.
// CmdStan's own log_g__ leaves out terms that are constant across draws,
// so govi's values differ from what CmdStan would write by a constant;
// log_p__ − log_g__, which PSIS and loo use, is unaffected up to that
// constant, which importance-weight normalization removes.
//
// cmdstanpy's from_csv requires the CmdStan ADVI settings iter,
// grad_samples, elbo_samples, eta, tol_rel_obj, eval_elbo and output_samples
// in the comments. govi writes iter = the iterations it ran (at least 1),
// output_samples = the number of draws (at least 1), and CmdStan's defaults,
// marked "(Default)", for the others, which govi does not use. "adapt
// engaged = 0" is written because govi does not adapt a step size the way
// CmdStan does. CmdStan writes "# Stepsize adaptation complete." and
// "# eta = …" after the header when it adapts, and recent cmdstanpy
// requires a line starting "# Stepsize adaptation" followed by the eta
// line, so govi writes "# Stepsize adaptation not run by govi; eta is
// CmdStan's default:" and "# eta = 1" there.
//
// After the draws comes CmdStan's timing block, which rstan's
// read_stan_csv looks for:
//
//	#
//	#  Elapsed Time: 0.42 seconds (Warm-up)
//	#                0.05 seconds (Sampling)
//	#                0.47 seconds (Total)
//	#
//
// with the optimization as the warm-up and the draws as the sampling.
//
// It returns an error, before writing anything, if a draw, f.Mean, f.LogP or
// f.LogQ has the wrong length.
func WriteDrawsCSV(w io.Writer, f *Fit) error {
	if f == nil {
		return errors.New("report: WriteDrawsCSV: nil fit")
	}
	names := f.Names
	if len(names) == 0 && len(f.Params) > 0 {
		names = make([]string, len(f.Params))
		for i, p := range f.Params {
			names[i] = p.Name
		}
	}
	k, S := len(names), len(f.Draws)
	for s, row := range f.Draws {
		if len(row) != k {
			return fmt.Errorf("report: WriteDrawsCSV: draw %d has %d values, want %d", s+1, len(row), k)
		}
	}
	if f.StanNames != nil && len(f.StanNames) != k {
		return fmt.Errorf("report: WriteDrawsCSV: %d StanNames for %d names", len(f.StanNames), k)
	}
	if f.Mean != nil && len(f.Mean) != k {
		return fmt.Errorf("report: WriteDrawsCSV: Mean has %d values, want %d", len(f.Mean), k)
	}
	if f.LogP != nil && len(f.LogP) != S {
		return fmt.Errorf("report: WriteDrawsCSV: LogP has %d values, want one per draw (%d)", len(f.LogP), S)
	}
	if f.LogQ != nil && len(f.LogQ) != S {
		return fmt.Errorf("report: WriteDrawsCSV: LogQ has %d values, want one per draw (%d)", len(f.LogQ), S)
	}
	mean := f.Mean
	if mean == nil {
		mean = make([]float64, k)
		for j := range mean {
			var sum float64
			for _, row := range f.Draws {
				sum += row[j]
			}
			mean[j] = sum / float64(S) // NaN when there are no draws
		}
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	writeComments(bw, f)
	if f.StanNames != nil {
		names = f.StanNames
	}
	bw.WriteString(strings.Join(append(methodColumns(), CSVNames(names)...), ","))
	bw.WriteByte('\n')
	bw.WriteString("# Stepsize adaptation not run by govi; eta is CmdStan's default:\n# eta = 1\n")

	buf := make([]byte, 0, 32*(k+3))
	writeRow := func(logp, logq float64, vals []float64) {
		buf = append(buf[:0], '0', ',')
		buf = appendNumber(buf, logp)
		buf = append(buf, ',')
		buf = appendNumber(buf, logq)
		for _, v := range vals {
			buf = append(buf, ',')
			buf = appendNumber(buf, v)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	writeRow(0, 0, mean)
	for s, row := range f.Draws {
		logp, logq := math.NaN(), math.NaN()
		if f.LogP != nil {
			logp = f.LogP[s]
		}
		if f.LogQ != nil {
			logq = f.LogQ[s]
		}
		writeRow(logp, logq, row)
	}
	secs := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	fmt.Fprintf(bw, "#\n#  Elapsed Time: %s seconds (Warm-up)\n#                %s seconds (Sampling)\n#                %s seconds (Total)\n#\n",
		secs(f.Seconds), secs(f.DrawSeconds), secs(f.Seconds+f.DrawSeconds))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing draws CSV: %w", err)
	}
	return nil
}

// writeComments writes the configuration comment block. Errors surface at
// the caller's Flush.
func writeComments(bw *bufio.Writer, f *Fit) {
	line := func(indent int, format string, args ...any) {
		text := "#" + strings.Repeat(" ", 1+2*indent) + commentValue(fmt.Sprintf(format, args...))
		bw.WriteString(strings.TrimRight(text, " "))
		bw.WriteByte('\n')
	}
	num := func(x float64) string { return string(appendNumber(nil, x)) }
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}

	line(0, "Generated by govi (variational inference for Go)")
	line(0, "model = govi_model")
	line(0, "method = variational")
	line(1, "variational")
	line(2, "algorithm = %s", f.Approx)
	if f.Approx != "" {
		line(3, "%s", f.Approx)
	}
	line(2, "iter = %d", max(f.Iterations, 1))
	line(2, "grad_samples = 1 (Default)")
	line(2, "elbo_samples = 100 (Default)")
	line(2, "eta = 1 (Default)")
	line(2, "adapt")
	line(3, "engaged = 0")
	line(2, "tol_rel_obj = 0.01 (Default)")
	line(2, "eval_elbo = 100 (Default)")
	line(2, "output_samples = %d", max(len(f.Draws), 1))
	line(0, "id = 1")
	line(0, "data")
	line(1, "file = %s", f.Data)
	line(0, "random")
	line(1, "seed = %d", f.Seed)
	line(0, "govi")
	line(1, "family = %s", f.Family)
	line(1, "link = %s", f.Link)
	line(1, "formula = %s", f.Formula)
	line(1, "approx = %s", f.Approx)
	line(1, "estimator = %s", f.Estimator)
	line(1, "optimizer = %s", f.Optimizer)
	line(1, "iterations = %d", f.Iterations)
	line(1, "converged = %d", flag(f.Converged))
	line(1, "stop = %s", f.Stop)
	if f.Message != "" {
		line(1, "message = %s", f.Message)
	}
	line(1, "seconds = %s", num(f.Seconds))
	line(1, "elbo = %s", num(f.ELBO))
	line(1, "elbo_relative = %d", flag(f.ELBORelative))
	if d := f.Diagnostics; d != nil {
		line(1, "diagnostics")
		line(2, "khat = %s", num(d.Khat))
		line(2, "ess = %s", num(d.ESS))
		line(2, "diagnostic_elbo = %s", num(d.ELBO))
		line(2, "diagnostic_elbo_se = %s", num(d.ELBOSE))
		line(2, "log_evidence = %s", num(d.LogEvidence))
		line(2, "log_evidence_se = %s", num(d.LogEvidenceSE))
		line(2, "reliability = %s", d.Reliability)
		if d.Verdict != "" {
			line(2, "verdict = %s", d.Verdict)
			line(2, "kl = %s", num(d.KL))
			line(2, "kl_se = %s", num(d.KLSE))
		}
	}
	line(0, "priors")
	if len(f.Priors) == 0 {
		line(1, "(none recorded)")
	}
	for _, p := range f.Priors {
		line(1, "%s", priorLine(p))
	}
}

// priorLine formats a prior as "class ~ prior" or "class[coef] ~ prior".
func priorLine(p PriorInfo) string {
	if p.Coef == "" {
		return p.Class + " ~ " + p.Prior
	}
	return p.Class + "[" + p.Coef + "] ~ " + p.Prior
}

// WriteELBOCSV writes the ELBO trace as CSV with the header
// "iteration,elbo" and iterations numbered from 1. Numbers use the same
// format as WriteDrawsCSV.
func WriteELBOCSV(w io.Writer, trace []float64) error { return writeTraceCSV(w, trace, "iteration") }

// WriteEpochCSV writes a per-epoch ELBO trace (a network's training) as
// WriteELBOCSV does, with the header "epoch,elbo".
func WriteEpochCSV(w io.Writer, trace []float64) error { return writeTraceCSV(w, trace, "epoch") }

// writeTraceCSV is WriteELBOCSV with unit naming the first column.
func writeTraceCSV(w io.Writer, trace []float64, unit string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(unit + ",elbo\n")
	var buf []byte
	for i, v := range trace {
		buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
		buf = append(buf, ',')
		buf = appendNumber(buf, v)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing ELBO CSV: %w", err)
	}
	return nil
}

// ReadCmdStanCSV reads a Stan CSV file by CmdStan's rules: lines starting
// with "#" are comments wherever they appear and are returned unchanged
// (without the line ending) in comments; blank lines are skipped; the first
// other line is the header of comma-separated column names; every later
// line is a row of numbers with one value per column. Numbers are parsed by
// strconv.ParseFloat, so nan, inf and -inf (any case) are accepted, and a
// value too large for float64 reads as ±Inf.
//
// It returns an error, naming the line, for an empty or duplicate column
// name, a row with the wrong number of values, or a value that is not a
// number; and when there is no header.
func ReadCmdStanCSV(r io.Reader) (names []string, rows [][]float64, comments []string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	lineNo := 0
	for {
		text, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return nil, nil, nil, fmt.Errorf("report: reading CSV: %w", rerr)
		}
		if text == "" && rerr == io.EOF {
			break
		}
		lineNo++
		text = strings.TrimRight(text, "\r\n")
		switch {
		case strings.HasPrefix(text, "#"):
			comments = append(comments, text)
		case strings.TrimSpace(text) == "":
		case names == nil:
			names = strings.Split(text, ",")
			seen := make(map[string]bool, len(names))
			for i, n := range names {
				n = strings.TrimSpace(n)
				names[i] = n
				if n == "" {
					return nil, nil, nil, fmt.Errorf("report: CSV line %d: column %d has an empty name", lineNo, i+1)
				}
				if seen[n] {
					return nil, nil, nil, fmt.Errorf("report: CSV line %d: duplicate column name %q", lineNo, n)
				}
				seen[n] = true
			}
		default:
			fields := strings.Split(text, ",")
			if len(fields) != len(names) {
				return nil, nil, nil, fmt.Errorf("report: CSV line %d: %d values, want %d", lineNo, len(fields), len(names))
			}
			row := make([]float64, len(fields))
			for i, s := range fields {
				v, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if perr != nil && !errors.Is(perr, strconv.ErrRange) {
					return nil, nil, nil, fmt.Errorf("report: CSV line %d, column %q: %q is not a number", lineNo, names[i], s)
				}
				row[i] = v
			}
			rows = append(rows, row)
		}
		if rerr == io.EOF {
			break
		}
	}
	if names == nil {
		return nil, nil, comments, errors.New("report: CSV has no header line")
	}
	return names, rows, comments, nil
}

// Draws are the draws of a variational Stan CSV file, as ReadDrawsCSV
// returns them.
type Draws struct {
	// Names are the parameter columns, without the method columns (names
	// ending in "__": lp__, log_p__, log_g__).
	Names []string
	// Mean is the first row, the mean of the approximation; nil when the
	// file has no rows.
	Mean []float64
	// Rows are the draws, the later rows, with the values of Names.
	Rows [][]float64
	// Config maps the keys of the "key = value" comments to their values,
	// trimmed and without "(Default)", e.g. Config["family"]. The first
	// occurrence of a key wins.
	Config map[string]string
}

// ReadDrawsCSV reads a variational Stan CSV file, such as WriteDrawsCSV
// and CmdStan write, by the rules of ReadCmdStanCSV: its first row is the
// mean of the approximation and the others are draws.
func ReadDrawsCSV(r io.Reader) (*Draws, error) {
	names, rows, comments, err := ReadCmdStanCSV(r)
	if err != nil {
		return nil, err
	}
	d := &Draws{Config: map[string]string{}}
	var keep []int
	for j, n := range names {
		if !strings.HasSuffix(n, "__") {
			keep = append(keep, j)
			d.Names = append(d.Names, n)
		}
	}
	for i, row := range rows {
		vals := make([]float64, len(keep))
		for k, j := range keep {
			vals[k] = row[j]
		}
		if i == 0 {
			d.Mean = vals
		} else {
			d.Rows = append(d.Rows, vals)
		}
	}
	for _, c := range comments {
		k, v, ok := strings.Cut(strings.TrimLeft(c, "# \t"), "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "(Default)"))
		if _, seen := d.Config[k]; !seen && k != "" {
			d.Config[k] = v
		}
	}
	return d, nil
}
