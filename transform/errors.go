package transform

import (
	"errors"
	"fmt"
)

// SupportError reports a value passed to an Inverse method that lies outside
// the open support of the transform. Callers can recover the details with
// errors.As; the message alone names the transform, the offending value and
// the bound it violates.
type SupportError struct {
	// Transform is the String form of the transform, e.g. "lower=0".
	Transform string
	// Name is the offending quantity: "x", "x[2]" or "sum(x)".
	Name string
	// Index is the position of the offending element in a vector, or −1
	// when the error concerns a scalar or the vector as a whole.
	Index int
	// Value is the offending value.
	Value float64
	// Want states the violated condition, e.g. "x > 0" or "0 < x < 1".
	Want string
}

// Error implements the error interface.
func (e *SupportError) Error() string {
	return fmt.Sprintf("transform: %s: %s = %g is outside the support, want %s",
		e.Transform, e.Name, e.Value, e.Want)
}

// scalarErr builds the SupportError for a scalar transform.
func scalarErr(t Scalar, x float64, want string) error {
	return &SupportError{Transform: t.String(), Name: "x", Index: -1, Value: x, Want: want}
}

// asSupportError is errors.As specialised to *SupportError.
func asSupportError(err error) (*SupportError, bool) {
	var se *SupportError
	ok := errors.As(err, &se)
	return se, ok
}
