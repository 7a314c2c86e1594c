package formula

import (
	"slices"
	"strings"
)

// HasDot reports whether the formula's right-hand side uses ".", R's "all
// other columns".
func HasDot(s string) bool {
	toks, err := lex(s)
	if err != nil {
		return false
	}
	tilde := false
	for _, t := range toks {
		if t.kind == tOp && t.text == "~" {
			tilde = true
		}
		if tilde && t.kind == tDot {
			return true
		}
	}
	return false
}

// ExpandDot returns the formula with each "." on its right-hand side
// replaced by the sum of the columns, in their order, that the left-hand
// side does not use, as R's model.frame reads y ~ . (so "y ~ . - x" and
// "y ~ . + log(z)" work as in R). Names that are not syntactic are quoted
// with backquotes. A formula without "." is returned as it is.
func ExpandDot(s string, columns []string) (string, error) {
	if !HasDot(s) {
		return s, nil
	}
	lhs, _, ok := strings.Cut(s, "~")
	if !ok {
		return s, nil
	}
	lf, err := Parse(lhs + "~ 1")
	if err != nil {
		return "", err
	}
	used := lf.Columns()
	var others []string
	for _, c := range columns {
		if !slices.Contains(used, c) {
			others = append(others, quoteName(c))
		}
	}
	if len(others) == 0 {
		return "", &SyntaxError{Formula: s, Pos: strings.Index(s, "."), Msg: `"." has no columns to stand for: every column is on the left-hand side`}
	}
	sum := "(" + strings.Join(others, " + ") + ")"
	toks, err := lex(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last, tilde := 0, false
	for _, t := range toks {
		if t.kind == tOp && t.text == "~" {
			tilde = true
		}
		if tilde && t.kind == tDot {
			b.WriteString(s[last:t.pos])
			b.WriteString(sum)
			last = t.pos + 1
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// quoteName returns name, backquoted unless it is a syntactic name.
func quoteName(name string) string {
	for i, r := range name {
		if i == 0 && !isNameStart(r) || !isNameRune(r) {
			return "`" + name + "`"
		}
	}
	return name
}
