package estimators

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Tracking the partition function while a model trains (Desjardins,
// Courville & Bengio 2011, "On tracking the partition function").

// TrackConfig configures a Tracker.
type TrackConfig struct {
	// Chains is the number of persistent Gibbs chains whose states are the
	// samples of each p_t; 0 means 100.
	Chains int
	// Sweeps is the number of Gibbs sweeps the chains make at each
	// observation, under the parameters of that moment; 0 means 1.
	Sweeps int
	// Burn is the number of sweeps the chains make under the starting
	// parameters before the first observation.
	Burn int
	Seed uint64
	// Betas, if set, is a ladder of inverse temperatures 1 = β_0 > β_1 > …
	// ≥ 0: the chains are then those of parallel tempering (Tempering),
	// Chains at every temperature, and a Sweep of the tracker is a sweep
	// of the ladder with its swaps; the samples of p_t are the β = 1
	// chains, which the swaps help to move between modes.
	Betas []float64
	// Base, with Betas, makes the ladder's rungs those of the geometric
	// path from this base model, p_A^{1−β}·p*^β, as AIS anneals along
	// (NewTemperingPath); nil means plain tempering of the energy, or with
	// Filter the Uniform base.
	Base *Base
	// Filter tracks log Z_t at every rung of Betas, which must then run
	// from 1 down to 0, and combines the time ratios of every rung with
	// the ratios between neighbouring rungs and the known log Z of the
	// β = 0 rung (Base.LogZ) by a Kalman filter (Desjardins et al. 2011,
	// §3; see ladderFilter): the tracked log Z is the filtered value at
	// β = 1. Without it the time ratios at β = 1 are summed.
	Filter bool
	// OneSided estimates every time ratio by importance sampling from the
	// chains at the last observation alone, log mean exp l(X_{t−1}) (the
	// estimator of Desjardins et al.), instead of BAR from the chains before
	// and after: it does not take the chains after Sweeps sweeps under θ_t
	// for samples of p_t, and so is free of their lag behind the
	// parameters (BAR errs low when X_t is still distributed as p_{t−1}:
	// its fixed point then lies near E_{t−1}[l] ≤ log E_{t−1}[e^l] = δ).
	OneSided bool
	// ProcessVar, with Filter, is a variance added to every rung's
	// prediction per observation beyond the time ratios' own se²: room for
	// their systematic errors. 0 adds none.
	ProcessVar float64
	// EstimateNoise, with Filter, weighs the filter's observations by how
	// much they really scatter instead of by BAR's standard errors, which
	// assume fresh independent samples at every observation, and widens
	// its σ by what the weights still miss (see noiseModel): every
	// between-rung variance is multiplied by the integrated
	// autocorrelation time of its rungs' chains, every time ratio's by the
	// factor that the time ratios' drift against the between-rung ratios
	// calls for, and the reported variance adds the slow error that the
	// innovations' batch means show. Without it σ is far too small on
	// chains that decorrelate slowly or lag behind the model. It cannot
	// see an error that all the ladder's chains share.
	EstimateNoise bool
	// NoiseBatch, with EstimateNoise, is the length (in observations) of
	// the batches whose means estimate the chains' autocorrelation time,
	// and the memory of the noise estimates; 0 means 50. It bounds
	// the autocorrelation times that can be seen.
	NoiseBatch int
}

// Tracker follows log Z_t of a model whose parameters θ_t change, as they
// do in training, without annealing: it keeps persistent Gibbs chains of
// the model and, at every observation t (after some parameter updates),
// moves them by Sweeps sweeps under θ_t and estimates the change
//
//	δ_t = log Z_t − log Z_{t−1}
//
// by bridge sampling between p_{t−1} and p_t (Bennett's acceptance ratio,
// BAR) from the samples of both: X_{t−1}, the chains at the previous
// observation, and X_t, the chains now, with
//
//	l(x) = log p*_t(x) − log p*_{t−1}(x),   p*(x) = exp(−F(x)),
//
// F the free energy that sums out the most hidden units (the energy when
// none can be), evaluated under both parameter sets. The estimates add up
// from a known start:
//
//	log Ẑ_t = log Ẑ_0 + Σ_{s ≤ t} δ̂_s,   Var = Var_0 + Σ_{s ≤ t} se_s²,
//
// se_s the standard error of BAR (Meng & Wong 1996); the interval is ±3σ.
// The variance treats the steps as independent and the chains as exact
// samples: it ignores the bias of chains that lag behind a fast-changing
// model and the correlation of successive steps, so tracking wants
// observations close enough that p_{t−1} and p_t overlap (every update or
// every few updates of stochastic gradient training) and chains that mix.
//
// With TrackConfig.Filter the chains are a tempering ladder on the path
// from a base model down to β = 0, and the Tracker follows log Z_t at every
// rung by the Kalman filter of Desjardins et al. (§3; ladderFilter): the
// time ratios of every rung predict, the ratios between neighbouring rungs
// (which do not add up over time) and the known log Z of the base correct.
// LogZ is then the filtered value at β = 1, Accumulated the plain sum above
// on the same chains, Bridged the ladder's estimate of the moment alone.
//
// The Tracker reads the model's parameters through Params: it copies them
// at every observation and, to evaluate p*_{t−1}, writes the copy in and
// back out, so the model must not change during Observe.
type Tracker struct {
	m                 runtime.Reflective
	cfg               TrackConfig
	d                 *pathDensity
	x, prev           runtime.Chains // the chains now and at the last observation
	pt                *Tempering     // nil without a ladder; else x is pt.Chains[0]
	xViews, prevViews []runtime.Tensor
	params            []runtime.Tensor
	theta             []float64 // the parameters at the last observation
	now               []float64 // the current parameters, while θ_{t−1} is written in

	lPrevPrev []float64 // log p*_{t−1}(X_{t−1})
	lNowPrev  []float64 // log p*_t(X_{t−1})
	lNowNow   []float64 // log p*_t(X_t)
	lPrevNow  []float64 // log p*_{t−1}(X_t)
	l0, l1    []float64 // the log ratios at samples of p_{t−1} and of p_t
	t0, t1    []float64 // BAR's scratch

	f *ladderFilter // nil unless cfg.Filter

	logZ, variance float64 // the sum of the time ratios at β = 1
	steps          int
	lastDelta      float64
	lastSE         float64
}

// NewTracker starts tracking m from its current parameters, whose log Z is
// start (an exact value, an AIS estimate: its interval's width sets the
// starting variance, ((High − Low)/6)²). It runs the chains cfg.Burn
// sweeps under the current parameters.
func NewTracker(m runtime.Reflective, start *Estimate, cfg TrackConfig) (*Tracker, error) {
	switch {
	case start == nil:
		return nil, fmt.Errorf("runtime: tracking log Z of %s: no starting estimate (use the exact LogZ or AIS)", m.ModelName())
	case math.IsNaN(start.LogZ) || math.IsInf(start.LogZ, 0):
		return nil, fmt.Errorf("runtime: tracking log Z of %s: starting log Z is %v", m.ModelName(), start.LogZ)
	case cfg.Chains < 0 || cfg.Sweeps < 0 || cfg.Burn < 0:
		return nil, fmt.Errorf("runtime: tracking log Z of %s: Chains %d, Sweeps %d and Burn %d must not be negative", m.ModelName(), cfg.Chains, cfg.Sweeps, cfg.Burn)
	case !(cfg.ProcessVar >= 0) || math.IsInf(cfg.ProcessVar, 0):
		return nil, fmt.Errorf("runtime: tracking log Z of %s: ProcessVar %v must be a finite number ≥ 0", m.ModelName(), cfg.ProcessVar)
	case cfg.NoiseBatch < 0:
		return nil, fmt.Errorf("runtime: tracking log Z of %s: NoiseBatch %d must not be negative", m.ModelName(), cfg.NoiseBatch)
	case cfg.EstimateNoise && !cfg.Filter:
		return nil, fmt.Errorf("runtime: tracking log Z of %s: EstimateNoise weighs the Kalman filter's observations and needs Filter", m.ModelName())
	case cfg.Base != nil && cfg.Betas == nil:
		return nil, fmt.Errorf("runtime: tracking log Z of %s: a Base needs a ladder (Betas) whose rungs lie on its path", m.ModelName())
	}
	if cfg.Filter {
		if err := checkLadder(m.ModelName(), cfg.Betas); err != nil {
			return nil, err
		}
		if cfg.Base == nil {
			cfg.Base = Uniform(m)
		}
	}
	if cfg.Chains == 0 {
		cfg.Chains = 100
	}
	if cfg.Sweeps == 0 {
		cfg.Sweeps = 1
	}
	if cfg.NoiseBatch == 0 {
		cfg.NoiseBatch = 50
	}
	base := cfg.Base
	if base == nil {
		base = Uniform(m)
	}
	anchor, err := base.LogZ(m)
	if err != nil {
		return nil, fmt.Errorf("runtime: tracking log Z: %w", err)
	}
	n := cfg.Chains
	t := &Tracker{m: m, cfg: cfg, d: newPathDensity(m, base, n),
		prev: m.NewChains(n, cfg.Seed^0x7472), params: m.Params(), logZ: start.LogZ}
	if cfg.Betas != nil {
		if cfg.Betas[0] != 1 {
			return nil, fmt.Errorf("runtime: tracking log Z of %s: the ladder must start at β = 1, got %v", m.ModelName(), cfg.Betas)
		}
		pt, err := NewTemperingPath(m, cfg.Base, cfg.Betas, n, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("runtime: tracking log Z: %w", err)
		}
		t.pt, t.x = pt, pt.Chains[0]
	} else {
		t.x = m.NewChains(n, cfg.Seed)
	}
	if start.Finite() {
		sd := (start.High - start.Low) / 6
		t.variance = sd * sd
	} else if start.Low != start.High {
		return nil, fmt.Errorf("runtime: tracking log Z of %s: the starting estimate's interval [%g, %g] is not finite", m.ModelName(), start.Low, start.High)
	}
	t.xViews, t.prevViews = t.x.Layers(), t.prev.Layers()
	size := 0
	for _, p := range t.params {
		size += len(p.Data)
	}
	t.theta, t.now = make([]float64, size), make([]float64, size)
	for _, s := range []*[]float64{&t.lPrevPrev, &t.lNowPrev, &t.lNowNow, &t.lPrevNow, &t.l0, &t.l1, &t.t0, &t.t1} {
		*s = make([]float64, n)
	}
	if cfg.Filter {
		var noise *noiseModel
		if cfg.EstimateNoise {
			noise = newNoiseModel(len(cfg.Betas), n, cfg.NoiseBatch)
		}
		t.f = newLadderFilter(m, t.pt, n, anchor, cfg.ProcessVar, noise)
	}
	for range cfg.Burn {
		t.sweep()
	}
	t.save()
	if t.f != nil {
		t.f.start(start.LogZ, t.variance)
	}
	return t, nil
}

// save records the current parameters and chains as those of the last
// observation, with log p*(X) under them; with the filter, every rung's,
// and the between-rung ratios of the chains now.
func (t *Tracker) save() {
	gather(t.theta, t.params)
	copyViews(t.prevViews, t.xViews)
	t.d.eval(t.x, 1, t.lPrevPrev)
	if t.f != nil {
		t.f.evalNow(t.d, t.pt)
		t.f.bridges(t.l0, t.l1, t.t0, t.t1)
		t.f.save()
	}
}

// Observe moves the chains by Sweeps sweeps under the current parameters
// and adds the bridge-sampling estimate of log Z_t − log Z_{t−1} since the
// last observation. It allocates nothing.
func (t *Tracker) Observe() {
	for range t.cfg.Sweeps {
		t.sweep()
	}
	if t.f != nil {
		t.observeLadder()
		return
	}
	t.d.eval(t.x, 1, t.lNowNow)
	t.d.eval(t.prev, 1, t.lNowPrev)
	gather(t.now, t.params)
	scatter(t.params, t.theta)
	t.d.eval(t.x, 1, t.lPrevNow)
	scatter(t.params, t.now)
	for i := range t.l0 {
		t.l0[i] = t.lNowPrev[i] - t.lPrevPrev[i]
		t.l1[i] = t.lNowNow[i] - t.lPrevNow[i]
	}
	c, se := t.timeRatio()
	t.advance(c, se, t.lNowNow)
}

// advance adds the step's change c (standard error se) to the sum and
// makes the present the past of the next step: θ_t, the chains' states
// and their log p*_t, lNow.
func (t *Tracker) advance(c, se float64, lNow []float64) {
	t.logZ += c
	t.variance += se * se
	t.lastDelta, t.lastSE = c, se
	t.steps++
	copy(t.theta, t.now)
	copyViews(t.prevViews, t.xViews)
	copy(t.lPrevPrev, lNow)
}

// observeLadder is Observe with the filter: the time ratios at every rung,
// the between-rung ratios, the filter's step.
func (t *Tracker) observeLadder() {
	f := t.f
	f.evalNow(t.d, t.pt)
	for k, x := range f.prev {
		t.d.evalViews(x, f.prevViews[k], f.betas[k], f.lNowPrev[k])
	}
	gather(t.now, t.params)
	scatter(t.params, t.theta)
	for k, x := range t.pt.Chains {
		t.d.evalViews(x, f.views[k], f.betas[k], f.lPrevNow[k])
	}
	scatter(t.params, t.now)
	for k := range f.betas {
		for i := range t.l0 {
			t.l0[i] = f.lNowPrev[k][i] - f.lPrevPrev[k][i]
			t.l1[i] = f.lNowNow[k][i] - f.lPrevNow[k][i]
		}
		f.delta[k], f.deltaSE[k] = t.timeRatio()
	}
	f.bridges(t.l0, t.l1, t.t0, t.t1)
	f.step()
	t.advance(f.delta[0], f.deltaSE[0], f.lNowNow[0])
	f.save()
}

// timeRatio estimates log Z_t − log Z_{t−1} from the log ratios l0 at the
// chains of t−1 and l1 at the chains of t: by BAR, or with OneSided by
// importance sampling from the chains of t−1 alone,
//
//	δ̂ = log mean_i exp l0_i,   se² = Var[e^l0]/(n·mean[e^l0]²),
//
// which does not need X_t to be a sample of p_t yet.
func (t *Tracker) timeRatio() (c, se float64) {
	if !t.cfg.OneSided {
		return bar(t.l0, t.l1, t.t0, t.t1)
	}
	return runtime.LogMeanExp(t.l0), math.Sqrt(relVar(t.l0) / float64(len(t.l0)))
}

// sweep moves the chains by one Gibbs sweep at β = 1, or the ladder by one
// sweep and its swaps.
func (t *Tracker) sweep() {
	if t.pt != nil {
		t.pt.Sweep()
		return
	}
	t.m.Sweep(t.x, 1)
}

// SwapRates returns the ladder's swap acceptance rates (nil without one).
func (t *Tracker) SwapRates() []float64 {
	if t.pt == nil {
		return nil
	}
	return t.pt.SwapRates()
}

// LogZ returns the tracked log Ẑ_t and its standard deviation σ: with the
// filter, its value at β = 1 and √P_00; else the sum of the time ratios.
func (t *Tracker) LogZ() (logZ, sd float64) {
	if t.f != nil {
		return t.f.z[0], t.f.sd()
	}
	return t.logZ, math.Sqrt(t.variance)
}

// Accumulated returns the start plus the sum of the time ratios at β = 1,
// Σ_s δ̂_s, and its σ: the tracked value without the filter (LogZ when
// there is none).
func (t *Tracker) Accumulated() (logZ, sd float64) { return t.logZ, math.Sqrt(t.variance) }

// Bridged returns, with the filter, the estimate of log Z_t at β = 1 from
// the last observation's between-rung ratios and the anchor alone,
// log Z(β = 0) + Σ_k ĝ_k, and its σ (NaN without the filter): what the
// ladder says now, with no memory of earlier observations.
func (t *Tracker) Bridged() (logZ, sd float64) {
	if t.f == nil {
		return math.NaN(), math.NaN()
	}
	return t.f.bridged()
}

// Rungs writes, with the filter, the filtered log Z_t(β_k) and its σ of
// every rung of the ladder into z and sd (each of length len(Betas)); it
// does nothing without the filter.
func (t *Tracker) Rungs(z, sd []float64) {
	if t.f == nil {
		return
	}
	k := len(t.f.z)
	for r := range k {
		z[r], sd[r] = t.f.z[r], math.Sqrt(t.f.p[r*k+r])
	}
}

// Last returns the last step's estimate of log Z_t − log Z_{t−1} and its
// standard error.
func (t *Tracker) Last() (delta, se float64) { return t.lastDelta, t.lastSE }

// Steps is the number of observations so far.
func (t *Tracker) Steps() int { return t.steps }

// Estimate returns the tracked log Z as an Estimate with the interval
// log Ẑ ± 3σ.
func (t *Tracker) Estimate() *Estimate {
	z, sd := t.LogZ()
	method := fmt.Sprintf("tracked (bridge sampling between successive parameters, %d chains, %d steps)", t.cfg.Chains, t.steps)
	if t.f != nil {
		method = fmt.Sprintf("tracked (Kalman filter over a ladder of %d rungs down to the base, %d chains each, %d steps)", len(t.f.betas), t.cfg.Chains, t.steps)
	}
	return &Estimate{Method: method, LogZ: z, Low: z - 3*sd, High: z + 3*sd}
}

// Reset sets the tracked value to a new estimate (from AIS, say) at the
// current parameters and restarts the sum of variances from its interval;
// with the filter, the state restarts from the current between-rung ratios
// and the anchor, and takes e as an observation of log Z at β = 1.
func (t *Tracker) Reset(e *Estimate) error {
	if e == nil || !e.Finite() {
		return errors.New("runtime: tracker reset: the estimate needs a finite interval")
	}
	sd := (e.High - e.Low) / 6
	t.logZ, t.variance = e.LogZ, sd*sd
	t.save()
	if t.f != nil {
		t.f.start(e.LogZ, t.variance)
	}
	return nil
}

// gather copies the parameters' values into dst, in order.
func gather(dst []float64, params []runtime.Tensor) {
	k := 0
	for _, p := range params {
		k += copy(dst[k:], p.Data)
	}
}

// scatter writes src into the parameters, in order.
func scatter(params []runtime.Tensor, src []float64) {
	k := 0
	for _, p := range params {
		k += copy(p.Data, src[k:k+len(p.Data)])
	}
}

// copyViews copies every layer of src into dst (the Layers views of
// chains of one model, of equal length).
func copyViews(dst, src []runtime.Tensor) {
	for i, s := range src {
		copy(dst[i].Data, s.Data)
	}
}

// TrackedLogLikelihood returns a training.FitConfig.Proxy that reports the
// average log-likelihood of d under the tracked log Z,
//
//	(1/N) Σ_n log p(v_n) = −(1/N) Σ_n F(v_n) − log Ẑ_t,
//
// a test-set curve without annealing at each epoch.
func TrackedLogLikelihood(m runtime.Reflective, t *Tracker, d dataset.Source) func() (string, float64) {
	return func() (string, float64) {
		z, _ := t.LogZ()
		ll, err := LogLikelihood(m, d, z)
		if err != nil {
			return "log-likelihood (tracked log Z)", math.NaN()
		}
		return "log-likelihood (tracked log Z)", ll
	}
}

// NoiseFactors writes, with TrackConfig.EstimateNoise, every rung's
// estimated integrated autocorrelation time τ̂ into tau (of length
// len(Betas)) and returns the factor c of the time ratios' variances (see
// noiseModel); without it, it writes 1s and returns 1.
func (t *Tracker) NoiseFactors(tau []float64) (scale float64) {
	if t.f == nil || t.f.noise == nil {
		for r := range tau {
			tau[r] = 1
		}
		return 1
	}
	copy(tau, t.f.noise.tau)
	return t.f.noise.scale
}
