package transform

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func TestElementwise(t *testing.T) {
	for _, e := range []Elementwise{
		{Identity{}, 2},
		{Lower{0}, 3},
		{Upper{1}, 2},
		{Interval{-1, 2}, 4},
	} {
		t.Run(e.String(), func(t *testing.T) {
			n := e.N
			if e.Dim() != n || e.Len() != n {
				t.Fatalf("Dim, Len = %d, %d, want %d, %d", e.Dim(), e.Len(), n, n)
			}
			u := make([]float64, n)
			for i := range u {
				u[i] = 0.7*float64(i) - 1.1
			}
			x := make([]float64, n)
			e.Forward(x, u)
			u2 := make([]float64, n)
			if err := e.Inverse(u2, x); err != nil {
				t.Fatalf("Inverse(Forward(u)): %v", err)
			}
			wantLJ := 0.0
			for i := range u {
				checkClose(t, "x["+itoa(i)+"]", x[i], e.S.Forward(u[i]), 0, 0)
				checkClose(t, "Inverse(Forward(u))["+itoa(i)+"]", u2[i], u[i], 1e-14, 1e-15)
				lj, _, _ := e.S.LogJac(u[i])
				wantLJ += lj
			}
			grad := make([]float64, n)
			checkClose(t, "LogJacGrad", e.LogJacGrad(grad, u), wantLJ, 1e-15, 1e-15)
			num := fd.Gradient(nil, func(u []float64) float64 { return e.LogJacGrad(nil, u) }, u, central)
			for i := range grad {
				checkClose(t, "LogJacGrad gradient["+itoa(i)+"]", grad[i], num[i], 1e-7, 1e-8)
			}
			// Backprop against Jᵀg from a numerical Jacobian, accumulating
			// onto a non-zero dst.
			g := make([]float64, n)
			for i := range g {
				g[i] = 1.3 - 0.4*float64(i)
			}
			J := mat.NewDense(n, n, nil)
			fd.Jacobian(J, e.Forward, u, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
			var want mat.VecDense
			want.MulVec(J.T(), mat.NewVecDense(n, g))
			dst := make([]float64, n)
			for i := range dst {
				dst[i] = 2
			}
			e.Backprop(dst, u, g)
			for i := range dst {
				checkClose(t, "Backprop["+itoa(i)+"]", dst[i]-2, want.AtVec(i), 1e-7, 1e-8)
			}
		})
	}
}

func TestElementwiseInverseRejects(t *testing.T) {
	e := Elementwise{Lower{0}, 3}
	err := e.Inverse(make([]float64, 3), []float64{1, 2, -0.5})
	checkSupportError(t, "Inverse", err, "lower=0[3]", "x[2]", "-0.5", "x > 0")
	var se *SupportError
	if errors.As(err, &se) && se.Index != 2 {
		t.Errorf("SupportError.Index = %d, want 2", se.Index)
	}
	// Errors from other Scalar implementations are wrapped, not replaced.
	e = Elementwise{positive{}, 2}
	err = e.Inverse(make([]float64, 2), []float64{1, -1})
	if !errors.Is(err, errPositive) {
		t.Errorf("Inverse error %v does not wrap the scalar's error", err)
	}
	checkPanics(t, "Forward length", func() { e.Forward(make([]float64, 1), make([]float64, 2)) })
}

// positive is a Scalar with its own error type, for the wrapping test.
type positive struct{ Lower }

var errPositive = errors.New("not positive")

func (positive) Inverse(x float64) (float64, error) {
	if x <= 0 {
		return math.NaN(), fmt.Errorf("custom: %w", errPositive)
	}
	return math.Log(x), nil
}
