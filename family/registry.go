package family

import (
	"fmt"
	"slices"
	"strings"
)

// constructors maps a family's name, as the command and spec files spell
// it, to its constructor; rank is used only by families that take one.
var constructors = map[string]func(d, rank int) (Family, error){
	"meanfield": func(d, _ int) (Family, error) { return NewMeanField(d), nil },
	"fullrank":  func(d, _ int) (Family, error) { return NewFullRank(d), nil },
	"lowrank": func(d, rank int) (Family, error) {
		if rank < 1 {
			return nil, fmt.Errorf("family: lowrank needs a rank of at least 1, not %d", rank)
		}
		return NewLowRank(d, rank), nil
	},
}

// Names returns the names New accepts, sorted.
func Names() []string {
	var n []string
	for k := range constructors {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// New returns the family called name on R^d with its default initial
// parameters (μ = 0, unit scale). rank is the rank of families that take
// one and is otherwise ignored.
func New(name string, d, rank int) (Family, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("family: unknown family %q; families are %s", name, strings.Join(Names(), ", "))
	}
	if d < 1 {
		return nil, fmt.Errorf("family: dimension %d: need at least 1", d)
	}
	return c(d, rank)
}
