package training

import (
	"fmt"
	"io"
	"math"
	"math/bits"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Expectation–maximization (Dempster, Laird & Rubin 1977; Bishop, PRML §9.3)
// for generated models whose hidden posterior is exact: models with a free
// energy of exactly their visible layers, so that p(h | v) factorizes over
// the hidden units and its means E[h | v] are the generated conditional
// means, and with log Z enumerable. The log-likelihood of rows v_1 … v_N,
//
//	L(θ) = (1/N)·Σ_n log p(v_n) = −(1/N)·Σ_n F(v_n) − log Z(θ),
//
// is bounded below by Q(θ) + H, Q(θ) = (1/N)·Σ_n E_{r_n}[−E(v_n, h)] − log Z(θ),
// for any distributions r_n of h and their entropy H, with equality when
// r_n = p(h | v_n; θ). The E-step sets r_n to that posterior at the current
// θ; the M-step raises Q with r frozen, which raises L at least as much. For
// bernoulli, spin and softmax hidden units the energy is affine in each
// hidden unit and has no product of two units of one summed-out block, so
// E_{r_n}[E(v_n, h)] = E(v_n, E_{r_n}[h]): Q and its gradient are the energy
// and ∂E/∂θ at chains holding v_n and the posterior means.

// EMConfig configures expectation–maximization.
type EMConfig struct {
	// Iterations bounds the EM iterations (0 means 100).
	Iterations int
	// Tol stops EM when the average log-likelihood rises by less than Tol
	// nats in an iteration (0 means 1e-6). With Pseudo > 0 the rise is that
	// of the log posterior per row, L + (log prior)/N, which MAP-EM ascends.
	Tol float64
	// Pseudo adds pseudo-counts to the closed-form M-step: a
	// Beta(1+Pseudo, 1+Pseudo) prior on each component mean and a
	// Dirichlet(1+Pseudo, …) prior on the mixing weights (MAP-EM), so no
	// mean is exactly 0 or 1. 0 means none (maximum likelihood). MAP-EM
	// ascends the log posterior, so the reported log-likelihood can fall
	// slightly from one iteration to the next.
	Pseudo float64
	// Steps is the number of gradient-ascent steps on Q per M-step of
	// generalized EM (0 means 50).
	Steps int
	// LearningRate is generalized EM's largest step size (0 means 0.1): a
	// step that fails to raise Q is halved, and each M-step starts at twice
	// the previous M-step's last step, at most LearningRate.
	LearningRate float64
	// Limit bounds the configurations enumerated for log Z, as
	// Exact.Limit (0 means 2²⁰).
	Limit float64
	// Progress, if set, gets a line per iteration: the iteration, the
	// log-likelihood, the seconds so far and the estimated time left.
	Progress io.Writer
	// Seed seeds the chains and the random probes of the closed-form check.
	Seed uint64
}

// EMResult reports an EM run.
type EMResult struct {
	// LogLik holds the average exact log-likelihood of the data, −F(v) − log Z
	// averaged over rows, before each M-step and, last, after the final one:
	// Iterations + 1 values.
	LogLik     []float64
	Iterations int
	// ClosedForm tells whether the M-step was the closed form of a mixture
	// of product-of-Bernoulli components; otherwise it was generalized EM.
	ClosedForm bool
	// Why says why the closed form did not apply (empty when it did).
	Why     string
	Seconds float64
}

// emBatch is the number of rows the E-step evaluates at once.
const emBatch = 256

// emMaxLogit bounds the log-odds and log mixing weights the closed form
// writes, so that a component mean of exactly 0 or 1 (maximum likelihood
// without pseudo-counts on a column that is constant under a component)
// gives a finite parameter: σ(±40) is 1 or 0 to 4e-18.
const emMaxLogit = 40

// EM trains m on the rows of data by expectation–maximization and returns
// the log-likelihood before and after every iteration. The model must have
// a free energy that keeps exactly its visible layers (VisibleFreeEnergy ≥ 0),
// bernoulli, spin or softmax hidden layers, and a side whose configurations
// can be enumerated for log Z (as the exact method, within cfg.Limit).
//
// E-step: r_n = E[h | v_n] for every row, from the generated conditional means.
//
// M-step, closed form: when m is a mixture of product-of-Bernoulli components —
// one hidden layer, a softmax of one group of K states, bernoulli visible
// layers, and each trained parameter element θ_p entering the energy as
// −θ_p·s_p with s_p one of α·v_i·h_k, α·v_i or α·h_k (found by probing
// EnergyGrad, not from names), every (i, k) and every k having an element —
// the M-step sets the maximizer of Q (with Pseudo = λ, of Q plus the log prior)
//
//	π_k  = (Σ_n r_nk + λ) / (N + K·λ)
//	μ_ik = (Σ_n r_nk·v_ni + λ) / (Σ_n r_nk + 2λ)
//
// by writing a_ik = logit μ_ik on one element per (i, k) (divided by its α),
// c_k = log π_k − Σ_i softplus(a_ik) on one element per k, and 0 on every
// other element, so that p(h = k) ∝ exp(c_k)·Π_i (1 + e^{a_ik}) = π_k and
// p(v_i = 1 | h = k) = μ_ik.
//
// M-step otherwise (generalized EM): cfg.Steps steps of gradient ascent on
// Q(θ) = −(1/N)·Σ_n E(v_n, r_n) − log Z(θ), whose gradient is
// −(1/N)·Σ_n ∂E/∂θ(v_n, r_n) + E_p[∂E/∂θ], the model expectation enumerated
// as the exact method does. A step that does not raise Q is halved until it
// does (or given up), so L never falls.
func EM(m runtime.Reflective, data *dataset.Dataset, cfg EMConfig) (*EMResult, error) {
	start := time.Now()
	e, err := newEM(m, data, cfg)
	if err != nil {
		return nil, fmt.Errorf("runtime: EM of %s: %w", m.ModelName(), err)
	}
	defer e.ws.Close()
	res := &EMResult{ClosedForm: e.mix != nil, Why: e.why}
	if e.mix == nil && cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "EM %s: generalized EM, %d gradient steps per M-step (no closed form: %s)\n", e.name, e.cfg.Steps, e.why)
	}
	ll := e.estep()
	obj := ll + e.logPrior()
	res.LogLik = append(res.LogLik, ll)
	for it := 1; it <= e.cfg.Iterations; it++ {
		if e.mix != nil {
			e.closedForm()
		} else {
			e.generalized()
		}
		ll = e.estep()
		res.LogLik = append(res.LogLik, ll)
		res.Iterations = it
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			return res, fmt.Errorf("runtime: EM of %s: the log-likelihood is %v after iteration %d", e.name, ll, it)
		}
		if cfg.Progress != nil {
			el := time.Since(start).Seconds()
			fmt.Fprintf(cfg.Progress, "EM %s: iteration %d/%d, log-likelihood %.6f, %.1fs, ETA %.1fs\n",
				e.name, it, e.cfg.Iterations, ll, el, el/float64(it)*float64(e.cfg.Iterations-it))
		}
		next := ll + e.logPrior()
		rise := next - obj
		obj = next
		if rise < e.cfg.Tol {
			break
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// em is the state of an EM run.
type em struct {
	m      runtime.Reflective
	cfg    EMConfig
	name   string
	data   *dataset.Dataset
	fe     int        // the free energy of the visible layers
	side   exactSide  // the side enumerated for log Z
	hidden []objLayer // the hidden layers; off is the offset in a row of r
	hcols  int        // hidden units in all
	params []runtime.Tensor
	chains map[int]runtime.Chains

	fk, pk []float64 // F_K and p of the enumerated configurations
	pk2    []float64 // p of a trial step's parameters
	logZ   float64
	f      []float64 // free energies or energies of a batch of rows
	hbuf   []float64 // posterior means of one layer for a batch of rows

	// closed form
	mix *mixture
	why string             // why the closed form does not apply
	ws  *runtime.Workspace // the closed form's products
	rk  []float64          // Σ_n r_nk
	s   []float64          // Σ_n r_nk·v_ni, nv × K

	// generalized EM
	r    []float64 // posterior means E[h | v_n], N × hcols
	grad []runtime.Tensor
	save [][]float64
	lr   float64
}

func newEM(m runtime.Reflective, data *dataset.Dataset, cfg EMConfig) (*em, error) {
	switch {
	case cfg.Iterations < 0:
		return nil, fmt.Errorf("Iterations is %d; it must be positive (or 0 for 100)", cfg.Iterations)
	case cfg.Pseudo < 0 || math.IsNaN(cfg.Pseudo):
		return nil, fmt.Errorf("Pseudo is %v; pseudo-counts must be ≥ 0", cfg.Pseudo)
	case cfg.Steps < 0:
		return nil, fmt.Errorf("Steps is %d; it must be positive (or 0 for 50)", cfg.Steps)
	case cfg.LearningRate < 0 || math.IsNaN(cfg.LearningRate):
		return nil, fmt.Errorf("LearningRate is %v; it must be positive (or 0 for 0.1)", cfg.LearningRate)
	}
	if cfg.Iterations == 0 {
		cfg.Iterations = 100
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-6
	}
	if cfg.Steps == 0 {
		cfg.Steps = 50
	}
	if cfg.LearningRate == 0 {
		cfg.LearningRate = 0.1
	}
	e := &em{m: m, cfg: cfg, name: m.ModelName(), data: data, fe: estimators.VisibleFreeEnergy(m), chains: map[int]runtime.Chains{}, lr: cfg.LearningRate}
	if !hasHidden(m) {
		return nil, fmt.Errorf("the model has no hidden layer, so there is nothing to infer; use the exact method (maximum likelihood) instead")
	}
	if e.fe < 0 {
		return nil, fmt.Errorf("no free energy keeps exactly the visible layers (the hidden layers cannot be summed out given them), so the posterior p(h | v) is not exact; train it with cd or pcd (or mean-field methods for deep Boltzmann machines)")
	}
	for i, ly := range m.Layers() {
		if ly.Visible {
			continue
		}
		switch ly.Kind {
		case runtime.KindBernoulli, runtime.KindSpin, runtime.KindSoftmax:
		default:
			return nil, fmt.Errorf("hidden layer %s is %s; EM needs bernoulli, spin or softmax hidden units, whose expected energy is the energy at their posterior means; train it with the exact method or pcd", ly.Name, ly.Kind)
		}
		l := objLayer{index: i, off: e.hcols, size: layout.Product(ly.Shape), kind: ly.Kind}
		if ly.Kind == runtime.KindSoftmax {
			l.k = ly.Shape[len(ly.Shape)-1]
		}
		e.hidden = append(e.hidden, l)
		e.hcols += l.size
	}
	cols := layout.VisibleSize(m)
	switch {
	case data == nil || data.Rows < 1:
		return nil, fmt.Errorf("no data rows")
	case data.Cols != cols:
		return nil, fmt.Errorf("data has %d columns, the visible layers have %d units", data.Cols, cols)
	case len(data.X) < data.Rows*data.Cols:
		return nil, fmt.Errorf("data has %d values, fewer than its %d rows × %d columns", len(data.X), data.Rows, data.Cols)
	}
	side, err := newExactSide(m, cfg.Limit, "cd or pcd")
	if err != nil {
		return nil, err
	}
	e.side = side
	e.fk, e.pk, e.pk2 = make([]float64, side.count), make([]float64, side.count), make([]float64, side.count)
	n := min(emBatch, data.Rows)
	e.f = make([]float64, n)
	maxSize := 0
	for _, l := range e.hidden {
		maxSize = max(maxSize, l.size)
	}
	e.hbuf = make([]float64, n*maxSize)
	e.params = m.Params()
	e.mix, e.why = detectMixture(m, e.params, cfg.Seed)
	if e.mix != nil {
		e.ws = runtime.NewWorkspace(0)
		e.rk = make([]float64, e.mix.k)
		e.s = make([]float64, e.mix.nv*e.mix.k)
		return e, nil
	}
	e.r = make([]float64, data.Rows*e.hcols)
	e.grad = runtime.ZerosLike(e.params)
	for _, p := range e.params {
		e.save = append(e.save, make([]float64, len(p.Data)))
	}
	return e, nil
}

// batchOf returns chains for n rows or configurations, reused.
func (e *em) batchOf(n int) runtime.Chains {
	x, ok := e.chains[n]
	if !ok {
		x = e.m.NewChains(n, e.cfg.Seed^uint64(n))
		e.chains[n] = x
	}
	return x
}

// rows loads rows lo … hi−1 of the data into chains and returns them.
func (e *em) rows(lo, hi int) runtime.Chains {
	x := e.batchOf(hi - lo)
	layout.PutRows(e.m, x, e.data.X[lo*e.data.Cols:hi*e.data.Cols], e.data.Cols)
	return x
}

// estep computes log Z and the posterior means r_n = E[h | v_n] at the
// current parameters — stored for generalized EM, summed into Σ_n r_nk and
// Σ_n r_nk·v_ni for the closed form — and returns the average
// log-likelihood −(1/N)·Σ_n F(v_n) − log Z.
func (e *em) estep() float64 {
	e.logZ = e.side.distribution(e.m, e.batchOf, e.fk, e.pk)
	if e.mix != nil {
		clear(e.rk)
		clear(e.s)
	}
	N := e.data.Rows
	sumF := 0.0
	for lo := 0; lo < N; lo += emBatch {
		hi := min(N, lo+emBatch)
		n := hi - lo
		x := e.rows(lo, hi)
		f := e.f[:n]
		e.m.FreeEnergy(x, e.fe, 1, f)
		for _, v := range f {
			sumF += v
		}
		for _, l := range e.hidden {
			h := e.hbuf[:n*l.size]
			e.m.Mean(x, l.index, 1, h)
			if e.mix != nil {
				e.mix.accumulate(e.ws, x, h, n, e.rk, e.s)
				continue
			}
			for c := range n {
				copy(e.r[(lo+c)*e.hcols+l.off:], h[c*l.size:(c+1)*l.size])
			}
		}
	}
	return -sumF/float64(N) - e.logZ
}

// posterior loads rows lo … hi−1 with their hidden layers at the stored
// posterior means.
func (e *em) posterior(lo, hi int) runtime.Chains {
	x := e.rows(lo, hi)
	layers := x.Layers()
	for _, l := range e.hidden {
		dst := layers[l.index].Data
		for c := range hi - lo {
			copy(dst[c*l.size:(c+1)*l.size], e.r[(lo+c)*e.hcols+l.off:])
		}
	}
	return x
}

// q returns Q(θ) = −(1/N)·Σ_n E(v_n, r_n) − log Z(θ) at the current
// parameters, writing the enumerated probabilities into pk.
func (e *em) q(pk []float64) float64 {
	return e.dataTerm() - e.side.distribution(e.m, e.batchOf, e.fk, pk)
}

// dataTerm returns −(1/N)·Σ_n E(v_n, r_n) at the current parameters.
func (e *em) dataTerm() float64 {
	N := e.data.Rows
	sum := 0.0
	for lo := 0; lo < N; lo += emBatch {
		hi := min(N, lo+emBatch)
		x := e.posterior(lo, hi)
		f := e.f[:hi-lo]
		e.m.Energy(x, f)
		for _, v := range f {
			sum += v
		}
	}
	return -sum / float64(N)
}

// generalized is the M-step of generalized EM: gradient ascent on Q with r
// frozen, halving the step whenever Q does not rise. e.pk and e.logZ hold
// p and log Z at the current parameters (from the E-step).
func (e *em) generalized() {
	q0 := e.dataTerm() - e.logZ
	N := e.data.Rows
	e.lr = min(2*e.lr, e.cfg.LearningRate)
	for range e.cfg.Steps {
		for _, g := range e.grad {
			clear(g.Data)
		}
		// ∇Q = −(1/N)·Σ_n ∂E/∂θ(v_n, r_n) + Σ_k p_k·∂F_K(k)/∂θ.
		for lo := 0; lo < N; lo += emBatch {
			hi := min(N, lo+emBatch)
			e.m.EnergyGrad(e.posterior(lo, hi), -1/float64(N), e.grad)
		}
		e.side.addExpectation(e.m, e.batchOf, e.pk, 1, e.grad)
		for i, p := range e.params {
			copy(e.save[i], p.Data)
		}
		lr := e.lr
		for {
			for i, p := range e.params {
				if p.Fixed {
					continue
				}
				for j, g := range e.grad[i].Data {
					p.Data[j] = e.save[i][j] + e.lr*g
				}
			}
			if q := e.q(e.pk2); q > q0 {
				q0 = q
				e.pk, e.pk2 = e.pk2, e.pk
				break
			}
			e.lr /= 2
			if e.lr < e.cfg.LearningRate*1e-12 {
				// Q is at a maximum along the gradient to rounding: stop here.
				for i, p := range e.params {
					copy(p.Data, e.save[i])
				}
				e.lr = lr
				return
			}
		}
	}
}

// closedForm is the M-step of a mixture of product-of-Bernoulli components.
func (e *em) closedForm() {
	x := e.mix
	N, lam, K := float64(e.data.Rows), e.cfg.Pseudo, x.k
	for _, el := range x.elems {
		e.params[el.p].Data[el.j] = 0
	}
	set := func(el int, v float64) {
		p := x.elems[el]
		e.params[p.p].Data[p.j] = v / x.alpha[el]
	}
	for k := range K {
		R := e.rk[k]
		c := clampLogit(math.Log(R+lam) - math.Log(N+float64(K)*lam)) // log π_k
		for i := range x.nv {
			a := 0.0 // μ = ½ for a component without weight and pseudo-counts
			if den := R + 2*lam; den > 0 {
				num := e.s[i*K+k] + lam
				a = clampLogit(math.Log(num) - math.Log(math.Max(den-num, 0)))
			}
			set(x.w[i*K+k], a)
			c -= runtime.Softplus(a)
		}
		set(x.c[k], c)
	}
}

func clampLogit(a float64) float64 {
	return math.Max(-emMaxLogit, math.Min(emMaxLogit, a))
}

// logPrior is the log density of MAP-EM's prior per row, (log prior)/N, at
// the current parameters: Σ_k λ·log π_k + Σ_ik λ·(log μ_ik + log(1 − μ_ik))
// up to a constant; 0 without pseudo-counts or a closed form.
func (e *em) logPrior() float64 {
	lam := e.cfg.Pseudo
	if e.mix == nil || lam == 0 {
		return 0
	}
	x := e.mix
	a, c := x.fields(e.params)
	lp := 0.0
	for k := range x.k {
		logPi := c[k] - x.e0 - e.logZ // p(v, h) = exp(−E0 + c_h + Σ_i a_ih·v_i)/Z
		for i := range x.nv {
			sp := runtime.Softplus(a[i*x.k+k])
			logPi += sp
			lp += lam * (a[i*x.k+k] - 2*sp) // log μ + log(1 − μ)
		}
		lp += lam * logPi
	}
	return lp / float64(e.data.Rows)
}

// mixture is a model found to be a mixture of product-of-Bernoulli
// components: its trained elements, the statistic of each, and which
// element sets each log-odds a_ik and each c_k.
type mixture struct {
	k, nv   int
	hidden  int        // the softmax layer
	visible []objLayer // the visible layers, off their first column
	elems   []emElem   // every trained element
	alpha   []float64  // its statistic's factor α
	form    []uint8    // emV, emH or emVH
	unit    []int      // i of emV and emVH
	comp    []int      // k of emH and emVH
	w       []int      // w[i·K + k]: the element that carries a_ik
	c       []int      // c[k]: the element that carries c_k
	e0      float64    // E(v = 0, h = 0), a constant of the energy
}

// emElem is element j of parameter p.
type emElem struct{ p, j int }

const (
	emNone uint8 = iota
	emV          // α·v_i
	emH          // α·h_k
	emVH         // α·v_i·h_k
)

// accumulate adds Σ_c r_ck into rk and Σ_c v_ci·r_ck into s for a batch of
// n chains whose hidden posterior means are h (n × K).
func (x *mixture) accumulate(ws *runtime.Workspace, ch runtime.Chains, h []float64, n int, rk, s []float64) {
	for c := range n {
		for k, r := range h[c*x.k : (c+1)*x.k] {
			rk[k] += r
		}
	}
	layers := ch.Layers()
	for _, l := range x.visible {
		ws.Gemm(true, false, l.size, x.k, n, 1, layers[l.index].Data, l.size, h, x.k, 1, s[l.off*x.k:], x.k)
	}
}

// fields returns the log-odds a_ik (nv × K) and the component fields c_k
// the current parameters give: p(v, h = k) ∝ exp(c_k + Σ_i a_ik·v_i).
func (x *mixture) fields(params []runtime.Tensor) (a, c []float64) {
	a, c = make([]float64, x.nv*x.k), make([]float64, x.k)
	for el, p := range x.elems {
		t := x.alpha[el] * params[p.p].Data[p.j]
		switch x.form[el] {
		case emV:
			for k := range x.k {
				a[x.unit[el]*x.k+k] += t
			}
		case emH:
			c[x.comp[el]] += t
		case emVH:
			a[x.unit[el]*x.k+x.comp[el]] += t
		}
	}
	return a, c
}

// detectMixture tells whether m is a mixture of product-of-Bernoulli
// components, or why not. It reads the statistic s_p = −∂E/∂θ_p of every
// trained element from EnergyGrad at single chains. The energy is a
// polynomial in the units, multilinear in the binary ones and linear in a
// softmax group, so it may be evaluated at any real values: at v = 0, h = 0
// every statistic must vanish; v = 1, h = 0 shows the α·v_i elements and
// their α; v = 0, h = 1 the α·h_k elements; v = 1, h = 1 the α·v_i·h_k
// elements; then the bits of k and of i are read at h (and v) set to the
// pattern of one bit of every index, the other side at 1. Two random
// real-valued states then confirm every statistic and that the energy is
// E(0, 0) − Σ_p θ_p·s_p, at the parameters and at perturbed ones: no other
// term, and E linear in the trained parameters. That is O(log K + log nv)
// probes of O(P) each.
func detectMixture(m runtime.Reflective, params []runtime.Tensor, seed uint64) (*mixture, string) {
	x := &mixture{hidden: -1}
	off := 0
	for i, ly := range m.Layers() {
		size := layout.Product(ly.Shape)
		if ly.Visible {
			if ly.Kind != runtime.KindBernoulli {
				return nil, fmt.Sprintf("visible layer %s is %s, not bernoulli", ly.Name, ly.Kind)
			}
			x.visible = append(x.visible, objLayer{index: i, off: off, size: size, kind: ly.Kind})
			off += size
			continue
		}
		if x.hidden >= 0 {
			return nil, "more than one hidden layer"
		}
		if ly.Kind != runtime.KindSoftmax || size != ly.Shape[len(ly.Shape)-1] {
			return nil, fmt.Sprintf("hidden layer %s is %s %v, not one softmax group", ly.Name, ly.Kind, ly.Shape)
		}
		x.hidden, x.k = i, size
	}
	x.nv = off
	for pi, p := range params {
		if !p.Fixed {
			for j := range p.Data {
				x.elems = append(x.elems, emElem{pi, j})
			}
		}
	}
	if len(x.elems) == 0 {
		return nil, "no trained parameters"
	}
	np := len(x.elems)
	x.alpha, x.form, x.unit, x.comp = make([]float64, np), make([]uint8, np), make([]int, np), make([]int, np)
	pr := newProber(m, params, x)
	nv, K := x.nv, x.k
	v, h := make([]float64, nv), make([]float64, K)
	fail := func(el int, what string) (*mixture, string) {
		p := x.elems[el]
		return nil, fmt.Sprintf("the statistic of %s[%d] %s", params[p.p].Name, p.j, what)
	}
	const notForm = "is none of α·v_i·h_k, α·v_i, α·h_k"

	x.e0 = pr.probe(v, h, true)
	for el, s := range pr.s {
		if s != 0 {
			return fail(el, "is not 0 at v = 0, h = 0")
		}
	}
	fill(v, 1)
	pr.probe(v, h, false)
	for el, s := range pr.s {
		if s != 0 {
			x.form[el], x.alpha[el] = emV, s
		}
	}
	clear(v)
	fill(h, 1)
	pr.probe(v, h, false)
	for el, s := range pr.s {
		if s != 0 {
			if x.form[el] != emNone {
				return fail(el, notForm)
			}
			x.form[el], x.alpha[el] = emH, s
		}
	}
	fill(v, 1)
	pr.probe(v, h, false)
	for el, s := range pr.s {
		switch x.form[el] {
		case emNone:
			if s == 0 {
				return fail(el, notForm)
			}
			x.form[el], x.alpha[el] = emVH, s
		default:
			if !near(s, x.alpha[el]) {
				return fail(el, notForm)
			}
		}
	}
	// The bits of k: h_k = bit b of k, v = 1. The α·v_i elements read α.
	for b := range bits.Len(uint(K - 1)) {
		for k := range h {
			h[k] = float64(k >> b & 1)
		}
		pr.probe(v, h, false)
		for el, s := range pr.s {
			switch {
			case x.form[el] == emV:
				if !near(s, x.alpha[el]) {
					return fail(el, notForm)
				}
			case s == 0:
			case near(s, x.alpha[el]):
				x.comp[el] |= 1 << b
			default:
				return fail(el, notForm)
			}
		}
	}
	// The bits of i: v_i = bit b of i, h = 1. The α·h_k elements read α.
	fill(h, 1)
	for b := range bits.Len(uint(nv - 1)) {
		for i := range v {
			v[i] = float64(i >> b & 1)
		}
		pr.probe(v, h, false)
		for el, s := range pr.s {
			switch {
			case x.form[el] == emH:
				if !near(s, x.alpha[el]) {
					return fail(el, notForm)
				}
			case s == 0:
			case near(s, x.alpha[el]):
				x.unit[el] |= 1 << b
			default:
				return fail(el, notForm)
			}
		}
	}
	x.w, x.c = make([]int, nv*K), make([]int, K)
	fill(x.w, -1)
	fill(x.c, -1)
	for el, f := range x.form {
		if x.comp[el] >= K || x.unit[el] >= nv {
			return fail(el, notForm)
		}
		switch f {
		case emVH:
			if x.w[x.unit[el]*K+x.comp[el]] < 0 {
				x.w[x.unit[el]*K+x.comp[el]] = el
			}
		case emH:
			if x.c[x.comp[el]] < 0 {
				x.c[x.comp[el]] = el
			}
		}
	}
	for i := range nv {
		for k := range K {
			if x.w[i*K+k] < 0 {
				return nil, fmt.Sprintf("no trained element has the statistic v_%d·h_%d, so the component means cannot be set freely", i, k)
			}
		}
	}
	for k, el := range x.c {
		if el < 0 {
			return nil, fmt.Sprintf("no trained element has the statistic h_%d, so the mixing weights cannot be set freely", k)
		}
	}
	if why := pr.confirm(seed); why != "" {
		return nil, why
	}
	return x, ""
}

// near compares probed statistics, allowing for float32 products.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b))
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// prober evaluates the statistics of a mixture's elements at single states.
type prober struct {
	m      runtime.Reflective
	params []runtime.Tensor
	x      *mixture
	ch     runtime.Chains
	row    []float64 // a data row
	g      []runtime.Tensor
	s      []float64 // s_p = −∂E/∂θ_p of every element
	e      [1]float64
}

func newProber(m runtime.Reflective, params []runtime.Tensor, x *mixture) *prober {
	return &prober{m: m, params: params, x: x, ch: m.NewChains(1, 0), row: make([]float64, x.nv), s: make([]float64, len(x.elems)),
		g: runtime.ZerosLike(params)}
}

// probe sets the chain to visible units v and hidden units h, fills pr.s
// and, with energy, returns the energy.
func (pr *prober) probe(v, h []float64, energy bool) float64 {
	layout.PutRows(pr.m, pr.ch, v, len(v))
	copy(pr.ch.Layers()[pr.x.hidden].Data, h)
	for _, t := range pr.g {
		clear(t.Data)
	}
	pr.m.EnergyGrad(pr.ch, -1, pr.g)
	for el, p := range pr.x.elems {
		pr.s[el] = pr.g[p.p].Data[p.j]
	}
	if !energy {
		return 0
	}
	pr.m.Energy(pr.ch, pr.e[:])
	return pr.e[0]
}

// confirm checks the classified statistics and E = E(0, 0) − Σ_p θ_p·s_p at
// random real-valued states, at the parameters and at perturbed ones
// (restored afterwards); it returns why not, or "".
func (pr *prober) confirm(seed uint64) string {
	x := pr.x
	rng := runtime.NewRNG(seed, 0x656d)
	save := make([][]float64, len(pr.params))
	for i, p := range pr.params {
		save[i] = append([]float64(nil), p.Data...)
	}
	defer func() {
		for i, p := range pr.params {
			copy(p.Data, save[i])
		}
	}()
	v, h := make([]float64, x.nv), make([]float64, x.k)
	for round := range 2 {
		if round == 1 {
			for _, el := range x.elems {
				pr.params[el.p].Data[el.j] += 0.5 * rng.Normal()
			}
		}
		clear(v)
		clear(h)
		e0 := pr.probe(v, h, true)
		for range 2 {
			for i := range v {
				v[i] = rng.Float64()
			}
			for k := range h {
				h[k] = rng.Float64()
			}
			e := pr.probe(v, h, true)
			lin, scale := 0.0, math.Abs(e)+math.Abs(e0)+1
			for el, s := range pr.s {
				want := x.alpha[el]
				switch x.form[el] {
				case emV:
					want *= v[x.unit[el]]
				case emH:
					want *= h[x.comp[el]]
				case emVH:
					want *= v[x.unit[el]] * h[x.comp[el]]
				}
				if math.Abs(s-want) > 1e-5*math.Abs(x.alpha[el]) {
					p := x.elems[el]
					return fmt.Sprintf("the statistic of %s[%d] is not that of a mixture at a random state", pr.params[p.p].Name, p.j)
				}
				t := pr.params[x.elems[el].p].Data[x.elems[el].j] * s
				lin += t
				scale += math.Abs(t)
			}
			if math.Abs(e-e0+lin) > 1e-6*scale {
				return "the energy is not −Σ θ_p·s_p over the trained parameters (other terms, fixed parameters, or not linear in θ)"
			}
		}
	}
	return ""
}
