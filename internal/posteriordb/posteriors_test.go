package posteriordb

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/govi-dev/govi/model"
)

// modelMD returns the named posterior's log density written out from its
// model.md, independently of posteriors.go: the data transforms, the
// priors (flat ones contribute nothing) and the likelihood on the natural
// scale, plus the log-Jacobian of Stan's unconstraining transforms
// (log σ for σ > 0; log(x − a) + log(b − x) for x in (a, b), up to a
// constant), as a function of the reference's parameters x, named by
// names. Constants are dropped where model.md drops them, so it agrees
// with the govi model up to an additive constant.
func modelMD(t *testing.T, name string, names []string) func(x []float64) float64 {
	t.Helper()
	dir, err := dirOf(name)
	if name == NonCenteredRadon {
		dir, err = dirOf("radon_mn-radon_variable_intercept_centered")
	}
	if err != nil {
		t.Fatal(err)
	}
	d, err := readData(dir)
	if err != nil {
		t.Fatal(err)
	}
	vec := func(k string) []float64 {
		v, err := d.vec(k)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	at := func(x []float64, n string) float64 {
		i := slices.Index(names, n)
		if i < 0 {
			t.Fatalf("%s: no parameter %s", name, n)
		}
		return x[i]
	}
	sq := func(v float64) float64 { return v * v }
	// normalLik is −N log σ − Σ (y − μ_i)²/(2σ²) with μ_i = mu(i).
	normalLik := func(y []float64, sigma float64, mu func(i int) float64) float64 {
		lp := -float64(len(y)) * math.Log(sigma)
		for i := range y {
			lp -= sq(y[i]-mu(i)) / (2 * sigma * sigma)
		}
		return lp
	}
	logit := func(y, eta float64) float64 { // y log σ(η) + (1 − y) log σ(−η)
		return y*eta - softplusT(eta)
	}
	beta := func(x []float64, k int) []float64 {
		b := make([]float64, k)
		for j := range b {
			b[j] = x[j]
		}
		return b
	}
	switch name {
	case "eight_schools-eight_schools_noncentered", "eight_schools-eight_schools_centered":
		y, se := vec("y"), vec("sigma")
		centered := name == "eight_schools-eight_schools_centered"
		return func(x []float64) float64 {
			mu, tau := at(x, "mu"), at(x, "tau")
			lp := -mu*mu/50 - math.Log1p(sq(tau/5)) + math.Log(tau)
			for j := range y {
				th := x[j] // theta[j+1]
				lp -= sq(y[j]-th) / (2 * se[j] * se[j])
				if centered {
					lp -= math.Log(tau) + sq(th-mu)/(2*tau*tau)
				} else {
					lp -= sq((th-mu)/tau) / 2 // theta_trans = (theta − mu)/tau
				}
			}
			return lp
		}
	case "kidiq-kidscore_momiq", "kidiq-kidscore_interaction", "kidiq_with_mom_work-kidscore_interaction_c":
		ks, hs, iq := vec("kid_score"), vec("mom_hs"), vec("mom_iq")
		if name == "kidiq_with_mom_work-kidscore_interaction_c" {
			hs, iq = Centred(hs), Centred(iq)
		}
		return func(x []float64) float64 {
			s := at(x, "sigma")
			lp := math.Log(s)
			var mu func(i int) float64
			if name == "kidiq-kidscore_momiq" {
				b := beta(x, 2)
				mu = func(i int) float64 { return b[0] + b[1]*iq[i] }
			} else {
				b := beta(x, 4)
				mu = func(i int) float64 { return b[0] + b[1]*hs[i] + b[2]*iq[i] + b[3]*hs[i]*iq[i] }
			}
			if name != "kidiq_with_mom_work-kidscore_interaction_c" {
				lp -= math.Log1p(sq(s / 2.5))
			}
			return lp + normalLik(ks, s, mu)
		}
	case "kilpisjarvi_mod-kilpisjarvi":
		y, xx := vec("y"), vec("x")
		var h [4]float64
		for i, k := range []string{"pmualpha", "psalpha", "pmubeta", "psbeta"} {
			h[i], _ = d.scalar(k)
		}
		return func(x []float64) float64 {
			a, b, s := at(x, "alpha"), at(x, "beta"), at(x, "sigma")
			lp := -sq(a-h[0])/(2*h[1]*h[1]) - sq(b-h[2])/(2*h[3]*h[3]) + math.Log(s)
			return lp + normalLik(y, s, func(i int) float64 { return a + b*xx[i] })
		}
	case "mesquite-mesquite", "mesquite-logmesquite", "mesquite-logmesquite_logvolume":
		w, d1, d2, ch, th, de, g := vec("weight"), vec("diam1"), vec("diam2"), vec("canopy_height"), vec("total_height"), vec("density"), vec("group")
		lg := func(v []float64) []float64 { return Mapf(math.Log, v) }
		y := w
		if name != "mesquite-mesquite" {
			y = lg(w)
		}
		return func(x []float64) float64 {
			s := at(x, "sigma")
			var mu func(i int) float64
			switch name {
			case "mesquite-mesquite":
				b := beta(x, 7)
				mu = func(i int) float64 {
					return b[0] + b[1]*d1[i] + b[2]*d2[i] + b[3]*ch[i] + b[4]*th[i] + b[5]*de[i] + b[6]*g[i]
				}
			case "mesquite-logmesquite":
				b := beta(x, 7)
				mu = func(i int) float64 {
					return b[0] + b[1]*math.Log(d1[i]) + b[2]*math.Log(d2[i]) + b[3]*math.Log(ch[i]) + b[4]*math.Log(th[i]) + b[5]*math.Log(de[i]) + b[6]*g[i]
				}
			default:
				b := beta(x, 2)
				mu = func(i int) float64 { return b[0] + b[1]*math.Log(d1[i]*d2[i]*ch[i]) }
			}
			return math.Log(s) + normalLik(y, s, mu)
		}
	case "earnings-earn_height", "earnings-logearn_interaction":
		earn, h, m := vec("earn"), vec("height"), vec("male")
		return func(x []float64) float64 {
			s := at(x, "sigma")
			if name == "earnings-earn_height" {
				b := beta(x, 2)
				return math.Log(s) + normalLik(earn, s, func(i int) float64 { return b[0] + b[1]*h[i] })
			}
			b := beta(x, 4)
			return math.Log(s) + normalLik(Mapf(math.Log, earn), s, func(i int) float64 {
				return b[0] + b[1]*h[i] + b[2]*m[i] + b[3]*h[i]*m[i]
			})
		}
	case "nes2000-nes":
		p7, ideo, race, age, educ, gender, income := vec("partyid7"), vec("real_ideo"), vec("race_adj"), vec("age_discrete"), vec("educ1"), vec("gender"), vec("income")
		ind := func(c bool) float64 {
			if c {
				return 1
			}
			return 0
		}
		return func(x []float64) float64 {
			s := at(x, "sigma")
			b := beta(x, 9)
			return math.Log(s) + normalLik(p7, s, func(i int) float64 {
				return b[0] + b[1]*ideo[i] + b[2]*race[i] + b[3]*ind(age[i] == 2) + b[4]*ind(age[i] == 3) + b[5]*ind(age[i] == 4) + b[6]*educ[i] + b[7]*gender[i] + b[8]*income[i]
			})
		}
	case "sblrc-blr":
		y := vec("y")
		var xm [][]float64
		if err := d.decode("X", &xm); err != nil {
			t.Fatal(err)
		}
		return func(x []float64) float64 {
			s := at(x, "sigma")
			b := beta(x, 5)
			lp := -s*s/200 + math.Log(s)
			for _, v := range b {
				lp -= v * v / 200
			}
			return lp + normalLik(y, s, func(i int) float64 {
				m := 0.0
				for j, v := range b {
					m += xm[i][j] * v
				}
				return m
			})
		}
	case "diamonds-diamonds":
		y := vec("Y")
		var xm [][]float64
		if err := d.decode("X", &xm); err != nil {
			t.Fatal(err)
		}
		kc := len(xm[0]) - 1
		means := make([]float64, kc)
		for _, r := range xm {
			for j := range means {
				means[j] += r[j+1] / float64(len(xm))
			}
		}
		logT := func(v, nu, m, s float64) float64 { // Student-t without its constants
			return -(nu + 1) / 2 * math.Log1p(sq((v-m)/s)/nu)
		}
		return func(x []float64) float64 {
			b := beta(x, kc) // b[1..24] come first in the reference
			ic, s := at(x, "Intercept"), at(x, "sigma")
			lp := logT(ic, 3, 8, 10) + logT(s, 3, 0, 10) + math.Log(s)
			for _, v := range b {
				lp -= v * v / 2
			}
			return lp + normalLik(y, s, func(i int) float64 {
				m := ic
				for j, v := range b {
					m += (xm[i][j+1] - means[j]) * v
				}
				return m
			})
		}
	case "wells_data-wells_dist":
		y, dist := vec("switched"), vec("dist")
		return func(x []float64) float64 {
			b := beta(x, 2)
			lp := 0.0
			for i := range y {
				lp += logit(y[i], b[0]+b[1]*dist[i])
			}
			return lp
		}
	case "wells_data-wells_dae_inter_model":
		y, dist, ars, educ := vec("switched"), vec("dist"), vec("arsenic"), vec("educ")
		cd, ca, ce := Centred(dist), Centred(ars), Centred(educ)
		return func(x []float64) float64 {
			a := at(x, "alpha")
			b := x[1:7]
			lp := 0.0
			for i := range y {
				d100, e4 := cd[i]/100, ce[i]/4
				eta := a + b[0]*d100 + b[1]*ca[i] + b[2]*e4 + b[3]*d100*ca[i] + b[4]*d100*e4 + b[5]*ca[i]*e4
				lp += logit(y[i], eta)
			}
			return lp
		}
	case "GLM_Poisson_Data-GLM_Poisson_model":
		c, yr := vec("C"), vec("year")
		return func(x []float64) float64 {
			a := at(x, "alpha")
			b1, b2, b3 := at(x, "beta1"), at(x, "beta2"), at(x, "beta3")
			lp := math.Log(a+20) + math.Log(20-a)
			for _, b := range []float64{b1, b2, b3} {
				lp += math.Log(b+10) + math.Log(10-b)
			}
			for i := range c {
				y := yr[i]
				eta := a + b1*y + b2*y*y + b3*y*y*y
				lp += c[i]*eta - math.Exp(eta)
			}
			return lp
		}
	case "radon_mn-radon_variable_intercept_centered", NonCenteredRadon:
		y, fl, ci := vec("log_radon"), vec("floor_measure"), vec("county_idx")
		return func(x []float64) float64 {
			b, mu := at(x, "beta"), at(x, "mu_alpha")
			sa, sy := at(x, "sigma_alpha"), at(x, "sigma_y")
			lp := -sy*sy/2 - sa*sa/2 - sq(mu/10)/2 - sq(b/10)/2 + math.Log(sa) + math.Log(sy)
			alpha := x[:85]
			for _, a := range alpha {
				lp -= sq((a-mu)/sa) / 2 // alpha_raw²/2 (non-centered) or the centered prior's exponent
				if name != NonCenteredRadon {
					lp -= math.Log(sa)
				}
			}
			return lp + normalLik(y, sy, func(i int) float64 { return alpha[int(ci[i])-1] + b*fl[i] })
		}
	case "seeds_data-seeds_stanified_model":
		n, nn, x1, x2 := vec("n"), vec("N"), vec("x1"), vec("x2")
		return func(x []float64) float64 {
			a0, a1, a2, a12 := at(x, "alpha0"), at(x, "alpha1"), at(x, "alpha2"), at(x, "alpha12")
			s := at(x, "sigma")
			lp := -(a0*a0+a1*a1+a2*a2+a12*a12)/2 - math.Log1p(s*s) + math.Log(s)
			for i := range n {
				b := at(x, "b["+strconv.Itoa(i+1)+"]")
				lp -= math.Log(s) + sq(b/s)/2
				eta := a0 + a1*x1[i] + a2*x2[i] + a12*x1[i]*x2[i] + b
				lp += n[i]*eta - nn[i]*softplusT(eta)
			}
			return lp
		}
	}
	t.Fatalf("no model.md density for %s", name)
	return nil
}

func softplusT(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// TestLogDensityMatchesModelMD checks that every govi model is its
// model.md exactly: at draws spread over the posterior, govi's log density
// minus the density written out above is the same constant (normalizing
// constants differ, nothing else may).
func TestLogDensityMatchesModelMD(t *testing.T) {
	needShared(t)
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			e := evaluate(t, name, FullRank)
			md := modelMD(t, name, e.ref.Names)
			ds := e.s.Draws
			n, _ := ds.X.Dims()
			var c0 float64
			// 20 draws from q: they spread over several posterior sds.
			rows := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
			for i := 10; i < n; i += n / 10 {
				rows = append(rows, i)
			}
			for k, i := range rows {
				c := ds.LogP[i] - md(ds.X.RawRowView(i))
				if k == 0 {
					c0 = c
					continue
				}
				if tol := 1e-9 * (1 + math.Abs(ds.LogP[i])); math.Abs(c-c0) > tol {
					t.Errorf("draw %d: log p − model.md = %.12g, draw %d: %.12g (differ by %.3g > %.3g)", i, c, rows[0], c0, c-c0, tol)
				}
			}
		})
	}
}

// TestGLMPoissonGradient checks the hand-written gradient of the only
// model.Constrained posterior against finite differences.
func TestGLMPoissonGradient(t *testing.T) {
	needShared(t)
	p, err := Load("GLM_Poisson_Data-GLM_Poisson_model")
	if err != nil {
		t.Fatal(err)
	}
	for _, theta := range [][]float64{{0, 0, 0, 0}, {0.4, 0.1, -0.02, -0.05}, {-1, 2, -0.5, 0.3}} {
		if err := model.CheckGrad(p.Model, theta, 1e-6); err != nil {
			t.Errorf("θ = %v: %v", theta, err)
		}
	}
}

// TestDir checks the environment override and the error when the shared
// folder is missing.
func TestDir(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(EnvShared, empty)
	if _, err := Dir(); !errors.Is(err, ErrNoShared) {
		t.Errorf("Dir with %s = empty folder: err = %v, want ErrNoShared", EnvShared, err)
	}
	if _, err := Load("kidiq-kidscore_momiq"); !errors.Is(err, ErrNoShared) {
		t.Errorf("Load without the shared folder: err = %v, want ErrNoShared", err)
	}
	if err := os.Mkdir(filepath.Join(empty, "posteriordb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if d, err := Dir(); err != nil || d != empty {
		t.Errorf("Dir = %q, %v; want %q", d, err, empty)
	}
	if _, err := Load("no-such-posterior"); err == nil {
		t.Error("Load of an unknown posterior succeeded")
	}
}
