package prior_test

import (
	"fmt"

	"github.com/govi-dev/govi/prior"
)

func ExampleParse() {
	for _, s := range []string{"normal(0, 2.5)", " student_t( 3,0 ,1e1 )", "half_cauchy(0, 5)", "flat"} {
		p, err := prior.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		lp, d1, d2 := p.LogProb(1)
		fmt.Printf("%-22s positive=%-5v log p(1) = %.6f  d1 = %.4f  d2 = %.4f\n", p, p.Positive(), lp, d1, d2)
	}
	for _, s := range []string{"normal(0, -1)", "student_t(3, 0)", "normall(0, 1)", "half_normal(1, 2)"} {
		_, err := prior.Parse(s)
		fmt.Println(err)
	}
	// Output:
	// normal(0, 2.5)         positive=false log p(1) = -1.915229  d1 = -0.1600  d2 = -0.1600
	// student_t(3, 0, 10)    positive=false log p(1) = -3.310130  d1 = -0.0133  d2 = -0.0132
	// half_cauchy(0, 5)      positive=true  log p(1) = -2.100241  d1 = -0.0769  d2 = -0.0710
	// flat                   positive=false log p(1) = 0.000000  d1 = 0.0000  d2 = 0.0000
	// prior: normal(0, -1): sigma must be positive
	// prior: student_t(3, 0): student_t takes 3 arguments: student_t(nu, mu, sigma)
	// prior: unknown prior "normall"; did you mean "normal"?
	// prior: half_normal(1, 2): location must be 0, as in half_normal(0, sigma)
}
