package formula

// Limits on a formula, so that any input gets a result or a clear error
// in bounded time and memory: the text, the nesting of parentheses, calls
// and operators, and the number of terms after expanding interactions.
const (
	// MaxLength is the longest formula text, in bytes.
	MaxLength = 100000
	// MaxDepth is the deepest nesting of parentheses, calls, unary
	// operators and "^".
	MaxDepth = 200
	// MaxTerms is the most population-level terms a formula may expand
	// to (x1*x2*…*x12 is 4095).
	MaxTerms = 5000
)
