package training_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/emtest"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// emModels are the models the EM tests train, with whether EM's closed form
// applies. Odd is the mixture with another layout: hidden layer first, the
// weight declared [K, NV] and scaled by ½, a second weight on the same
// statistic, the component field scaled by 3, no visible bias, other names.
var emModels = []struct {
	name   string
	new    func(seed uint64) runtime.Reflective
	closed bool
}{
	{"mix", func(s uint64) runtime.Reflective { return emtest.NewMix(s).Reflect() }, true},
	{"tiny", func(s uint64) runtime.Reflective { return emtest.NewTiny(s).Reflect() }, true},
	{"odd", func(s uint64) runtime.Reflective { return emtest.NewOdd(s).Reflect() }, true},
	{"noprior", func(s uint64) runtime.Reflective { return emtest.NewNoPrior(s).Reflect() }, false},
	{"rbm", func(s uint64) runtime.Reflective { return rbm.NewRBM(s).Reflect() }, false},
}

func emModel(t *testing.T, name string) func(uint64) runtime.Reflective {
	t.Helper()
	for _, m := range emModels {
		if m.name == name {
			return m.new
		}
	}
	t.Fatalf("no EM test model %s", name)
	return nil
}

// TestEMLogLikelihoodNeverFalls: EM's log-likelihood does not fall from one
// iteration to the next, by the closed form (mixtures) and by generalized
// EM (a mixture without free mixing weights, a 6×3 RBM), rises overall, and
// its last value is estimators.LogLikelihood at log Z from the model's own
// enumeration.
func TestEMLogLikelihoodNeverFalls(t *testing.T) {
	cases := []struct {
		model string
		cfg   training.EMConfig
	}{
		{"mix", training.EMConfig{Iterations: 60, Tol: -1}},
		{"odd", training.EMConfig{Iterations: 60, Tol: -1}},
		{"noprior", training.EMConfig{Iterations: 25, Steps: 20, LearningRate: 0.5, Tol: -1}},
		{"rbm", training.EMConfig{Iterations: 25, Steps: 20, LearningRate: 0.5, Tol: -1}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			m := emModel(t, c.model)(3)
			data := clusteredRows(m, 120, 7)
			var progress bytes.Buffer
			c.cfg.Progress = &progress
			res, err := training.EM(m, data, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Iterations != c.cfg.Iterations || len(res.LogLik) != res.Iterations+1 {
				t.Fatalf("%d iterations and %d log-likelihoods, want %d and %d", res.Iterations, len(res.LogLik), c.cfg.Iterations, c.cfg.Iterations+1)
			}
			for i := 1; i < len(res.LogLik); i++ {
				if res.LogLik[i] < res.LogLik[i-1]-1e-12 {
					t.Errorf("iteration %d: log-likelihood fell from %.15f to %.15f", i, res.LogLik[i-1], res.LogLik[i])
				}
			}
			first, last := res.LogLik[0], res.LogLik[len(res.LogLik)-1]
			if last < first+0.1 {
				t.Errorf("log-likelihood rose only from %.6f to %.6f", first, last)
			}
			logZ, err := m.LogZ(0)
			if err != nil {
				t.Fatal(err)
			}
			ll, err := estimators.LogLikelihood(m, data, logZ)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(ll-last) > 1e-9 {
				t.Errorf("EM's last log-likelihood %.12f, estimators.LogLikelihood %.12f", last, ll)
			}
			if lines := strings.Count(progress.String(), "log-likelihood"); lines != res.Iterations {
				t.Errorf("%d progress lines, want %d:\n%s", lines, res.Iterations, progress.String())
			}
			t.Logf("log-likelihood %.4f → %.4f in %d iterations, closed form %v", first, last, res.Iterations, res.ClosedForm)
		})
	}
}

// clusteredRows returns n rows of binary data for m's visible units around
// two prototypes (alternating bits and their complement), each bit flipped
// with probability 0.15.
func clusteredRows(m runtime.Reflective, n int, seed uint64) *dataset.Dataset {
	rng := runtime.NewRNG(seed, 2)
	nv := modeltest.RandomRows(m, 1, 0).Cols
	d := &dataset.Dataset{Rows: n, Cols: nv, X: make([]float64, n*nv)}
	for r := range n {
		proto := r % 2
		for i := range nv {
			bit := float64((i + proto) % 2)
			if rng.Bernoulli(0.15) == 1 {
				bit = 1 - bit
			}
			d.X[r*nv+i] = bit
		}
	}
	return d
}

// TestEMStops: with the default Tol, EM stops once the rise falls below
// 1e-6 — of the log-likelihood, or with pseudo-counts of the log posterior,
// which MAP-EM ascends instead.
func TestEMStops(t *testing.T) {
	for _, pseudo := range []float64{0, 1} {
		t.Run(fmt.Sprint("pseudo=", pseudo), func(t *testing.T) {
			m := emtest.NewMix(4).Reflect()
			res, err := training.EM(m, clusteredRows(m, 200, 3), training.EMConfig{Iterations: 1000, Pseudo: pseudo})
			if err != nil {
				t.Fatal(err)
			}
			ll := res.LogLik
			if res.Iterations >= 1000 || len(ll) != res.Iterations+1 {
				t.Fatalf("%d iterations, %d log-likelihoods", res.Iterations, len(ll))
			}
			if pseudo == 0 && ll[len(ll)-1]-ll[len(ll)-2] >= 1e-6 {
				t.Errorf("stopped after a rise of %.3g", ll[len(ll)-1]-ll[len(ll)-2])
			}
			t.Logf("%d iterations, log-likelihood %.6f → %.6f", res.Iterations, ll[0], ll[len(ll)-1])
		})
	}
}

// TestEMClosedFormDetection: the closed form is found on the mixtures,
// whatever their names, layout and scale factors, and not on a mixture
// whose mixing weights are not free parameters nor on an RBM.
func TestEMClosedFormDetection(t *testing.T) {
	for _, c := range emModels {
		t.Run(c.name, func(t *testing.T) {
			m := c.new(1)
			res, err := training.EM(m, modeltest.RandomRows(m, 20, 2), training.EMConfig{Iterations: 1, Steps: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.ClosedForm != c.closed {
				t.Fatalf("ClosedForm = %v, want %v (%s)", res.ClosedForm, c.closed, res.Why)
			}
			if (res.Why == "") != c.closed {
				t.Errorf("Why = %q with ClosedForm %v", res.Why, res.ClosedForm)
			}
			t.Logf("closed form %v %s", res.ClosedForm, res.Why)
		})
	}
}

// naiveMixture is a mixture of product-of-Bernoulli components described
// element by element, independently of runtime: trained element p adds
// θ_p·α_p·[v_i]·[h = k] to −E(v, h), with no v_i factor when i < 0 and no
// h factor when k < 0. Elements are the model's Params flattened in order.
type naiveMixture struct {
	nv, k int
	i, c  []int
	alpha []float64
}

// naiveOf describes the test mixtures from their .ebm sources.
func naiveOf(t *testing.T, model string, params []runtime.Tensor) naiveMixture {
	t.Helper()
	var nm naiveMixture
	add := func(i, k int, alpha float64) {
		nm.i, nm.c, nm.alpha = append(nm.i, i), append(nm.c, k), append(nm.alpha, alpha)
	}
	switch model {
	case "tiny", "mix": // −E = Σ W[i,k]·v_i·h_k + Σ b[i]·v_i + Σ c[k]·h_k
		nm.nv, nm.k = params[0].Shape[0], params[0].Shape[1]
		for i := range nm.nv {
			for k := range nm.k {
				add(i, k, 1)
			}
		}
		for i := range nm.nv {
			add(i, -1, 1)
		}
		for k := range nm.k {
			add(-1, k, 1)
		}
	case "odd": // −E = ½·Σ zz_k·logit[k,i]·pix_i + Σ pix_i·extra[i,k]·zz_k + 3·Σ prior[k]·zz_k
		nm.k, nm.nv = params[0].Shape[0], params[0].Shape[1]
		for k := range nm.k {
			for i := range nm.nv {
				add(i, k, 0.5)
			}
		}
		for i := range nm.nv {
			for k := range nm.k {
				add(i, k, 1)
			}
		}
		for k := range nm.k {
			add(-1, k, 3)
		}
	case "noprior": // −E = Σ W[i,k]·v_i·h_k + Σ b[i]·v_i
		nm.nv, nm.k = params[0].Shape[0], params[0].Shape[1]
		for i := range nm.nv {
			for k := range nm.k {
				add(i, k, 1)
			}
		}
		for i := range nm.nv {
			add(i, -1, 1)
		}
	default:
		t.Fatalf("no naive description of %s", model)
	}
	return nm
}

func flatten(params []runtime.Tensor) []float64 {
	var th []float64
	for _, p := range params {
		th = append(th, p.Data...)
	}
	return th
}

func unflatten(params []runtime.Tensor, th []float64) {
	for _, p := range params {
		th = th[copy(p.Data, th):]
	}
}

// logJoint is −E(v, h = e_k) for the bits of v.
func (nm naiveMixture) logJoint(th []float64, v uint, k int) float64 {
	s := 0.0
	for p, a := range nm.alpha {
		if (nm.i[p] < 0 || v>>nm.i[p]&1 == 1) && (nm.c[p] < 0 || nm.c[p] == k) {
			s += th[p] * a
		}
	}
	return s
}

// llGrad returns the average log-likelihood of rows with the given counts
// of every bit pattern, and its gradient, by enumerating every (v, h):
// ∂L/∂θ_p = mean_n E_{p(h | v_n)}[s_p] − E_{p(v, h)}[s_p].
func (nm naiveMixture) llGrad(th []float64, counts []float64) (float64, []float64) {
	nv := uint(1) << nm.nv
	lj := make([]float64, int(nv)*nm.k)
	logZ := math.Inf(-1)
	for v := range nv {
		for k := range nm.k {
			lj[int(v)*nm.k+k] = nm.logJoint(th, v, k)
			logZ = logAdd(logZ, lj[int(v)*nm.k+k])
		}
	}
	n := 0.0
	for _, c := range counts {
		n += c
	}
	g := make([]float64, len(th))
	ll := 0.0
	for v := range nv {
		lv := math.Inf(-1)
		for k := range nm.k {
			lv = logAdd(lv, lj[int(v)*nm.k+k])
		}
		w := counts[v] / n
		ll += w * (lv - logZ)
		for k := range nm.k {
			post := math.Exp(lj[int(v)*nm.k+k] - lv)    // p(h = k | v)
			joint := math.Exp(lj[int(v)*nm.k+k] - logZ) // p(v, h = k)
			for p := range g {
				if (nm.i[p] < 0 || v>>nm.i[p]&1 == 1) && (nm.c[p] < 0 || nm.c[p] == k) {
					g[p] += (w*post - joint) * nm.alpha[p]
				}
			}
		}
	}
	return ll, g
}

func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

func maxAbsOf(g []float64) float64 {
	m := 0.0
	for _, v := range g {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// mixtureRows samples n rows of a mixture with weights pi and means mu[k][i].
func mixtureRows(pi []float64, mu [][]float64, n int, seed uint64) *dataset.Dataset {
	rng := runtime.NewRNG(seed, 1)
	nv := len(mu[0])
	d := &dataset.Dataset{Rows: n, Cols: nv, X: make([]float64, n*nv)}
	for r := range n {
		k := rng.Categorical(pi)
		for i := range nv {
			d.X[r*nv+i] = rng.Bernoulli(mu[k][i])
		}
	}
	return d
}

// patternCounts counts the rows of binary data by bit pattern.
func patternCounts(d *dataset.Dataset) []float64 {
	counts := make([]float64, 1<<d.Cols)
	for r := range d.Rows {
		v := 0
		for i, x := range d.Row(r) {
			if x == 1 {
				v |= 1 << i
			}
		}
		counts[v]++
	}
	return counts
}

// emMLCase is a mixture, data from a teacher mixture and an EM run on it.
type emMLCase struct {
	model string
	pi    []float64
	mu    [][]float64
	cfg   training.EMConfig
	rate  float64 // gradient ascent's step size
}

// emMLCases are two mixtures EM solves in closed form (the second with
// Odd's layout) and one it solves by generalized EM.

var emMLCases = []emMLCase{
	{"tiny", []float64{0.35, 0.65}, [][]float64{{0.9, 0.75, 0.2, 0.15}, {0.25, 0.3, 0.7, 0.85}},
		training.EMConfig{Iterations: 5000, Tol: 1e-15}, 1},
	{"odd", []float64{0.4, 0.6}, [][]float64{{0.85, 0.8, 0.7, 0.2, 0.25}, {0.2, 0.3, 0.75, 0.8, 0.7}},
		training.EMConfig{Iterations: 5000, Tol: 1e-15}, 0.2},
	{"noprior", []float64{0.3, 0.3, 0.4}, [][]float64{{0.9, 0.8, 0.7, 0.2, 0.1, 0.3}, {0.1, 0.2, 0.8, 0.9, 0.7, 0.6}, {0.5, 0.85, 0.15, 0.3, 0.6, 0.9}},
		training.EMConfig{Iterations: 300, Steps: 10, LearningRate: 1, Tol: -1}, 1},
}

// checkML runs EM on the case and reports how its result falls short of a
// maximum-likelihood fixed point: the gradient of the exact
// log-likelihood, by brute-force enumeration, must vanish (|∇| < 1e-6), EM's
// reported log-likelihood must be the enumerated one, and it must equal
// that of plain gradient ascent on the enumerated log-likelihood from the
// same start, run to convergence (to 1e-6).
//
// train trains the model in place and returns the iterations it ran and
// the log-likelihood it reports; nil means EM with c.cfg.
func checkML(t *testing.T, c emMLCase, train func(m runtime.Reflective, data *dataset.Dataset) (int, float64)) error {
	t.Helper()
	m := emModel(t, c.model)(11)
	params := m.Params()
	nm := naiveOf(t, c.model, params)
	th0 := flatten(params)
	data := mixtureRows(c.pi, c.mu, 400, 5)
	counts := patternCounts(data)
	if train == nil {
		train = func(m runtime.Reflective, data *dataset.Dataset) (int, float64) {
			res, err := training.EM(m, data, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if closed := c.model != "noprior"; res.ClosedForm != closed {
				t.Fatalf("%s: ClosedForm = %v, want %v (%s)", c.model, res.ClosedForm, closed, res.Why)
			}
			return res.Iterations, res.LogLik[len(res.LogLik)-1]
		}
	}
	iterations, reported := train(m, data)
	llEM, g := nm.llGrad(flatten(params), counts)
	if math.Abs(reported-llEM) > 1e-9 {
		t.Fatalf("EM reports log-likelihood %.12f, enumeration gives %.12f", reported, llEM)
	}
	// Plain gradient ascent from the same start.
	th := append([]float64(nil), th0...)
	llGA, gGA := nm.llGrad(th, counts)
	steps := 0
	for ; steps < 100000 && maxAbsOf(gGA) > 1e-9; steps++ {
		for p := range th {
			th[p] += c.rate * gGA[p]
		}
		llGA, gGA = nm.llGrad(th, counts)
	}
	if maxAbsOf(gGA) > 1e-8 {
		t.Fatalf("gradient ascent did not converge in %d steps: |∇| = %.3g", steps, maxAbsOf(gGA))
	}
	t.Logf("%s: EM %d iterations, log-likelihood %.12f, |∇| %.3g; gradient ascent %d steps, %.12f, |∇| %.3g",
		c.model, iterations, llEM, maxAbsOf(g), steps, llGA, maxAbsOf(gGA))
	var errs []string
	if maxAbsOf(g) >= 1e-6 {
		errs = append(errs, fmt.Sprintf("the exact log-likelihood's gradient at EM's result is %.3g, not < 1e-6", maxAbsOf(g)))
	}
	if math.Abs(llEM-llGA) > 1e-6 {
		errs = append(errs, fmt.Sprintf("EM reaches log-likelihood %.10f, gradient ascent %.10f", llEM, llGA))
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// TestEMReachesMaximumLikelihood: EM, closed-form and generalized, ends at
// a fixed point of maximum likelihood, by a brute-force enumeration written
// here, the one gradient ascent reaches from the same start.
func TestEMReachesMaximumLikelihood(t *testing.T) {
	for _, c := range emMLCases {
		t.Run(c.model, func(t *testing.T) {
			if err := checkML(t, c, nil); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestEMPseudoIsMAP: with pseudo-counts λ the closed form ends at a
// stationary point of the log posterior per row,
// L + (λ/N)·(Σ_k log π_k + Σ_ik log μ_ik(1 − μ_ik)), π and μ of the model
// by enumeration, its gradient by central differences.
func TestEMPseudoIsMAP(t *testing.T) {
	const lam = 2.0
	m := emModel(t, "tiny")(11)
	params := m.Params()
	nm := naiveOf(t, "tiny", params)
	data := mixtureRows([]float64{0.35, 0.65}, [][]float64{{0.9, 0.75, 0.2, 0.15}, {0.25, 0.3, 0.7, 0.85}}, 40, 5)
	counts := patternCounts(data)
	logPost := func(th []float64) float64 {
		ll, _ := nm.llGrad(th, counts)
		K, NV := nm.k, nm.nv
		lk := make([]float64, K) // log Σ_v exp(−E(v, k))
		logZ := math.Inf(-1)
		for k := range K {
			lk[k] = math.Inf(-1)
			for v := range uint(1) << NV {
				lk[k] = logAdd(lk[k], nm.logJoint(th, v, k))
			}
			logZ = logAdd(logZ, lk[k])
		}
		prior := 0.0
		for k := range K {
			prior += lk[k] - logZ
			for i := range NV {
				a := th[i*K+k] + th[NV*K+i] // W[i,k] + b[i]
				prior += -math.Log1p(math.Exp(-a)) - math.Log1p(math.Exp(a))
			}
		}
		return ll + lam*prior/float64(data.Rows)
	}
	res, err := training.EM(m, data, training.EMConfig{Iterations: 5000, Tol: 1e-15, Pseudo: lam})
	if err != nil {
		t.Fatal(err)
	}
	th := flatten(params)
	worst := 0.0
	for p := range th {
		up, down := append([]float64(nil), th...), append([]float64(nil), th...)
		up[p] += 1e-5
		down[p] -= 1e-5
		worst = math.Max(worst, math.Abs(logPost(up)-logPost(down))/2e-5)
	}
	t.Logf("%d iterations, |∇ log posterior| = %.3g", res.Iterations, worst)
	if worst > 1e-6 {
		t.Errorf("the log posterior's gradient at MAP-EM's result is %.3g", worst)
	}
}

// wrongEM is EM on the tiny mixture written here with a deliberately wrong
// closed-form M-step: c_k = log π_k, missing −Σ_i log(1 + e^{a_ik}), the
// mass that summing v out adds to component k.
func wrongEM(t *testing.T) func(m runtime.Reflective, data *dataset.Dataset) (int, float64) {
	return func(m runtime.Reflective, data *dataset.Dataset) (int, float64) {
		params := m.Params()
		nm := naiveOf(t, "tiny", params)
		th := flatten(params) // W[i,k] at i·K + k, then b, then c
		K, NV := nm.k, nm.nv
		post := make([]float64, K)
		const iterations = 500
		for range iterations {
			R, S := make([]float64, K), make([]float64, NV*K)
			for r := range data.Rows {
				v := uint(0)
				for i, x := range data.Row(r) {
					if x == 1 {
						v |= 1 << i
					}
				}
				lse := math.Inf(-1)
				for k := range K {
					post[k] = nm.logJoint(th, v, k)
					lse = logAdd(lse, post[k])
				}
				for k := range K {
					p := math.Exp(post[k] - lse)
					R[k] += p
					for i := range NV {
						S[i*K+k] += p * float64(v>>i&1)
					}
				}
			}
			for k := range K {
				for i := range NV {
					mu := S[i*K+k] / R[k]
					th[i*K+k] = math.Log(mu / (1 - mu))
				}
				th[NV*K+NV+k] = math.Log(R[k] / float64(data.Rows)) // the mistake
			}
			for i := range NV {
				th[NV*K+i] = 0
			}
		}
		unflatten(params, th)
		ll, _ := nm.llGrad(th, patternCounts(data))
		return iterations, ll
	}
}

// TestEMNegativeControl: checkML fails on a wrong M-step written here, on
// an M-step that is not maximum likelihood (MAP-EM's pseudo-counts), and
// when EM stops early, so TestEMReachesMaximumLikelihood can fail.
func TestEMNegativeControl(t *testing.T) {
	base := emMLCases[0]
	for _, c := range []struct {
		name  string
		cfg   training.EMConfig
		wrong bool
	}{
		{"wrong M-step", training.EMConfig{}, true},
		{"pseudo-counts", training.EMConfig{Iterations: 5000, Tol: 1e-15, Pseudo: 0.5}, false},
		{"two iterations", training.EMConfig{Iterations: 2, Tol: -1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := base
			bad.cfg = c.cfg
			var train func(runtime.Reflective, *dataset.Dataset) (int, float64)
			if c.wrong {
				train = wrongEM(t)
			}
			err := checkML(t, bad, train)
			if err == nil {
				t.Fatal("checkML passed a wrong M-step")
			}
			t.Logf("checkML fails as it should: %v", err)
		})
	}
}

// TestEMBadInput: models and data EM does not apply to give errors that say
// why, and no panic.
func TestEMBadInput(t *testing.T) {
	mix := emtest.NewMix(1).Reflect()
	cases := []struct {
		name string
		m    runtime.Reflective
		data *dataset.Dataset
		cfg  training.EMConfig
		want []string
	}{
		{"gaussian hidden", emtest.NewGHid(1).Reflect(), nil, training.EMConfig{}, []string{"hidden layer g is gaussian"}},
		{"no visible free energy", emtest.NewDeep(1).Reflect(), nil, training.EMConfig{}, []string{"no free energy keeps exactly the visible layers", "cd or pcd"}},
		{"no hidden layer", fvbm.NewFVBM(1).Reflect(), nil, training.EMConfig{}, []string{"no hidden layer", "exact"}},
		{"wrong width", mix, &dataset.Dataset{Rows: 3, Cols: 7, X: make([]float64, 21)}, training.EMConfig{}, []string{"7 columns", "8 units"}},
		{"short data", mix, &dataset.Dataset{Rows: 3, Cols: 8, X: make([]float64, 20)}, training.EMConfig{}, []string{"20 values"}},
		{"no rows", mix, &dataset.Dataset{Cols: 8}, training.EMConfig{}, []string{"no data rows"}},
		{"nil data", mix, nil, training.EMConfig{}, []string{"no data rows"}},
		{"limit", mix, modeltest.RandomRows(mix, 4, 1), training.EMConfig{Limit: 2}, []string{"3 configurations", "raise Limit"}},
		{"negative pseudo", mix, modeltest.RandomRows(mix, 4, 1), training.EMConfig{Pseudo: -1}, []string{"Pseudo"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if data == nil && c.name != "nil data" {
				data = modeltest.RandomRows(c.m, 4, 1)
			}
			res, err := training.EM(c.m, data, c.cfg)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
