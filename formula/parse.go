package formula

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError is an error in the text of a formula. Its Error method shows
// the formula with a caret under the fault:
//
//	formula: unexpected ")" at column 12
//	  y ~ x1 + x2)
//	             ^
type SyntaxError struct {
	// Formula is the formula text.
	Formula string
	// Pos is the 0-based byte offset of the fault in Formula.
	Pos int
	// Msg describes the fault.
	Msg string
	// Hint, when not empty, is printed on a line after the caret.
	Hint string
}

// Error renders the message, the formula and a caret under the fault.
func (e *SyntaxError) Error() string {
	return caret("formula: "+e.Msg, e.Formula, e.Pos, e.Hint, true)
}

// caret renders msg (followed by "at column N" when where is set), then the
// formula indented by two spaces, then a caret under byte offset pos, then
// the hint if any.
func caret(msg, src string, pos int, hint string, where bool) string {
	pos = max(0, min(pos, len(src)))
	col := utf8.RuneCountInString(src[:pos]) + 1
	if where {
		msg += fmt.Sprintf(" at column %d", col)
		where = false
	}
	// Show at most a line of the formula: a window around the fault.
	const window = 60
	if len(src) > 2*window {
		lo, hi := max(0, pos-window), min(len(src), pos+window)
		// Move to rune starts, by at most a rune's length: invalid UTF-8
		// may have no rune start for a long way.
		for k := 0; k < utf8.UTFMax && lo > 0 && !utf8.RuneStart(src[lo]); k++ {
			lo--
		}
		for k := 0; k < utf8.UTFMax && hi < len(src) && !utf8.RuneStart(src[hi]); k++ {
			hi++
		}
		pre, post := "", ""
		if lo > 0 {
			pre = "…"
		}
		if hi < len(src) {
			post = "…"
		}
		src, pos = pre+src[lo:hi]+post, pos-lo+len(pre)
	}
	var pad strings.Builder
	for _, r := range src[:pos] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	line := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, src)
	if where {
		msg += fmt.Sprintf(" at column %d", col)
	}
	s := fmt.Sprintf("%s\n  %s\n  %s^", msg, line, pad.String())
	if hint != "" {
		s += "\n" + hint
	}
	return s
}

// Token kinds.
const (
	tEOF = iota
	tIdent
	tNum
	tOp     // ~ + - * / ^ : | || =
	tLParen // (
	tRParen // )
	tComma  // ,
	tDot    // . on its own
)

// token is one lexical token.
type token struct {
	kind int
	text string // as written (without backquotes for quoted names)
	pos  int    // byte offset
	num  float64
}

// describe names a token in messages.
func (t token) describe() string {
	if t.kind == tEOF {
		return "end of formula"
	}
	return strconv.Quote(clip(t.text))
}

// clip shortens s to at most 40 bytes (at a rune start) with "…", so that
// a message quoting input stays within a line.
func clip(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	i := most
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// isNameStart reports whether r can start an R name.
func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

// isNameRune reports whether r can continue an R name.
func isNameRune(r rune) bool {
	return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// lex splits s into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '(':
			toks = append(toks, token{kind: tLParen, text: "(", pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, text: ")", pos: i})
			i++
		case r == ',':
			toks = append(toks, token{kind: tComma, text: ",", pos: i})
			i++
		case r == '|':
			if strings.HasPrefix(s[i:], "||") {
				toks = append(toks, token{kind: tOp, text: "||", pos: i})
				i += 2
			} else {
				toks = append(toks, token{kind: tOp, text: "|", pos: i})
				i++
			}
		case strings.ContainsRune("~+-*/^:=", r):
			toks = append(toks, token{kind: tOp, text: string(r), pos: i})
			i++
		case r == '`':
			end := strings.IndexByte(s[i+1:], '`')
			if end < 0 {
				return nil, &SyntaxError{Formula: s, Pos: i, Msg: "unterminated `quoted name`"}
			}
			name := s[i+1 : i+1+end]
			if name == "" {
				return nil, &SyntaxError{Formula: s, Pos: i, Msg: "empty `quoted name`"}
			}
			toks = append(toks, token{kind: tIdent, text: name, pos: i})
			i += end + 2
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil, &SyntaxError{Formula: s, Pos: i, Msg: fmt.Sprintf("malformed number %q", clip(s[i:j]))}
			}
			toks = append(toks, token{kind: tNum, text: s[i:j], pos: i, num: v})
			i = j
		case r == '.' || isNameStart(r):
			j := i + w
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if !isNameRune(r2) {
					break
				}
				j += w2
			}
			if s[i:j] == "." {
				toks = append(toks, token{kind: tDot, text: ".", pos: i})
			} else {
				toks = append(toks, token{kind: tIdent, text: s[i:j], pos: i})
			}
			i = j
		default:
			return nil, &SyntaxError{Formula: s, Pos: i, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(s)})
	return toks, nil
}

// node is an expression in the syntax tree.
type node interface{ position() int }

type (
	numNode struct {
		pos int
		val float64
	}
	identNode struct {
		pos  int
		name string
	}
	callNode struct {
		pos  int
		fn   string
		args []node
	}
	unaryNode struct {
		pos int
		op  string
		x   node
	}
	binNode struct {
		pos  int // of the operator
		op   string
		l, r node
	}
	parenNode struct {
		pos int
		x   node
	}
)

func (n *numNode) position() int   { return n.pos }
func (n *identNode) position() int { return n.pos }
func (n *callNode) position() int  { return n.pos }
func (n *unaryNode) position() int { return n.pos }
func (n *binNode) position() int   { return n.l.position() }
func (n *parenNode) position() int { return n.pos }

// Operator precedences, as in R: | < + - < * / < : < unary < ^.
const (
	precOr    = 2
	precSum   = 3
	precProd  = 4
	precColon = 5
	precUnary = 6
	precPow   = 7
	precAtom  = 100
)

var binPrec = map[string]int{
	"|": precOr, "||": precOr,
	"+": precSum, "-": precSum,
	"*": precProd, "/": precProd,
	":": precColon,
	"^": precPow,
}

// parser is a precedence-climbing parser over tokens.
type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// errAt returns a SyntaxError at byte offset pos.
func (p *parser) errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Formula: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// unexpected returns an error for token t.
func (p *parser) unexpected(t token) *SyntaxError {
	if t.kind == tDot {
		e := p.errAt(t.pos, `"." (all other columns) needs the data's columns`)
		e.Hint = "expand it with formula.ExpandDot first (spec.Model.Build and govi fit do)"
		return e
	}
	if t.kind == tOp && t.text == "=" {
		return p.errAt(t.pos, `unexpected "=": named arguments are not supported`)
	}
	return p.errAt(t.pos, "unexpected %s", t.describe())
}

// parseFormula parses "lhs ~ rhs".
func (p *parser) parseFormula() (lhs, rhs node, err error) {
	t := p.peek()
	if t.kind == tOp && t.text == "~" {
		return nil, nil, p.errAt(t.pos, `missing response before "~"`)
	}
	if t.kind == tEOF {
		return nil, nil, p.errAt(t.pos, "empty formula")
	}
	lhs, err = p.parseExpr(precOr)
	if err != nil {
		return nil, nil, err
	}
	t = p.next()
	if !(t.kind == tOp && t.text == "~") {
		if t.kind == tEOF {
			return nil, nil, p.errAt(t.pos, `missing "~" between response and predictors`)
		}
		return nil, nil, p.unexpected(t)
	}
	if p.peek().kind == tEOF {
		return nil, nil, p.errAt(p.peek().pos, `missing predictors after "~" (use 1 for an intercept-only model)`)
	}
	rhs, err = p.parseExpr(precOr)
	if err != nil {
		return nil, nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, nil, p.unexpected(t)
	}
	return lhs, rhs, nil
}

// parseExpr parses an expression whose binary operators bind at least as
// tightly as minPrec.
func (p *parser) parseExpr(minPrec int) (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.errAt(p.peek().pos, "the formula nests more than %d levels deep", MaxDepth)
	}
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tOp {
			return left, nil
		}
		prec, ok := binPrec[t.text]
		if !ok || prec < minPrec {
			return left, nil
		}
		p.next()
		next := prec + 1
		if t.text == "^" { // right associative
			next = prec
		}
		right, err := p.parseExpr(next)
		if err != nil {
			return nil, err
		}
		left = &binNode{pos: t.pos, op: t.text, l: left, r: right}
	}
}

// parseUnary parses a unary minus or plus, or a primary expression.
func (p *parser) parseUnary() (node, error) {
	t := p.peek()
	if t.kind == tOp && (t.text == "-" || t.text == "+") {
		p.next()
		x, err := p.parseExpr(precUnary)
		if err != nil {
			return nil, err
		}
		return &unaryNode{pos: t.pos, op: t.text, x: x}, nil
	}
	return p.parsePrimary()
}

// parsePrimary parses a number, a name, a call or a parenthesized
// expression.
func (p *parser) parsePrimary() (node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return &numNode{pos: t.pos, val: t.num}, nil
	case tIdent:
		if p.peek().kind != tLParen {
			return &identNode{pos: t.pos, name: t.text}, nil
		}
		p.next()
		call := &callNode{pos: t.pos, fn: t.text}
		if p.peek().kind == tRParen {
			p.next()
			return call, nil
		}
		for {
			arg, err := p.parseExpr(precOr)
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, arg)
			u := p.next()
			if u.kind == tRParen {
				return call, nil
			}
			if u.kind != tComma {
				if u.kind == tEOF {
					return nil, p.errAt(t.pos+len(t.text), `unclosed "(": missing ")"`)
				}
				return nil, p.unexpected(u)
			}
		}
	case tLParen:
		x, err := p.parseExpr(precOr)
		if err != nil {
			return nil, err
		}
		u := p.next()
		if u.kind != tRParen {
			if u.kind == tEOF {
				return nil, p.errAt(t.pos, `unclosed "(": missing ")"`)
			}
			return nil, p.unexpected(u)
		}
		return &parenNode{pos: t.pos, x: x}, nil
	}
	return nil, p.unexpected(t)
}

// prec returns the precedence of n for rendering; parentheses around a
// group term count as an atom.
func prec(n node) int {
	switch n := n.(type) {
	case *binNode:
		return binPrec[n.op]
	case *unaryNode:
		return precUnary
	case *parenNode:
		if isBar(n.x) {
			return precAtom
		}
		return prec(n.x)
	}
	return precAtom
}

// isBar reports whether n is a "|" or "||" node.
func isBar(n node) bool {
	b, ok := n.(*binNode)
	return ok && (b.op == "|" || b.op == "||")
}

// unparen strips parentheses.
func unparen(n node) node {
	for {
		p, ok := n.(*parenNode)
		if !ok {
			return n
		}
		n = p.x
	}
}

// isSyntactic reports whether name can be written without backquotes.
func isSyntactic(name string) bool {
	if name == "" || name == "." {
		return false
	}
	for i, r := range name {
		if i == 0 && !(isNameStart(r) || r == '.') || !isNameRune(r) {
			return false
		}
	}
	if name[0] == '.' && len(name) > 1 && name[1] >= '0' && name[1] <= '9' {
		return false
	}
	return true
}

// formatNum renders a number canonically (shortest round-trip form).
func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// render returns the canonical text of n: single spaces around ~ | + - *,
// none around / ^ :, parentheses only where precedence needs them (and
// always around group terms).
func render(n node) string {
	var b strings.Builder
	renderTo(&b, n)
	return b.String()
}

func renderTo(b *strings.Builder, n node) {
	switch n := n.(type) {
	case *numNode:
		b.WriteString(formatNum(n.val))
	case *identNode:
		if isSyntactic(n.name) {
			b.WriteString(n.name)
		} else {
			b.WriteString("`" + n.name + "`")
		}
	case *callNode:
		b.WriteString(n.fn)
		b.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, a)
		}
		b.WriteByte(')')
	case *parenNode:
		if isBar(n.x) {
			b.WriteByte('(')
			renderTo(b, n.x)
			b.WriteByte(')')
		} else {
			renderTo(b, n.x)
		}
	case *unaryNode:
		b.WriteString(n.op)
		renderWrapped(b, n.x, prec(n.x) < precUnary)
	case *binNode:
		p := binPrec[n.op]
		right := n.op == "^"
		renderWrapped(b, n.l, prec(n.l) < p || right && prec(n.l) == p)
		switch n.op {
		case "/", "^", ":":
			b.WriteString(n.op)
		default:
			b.WriteString(" " + n.op + " ")
		}
		renderWrapped(b, n.r, prec(n.r) < p || !right && prec(n.r) == p)
	}
}

func renderWrapped(b *strings.Builder, n node, wrap bool) {
	if wrap {
		b.WriteByte('(')
		renderTo(b, n)
		b.WriteByte(')')
		return
	}
	renderTo(b, n)
}
