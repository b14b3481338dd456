package verify

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/ir"
)

// Check is one row of the report.
type Check struct {
	Name    string
	Figure  string // what was measured
	Limit   string // what it must stay within
	Pass    bool
	Skipped bool   // the check does not apply; Detail says why
	Detail  string // where it failed, or why it was skipped
}

// Result is "pass", "FAIL" or "skipped: why".
func (c Check) Result() string {
	switch {
	case c.Skipped:
		return "skipped: " + c.Detail
	case c.Pass:
		return "pass"
	}
	return "FAIL"
}

// Options configure Run; zero fields take the defaults in brackets.
type Options struct {
	Seed         uint64  // parameters, states and random streams [1]
	States       int     // random states for the deterministic checks [8]
	Samples      int     // independent chains for the sampler check [20000]
	Sweeps       int     // Gibbs sweeps of each chain [100]
	Temperatures int     // AIS temperatures [1000]
	Runs         int     // AIS runs [100]
	Limit        float64 // configurations enumerated for the exact distribution [DefaultLimit]
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	def(&o.States, 8)
	def(&o.Samples, 20000)
	def(&o.Sweeps, 100)
	def(&o.Temperatures, 1000)
	def(&o.Runs, 100)
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	return o
}

// Tolerances of the deterministic checks.
const (
	Tol     = 1e-9 // generated against the interpreter and brute force
	FDStep  = 1e-5 // central finite differences
	FDTol   = 1e-6 // relative, gradients against finite differences
	AISNats = 0.1  // AIS against exact log Z
)

// Betas are the inverse temperatures the conditionals and free energies are checked at.
var Betas = []float64{1, 0.6}

// RandomParams draws parameters from the model's initializers and adds
// N(0, σ²) to every element, σ = 0.3, so that nothing is checked at a
// special point — within each parameter's domain: where the energy of
// random states is not finite (sqrt or log of a parameter pushed below
// zero, a division by one pushed through zero), the noise of each
// parameter that causes it is halved until it is, down to the initializer
// itself. It returns an error naming the parameters whose initial values
// already make the energy non-finite.
func RandomParams(m *ir.Model, seed uint64) (ir.Params, error) {
	init := m.NewParams()
	m.InitParams(init, seed)
	r := rand.New(rand.NewPCG(seed, 1))
	noise := m.NewParams()
	for i := range noise {
		for k := range noise[i] {
			noise[i][k] = 0.3 * r.NormFloat64()
		}
	}
	xs, _ := RandomStates(m, 8, seed^0x646f6d61696e)
	scale := make([]float64, len(init))
	for i := range scale {
		scale[i] = 1
	}
	at := func(scale []float64) ir.Params {
		p := m.NewParams()
		for i := range p {
			for k := range p[i] {
				p[i][k] = init[i][k] + scale[i]*noise[i][k]
			}
		}
		return p
	}
	finite := func(p ir.Params) bool {
		for _, x := range xs {
			if e := m.Energy(p, x); math.IsNaN(e) || math.IsInf(e, 0) {
				return false
			}
		}
		return true
	}
	p := at(scale)
	for round := 0; !finite(p) && round < 30; round++ {
		// Halve the noise of every parameter whose noise alone (the others
		// at their initial values) breaks the energy; if none does alone,
		// halve them all.
		var culprits []int
		for i := range scale {
			alone := make([]float64, len(scale))
			alone[i] = scale[i]
			if !finite(at(alone)) {
				culprits = append(culprits, i)
			}
		}
		if len(culprits) == 0 {
			for i := range scale {
				culprits = append(culprits, i)
			}
		}
		for _, i := range culprits {
			scale[i] /= 2
		}
		p = at(scale)
	}
	if finite(p) {
		return p, nil
	}
	if !finite(init) {
		var names []string // the parameters that, set to 1, make it finite
		for i, q := range m.Params {
			one := at(make([]float64, len(init)))
			for k := range one[i] {
				one[i][k] = 1
			}
			if finite(one) {
				names = append(names, q.Name)
			}
		}
		return init, fmt.Errorf("the energy of %s is not finite at the initial parameters (random states); check the initializers of %v and the functions applied to them", m.Name, names)
	}
	return init, nil
}

// RandomStates draws n states and packs them per layer (n × size), as
// harness requests carry them.
func RandomStates(m *ir.Model, n int, seed uint64) ([]ir.State, [][]float64) {
	r := rand.New(rand.NewPCG(seed, 2))
	xs := make([]ir.State, n)
	packed := make([][]float64, len(m.Layers))
	for c := range xs {
		xs[c] = m.NewState()
		m.RandomState(xs[c], r)
		for i := range m.Layers {
			packed[i] = append(packed[i], xs[c][i]...)
		}
	}
	return xs, packed
}

// relErr is |a − b| / max(1, |a|, |b|); NaN compares as +Inf.
func relErr(a, b float64) float64 {
	e := math.Abs(a-b) / math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	if math.IsNaN(e) {
		return math.Inf(1)
	}
	return e
}

// worst tracks the largest error of a check and where it happened.
type worst struct {
	err       float64
	n         int
	where     string
	got, want float64
}

func (w *worst) add(where string, got, want float64) {
	w.n++
	if e := relErr(got, want); e > w.err || w.where == "" {
		w.err, w.where, w.got, w.want = e, where, got, want
	}
}

// check turns w into a row: pass when the error is within tol.
func (w *worst) check(name string, tol float64, ref string) Check {
	c := Check{Name: name, Figure: fmt.Sprintf("max err %.1e", w.err), Limit: fmt.Sprintf("%.0e", tol), Pass: w.err <= tol}
	if w.n == 0 {
		return skip(name, "nothing to compare")
	}
	if !c.Pass {
		c.Detail = fmt.Sprintf("%s: generated %.12g, %s %.12g", w.where, w.got, ref, w.want)
	}
	return c
}

func skip(name, why string) Check { return Check{Name: name, Skipped: true, Pass: true, Detail: why} }

func fail(name string, err error) Check {
	return Check{Name: name, Figure: "—", Limit: "—", Detail: err.Error()}
}

// runner holds what every check of one model shares.
type runner struct {
	m      *ir.Model
	d      *Driver
	name   string
	opts   Options
	p      ir.Params
	xs     []ir.State
	packed [][]float64
	eval   map[float64]harness.Response
}

// Run checks the generated code that d serves under name against model m
// and brute force, and returns one row per check.
func Run(m *ir.Model, d *Driver, name string, opts Options) []Check {
	opts = opts.withDefaults()
	p, err := RandomParams(m, opts.Seed)
	if err != nil {
		return []Check{fail("draw parameters where the energy is finite", err)}
	}
	r := &runner{m: m, d: d, name: name, opts: opts, p: p, eval: map[float64]harness.Response{}}
	r.xs, r.packed = RandomStates(m, opts.States, opts.Seed)
	checks := []Check{r.normalization()}
	for _, beta := range Betas {
		resp, err := d.Call(harness.Request{Model: name, Op: "eval", Params: r.p, Layers: r.packed, N: len(r.xs), Beta: beta})
		if err != nil {
			return append(checks, fail(fmt.Sprintf("evaluate the generated code (β=%g)", beta), err))
		}
		if err := r.shapes(resp); err != nil {
			return append(checks, fail("generated code has the model's shapes", err))
		}
		r.eval[beta] = resp
	}
	checks = append(checks, r.energy())
	for _, ly := range m.Layers {
		checks = append(checks, r.conditional(ly))
	}
	for f, fe := range m.FreeEnergies {
		checks = append(checks, r.freeEnergy(f, fe))
	}
	checks = append(checks, r.energyGrad())
	for f, fe := range m.FreeEnergies {
		checks = append(checks, r.freeEnergyGrad(f, fe))
	}
	checks = append(checks, r.meanField(), r.logZ(), r.sampler(), r.ais(), r.allocs(), r.training())
	return checks
}

// shapes checks that a response has the sizes of the model, so that a
// file generated at other sizes is reported as such.
func (r *runner) shapes(resp harness.Response) error {
	n := len(r.xs)
	if len(resp.Means) != len(r.m.Layers) {
		return fmt.Errorf("the code has %d layers, the model %d", len(resp.Means), len(r.m.Layers))
	}
	for i, ly := range r.m.Layers {
		if len(resp.Means[i]) != n*ly.Size {
			return fmt.Errorf("layer %s has %d units in the code, %d in the model (was it generated with other -D sizes?)", ly.Name, len(resp.Means[i])/n, ly.Size)
		}
	}
	if len(resp.EnergyGrad) != len(r.m.Params) {
		return fmt.Errorf("the code has %d parameters, the model %d", len(resp.EnergyGrad), len(r.m.Params))
	}
	for i, q := range r.m.Params {
		if len(resp.EnergyGrad[i]) != q.Size {
			return fmt.Errorf("param %s has %d elements in the code, %d in the model", q.Name, len(resp.EnergyGrad[i]), q.Size)
		}
	}
	if len(resp.FreeEnergies) != len(r.m.FreeEnergies) {
		return fmt.Errorf("the code has %d free energies, the model %d", len(resp.FreeEnergies), len(r.m.FreeEnergies))
	}
	return nil
}

// normalization compares the normalized energy of the interpreter with the
// energy evaluated as written; everything below rests on the former.
func (r *runner) normalization() Check {
	var w worst
	for c, x := range r.xs {
		w.add(fmt.Sprintf("state %d", c), r.m.Energy(r.p, x), r.m.SourceEnergy(r.p, x))
	}
	c := w.check("energy: interpreter normalized vs as written", Tol, "as written")
	c.Detail = strings.Replace(c.Detail, "generated", "normalized", 1)
	return c
}

func (r *runner) energy() Check {
	var w worst
	resp := r.eval[1]
	for c, x := range r.xs {
		w.add(fmt.Sprintf("chain %d", c), resp.Energy[c], r.m.SourceEnergy(r.p, x))
	}
	return w.check("energy: generated vs as written", Tol, "as written")
}

func unitName(ly *ir.Layer, k int) string {
	if len(ly.Shape) == 2 {
		K := ly.Shape[1]
		return fmt.Sprintf("%s[%d,%d]", ly.Name, k/K, k%K)
	}
	return fmt.Sprintf("%s[%d]", ly.Name, k)
}

// conditional compares the generated fields, precisions and means of a
// layer with what the energy implies, computed by brute force: the
// probabilities of every value of a discrete unit, and for a gaussian unit
// the quadratic E(t) = E(0) − a·t + ½P·t² read off E(−1), E(0), E(1).
func (r *runner) conditional(ly *ir.Layer) Check {
	var w worst
	m, p := r.m, r.p
	for c, x := range r.xs {
		y := x.Clone()
		row := y[ly.Index]
		e := func(k int, v float64) float64 {
			old := row[k]
			row[k] = v
			en := m.Energy(p, y)
			row[k] = old
			return en
		}
		for k := 0; k < ly.Size; k++ {
			at := func(what string, beta float64) string {
				return fmt.Sprintf("%s of %s, chain %d, β=%g", what, unitName(ly, k), c, beta)
			}
			i := c*ly.Size + k
			switch ly.Kind {
			case ir.Gaussian:
				e0, e1, em := e(k, 0), e(k, 1), e(k, -1)
				prec, a := e1+em-2*e0, -(e1-em)/2
				w.add(at("field", 1), r.eval[1].Fields[ly.Index][i], a)
				w.add(at("precision", 1), r.eval[1].Precisions[ly.Index][i], prec)
				for _, beta := range Betas {
					w.add(at("mean", beta), r.eval[beta].Means[ly.Index][i], a/prec)
				}
			case ir.Bernoulli, ir.Spin:
				lo, hi := 0.0, 1.0
				if ly.Kind == ir.Spin {
					lo = -1
				}
				w.add(at("field", 1), r.eval[1].Fields[ly.Index][i], (e(k, lo)-e(k, hi))/(hi-lo))
				for _, beta := range Betas {
					pr := m.BruteUnitProbs(ly, p, x, k, beta)
					w.add(at("mean", beta), r.eval[beta].Means[ly.Index][i], lo*pr[0]+hi*pr[1])
				}
			case ir.Softmax:
				K := ly.Categories()
				g0 := c*ly.Size + k - k%K // category 0 of k's group
				// a_k − a_0 = E(x_0 = 1) − E(x_k = 1) within the group.
				en := func(cat int) float64 {
					old := append([]float64(nil), row[k-k%K:k-k%K+K]...)
					clear(row[k-k%K : k-k%K+K])
					row[k-k%K+cat] = 1
					v := m.Energy(p, y)
					copy(row[k-k%K:], old)
					return v
				}
				got := r.eval[1].Fields[ly.Index]
				w.add(at("field difference a_k − a_0", 1), got[i]-got[g0], en(0)-en(k%K))
				for _, beta := range Betas {
					pr := m.BruteUnitProbs(ly, p, x, k, beta)
					w.add(at("probability", beta), r.eval[beta].Means[ly.Index][i], pr[k%K])
				}
			}
		}
	}
	return w.check(fmt.Sprintf("conditional p(%s | rest) at β=1, 0.6", ly.Name), Tol, "brute force")
}

func layerNames(ls []*ir.Layer) string {
	var s []string
	for _, ly := range ls {
		s = append(s, ly.Name)
	}
	return strings.Join(s, ", ")
}

func hasGaussian(ls []*ir.Layer) bool {
	for _, ly := range ls {
		if ly.Kind == ir.Gaussian {
			return true
		}
	}
	return false
}

func (r *runner) freeEnergy(f int, fe *ir.FreeEnergy) Check {
	var w worst
	name := fmt.Sprintf("free energy F(%s), %s summed out", layerNames(fe.Keep), layerNames(fe.SumOut))
	ref := "brute force"
	if hasGaussian(fe.SumOut) {
		ref = "Gaussian integral of the energy"
		name = fmt.Sprintf("free energy F(%s), %s integrated out", layerNames(fe.Keep), layerNames(fe.SumOut))
	}
	for _, beta := range Betas {
		for c, x := range r.xs {
			want, err := RefFreeEnergy(r.m, fe, r.p, x, beta)
			if err != nil {
				return fail(name, err)
			}
			w.add(fmt.Sprintf("chain %d, β=%g", c, beta), r.eval[beta].FreeEnergies[f][c], want)
		}
	}
	return w.check(name, Tol, ref)
}

// RefFreeEnergy is F_β(x) = −log Σ∫ exp(−βE) over the summed-out layers of
// fe, from energies alone: discrete layers are enumerated, and gaussian
// ones integrated in closed form, reading the quadratic form of E in
// their units off energies at 0, ±e_u and e_u + e_w.
func RefFreeEnergy(m *ir.Model, fe *ir.FreeEnergy, p ir.Params, x ir.State, beta float64) (float64, error) {
	var disc, gauss []*ir.Layer
	for _, ly := range fe.SumOut {
		if ly.Kind == ir.Gaussian {
			gauss = append(gauss, ly)
		} else {
			disc = append(disc, ly)
		}
	}
	if len(gauss) == 0 {
		return m.BruteFreeEnergy(fe, p, x, beta)
	}
	n, err := ir.Configs(disc, ir.DefaultEnumerationLimit)
	if err != nil {
		return 0, err
	}
	y := x.Clone()
	terms := make([]float64, n)
	for k := range terms {
		ir.SetConfig(disc, k, y)
		if terms[k], err = gaussLogIntegral(m, p, y, gauss, beta); err != nil {
			return 0, err
		}
	}
	return -logSumExp(terms), nil
}

// gaussLogIntegral is log ∫ exp(−βE) over the units of the gaussian layers,
// the others held at y: with E(t) = E₀ − bᵀt + ½tᵀHt,
//
//	log ∫ = −βE₀ + (n/2)·log 2π − ½·log det(βH) + (β/2)·bᵀH⁻¹b.
func gaussLogIntegral(m *ir.Model, p ir.Params, y ir.State, gauss []*ir.Layer, beta float64) (float64, error) {
	type unit struct{ l, k int }
	var us []unit
	for _, ly := range gauss {
		for k := 0; k < ly.Size; k++ {
			us = append(us, unit{ly.Index, k})
			y[ly.Index][k] = 0
		}
	}
	n := len(us)
	e0 := m.Energy(p, y)
	at := func(vals map[int]float64) float64 {
		for u, v := range vals {
			y[us[u].l][us[u].k] = v
		}
		e := m.Energy(p, y)
		for u := range vals {
			y[us[u].l][us[u].k] = 0
		}
		return e
	}
	b := make([]float64, n)
	H := make([][]float64, n)
	for u := range us {
		H[u] = make([]float64, n)
		ep, em := at(map[int]float64{u: 1}), at(map[int]float64{u: -1})
		H[u][u] = ep + em - 2*e0
		b[u] = (em - ep) / 2
	}
	for u := 0; u < n; u++ {
		for v := u + 1; v < n; v++ {
			h := at(map[int]float64{u: 1, v: 1}) - e0 + b[u] + b[v] - (H[u][u]+H[v][v])/2
			H[u][v], H[v][u] = h, h
		}
	}
	// Cholesky H = LLᵀ.
	L := make([][]float64, n)
	logDet := 0.0
	for i := range L {
		L[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			s := H[i][j]
			for k := 0; k < j; k++ {
				s -= L[i][k] * L[j][k]
			}
			if i == j {
				if !(s > 0) {
					return 0, errors.New("the energy is not a positive definite quadratic in the summed-out gaussian units: exp(−E) has no finite integral")
				}
				L[i][i] = math.Sqrt(s)
				logDet += 2 * math.Log(L[i][i])
			} else {
				L[i][j] = s / L[j][j]
			}
		}
	}
	// bᵀH⁻¹b = |L⁻¹b|².
	z := make([]float64, n)
	q := 0.0
	for i := range z {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= L[i][k] * z[k]
		}
		z[i] = s / L[i][i]
		q += z[i] * z[i]
	}
	fn := float64(n)
	return -beta*e0 + fn/2*math.Log(2*math.Pi) - (fn*math.Log(beta)+logDet)/2 + beta*q/2, nil
}

func logSumExp(xs []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range xs {
		mx = math.Max(mx, v)
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	s := 0.0
	for _, v := range xs {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// fdGrad compares g (summed over the states) with central differences of
// Σ_states f(q, x); fixed parameters must have zero gradient.
func (r *runner) fdGrad(name string, g [][]float64, f func(q ir.Params, x ir.State) (float64, error)) Check {
	var w worst
	total := func(q ir.Params) (float64, error) {
		s := 0.0
		for _, x := range r.xs {
			v, err := f(q, x)
			if err != nil {
				return 0, err
			}
			s += v
		}
		return s, nil
	}
	for _, q := range r.m.Params {
		for k := range r.p[q.Index] {
			want := 0.0
			if !q.Fixed {
				pp, pm := r.p.Clone(), r.p.Clone()
				pp[q.Index][k] += FDStep
				pm[q.Index][k] -= FDStep
				fp, err := total(pp)
				if err != nil {
					return fail(name, err)
				}
				fm, err := total(pm)
				if err != nil {
					return fail(name, err)
				}
				want = (fp - fm) / (2 * FDStep)
			}
			w.add(fmt.Sprintf("%s[%d]", q.Name, k), g[q.Index][k], want)
		}
	}
	c := w.check(name, FDTol, "finite difference")
	c.Limit = fmt.Sprintf("%.0e rel", FDTol)
	return c
}

func (r *runner) energyGrad() Check {
	return r.fdGrad("∂E/∂θ vs finite differences", r.eval[1].EnergyGrad, func(q ir.Params, x ir.State) (float64, error) {
		return r.m.SourceEnergy(q, x), nil
	})
}

func (r *runner) freeEnergyGrad(f int, fe *ir.FreeEnergy) Check {
	return r.fdGrad(fmt.Sprintf("∂F(%s)/∂θ vs finite differences", layerNames(fe.Keep)), r.eval[1].FEGrads[f], func(q ir.Params, x ir.State) (float64, error) {
		return RefFreeEnergy(r.m, fe, q, x, 1)
	})
}

// meanField compares the generated mean-field fixed points with the
// interpreter's, on the states where the interpreter converged.
func (r *runner) meanField() Check {
	const name = "mean field vs interpreter"
	hidden := false
	for _, ly := range r.m.Layers {
		hidden = hidden || !ly.Visible
	}
	if !hidden {
		return skip(name, "no hidden layer")
	}
	var w worst
	got := r.eval[1].MeanField
	for c, x := range r.xs {
		mu, iters := r.m.MeanField(r.p, x, 500, 1e-12, 0)
		if iters == 500 {
			continue // not converged: two trajectories, not fixed points
		}
		for i, ly := range r.m.Layers {
			for k := 0; k < ly.Size; k++ {
				w.add(fmt.Sprintf("%s, chain %d", unitName(ly, k), c), got[i][c*ly.Size+k], mu[i][k])
			}
		}
	}
	if w.n == 0 {
		return skip(name, "the interpreter's mean field did not converge in 500 sweeps")
	}
	return w.check(name, Tol, "interpreter")
}

const logZLimit = 1 << 22

func (r *runner) logZ() Check {
	const name = "log Z exact (enumeration)"
	want, err := r.m.LogZ(r.p, 1, logZLimit)
	if err != nil {
		return skip(name, err.Error())
	}
	resp := r.eval[1]
	if resp.LogZError != "" {
		return Check{Name: name, Figure: "—", Limit: fmt.Sprintf("%.0e", Tol), Detail: "generated LogZ: " + resp.LogZError}
	}
	var w worst
	w.add("log Z", resp.LogZ, want)
	return w.check(name, Tol, "interpreter")
}

// ExactDiscrete returns the exact distribution of the model's discrete
// layers — of all layers when every one is discrete, else of the kept
// layers of the free energy that sums out the gaussian ones (the one that
// keeps most configurations within limit) — and the layers it ranges over.
func ExactDiscrete(m *ir.Model, p ir.Params, limit float64) ([]float64, []*ir.Layer, error) {
	if _, err := ir.Configs(m.Layers, limit); err == nil {
		d, err := m.Distribution(p, limit)
		return d, m.Layers, err
	}
	var best *ir.FreeEnergy
	bestN := 0
	for _, fe := range m.FreeEnergies {
		if n, err := ir.Configs(fe.Keep, limit); err == nil && n > bestN {
			best, bestN = fe, n
		}
	}
	if best == nil {
		if _, err := ir.Configs(m.Layers, limit); err != nil && hasGaussian(m.Layers) {
			return nil, nil, errors.New("no free energy sums out the gaussian layers, so the discrete ones have no enumerable distribution")
		}
		_, err := ir.Configs(m.Layers, limit)
		return nil, nil, err
	}
	x := m.NewState()
	logp := make([]float64, bestN)
	for k := range logp {
		ir.SetConfig(best.Keep, k, x)
		logp[k] = -m.FreeEnergy(best, p, x, 1)
	}
	z := logSumExp(logp)
	for k := range logp {
		logp[k] = math.Exp(logp[k] - z)
	}
	return logp, best.Keep, nil
}

// TVBound is a bound that the total-variation distance between p and the
// empirical distribution of n independent samples exceeds with probability
// below 1e-6: its mean is at most ½Σ√(p(1−p)/n), and it concentrates within
// √(ln(10⁶)/(2n)) of the mean (McDiarmid: one sample moves it by ≤ 1/n).
func TVBound(p []float64, n int) float64 {
	mean := 0.0
	for _, q := range p {
		mean += math.Sqrt(q * (1 - q) / float64(n))
	}
	return mean/2 + math.Sqrt(math.Log(1e6)/(2*float64(n)))
}

// SampleTV runs n independent chains of the generated sampler for sweeps
// sweeps from random starts and returns the total-variation distance of
// their final states' distribution from the exact one, and its bound.
func SampleTV(d *Driver, name string, m *ir.Model, p ir.Params, n, sweeps int, seed uint64, limit float64) (tv, bound float64, err error) {
	return SampleTVRequest(d, harness.Request{Model: name, Params: p, N: n, Seed: seed, Sweeps: sweeps}, m, limit)
}

// SampleTVRequest is SampleTV for a request that may pick another sampler
// (harness.Request.Sampler); its Op and Beta are set here.
func SampleTVRequest(d *Driver, req harness.Request, m *ir.Model, limit float64) (tv, bound float64, err error) {
	p, n := ir.Params(req.Params), req.N
	exact, layers, err := ExactDiscrete(m, p, limit)
	if err != nil {
		return 0, 0, err
	}
	req.Op, req.Beta = "sample", 1
	resp, err := d.Call(req)
	if err != nil {
		return 0, 0, err
	}
	counts := make([]float64, len(exact))
	x := m.NewState()
	for c, st := range resp.States {
		off := 0
		for i, ly := range m.Layers {
			copy(x[i], st[off:off+ly.Size])
			off += ly.Size
		}
		k, ok := configOf(layers, x)
		if !ok {
			return 1, TVBound(exact, n), fmt.Errorf("chain %d ended in an impossible state %v", c, st)
		}
		counts[k]++
	}
	for k, q := range exact {
		tv += math.Abs(counts[k]/float64(n) - q)
	}
	return tv / 2, TVBound(exact, n), nil
}

// configOf is ir.ConfigOf after checking that x holds valid values.
func configOf(layers []*ir.Layer, x ir.State) (int, bool) {
	for _, ly := range layers {
		row := x[ly.Index]
		switch ly.Kind {
		case ir.Bernoulli:
			for _, v := range row {
				if v != 0 && v != 1 {
					return 0, false
				}
			}
		case ir.Spin:
			for _, v := range row {
				if v != -1 && v != 1 {
					return 0, false
				}
			}
		case ir.Softmax:
			K := ly.Categories()
			for g := 0; g < ly.Groups(); g++ {
				ones := 0
				for _, v := range row[g*K : g*K+K] {
					if v == 1 {
						ones++
					} else if v != 0 {
						return 0, false
					}
				}
				if ones != 1 {
					return 0, false
				}
			}
		}
	}
	return ir.ConfigOf(layers, x), true
}

func (r *runner) sampler() Check {
	name := fmt.Sprintf("sampler: %d chains × %d sweeps vs exact", r.opts.Samples, r.opts.Sweeps)
	if _, _, err := ExactDiscrete(r.m, r.p, r.opts.Limit); err != nil {
		return skip(name, err.Error())
	}
	tv, bound, err := SampleTV(r.d, r.name, r.m, r.p, r.opts.Samples, r.opts.Sweeps, r.opts.Seed+98, r.opts.Limit)
	if err != nil {
		return fail(name, err)
	}
	c := Check{Name: name, Figure: fmt.Sprintf("TV %.4f", tv), Limit: fmt.Sprintf("%.4f", bound), Pass: tv <= bound}
	if !c.Pass {
		c.Detail = fmt.Sprintf("the sampler's distribution is %.4f from the exact one in total variation; %d samples stay within %.4f with probability 1 − 10⁻⁶", tv, r.opts.Samples, bound)
	}
	return c
}

func (r *runner) ais() Check {
	name := fmt.Sprintf("AIS log Z (%d temperatures × %d runs) − exact", r.opts.Temperatures, r.opts.Runs)
	exact, err := r.m.LogZ(r.p, 1, logZLimit)
	if err != nil {
		return skip(name, "no exact log Z: "+err.Error())
	}
	for _, ly := range r.m.Layers {
		if !ly.Visible && ly.Kind == ir.Gaussian {
			return skip(name, fmt.Sprintf("hidden layer %s is gaussian: the runtime's AIS path starts from a uniform hidden layer", ly.Name))
		}
	}
	resp, err := r.d.Call(harness.Request{Model: r.name, Op: "logz", Params: r.p, Seed: r.opts.Seed,
		LogZ: &harness.LogZ{Temperatures: r.opts.Temperatures, Runs: r.opts.Runs, Burn: 100}})
	est, ok := resp.Estimates["ais"]
	if !ok {
		if err == nil {
			err = errors.New("no AIS estimate")
		}
		return fail(name, err)
	}
	c := Check{Name: name, Figure: fmt.Sprintf("%+.4f [%+.4f, %+.4f]", est.LogZ-exact, est.Low-exact, est.High-exact),
		Limit: fmt.Sprintf("±%.1f, 0 in ±3σ", AISNats)}
	c.Pass = math.Abs(est.LogZ-exact) <= AISNats && est.Low <= exact && exact <= est.High
	if !c.Pass {
		c.Detail = fmt.Sprintf("AIS log Z %.4f [%.4f, %.4f], exact %.4f", est.LogZ, est.Low, est.High, exact)
	}
	return c
}

func (r *runner) allocs() Check {
	const name = "allocations: sweeps, samplers, mean field, CD/PCD"
	resp, err := r.d.Call(harness.Request{Model: r.name, Op: "allocs", Params: r.p, N: 8})
	if err != nil {
		return fail(name, err)
	}
	var bad []string
	total := 0.0
	for _, what := range sortedFloatKeys(resp.Allocs) {
		if a := resp.Allocs[what]; a != 0 {
			bad = append(bad, fmt.Sprintf("%s allocates %.0f times", what, a))
			total += a
		}
	}
	c := Check{Name: name, Figure: fmt.Sprintf("%.0f in %d paths", total, len(resp.Allocs)), Limit: "0", Pass: len(bad) == 0}
	c.Detail = strings.Join(bad, "; ")
	return c
}

func sortedFloatKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// training runs a few epochs of CD-1 on random data and checks that every
// parameter stays finite and the trained ones move.
func (r *runner) training() Check {
	const name = "CD-1 training, 5 epochs"
	rng := rand.New(rand.NewPCG(r.opts.Seed, 5))
	var data [][]float64
	for range 20 {
		x := r.m.NewState()
		r.m.RandomState(x, rng)
		var row []float64
		for _, ly := range r.m.Layers {
			if ly.Visible {
				row = append(row, x[ly.Index]...)
			}
		}
		data = append(data, row)
	}
	resp, err := r.d.Call(harness.Request{Model: r.name, Op: "train", Params: r.p, Seed: r.opts.Seed,
		Train: &harness.Train{Data: data, Epochs: 5, Batch: 10, K: 1, LR: 0.01, Momentum: 0.5}})
	if err != nil {
		return fail(name, err)
	}
	moved, trained := 0, 0
	for _, q := range r.m.Params {
		for k, v := range resp.Params[q.Index] {
			if math.IsNaN(v) || math.Abs(v) > 1e300 {
				return Check{Name: name, Figure: "non-finite", Limit: "finite", Detail: fmt.Sprintf("%s[%d] = %g after training", q.Name, k, v)}
			}
			if !q.Fixed {
				trained++
				if v != r.p[q.Index][k] {
					moved++
				}
			} else if v != r.p[q.Index][k] {
				return Check{Name: name, Figure: "fixed moved", Limit: "finite", Detail: fmt.Sprintf("fixed parameter %s[%d] changed in training", q.Name, k)}
			}
		}
	}
	c := Check{Name: name, Figure: fmt.Sprintf("%d/%d moved", moved, trained), Limit: "finite", Pass: true}
	if trained > 0 && moved == 0 {
		c.Pass, c.Detail = false, "no trained parameter changed"
	}
	return c
}
