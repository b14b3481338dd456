package estimators_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/gauss"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// exactModel is a test model with its exact log Z.
type exactModel struct {
	name string
	m    runtime.Reflective
	logZ float64
}

// gaussLogZ is log Z of p(v) ∝ exp(−½·vᵀAv + bᵀv) over ℝⁿ, for A with a
// positive definite symmetric part S = (A + Aᵀ)/2:
//
//	log Z = (n/2)·log 2π − ½·log det S + ½·bᵀS⁻¹b.
func gaussLogZ(t *testing.T, a, b []float64) float64 {
	t.Helper()
	n := len(b)
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for k := range n {
			s.SetSym(i, k, (a[i*n+k]+a[k*n+i])/2)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(s) {
		t.Fatal("gauss: the precision is not positive definite")
	}
	var x mat.VecDense
	bv := mat.NewVecDense(n, b)
	if err := ch.SolveVecTo(&x, bv); err != nil {
		t.Fatal(err)
	}
	return float64(n)/2*math.Log(2*math.Pi) - ch.LogDet()/2 + mat.Dot(bv, &x)/2
}

// enumerable returns the generated test models with parameters moved away
// from the base model (the 6×3 RBM twice: N(0, 1.5²) and, far from the
// base and with sharp modes, N(0, 5²) parameters), each with its exact
// log Z: by enumeration, or for
// the Gaussian with lateral couplings (precision 1.5·I plus a coupling of
// N(0, 0.3²) entries) in closed form.
func enumerable(t *testing.T) []exactModel {
	t.Helper()
	c := classrbm.NewClassRBM(3).Reflect()
	modeltest.Perturb(c, 1, 8)
	f := fvbm.NewFVBM(2).Reflect()
	modeltest.Perturb(f, 0.7, 9)
	g := grbm.NewGRBM(4).Reflect()
	modeltest.Perturb(g, 0.5, 10)
	hard := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(hard, 5, 7)
	var out []exactModel
	for _, c := range []struct {
		name string
		m    runtime.Reflective
	}{{"rbm", strongRBM()}, {"rbm, N(0, 5²)", hard}, {"classrbm", c}, {"fvbm", f}, {"grbm", g}} {
		z, err := c.m.LogZ(0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out = append(out, exactModel{c.name, c.m, z})
	}
	gs := gauss.NewGauss(5)
	rng := runtime.NewRNG(11, 0)
	for i := range 3 {
		for k := range 3 {
			gs.A[i*3+k] = 0.3 * rng.Normal()
		}
		gs.A[i*3+i] += 1.5
		gs.B[i] = rng.Normal()
	}
	return append(out, exactModel{"gauss", gs.Reflect(), gaussLogZ(t, gs.A, gs.B)})
}

// lisSigma is the standard deviation of log Ẑ by the delta method,
// √((R/ESS − 1)/R) for R runs (Kish's ESS gives the weights' relative
// variance).
func lisSigma(e *estimators.Estimate) float64 {
	r := float64(len(e.LogW))
	return math.Sqrt(math.Max(r/e.ESS-1, 0) / r)
}

// TestLISWithinInterval: on every test model — two RBMs, a class RBM
// (softmax labels), a fully visible BM (lateral couplings, site-by-site
// palindromic kernel), a Gaussian–Bernoulli RBM and a Gaussian with
// lateral couplings — linked importance sampling with 20 distributions of
// 10 states and 400 runs puts the exact log Z inside its own ±3σ interval.
// Negative control: with the link states chosen uniformly rather than in
// proportion to the bridge weights, the estimate on the RBM (5
// distributions, 2000 runs) lies below the exact value by more than its
// interval.
func TestLISWithinInterval(t *testing.T) {
	const runs = 400
	for _, c := range enumerable(t) {
		e, err := estimators.LIS(c.m, estimators.Uniform(c.m), estimators.LISConfig{
			AISConfig: estimators.AISConfig{Temperatures: 20, Runs: runs, Seed: 1}, States: 10})
		if err != nil {
			t.Fatal(err)
		}
		checkESS(t, c.name, []float64{e.ESS}, runs)
		if !e.Finite() || c.logZ < e.Low || c.logZ > e.High {
			t.Errorf("%s: %s: log Z %.4f [%.4f, %.4f], exact %.4f", c.name, e.Method, e.LogZ, e.Low, e.High, c.logZ)
		}
		t.Logf("%s: %s: %.4f [%.4f, %.4f] (σ %.4f, ESS %.0f), exact %.4f, error %.1fσ, %.3fs",
			c.name, e.Method, e.LogZ, e.Low, e.High, lisSigma(e), e.ESS, c.logZ, (e.LogZ-c.logZ)/lisSigma(e), e.Seconds)
	}

	m := strongRBM()
	z, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := estimators.LISConfig{AISConfig: estimators.AISConfig{Temperatures: 5, Runs: 2000, Seed: 3}, States: 10}
	good, err := estimators.LIS(m, estimators.Uniform(m), cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := estimators.LISUniformLink(m, estimators.Uniform(m), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("control: exact %.4f; LIS %.4f [%.4f, %.4f]; uniform links %.4f [%.4f, %.4f]", z, good.LogZ, good.Low, good.High, bad.LogZ, bad.Low, bad.High)
	if z < good.Low || z > good.High {
		t.Errorf("LIS at 5 distributions: %.4f [%.4f, %.4f], exact %.4f", good.LogZ, good.Low, good.High, z)
	}
	if z >= bad.Low && z <= bad.High {
		t.Errorf("control: LIS with uniform links holds the exact log Z %.4f in [%.4f, %.4f]; the check cannot tell", z, bad.Low, bad.High)
	}
}

// LIS refuses a bad configuration with an error, and States = 1 is
// importance sampling from the base.
func TestLISConfig(t *testing.T) {
	m := strongRBM()
	for _, cfg := range []estimators.LISConfig{
		{States: -1},
		{AISConfig: estimators.AISConfig{Temperatures: -1}},
		{AISConfig: estimators.AISConfig{Runs: -2}},
		{AISConfig: estimators.AISConfig{Betas: []float64{0, 0.7, 0.5, 1}}},
	} {
		if _, err := estimators.LIS(m, estimators.Uniform(m), cfg); err == nil || !strings.Contains(err.Error(), "LIS of RBM") {
			t.Errorf("LIS accepted %+v (%v)", cfg, err)
		}
	}
	e, err := estimators.LIS(m, estimators.Uniform(m), estimators.LISConfig{AISConfig: estimators.AISConfig{Temperatures: 4, Runs: 7}})
	if err != nil || len(e.LogW) != 7 || !strings.Contains(e.Method, "4 distributions, 10 states each, 7 runs") {
		t.Fatalf("default states: %+v, %v", e, err)
	}
}

// TestLISVarianceTable measures, on every test model, the spread of log Ẑ
// over 40 independent estimates of 50 runs each, at an equal number of
// transitions per run (180): AIS at 180 temperatures, bridged AIS (25
// forward and 25 reverse runs at 180 temperatures, the reverse runs after
// 20 sweeps of burn-in) and LIS with 2, 4 and 10 states per distribution
// (180, 60 and 20 distributions). It prints the table of docs/training.md
// (go test ./runtime/estimators -run TestLISVarianceTable -v) and checks
// that every estimator's mean is within 4 standard errors (plus 0.01) of
// the exact log Z.
func TestLISVarianceTable(t *testing.T) {
	if testing.Short() {
		t.Skip("40 estimates of every kind on five models")
	}
	const reps, runs, transitions = 40, 50, 180
	type method struct {
		name string
		run  func(m runtime.Reflective, seed uint64) (*estimators.Estimate, error)
	}
	methods := []method{
		{"AIS, 180 temperatures", func(m runtime.Reflective, s uint64) (*estimators.Estimate, error) {
			return estimators.AIS(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: transitions, Runs: runs, Seed: s})
		}},
		{"bridged AIS, 180 temperatures, 25+25 runs", func(m runtime.Reflective, s uint64) (*estimators.Estimate, error) {
			return estimators.BridgedAIS(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: transitions, Runs: runs / 2, Seed: s}, 20)
		}},
	}
	for _, n := range []int{2, 4, 10} {
		methods = append(methods, method{fmt.Sprintf("LIS, %d distributions × %d states", transitions/(n-1), n),
			func(m runtime.Reflective, s uint64) (*estimators.Estimate, error) {
				return estimators.LIS(m, estimators.Uniform(m), estimators.LISConfig{
					AISConfig: estimators.AISConfig{Temperatures: transitions / (n - 1), Runs: runs, Seed: s}, States: n})
			}})
	}
	var b strings.Builder
	b.WriteString("\n| model | estimator | mean − exact | sd of log Ẑ | RMSE | seconds per estimate |\n|---|---|---|---|---|---|\n")
	for _, c := range enumerable(t) {
		for _, me := range methods {
			est := make([]float64, reps)
			secs := 0.0
			for r := range est {
				e, err := me.run(c.m, uint64(1000+r))
				if err != nil {
					t.Fatal(err)
				}
				est[r], secs = e.LogZ-c.logZ, secs+e.Seconds
			}
			mean, se := meanSE(est)
			sd := se * math.Sqrt(reps)
			rmse := 0.0
			for _, d := range est {
				rmse += d * d
			}
			rmse = math.Sqrt(rmse / reps)
			fmt.Fprintf(&b, "| %s | %s | %+.4f ± %.4f | %.4f | %.4f | %.4f |\n", c.name, me.name, mean, se, sd, rmse, secs/reps)
			if math.Abs(mean) > 4*se+0.01 {
				t.Errorf("%s, %s: mean error %.4f ± %.4f", c.name, me.name, mean, se)
			}
		}
	}
	t.Log(b.String())
}
