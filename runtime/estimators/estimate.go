package estimators

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

// Estimators of the partition function (Deep Learning §18.7, Neal 2001,
// Salakhutdinov & Murray 2008, Bennett 1976), generic over Reflective.

// Base is a factorized model over the visible layers of a model, the
// tractable start of importance sampling and AIS:
//
//	log p_A(v) = Σ_u (a_A[u]·v_u − ½·P_A[u]·v_u²) − log Z_A
//
// with one field a_A (and for gaussian layers one precision P_A) per unit.
type Base struct {
	Field     map[int][]float64 // by layer index, for every visible layer
	Precision map[int][]float64 // gaussian visible layers only
}

// BaseRate fits the base model to data (rows of the visible layers,
// concatenated in declaration order) from smoothed unit means, as
// Salakhutdinov & Murray do: a bernoulli unit gets the bias log p − log(1−p)
// with p = (Σ v + λ)/(N + 2λ), λ = pseudo; a spin ½·log(p₊/p₋); a softmax
// group the log of its smoothed category frequencies; a gaussian unit the
// data's mean and variance.
func BaseRate(m runtime.Reflective, data dataset.Source, pseudo float64) (*Base, error) {
	b := &Base{Field: map[int][]float64{}, Precision: map[int][]float64{}}
	rows, cols := data.Shape()
	off := 0
	for i, ly := range m.Layers() {
		if !ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		if off+size > cols {
			return nil, fmt.Errorf("runtime: base rate of %s: data has %d columns, the visible layers need more", m.ModelName(), cols)
		}
		mean, sq := make([]float64, size), make([]float64, size)
		batches(data, func(_ int, part *dataset.Dataset) error {
			for r := range part.Rows {
				for u, v := range part.Row(r)[off : off+size] {
					mean[u] += v
					sq[u] += v * v
				}
			}
			return nil
		})
		n := float64(rows)
		field := make([]float64, size)
		switch ly.Kind {
		case runtime.KindBernoulli:
			for u := range field {
				p := (mean[u] + pseudo) / (n + 2*pseudo)
				field[u] = math.Log(p) - math.Log1p(-p)
			}
		case runtime.KindSpin:
			for u := range field {
				p := ((mean[u]+n)/2 + pseudo) / (n + 2*pseudo) // share of +1
				field[u] = 0.5 * (math.Log(p) - math.Log1p(-p))
			}
		case runtime.KindSoftmax:
			for u := range field {
				field[u] = math.Log((mean[u] + pseudo) / (n + pseudo*float64(ly.Shape[len(ly.Shape)-1])))
			}
		case runtime.KindGaussian:
			prec := make([]float64, size)
			for u := range field {
				mu := mean[u] / n
				variance := math.Max(sq[u]/n-mu*mu, 1e-6)
				prec[u] = 1 / variance
				field[u] = mu / variance
			}
			b.Precision[i] = prec
		}
		b.Field[i] = field
		off += size
	}
	return b, nil
}

// Uniform is the base model with every field zero (and unit precision for
// gaussian layers).
func Uniform(m runtime.Reflective) *Base {
	b := &Base{Field: map[int][]float64{}, Precision: map[int][]float64{}}
	for i, ly := range m.Layers() {
		if ly.Visible {
			b.Field[i] = make([]float64, layout.Product(ly.Shape))
			if ly.Kind == runtime.KindGaussian {
				p := make([]float64, layout.Product(ly.Shape))
				for k := range p {
					p[k] = 1
				}
				b.Precision[i] = p
			}
		}
	}
	return b
}

// LogZ is log Z_0 of the path's start: the base model over the visible layers
// times the uniform distribution of every hidden unit (E·β vanishes at β = 0).
func (b *Base) LogZ(m runtime.Reflective) (float64, error) {
	z := b.VisibleLogZ(m)
	for _, ly := range m.Layers() {
		if ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		switch ly.Kind {
		case runtime.KindBernoulli, runtime.KindSpin:
			z += float64(size) * math.Ln2
		case runtime.KindSoftmax:
			k := ly.Shape[len(ly.Shape)-1]
			z += float64(size/k) * math.Log(float64(k))
		default:
			return 0, fmt.Errorf("runtime: %s: hidden layer %s is gaussian, which has no distribution at β = 0; AIS needs another path", m.ModelName(), ly.Name)
		}
	}
	return z, nil
}

// VisibleLogZ is log Z_A of the base model over the visible layers alone.
func (b *Base) VisibleLogZ(m runtime.Reflective) float64 {
	z := 0.0
	for i, ly := range m.Layers() {
		if !ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		f := b.Field[i]
		switch ly.Kind {
		case runtime.KindBernoulli:
			for _, a := range f {
				z += runtime.Softplus(a)
			}
		case runtime.KindSpin:
			for _, a := range f {
				z += runtime.Log2Cosh(a)
			}
		case runtime.KindSoftmax:
			k := ly.Shape[len(ly.Shape)-1]
			for g := 0; g < size/k; g++ {
				z += runtime.LogSumExp(f[g*k : (g+1)*k])
			}
		case runtime.KindGaussian:
			for u, a := range f {
				p := b.Precision[i][u]
				z += a*a/(2*p) + 0.5*math.Log(2*math.Pi/p)
			}
		}
	}
	return z
}

// LogDensity adds (1−β)·Σ_u (a_A·v − ½P_A·v²), the unnormalised log density
// of the base model at inverse temperature 1−β, of every chain of x to dst
// (one value per chain).
func (b *Base) LogDensity(m runtime.Reflective, x runtime.Chains, beta float64, dst []float64) {
	b.addLogDensity(x.Layers(), beta, dst)
}

// addLogDensity is LogDensity on the chains' Layers views, fetched once by
// the caller: it allocates nothing.
func (b *Base) addLogDensity(layers []runtime.Tensor, beta float64, dst []float64) {
	b.addLogDensitySkip(layers, beta, dst, nil)
}

// addLogDensitySkip is addLogDensity without the layers in skip.
func (b *Base) addLogDensitySkip(layers []runtime.Tensor, beta float64, dst []float64, skip map[int]bool) {
	for i, f := range b.Field {
		if skip[i] {
			continue
		}
		t := layers[i]
		size := len(f)
		prec := b.Precision[i]
		if prec == nil {
			// a_A·v, four chains per pass of the vector kernel.
			runtime.AddRowDots(dst, 1-beta, t.Data, size, f)
			continue
		}
		for c := range dst {
			row := t.Data[c*size : (c+1)*size]
			s := 0.0
			for u, v := range row {
				s += f[u]*v - 0.5*prec[u]*v*v
			}
			dst[c] += (1 - beta) * s
		}
	}
}

// SampleLayer draws rows of layer i (of the given kind; k categories for
// softmax) from the base model into dst: bernoulli p = σ(a), spin
// p(+1) = σ(2a), softmax p ∝ exp(a) per group, gaussian N(a/P, 1/P).
func (b *Base) SampleLayer(rng *runtime.RNG, i int, kind runtime.UnitKind, k int, dst []float64) {
	f := b.Field[i]
	n := len(f)
	for r := 0; r < len(dst)/n; r++ {
		kind.Draw(rng, k, f, b.Precision[i], dst[r*n:(r+1)*n])
	}
}

func (b *Base) apply(m runtime.Reflective, x runtime.Chains) {
	for i, f := range b.Field {
		m.SetBase(x, i, f, b.Precision[i])
	}
}

// pathDensity evaluates log p*_β(x) = −F_β(x) + (1−β)·log p*_A(x) along the
// geometric path, with F the free energy that sums out the most hidden
// units (or the energy, when no hidden layer can be summed out).
type pathDensity struct {
	m    runtime.Reflective
	base *Base
	fe   int // −1: the energy
	tmp  []float64
	// The marginal path (PathFewest): the layers fe sums out and keeps,
	// the summed-out visible layers, whose base terms are inside the sum,
	// and those layers' indices (skipped by the base's linear share).
	marginal     bool
	summed, kept []int
	visible      []summedLayer
	skip         map[int]bool
}

func newPathDensity(m runtime.Reflective, base *Base, n int) *pathDensity {
	return &pathDensity{m: m, base: base, fe: hiddenFreeEnergy(m), tmp: make([]float64, n)}
}

// hiddenFreeEnergy picks the free energy that sums out only hidden layers,
// and the most hidden units; −1 when there is none.
func hiddenFreeEnergy(m runtime.Reflective) int {
	kinds := map[string]runtime.LayerInfo{}
	for _, ly := range m.Layers() {
		kinds[ly.Name] = ly
	}
	best, bestUnits := -1, 0
	for i, fe := range m.FreeEnergies() {
		units := 0
		for _, name := range fe.SumOut {
			ly := kinds[name]
			if ly.Visible {
				units = -1
				break
			}
			units += layout.Product(ly.Shape)
		}
		if units > bestUnits {
			best, bestUnits = i, units
		}
	}
	return best
}

func (d *pathDensity) eval(x runtime.Chains, beta float64, dst []float64) {
	d.evalViews(x, nil, beta, dst)
}

// evalViews is eval given the chains' Layers views (nil: fetched here),
// so that a caller holding them allocates nothing.
func (d *pathDensity) evalViews(x runtime.Chains, views []runtime.Tensor, beta float64, dst []float64) {
	n := x.Len()
	if d.fe >= 0 {
		d.m.FreeEnergy(x, d.fe, beta, dst)
	} else {
		d.m.Energy(x, dst)
		for c := range dst[:n] {
			dst[c] *= beta
		}
	}
	for c := range dst[:n] {
		dst[c] = -dst[c]
	}
	if beta != 1 { // the base's share (1 − β)·log p*_A vanishes at β = 1
		if views == nil {
			views = x.Layers()
		}
		d.base.addLogDensitySkip(views, beta, dst[:n], d.skip)
		d.addSummedBase(x, beta, dst[:n], 0, nil)
	}
}

// Estimate is an estimate of log Z (or of a log ratio of partition
// functions) with the interval of ±3 standard errors.
//
// ESS is Kish's effective sample size of the importance weights
// w_m = exp(LogW[m]),
//
//	ESS = (Σ_m w_m)² / Σ_m w_m²,
//
// between 1 (one run carries all the weight) and the number of runs (all
// weights equal). A small ESS, a small share of the runs, says the mean
// weight rests on the few runs that happened to anneal well: its standard
// error is then itself unreliable, the interval may be far too narrow (or
// Low −Inf, see Finite), and forward AIS errs low, reverse AIS high, by
// more than the interval shows. What to raise, in this order:
//
//  1. Temperatures. The share ESS/runs depends only on the spread of the
//     log weights, whose variance falls roughly as 1/K with K temperatures
//     (each step adds a variance of order Δβ²); so does the bias of log mean w.
//  2. Runs, once the ESS is a fair share of them (say a tenth or more):
//     the ESS then grows in proportion and the interval narrows as
//     1/√runs. More runs at too few temperatures mostly buy more runs
//     that carry no weight.
//
// Bridged AIS reports the smaller of its two directions' ESS, bridge
// sampling the smaller of its two sides', and an exact value 0.
type Estimate struct {
	Method   string
	LogZ     float64
	Low      float64 // log of (mean − 3 standard errors); −Inf when that is not positive
	High     float64
	LogZBase float64   // log Z of the path's start (AIS, importance sampling)
	LogW     []float64 // the log importance weights
	ESS      float64   // Kish's effective sample size of exp(LogW), see above
	Seconds  float64
}

// Finite reports whether both ends of the interval are finite numbers:
// false when the mean weight is within three standard errors of zero
// (Low = −Inf, or for reverse AIS High = +Inf), a sign that the ESS is too
// small.
func (e *Estimate) Finite() bool {
	return !math.IsInf(e.Low, 0) && !math.IsNaN(e.Low) && !math.IsInf(e.High, 0) && !math.IsNaN(e.High)
}

// logMeanExpInterval returns log mean(exp(lw)) and the logs of mean ± 3 standard errors.
func logMeanExpInterval(lw []float64) (mean, low, high float64) {
	mx, m, m2 := stats.ExpMoments(lw)
	se := math.Sqrt(math.Max(m2-m*m, 0) / float64(len(lw)))
	low = math.Inf(-1)
	if m-3*se > 0 {
		low = math.Log(m-3*se) + mx
	}
	return math.Log(m) + mx, low, math.Log(m+3*se) + mx
}

// AISConfig configures annealed importance sampling.
type AISConfig struct {
	// Betas are the inverse temperatures 0 = β₀ < β₁ < … < β_K = 1. When
	// nil, Temperatures (K) evenly spaced ones are used, K = 1 being plain
	// importance sampling from the base model; when Temperatures is 0 too,
	// the schedule of Salakhutdinov & Murray (2008), SMBetas: 14,500
	// temperatures, denser towards β = 1.
	Betas        []float64
	Temperatures int
	Runs         int // independent runs, sampled as one batch of chains; 0 means 100
	Seed         uint64
	Progress     io.Writer // a line every tenth of the way, if set
	// Path chooses the units the path keeps (PathVisible, the default, or
	// PathFewest, which sums out visible layers too: for a DBM the
	// marginal of h₁). AIS and ReverseAIS follow it.
	Path AISPath
}

// DefaultAISRuns is the number of AIS runs when AISConfig.Runs is 0.
const DefaultAISRuns = 100

// SMBetas returns the schedule of inverse temperatures Salakhutdinov &
// Murray (2008, §4.1) used for RBMs on MNIST, the default of AIS and RAISE:
// steps of 10⁻³ from 0 to 0.5, of 10⁻⁴ from 0.5 to 0.9 and of 10⁻⁵ from 0.9
// to 1 — 500 + 4,000 + 10,000 = 14,500 temperatures, a slice of 14,501 betas
// rising strictly from β₀ = 0 to β_K = 1. A step adds to the log weight a
// variance of about Δβ²·Var_{p_β}[∂ log f_β/∂β], which grows as p_β
// sharpens towards the model; the steps shrink there. (Each beta is an
// integer divided by 10³, 10⁴ or 10⁵, correctly rounded, so the steps do
// not drift and the last beta is exactly 1.) The slice is new on every call.
func SMBetas() []float64 {
	b := make([]float64, 0, 14501)
	for k := 0; k < 500; k++ {
		b = append(b, float64(k)/1e3)
	}
	for k := 5000; k < 9000; k++ {
		b = append(b, float64(k)/1e4)
	}
	for k := 90000; k <= 100000; k++ {
		b = append(b, float64(k)/1e5)
	}
	return b
}

// ScaledSMBetas is SMBetas with every step divided by f ≥ 1: 14,500·f
// temperatures on the same three stretches. Where AIS with SMBetas gives an
// estimate resting on few runs (a small ESS, an interval without a lower
// end), a finer schedule shrinks the variance of every step's log weight
// by about f², and so of the sum by about f.
func ScaledSMBetas(f int) []float64 {
	f = max(1, f)
	b := make([]float64, 0, 14500*f+1)
	d1, d2, d3 := 1e3*float64(f), 1e4*float64(f), 1e5*float64(f)
	for k := 0; k < 500*f; k++ {
		b = append(b, float64(k)/d1)
	}
	for k := 5000 * f; k < 9000*f; k++ {
		b = append(b, float64(k)/d2)
	}
	for k := 90000 * f; k <= 100000*f; k++ {
		b = append(b, float64(k)/d3)
	}
	return b
}

// Schedule returns the inverse temperatures β_0 = 0 < … < β_K = 1 that the
// configuration describes: Betas if set (checked to rise from 0 to 1),
// otherwise SMBetas() for Temperatures = 0, or Temperatures+1 evenly spaced
// values; an error if Betas does not rise from 0 to 1 or Temperatures is
// negative.
func (c AISConfig) Schedule() ([]float64, error) {
	if c.Betas != nil {
		if len(c.Betas) < 2 || c.Betas[0] != 0 || c.Betas[len(c.Betas)-1] != 1 || !slices.IsSorted(c.Betas) {
			return nil, errors.New("betas must rise from 0 to 1")
		}
		return c.Betas, nil
	}
	if c.Temperatures == 0 {
		return SMBetas(), nil
	}
	if c.Temperatures < 0 {
		return nil, fmt.Errorf("Temperatures is %d; 0 means the default schedule, otherwise it must be at least 1", c.Temperatures)
	}
	b := make([]float64, c.Temperatures+1)
	for k := range b {
		b[k] = float64(k) / float64(c.Temperatures)
	}
	return b, nil
}

// runs is the number of runs, DefaultAISRuns for 0.
func (c AISConfig) runs() (int, error) {
	switch {
	case c.Runs == 0:
		return DefaultAISRuns, nil
	case c.Runs < 0:
		return 0, fmt.Errorf("Runs is %d; 0 means %d, otherwise it must be at least 1", c.Runs, DefaultAISRuns)
	}
	return c.Runs, nil
}

// AIS estimates log Z by annealed importance sampling (Neal 2001) along the
// geometric path p_β ∝ p_A^{1−β}·p*^β from the base model to the model:
// each run starts with an exact sample of p_0, adds
// log p*_{β_k}(x) − log p*_{β_{k−1}}(x) to its log weight and moves x by
// one Gibbs sweep that leaves p_{β_k} invariant. Then
//
//	log Ẑ = log Z_0 + log mean exp(log w).
//
// The runs are one batch of chains, so the generated kernels sample them
// together; no allocation happens inside the loop.
func AIS(m runtime.Reflective, base *Base, cfg AISConfig) (*Estimate, error) {
	start := time.Now()
	betas, err := cfg.Schedule()
	if err != nil {
		return nil, fmt.Errorf("runtime: AIS of %s: %w", m.ModelName(), err)
	}
	if cfg.Runs, err = cfg.runs(); err != nil {
		return nil, fmt.Errorf("runtime: AIS of %s: %w", m.ModelName(), err)
	}
	z0, err := base.LogZ(m)
	if err != nil {
		return nil, err
	}
	x := m.NewChains(cfg.Runs, cfg.Seed)
	m.HoldParams(x, true)
	defer m.HoldParams(x, false)
	base.apply(m, x)
	m.Sweep(x, 0) // exact samples of p_0: every layer is independent at β = 0
	lw, cur, prev := make([]float64, cfg.Runs), make([]float64, cfg.Runs), make([]float64, cfg.Runs)
	d := newPathDensity(m, base, cfg.Runs)
	d.setPath(cfg.Path, cfg.Runs)
	views := x.Layers() // views of the chains' storage, valid for the run
	lin := make([]float64, cfg.Runs)
	if d.fe < 0 {
		d.evalViews(x, views, 0, prev)
	}
	for k := 1; k < len(betas); k++ {
		last := k == len(betas)-1
		if d.marginal {
			// log f at β_{k−1} and β_k of the same kept units, then the
			// transition at β_k.
			m.AnnealStep(x, d.fe, betas[k-1], betas[k], prev, cur, false)
			for c := range lw {
				prev[c], cur[c] = -prev[c], -cur[c]
			}
			clear(lin)
			d.base.addLogDensitySkip(views, 0, lin, d.skip)
			d.addSummedBase(x, betas[k-1], prev, betas[k], cur)
			for c := range lw {
				lw[c] += cur[c] + (1-betas[k])*lin[c] - prev[c] - (1-betas[k-1])*lin[c]
			}
			if !last {
				d.transition(x, betas[k])
			}
		} else if d.fe >= 0 {
			// F at β_{k−1} and β_k of the same states, then the sweep at β_k.
			clear(lin)
			base.addLogDensity(views, 0, lin)
			m.AnnealStep(x, d.fe, betas[k-1], betas[k], prev, cur, !last)
			for c := range lw {
				lw[c] += -cur[c] + (1-betas[k])*lin[c] + prev[c] - (1-betas[k-1])*lin[c]
			}
		} else {
			d.evalViews(x, views, betas[k], cur)
			for c := range lw {
				lw[c] += cur[c] - prev[c]
			}
			if !last {
				m.Sweep(x, betas[k])
				d.evalViews(x, views, betas[k], prev)
			}
		}
		if cfg.Progress != nil && (k*10/(len(betas)-1) != (k-1)*10/(len(betas)-1)) {
			el := time.Since(start).Seconds()
			fmt.Fprintf(cfg.Progress, "AIS %s: β = %.3f (temperature %d of %d), %.1fs, about %.0fs left\n", m.ModelName(), betas[k], k, len(betas)-1, el, el*float64(len(betas)-1-k)/float64(k))
		}
	}
	mean, low, high := logMeanExpInterval(lw)
	method := fmt.Sprintf("AIS, %d temperatures, %d runs%s", len(betas)-1, cfg.Runs, d.pathName())
	if len(betas) == 2 {
		method = fmt.Sprintf("importance sampling from the base model, %d samples", cfg.Runs)
	}
	return &Estimate{Method: method, LogZ: z0 + mean, Low: z0 + low, High: z0 + high, LogZBase: z0, LogW: lw,
		ESS: stats.KishESS(lw), Seconds: time.Since(start).Seconds()}, nil
}

// ReverseAIS runs the path backwards, from chains that are (approximately)
// samples of the model — started uniformly at random and equilibrated by
// burn Gibbs sweeps at β = 1, so burn must be long enough for the model to
// mix; a negative burn is refused — down to the base model. Its weights
// estimate Z_0/Z, so exp of the mean log weight is an estimate of Z that
// errs on the high side where forward AIS errs low.
func ReverseAIS(m runtime.Reflective, base *Base, cfg AISConfig, burn int) (*Estimate, error) {
	return reverseAIS(m, base, cfg, nil, burn)
}

// ReverseAISFrom is ReverseAIS started from given states instead of
// uniform noise, then burn sweeps at β = 1 (0 for none): the persistent
// chains of a trainer, say, which after long training are nearer to
// samples of the model than a burn-in from noise gets on a model that
// mixes slowly. start holds one slice per layer of m, in m.Layers() order,
// each runs × the layer's units; there are as many runs as rows, and
// cfg.Runs must be 0 or that number. States a layer's kind does not take
// (a bernoulli unit not 0 or 1, a spin not ±1, a softmax group not
// one-hot, a gaussian value not finite) are refused.
func ReverseAISFrom(m runtime.Reflective, base *Base, cfg AISConfig, start [][]float64, burn int) (*Estimate, error) {
	runs, err := checkStates(m.Layers(), start)
	if err != nil {
		return nil, fmt.Errorf("runtime: reverse AIS of %s: %w", m.ModelName(), err)
	}
	if cfg.Runs != 0 && cfg.Runs != runs {
		return nil, fmt.Errorf("runtime: reverse AIS of %s: Runs is %d but the start holds %d states", m.ModelName(), cfg.Runs, runs)
	}
	cfg.Runs = runs
	return reverseAIS(m, base, cfg, start, burn)
}

// reverseAIS is ReverseAIS from uniform noise (start nil) or from start.
func reverseAIS(m runtime.Reflective, base *Base, cfg AISConfig, start [][]float64, burn int) (*Estimate, error) {
	t0 := time.Now()
	betas, err := cfg.Schedule()
	if err != nil {
		return nil, fmt.Errorf("runtime: reverse AIS of %s: %w", m.ModelName(), err)
	}
	if cfg.Runs, err = cfg.runs(); err != nil {
		return nil, fmt.Errorf("runtime: reverse AIS of %s: %w", m.ModelName(), err)
	}
	if burn < 0 {
		return nil, fmt.Errorf("runtime: reverse AIS of %s: %d burn-in sweeps", m.ModelName(), burn)
	}
	z0, err := base.LogZ(m)
	if err != nil {
		return nil, err
	}
	x := m.NewChains(cfg.Runs, cfg.Seed^0xa5a5)
	m.HoldParams(x, true)
	defer m.HoldParams(x, false)
	base.apply(m, x)
	views := x.Layers()
	from := "burn-in sweeps"
	if start != nil {
		for i, s := range start {
			copy(views[i].Data, s)
		}
		from = "sweeps from the given states"
	}
	for s := 0; s < burn; s++ {
		m.Sweep(x, 1)
	}
	lw, cur, prev := make([]float64, cfg.Runs), make([]float64, cfg.Runs), make([]float64, cfg.Runs)
	d := newPathDensity(m, base, cfg.Runs)
	d.setPath(cfg.Path, cfg.Runs)
	d.evalViews(x, views, 1, prev)
	for k := len(betas) - 2; k >= 0; k-- {
		d.evalViews(x, views, betas[k], cur)
		for c := range lw {
			lw[c] += cur[c] - prev[c]
		}
		if k > 0 {
			d.transition(x, betas[k])
			d.evalViews(x, views, betas[k], prev)
		}
	}
	// E[exp(lw)] = Z_0/Z: log Z = log Z_0 − log mean exp(lw).
	mean, low, high := logMeanExpInterval(lw)
	return &Estimate{Method: fmt.Sprintf("reverse AIS, %d temperatures, %d runs, %d %s%s", len(betas)-1, cfg.Runs, burn, from, d.pathName()),
		LogZ: z0 - mean, Low: z0 - high, High: z0 - low, LogZBase: z0, LogW: lw, ESS: stats.KishESS(lw), Seconds: time.Since(t0).Seconds()}, nil
}

// checkStates checks that start holds, for every layer, the same number
// of rows of states that layer's kind takes, and returns that number.
func checkStates(layers []runtime.LayerInfo, start [][]float64) (int, error) {
	if len(start) != len(layers) {
		return 0, fmt.Errorf("the start holds %d layers, the model has %d", len(start), len(layers))
	}
	runs := -1
	for i, ly := range layers {
		size := layout.Product(ly.Shape)
		s := start[i]
		if len(s) == 0 || len(s)%size != 0 {
			return 0, fmt.Errorf("the start's layer %s holds %d values, not a positive multiple of its %d units", ly.Name, len(s), size)
		}
		if n := len(s) / size; runs < 0 {
			runs = n
		} else if n != runs {
			return 0, fmt.Errorf("the start's layer %s holds %d states, layer %s %d", ly.Name, n, layers[0].Name, runs)
		}
		if k := badState(ly, s); k >= 0 && ly.Kind == runtime.KindSoftmax && (s[k] == 0 || s[k] == 1) {
			g := ly.Shape[len(ly.Shape)-1]
			return 0, fmt.Errorf("the start's layer %s: group %d of state %d is not one-hot (a softmax group holds one 1)", ly.Name, k%size/g, k/size)
		} else if k >= 0 {
			return 0, fmt.Errorf("the start's layer %s holds %v at value %d (state %d), not a state of a %s layer", ly.Name, s[k], k, k/size, ly.Kind)
		}
	}
	return runs, nil
}

// badState is the index of the first value of s, rows of layer ly's
// units, that is not a state of its kind, −1 when all are.
func badState(ly runtime.LayerInfo, s []float64) int {
	switch ly.Kind {
	case runtime.KindBernoulli:
		return slices.IndexFunc(s, func(v float64) bool { return v != 0 && v != 1 })
	case runtime.KindSpin:
		return slices.IndexFunc(s, func(v float64) bool { return v != -1 && v != 1 })
	case runtime.KindSoftmax:
		k := ly.Shape[len(ly.Shape)-1]
		for g := 0; g < len(s); g += k {
			ones := 0
			for j, v := range s[g : g+k] {
				if v != 0 && v != 1 {
					return g + j
				}
				ones += int(v)
			}
			if ones != 1 {
				return g + k - 1 // the group's last value: all are 0 or 1, the count is wrong
			}
		}
		return -1
	}
	return slices.IndexFunc(s, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
}

// BAR combines importance weights in both directions by Bennett's
// acceptance-ratio method: l0 are log q1/q0 at samples of p0, and l1 are
// log q1/q0 at samples of p1. It returns c = log Z1/Z0, the fixed point of
//
//	c = c + log mean₀[e^d/(s₀ + s₁e^d)] − log mean₁[1/(s₀ + s₁e^d)],  d = l − c,
//
// with sᵢ = nᵢ/(n₀+n₁), and its standard error (Meng & Wong 1996).
func BAR(l0, l1 []float64) (c, se float64) {
	return bar(l0, l1, make([]float64, len(l0)), make([]float64, len(l1)))
}

// bar is BAR with the terms' scratch t0 (len(l0)) and t1 (len(l1)) given,
// so that it allocates nothing.
func bar(l0, l1, t0, t1 []float64) (c, se float64) {
	n0, n1 := float64(len(l0)), float64(len(l1))
	ls0, ls1 := math.Log(n0/(n0+n1)), math.Log(n1/(n0+n1))
	terms := func(c float64) (float64, float64) {
		for i, l := range l0 {
			d := l - c
			t0[i] = d - runtime.LogAddExp(ls0, ls1+d)
		}
		for i, l := range l1 {
			d := l - c
			t1[i] = -runtime.LogAddExp(ls0, ls1+d)
		}
		return runtime.LogMeanExp(t0), runtime.LogMeanExp(t1)
	}
	// Start from the two one-sided estimates' average: log mean₀ e^l and
	// −log mean₁ e^−l.
	for i, l := range l1 {
		t1[i] = -l
	}
	c = 0.5 * (runtime.LogMeanExp(l0) - runtime.LogMeanExp(t1))
	for it := 0; it < 1000; it++ {
		a, b := terms(c)
		next := c + a - b
		if math.Abs(next-c) < 1e-12 {
			c = next
			break
		}
		c = next
	}
	terms(c)
	return c, math.Sqrt(relVar(t0)/n0 + relVar(t1)/n1)
}

func negate(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = -v
	}
	return out
}

// relVar is Var[e^t]/E[e^t]² for log values t.
func relVar(t []float64) float64 {
	_, m, m2 := stats.ExpMoments(t)
	return math.Max(m2-m*m, 0) / (m * m)
}

// BridgedAIS combines forward and reverse AIS runs by Bennett's method,
// treating each run's log weight as the log ratio of the path densities
// (Neal 2005): a two-sided estimate with an error bar from both directions.
func BridgedAIS(m runtime.Reflective, base *Base, cfg AISConfig, burn int) (*Estimate, error) {
	start := time.Now()
	fwd, err := AIS(m, base, cfg)
	if err != nil {
		return nil, err
	}
	rev, err := ReverseAIS(m, base, cfg, burn)
	if err != nil {
		return nil, err
	}
	c, se := BAR(fwd.LogW, negate(rev.LogW))
	betas, _ := cfg.Schedule() // AIS checked them
	return &Estimate{Method: fmt.Sprintf("bridged AIS (forward and reverse, Bennett), %d temperatures, %d runs each", len(betas)-1, len(fwd.LogW)),
		LogZ: fwd.LogZBase + c, Low: fwd.LogZBase + c - 3*se, High: fwd.LogZBase + c + 3*se, LogZBase: fwd.LogZBase,
		ESS: math.Min(fwd.ESS, rev.ESS), Seconds: time.Since(start).Seconds()}, nil
}

// BridgeConfig configures bridge sampling between two models.
type BridgeConfig struct {
	Samples int // samples drawn from each model
	Burn    int // Gibbs sweeps before the samples are taken
	Seed    uint64
}

// Bridge estimates log Z1 − log Z0 for two models over the same visible
// layers by bridge sampling (Bennett 1976): samples of each model, from
// Gibbs chains after burn-in sweeps, and the log ratio of their unnormalized
// marginals l(v) = F0(v) − F1(v), combined by BAR. Both models must have a
// free energy of their visible layers.
func Bridge(m0, m1 runtime.Reflective, cfg BridgeConfig) (*Estimate, error) {
	start := time.Now()
	fe0, fe1 := VisibleFreeEnergy(m0), VisibleFreeEnergy(m1)
	if fe0 < 0 || fe1 < 0 {
		return nil, fmt.Errorf("runtime: bridge %s → %s: both models need a free energy of their visible layers", m0.ModelName(), m1.ModelName())
	}
	logRatio := func(src runtime.Reflective) []float64 {
		x := src.NewChains(cfg.Samples, cfg.Seed)
		for s := 0; s < cfg.Burn; s++ {
			src.Sweep(x, 1)
		}
		f0, f1 := make([]float64, cfg.Samples), make([]float64, cfg.Samples)
		y0 := transfer(m0, x, cfg.Samples)
		y1 := transfer(m1, x, cfg.Samples)
		m0.FreeEnergy(y0, fe0, 1, f0)
		m1.FreeEnergy(y1, fe1, 1, f1)
		l := make([]float64, cfg.Samples)
		for i := range l {
			l[i] = f0[i] - f1[i]
		}
		return l
	}
	l0, l1 := logRatio(m0), logRatio(m1)
	c, se := BAR(l0, l1)
	// The importance weights of each side: q1/q0 at samples of p0, q0/q1 at samples of p1.
	return &Estimate{Method: fmt.Sprintf("bridge sampling (Bennett), %d samples each, %d burn-in sweeps", cfg.Samples, cfg.Burn),
		LogZ: c, Low: c - 3*se, High: c + 3*se, ESS: math.Min(stats.KishESS(l0), stats.KishESS(negate(l1))), Seconds: time.Since(start).Seconds()}, nil
}

// transfer copies the visible layers of x into new chains of m.
func transfer(m runtime.Reflective, x runtime.Chains, n int) runtime.Chains {
	y := m.NewChains(n, 0)
	src := x.Layers()
	for _, t := range y.Layers() {
		for _, s := range src {
			if s.Name == t.Name && len(s.Data) == len(t.Data) {
				copy(t.Data, s.Data)
			}
		}
	}
	return y
}

// VisibleFreeEnergy is the index of the free energy that keeps exactly the
// visible layers, or −1.
func VisibleFreeEnergy(m runtime.Reflective) int {
	visible := map[string]bool{}
	for _, ly := range m.Layers() {
		visible[ly.Name] = ly.Visible
	}
	for i, fe := range m.FreeEnergies() {
		ok := true
		for _, n := range fe.Keep {
			ok = ok && visible[n]
		}
		for _, n := range fe.SumOut {
			ok = ok && !visible[n]
		}
		if ok {
			return i
		}
	}
	return -1
}
