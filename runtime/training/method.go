package training

import (
	"fmt"
	"slices"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// Method is a training method: one type per method, each holding the
// settings that method reads. NewTrainer turns a Method and the Options
// every method shares into a Trainer for a model, which Fit drives.
type Method interface {
	// Name is the method's short name ("pl", "nce", …), which LossName and
	// the trainer's messages use.
	Name() string
	// settings writes the method's fields into the trainer's configuration.
	settings(*objectiveConfig)
}

// Options are the settings every method shares.
type Options struct {
	// BatchSize is the largest minibatch TrainStep accepts.
	BatchSize int
	// Optimizer updates the parameters (and NCE's log Z).
	Optimizer runtime.SGD
	// Rates multiply the learning rate of the named parameters.
	Rates map[string]float64
	// Seed seeds the method's random choices (sampled sites, noise, chains).
	Seed uint64
	// EvalRows bounds the rows (examples, and the alternatives of their
	// sites, configurations, noise) whose free energies and gradients the
	// methods other than CD evaluate in one batch of chains; 0 means 1024.
	// The chains held grow with it (each as large as a chain of the
	// model, conditional means and fields included), and the gradient is
	// summed over batches of this size: another EvalRows changes the sum's
	// order, so its last bits, not its value.
	EvalRows int
}

// CD is contrastive divergence CD-K, the model's generated trainer
// (Hinton 2002): the negative phase from K Gibbs sweeps started at the data.
type CD struct{ K int }

// PCD is persistent contrastive divergence, or stochastic maximum
// likelihood (Tieleman 2008): K transitions per step of Chains persistent
// chains (0: as many as BatchSize). With the default Gibbs sampler it is
// the generated trainer; with another Sampler (Metropolis–Hastings,
// Langevin) the chains advance by that sampler and the gradient is
// E_data[−∂F/∂θ] + E_chains[∂F/∂θ].
type PCD struct {
	K, Chains int
	Sampler   estimators.Sampler
}

// Exact is maximum likelihood with the model's expectation by enumeration;
// Limit bounds the configurations enumerated per step (0 means 2²⁰).
type Exact struct{ Limit float64 }

// PL is pseudo-likelihood (Besag 1975), −Σ_s log p(v_s | v_−s) over sites s
// (binary units or softmax groups). Sites > 0 samples that many sites per
// example, without replacement, and scales the sum; 0 uses every site.
type PL struct{ Sites int }

// GPL is generalized pseudo-likelihood (Huang & Ogata 2002; Deep Learning
// §18.3): −Σ_B log p(v_B | v_−B) over sites B, each conditional enumerated
// exactly over the 2^|B| configurations of its binary units. The sites are
// blocks of Block neighbouring binary units of a layer (the last block of a
// layer may be shorter), or, with Groups, the groups given: each a list of
// columns of a data row (the visible layers in declaration order) holding
// binary units of one kind, every column in at most one group, and every
// binary unit in no group a site of its own. Softmax groups are sites
// either way. PL is the case Block = 1; Sites samples sites as for PL. A
// site has at most MaxGPLBlock units.
type GPL struct {
	Block  int
	Groups [][]int
	Sites  int
}

// MaxGPLBlock bounds GPL.Block: a site of b binary units costs 2^b free
// energies per example.
const MaxGPLBlock = 12

// Ratio is ratio matching (Hyvärinen 2007), Σ_i σ(F(v) − F(v^(i)))² with
// v^(i) the example with unit i flipped; Sites as for PL.
type Ratio struct{ Sites int }

// Score is score matching (Hyvärinen 2005) for gaussian visible units,
// Σ_i ½ψ_i² + ∂ψ_i/∂v_i with ψ = −∂F/∂v. Slices > 0 estimates the trace of
// the Hessian by that many random projections (sliced score matching, Song
// et al. 2019); 0 computes it exactly.
type Score struct{ Slices int }

// DSM is denoising score matching (Vincent 2011), ½‖ψ(ṽ) − (v − ṽ)/σ²‖²
// with ṽ = v + σε, σ = NoiseStd (0 means 0.1).
type DSM struct{ NoiseStd float64 }

// NCE is noise-contrastive estimation (Gutmann & Hyvärinen 2010): logistic
// regression of data against Ratio samples (0 means 1) per example of the
// factorized Noise (e.g. estimators.BaseRate of the training data), with
// log Z learned as a parameter.
type NCE struct {
	Noise *estimators.Base
	Ratio int
}

// Conditional maximizes the conditional likelihood p(y | x) of the visible
// softmax layer Label (one group) given the other visible layers: the
// discriminative RBM (Larochelle & Bengio 2008). Hybrid > 0 adds the
// generative gradient, a step of the generated CD-K trainer (PCD with
// Chains chains when Chains > 0) on the same rows at Hybrid times the
// learning rate.
type Conditional struct {
	Label     string
	Hybrid    float64
	K, Chains int
}

func (CD) Name() string          { return methodCD }
func (PCD) Name() string         { return methodPCD }
func (Exact) Name() string       { return methodExact }
func (PL) Name() string          { return methodPL }
func (GPL) Name() string         { return methodGPL }
func (Ratio) Name() string       { return methodRatio }
func (Score) Name() string       { return methodScore }
func (DSM) Name() string         { return methodDSM }
func (NCE) Name() string         { return methodNCE }
func (Conditional) Name() string { return methodCond }

func (m CD) settings(c *objectiveConfig) { c.K = m.K }
func (m PCD) settings(c *objectiveConfig) {
	c.K, c.Chains, c.Sampler = m.K, m.Chains, m.Sampler
}
func (m Exact) settings(c *objectiveConfig) { c.Limit = m.Limit }
func (m PL) settings(c *objectiveConfig)    { c.Sites = m.Sites }
func (m GPL) settings(c *objectiveConfig)   { c.Sites = m.Sites }
func (m Ratio) settings(c *objectiveConfig) { c.Sites = m.Sites }
func (m Score) settings(c *objectiveConfig) { c.Slices = m.Slices }
func (m DSM) settings(c *objectiveConfig)   { c.NoiseStd = m.NoiseStd }
func (m NCE) settings(c *objectiveConfig)   { c.Noise, c.NoiseRatio = m.Noise, m.Ratio }
func (m Conditional) settings(c *objectiveConfig) {
	c.Label, c.Hybrid, c.K, c.Chains = m.Label, m.Hybrid, m.K, m.Chains
}

// objective is a Method that an ObjectiveTrainer runs: every method but CD
// (and PCD with the Gibbs sampler, which the generated trainer runs).
type objective interface {
	Method
	// accepts says why a visible layer of kind k rules the method out
	// (nil: it does not).
	accepts(k runtime.UnitKind) error
	// check says why the method does not apply to the trainer's model,
	// once its visible layers are known.
	check(t *ObjectiveTrainer) error
	// setup prepares the method's state once the parameters are.
	setup(t *ObjectiveTrainer) error
	// step adds the gradient of the batch's loss into t.grad and returns
	// the loss.
	step(t *ObjectiveTrainer, batch []float64, rows int) float64
}

// NewTrainer returns a trainer of m by method, with the settings every
// method shares in opts. For CD, and PCD with the Gibbs sampler, it is the
// model's generated trainer; otherwise an ObjectiveTrainer.
func NewTrainer(m runtime.Reflective, method Method, opts Options) (runtime.Trainer, error) {
	if method == nil {
		return nil, fmt.Errorf("runtime: trainer for %s: no method given", m.ModelName())
	}
	cfg := objectiveConfig{Method: method.Name(), BatchSize: opts.BatchSize, Optimizer: opts.Optimizer, Rates: opts.Rates, Seed: opts.Seed, EvalRows: opts.EvalRows}
	method.settings(&cfg)
	gibbs := cfg.Sampler.Name == "" || cfg.Sampler.Name == "gibbs"
	o, ok := method.(objective)
	if !ok || method.Name() == methodPCD && gibbs {
		if cfg.BatchSize <= 0 {
			return nil, fmt.Errorf("runtime: %s trainer for %s: BatchSize must be positive, got %d", cfg.Method, m.ModelName(), cfg.BatchSize)
		}
		return m.NewTrainer(runtime.CDConfig{K: cfg.K, Persistent: method.Name() == methodPCD, Chains: cfg.Chains,
			BatchSize: cfg.BatchSize, Optimizer: cfg.Optimizer, Rates: cfg.Rates, Seed: cfg.Seed})
	}
	return newObjectiveTrainer(m, o, cfg)
}

// PCD, Exact, NCE and Conditional accept every kind of visible layer.
func (PCD) accepts(runtime.UnitKind) error         { return nil }
func (Exact) accepts(runtime.UnitKind) error       { return nil }
func (NCE) accepts(runtime.UnitKind) error         { return nil }
func (Conditional) accepts(runtime.UnitKind) error { return nil }

func (PL) accepts(k runtime.UnitKind) error {
	if k == runtime.KindGaussian {
		return fmt.Errorf("pseudo-likelihood here needs discrete units (use score or dsm)")
	}
	return nil
}

func (GPL) accepts(k runtime.UnitKind) error {
	if k == runtime.KindGaussian {
		return fmt.Errorf("generalized pseudo-likelihood needs discrete units (use score or dsm)")
	}
	return nil
}

func (Ratio) accepts(k runtime.UnitKind) error {
	if !k.Binary() {
		return fmt.Errorf("ratio matching needs binary (bernoulli or spin) units")
	}
	return nil
}

// gaussianOnly is the visible kinds score matching and DSM accept.
func gaussianOnly(k runtime.UnitKind) error {
	if k != runtime.KindGaussian {
		return fmt.Errorf("score matching needs gaussian units (use ratio or pl for discrete ones)")
	}
	return nil
}

func (Score) accepts(k runtime.UnitKind) error { return gaussianOnly(k) }
func (DSM) accepts(k runtime.UnitKind) error   { return gaussianOnly(k) }

func (PCD) check(*ObjectiveTrainer) error     { return nil }
func (Exact) check(t *ObjectiveTrainer) error { return t.initExact() }
func (PL) check(*ObjectiveTrainer) error      { return nil }
func (m GPL) check(t *ObjectiveTrainer) error {
	if len(m.Groups) == 0 {
		if m.Block < 1 || m.Block > MaxGPLBlock {
			return fmt.Errorf("Block is %d; it must be between 1 and %d", m.Block, MaxGPLBlock)
		}
		return nil
	}
	if m.Block != 0 {
		return fmt.Errorf("give Block or Groups, not both")
	}
	_, err := m.groupSites(t)
	return err
}

// groupSites returns the sites of Groups: the groups, then every binary
// unit in none of them, then the softmax groups; or says why Groups does
// not fit the model's visible layers.
func (m GPL) groupSites(t *ObjectiveTrainer) ([]site, error) {
	kind := make([]runtime.UnitKind, t.cols)
	for _, l := range t.layers {
		for c := l.off; c < l.off+l.size; c++ {
			kind[c] = l.kind
		}
	}
	owner := map[int]int{}
	var s []site
	for g, cols := range m.Groups {
		if len(cols) == 0 || len(cols) > MaxGPLBlock {
			return nil, fmt.Errorf("group %d has %d units; a group has 1 to %d", g, len(cols), MaxGPLBlock)
		}
		for _, c := range cols {
			switch {
			case c < 0 || c >= t.cols:
				return nil, fmt.Errorf("group %d names column %d; a row has columns 0 to %d", g, c, t.cols-1)
			case !kind[c].Binary():
				return nil, fmt.Errorf("group %d names column %d, a %s unit; groups hold bernoulli or spin units", g, c, kind[c])
			case kind[c] != kind[cols[0]]:
				return nil, fmt.Errorf("group %d mixes %s and %s units", g, kind[cols[0]], kind[c])
			}
			if h, ok := owner[c]; ok {
				return nil, fmt.Errorf("column %d is in groups %d and %d", c, h, g)
			}
			owner[c] = g
		}
		s = append(s, binarySite(slices.Clone(cols), kind[cols[0]]))
	}
	for _, one := range t.sites(1) {
		if one.cols == nil { // a softmax group
			s = append(s, one)
		} else if _, grouped := owner[one.col]; !grouped {
			s = append(s, one)
		}
	}
	return s, nil
}
func (Ratio) check(*ObjectiveTrainer) error         { return nil }
func (Score) check(*ObjectiveTrainer) error         { return nil }
func (DSM) check(*ObjectiveTrainer) error           { return nil }
func (NCE) check(*ObjectiveTrainer) error           { return nil }
func (Conditional) check(t *ObjectiveTrainer) error { return t.checkLabel() }

func (m PCD) setup(t *ObjectiveTrainer) error {
	if err := m.Sampler.Check(); err != nil {
		return err
	}
	chains := m.Chains
	if chains <= 0 {
		chains = t.cfg.BatchSize
	}
	t.neg = t.m.NewChains(chains, t.cfg.Seed^0x70636421)
	return nil
}

func (Exact) setup(*ObjectiveTrainer) error { return nil }
func (Score) setup(*ObjectiveTrainer) error { return nil }
func (DSM) setup(*ObjectiveTrainer) error   { return nil }
func (NCE) setup(t *ObjectiveTrainer) error { return t.initNCE() }

// setupSites lists the sites of the methods that change one site at a
// time, binary units in blocks of block.
func setupSites(t *ObjectiveTrainer, block int) {
	t.all = t.sites(block)
	t.idx = make([]int, len(t.all))
}

func (PL) setup(t *ObjectiveTrainer) error { setupSites(t, 1); return nil }
func (m GPL) setup(t *ObjectiveTrainer) error {
	if len(m.Groups) == 0 {
		setupSites(t, m.Block)
		return nil
	}
	all, err := m.groupSites(t)
	if err != nil {
		return err
	}
	t.all = all
	t.idx = make([]int, len(all))
	return nil
}
func (Ratio) setup(t *ObjectiveTrainer) error { setupSites(t, 1); return nil }

func (m Conditional) setup(t *ObjectiveTrainer) error {
	setupSites(t, 1)
	if m.Hybrid <= 0 {
		return nil
	}
	gen := t.cfg.Optimizer
	gen.LearningRate *= m.Hybrid
	var err error
	t.gen, err = t.m.NewTrainer(runtime.CDConfig{K: max(m.K, 1), Persistent: m.Chains > 0, Chains: m.Chains,
		BatchSize: t.cfg.BatchSize, Optimizer: gen, Rates: t.cfg.Rates, Seed: t.cfg.Seed ^ 0x487962})
	if err != nil {
		return fmt.Errorf("the generative part: %w", err)
	}
	return nil
}

func (PCD) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.pcdStep(batch, rows)
}
func (Exact) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.exactStep(batch, rows)
}
func (PL) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.siteStep(batch, rows)
}
func (GPL) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.siteStep(batch, rows)
}
func (Ratio) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.siteStep(batch, rows)
}
func (Score) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.scoreStep(batch, rows)
}
func (DSM) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.dsmStep(batch, rows)
}
func (NCE) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.nceStep(batch, rows)
}
func (Conditional) step(t *ObjectiveTrainer, batch []float64, rows int) float64 {
	return t.siteStep(batch, rows)
}
