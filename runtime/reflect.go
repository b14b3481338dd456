package runtime

import "math"

// LayerInfo describes a layer of a generated model.
type LayerInfo struct {
	Name    string
	Kind    UnitKind
	Shape   []int
	Visible bool
}

// Units returns the number of units of the layer, Πᵢ Shape[i].
func (l LayerInfo) Units() int {
	n := 1
	for _, d := range l.Shape {
		n *= d
	}
	return n
}

// UnitKind is the kind of a layer's units, as the .ebm file declares it.
type UnitKind string

// The unit kinds.
const (
	KindBernoulli UnitKind = "bernoulli" // values in {0, 1}
	KindSpin      UnitKind = "spin"      // values in {−1, +1}
	KindGaussian  UnitKind = "gaussian"  // real values
	KindSoftmax   UnitKind = "softmax"   // one-hot groups along the last dimension
	KindLaplace   UnitKind = "laplace"   // real values with an L1 term (MAP only: package runtime/sparse)
)

// Binary reports whether the units take two values (bernoulli or spin).
func (k UnitKind) Binary() bool { return k == KindBernoulli || k == KindSpin }

// Draw draws one state of a layer's units, each independent given its
// field a (and, for gaussian units, its precision prec), into dst:
// p(x = 1) = σ(a) for bernoulli units, p(s = +1) = σ(2a) for spins,
// N(a/P, 1/P) for gaussian ones, and p(category c) = exp(a_c) / Σ exp(a)
// within each softmax group of size units (the layer's last dimension).
// dst must not overlap a. Laplace units (MAP only) are not drawn.
func (k UnitKind) Draw(rng *RNG, size int, a, prec, dst []float64) {
	switch k {
	case KindBernoulli:
		for i, v := range a {
			dst[i] = rng.Bernoulli(Sigmoid(v))
		}
	case KindSpin:
		for i, v := range a {
			dst[i] = 2*rng.Bernoulli(Sigmoid(2*v)) - 1
		}
	case KindSoftmax:
		for g := 0; g+size <= len(a); g += size {
			p := dst[g : g+size] // the group's probabilities, then its one-hot state
			Softmax(p, a[g:g+size])
			c := rng.Categorical(p)
			clear(p)
			p[c] = 1
		}
	case KindGaussian:
		for i, v := range a {
			dst[i] = v/prec[i] + rng.Normal()/math.Sqrt(prec[i])
		}
	}
}

// TermInfo is one term of the energy, a monomial c(θ)·Π_f x_f summed over
// its indices: Params are the parameters its coefficient c reads (indices
// into Params(), fixed ones included, in order), and for each unit factor
// x_f, Layers[f] is its layer (an index into Layers()) and Powers[f] its
// power (1, or 2 for a gaussian unit's square). The terms give a model's
// structure — which layers each parameter couples, lateral couplings,
// interactions of three layers — without evaluating it.
type TermInfo struct {
	Params []int
	Layers []int
	Powers []int
}

// FreeEnergyInfo names the layers a derived free energy keeps and sums out.
type FreeEnergyInfo struct {
	Keep, SumOut []string
}

// Chains is a batch of states of a generated model: Len chains, each with
// a value for every unit. Layers returns views of the unit storage of the
// chains in use, one tensor per layer with Shape [Len, layer size].
type Chains interface {
	Len() int
	Layers() []Tensor
	// SetWeights makes the gradients (EnergyGrad, FreeEnergyGrad) count
	// chain c w[c] times; nil restores 1. The chains keep w, not a copy.
	SetWeights(w []float64)
}

// Float32Chains is implemented by generated chains: SetFloat32 runs their
// batched products in float32 (on) or float64 (Workspace.SetFloat32) and
// reports whether float32 is in effect.
type Float32Chains interface {
	Chains
	SetFloat32(on bool) bool
}

// SetFloat32 chooses the precision of x's batched products where x is
// Float32Chains, and reports whether float32 is in effect (false for
// other chains, whose products are as they are).
func SetFloat32(x Chains, on bool) bool {
	if f, ok := x.(Float32Chains); ok {
		return f.SetFloat32(on)
	}
	return false
}

// Reflective gives generic tools (verification, estimators, evaluation)
// access to any generated model through plain slices. Every generated model
// returns one from its Reflect method. Slices passed as dst hold one value
// per chain, or one per chain and unit (row-major, Len × layer size).
type Reflective interface {
	Model
	Layers() []LayerInfo
	// Terms lists the terms of the energy, as the model declares them.
	Terms() []TermInfo
	FreeEnergies() []FreeEnergyInfo
	// NewChains returns n chains with independent random streams.
	NewChains(n int, seed uint64) Chains
	// Energy writes E(x) of every chain.
	Energy(x Chains, dst []float64)
	// Field writes the field a and (gaussian layers) the precision P of
	// every unit of a layer; prec may be nil for other kinds.
	Field(x Chains, layer int, a, prec []float64)
	// Mean writes the conditional means of a layer's units at inverse temperature beta.
	Mean(x Chains, layer int, beta float64, dst []float64)
	// Sample draws a layer from its conditional at inverse temperature beta.
	Sample(x Chains, layer int, beta float64)
	// Sweep runs one sweep of the derived Gibbs schedule.
	Sweep(x Chains, beta float64)
	// HoldParams(x, true) declares the parameters fixed until
	// HoldParams(x, false): the chains' products may meanwhile read packed
	// copies of the weight matrices (Workspace.Hold). Long runs over fixed
	// parameters — the estimators — bracket themselves with it.
	HoldParams(x Chains, hold bool)
	// SweepClamped is Sweep with the units that clamp marks held fixed:
	// clamp[l] (one flag per unit of layer l, or nil for none) for each
	// layer, in declaration order; a softmax group is held when its first
	// unit is.
	SweepClamped(x Chains, beta float64, clamp [][]bool)
	// Metropolis runs a Metropolis–Hastings sweep over a bernoulli or spin
	// layer (single-unit flips by the derived flip deltas) or a random-walk
	// step of width step on a gaussian layer; softmax layers do nothing.
	// It returns the accepted and proposed moves.
	Metropolis(x Chains, layer int, beta, step float64) (accepted, proposed int)
	// Langevin runs one step of (with adjust, Metropolis-adjusted) Langevin
	// dynamics of step size eps on a gaussian layer; others do nothing.
	Langevin(x Chains, layer int, beta, eps float64, adjust bool) (accepted, proposed int)
	// MeanField runs mean-field inference with the visible layers clamped
	// and returns the number of sweeps done.
	MeanField(x Chains, iters int, tol, damping float64) int
	// MeanFieldFrom is MeanField started from the means in the hidden
	// layers of x (a recognition model's guess) instead of zero.
	MeanFieldFrom(x Chains, iters int, tol, damping float64) int
	// FreeEnergy writes the free energy fe (an index into FreeEnergies) of every chain.
	FreeEnergy(x Chains, fe int, beta float64, dst []float64)
	// AnnealStep writes the free energy fe of every chain at beta0 into dst0
	// and at beta1 into dst1 and then, with sweep, runs one sweep at beta1:
	// a temperature of annealed importance sampling, the fields computed once
	// for both free energies and the sweep's first block.
	AnnealStep(x Chains, fe int, beta0, beta1 float64, dst0, dst1 []float64, sweep bool)
	// EnergyGrad adds scale·Σ_chains ∂E/∂θ into g (tensors in Params order;
	// fixed parameters are left alone).
	EnergyGrad(x Chains, scale float64, g []Tensor)
	// FreeEnergyGrad adds scale·Σ_chains ∂F/∂θ of free energy fe into g.
	FreeEnergyGrad(x Chains, fe int, scale float64, g []Tensor)
	// LogZ computes log Z exactly by enumeration, or says why it cannot
	// (limit bounds the configurations enumerated; ≤ 0 means 2³⁰).
	LogZ(limit float64) (float64, error)
	// SetBase gives the chains a base field (and, for gaussian layers,
	// precision) for a visible layer: samplers then draw it at field
	// β·a + (1−β)·a_A, the path of annealed importance sampling. Nil removes it.
	SetBase(x Chains, layer int, field, prec []float64)
	// NewTrainer returns the model's CD-k / PCD-k trainer.
	NewTrainer(cfg CDConfig) (Trainer, error)
}

// CDConfig configures the contrastive-divergence trainer generated for a model.
type CDConfig struct {
	// K is the number of Gibbs sweeps in the negative phase (CD-k, PCD-k); 0 means 1.
	K int
	// KSchedule, if not nil, gives the number of Gibbs sweeps of epoch e
	// (counted from 0) instead of K: CD-k with k raised as training goes on,
	// as the CD-T of Salakhutdinov & Murray (2008) and public DBM recipes
	// do (StepRamp). Values below 1 count as 1.
	KSchedule func(epoch int) int
	// Persistent keeps the negative chains between updates (PCD, also
	// called stochastic maximum likelihood) instead of restarting them at the data.
	Persistent bool
	// Chains is the number of persistent chains; 0 means BatchSize.
	Chains int
	// BatchSize is the largest minibatch TrainStep accepts.
	BatchSize int
	// MeanVisible keeps the visible layers of the last CD sweep as
	// conditional means instead of samples (Hinton's practical recipe).
	MeanVisible bool
	// ReconRows, with Persistent, makes the generated trainers compute the
	// reconstruction error that TrainStep returns — a monitor (and a check
	// for NaNs), which PCD's update does not use, and which costs PCD a
	// product of the batch's hidden means with the weights — on the first
	// ReconRows rows of each minibatch only, scaled by rows/ReconRows; 0 means every row, and a
	// negative value is refused. (CD's reconstruction comes from its
	// negative phase and is always complete.)
	ReconRows int
	// Optimizer updates the parameters.
	Optimizer SGD
	// Rates multiply the learning rate of the named parameters, e.g.
	// {"z": 0.1} for the log standard deviations of a Gaussian–Bernoulli RBM,
	// which train stably only with a smaller rate. Names must be trained
	// parameters of the model.
	Rates map[string]float64
	// Seed seeds the chains' random streams.
	Seed uint64
	// Float32 runs the trainer's batched products in float32
	// (Workspace.SetFloat32, with its error bound); Prepare refuses it on a
	// CPU without the float32 kernels. Code generated with -float32 runs
	// them in float32 either way.
	Float32 bool
	// MeanFieldIters, MeanFieldTol and MeanFieldDamping configure the
	// positive phase of models whose hidden layers cannot be summed out
	// given the visible ones (deep Boltzmann machines), which replaces the
	// hidden layers by their mean-field posterior q(h | v): at most
	// MeanFieldIters passes (0 means 25), stopping once no mean moves by
	// more than MeanFieldTol (0 means 1e-6; a negative value runs every
	// pass), each mean moving 1 − MeanFieldDamping of the way to its update.
	MeanFieldIters   int
	MeanFieldTol     float64
	MeanFieldDamping float64
	// MeanFieldGuide, if not nil, starts that mean field from its guess
	// instead of zero (MeanFieldFrom) and then learns from the fixed point
	// reached: learned approximate inference (deep.Recognition).
	MeanFieldGuide MeanFieldGuide
	// Transform, if not nil, sees every step's positive phase and rewrites
	// the step's gradient before the optimizer applies it: a
	// reparameterization of the update such as centering (deep.Centering).
	// Its state is part of the trainer's (Trainer.State), so resuming stays
	// exact. A trainer calls it from its goroutine only.
	Transform GradientTransform
}

// A GradientTransform rewrites a generated trainer's gradient between its
// statistics and its update (CDConfig.Transform).
type GradientTransform interface {
	// Observe sees a step's positive phase: layers (one per layer, in
	// Layers order, row-major, views the trainer keeps) hold in their first
	// rows rows the minibatch's rows in the visible layers and the hidden
	// layers' conditional means given them (or mean field's, for a deep
	// Boltzmann machine).
	Observe(layers []Tensor, rows int)
	// Transform rewrites g in place: the step's ascent direction for the
	// model's parameters, in Params order (zero for fixed parameters), in
	// the given epoch.
	Transform(g []Tensor, epoch int)
	// State returns views of what resuming needs, with names of their own.
	State() []Tensor
}

// A MeanFieldGuide guesses mean field's fixed point for a trainer's
// positive phase and learns from the fixed points it sees.
type MeanFieldGuide interface {
	// Guess writes starting means into the hidden layers of x from its
	// visible layers.
	Guess(x Chains)
	// Learn takes one step toward the fixed point now in x's hidden
	// layers, in the given epoch (for learning-rate schedules).
	Learn(x Chains, epoch int)
}

// A MeanFieldCounter is a trainer whose positive phase runs mean field
// (generated trainers of deep Boltzmann machines): MeanFieldSweeps returns
// the sweeps run over all its steps so far and the number of steps, so
// that sweeps/steps is the mean sweeps per minibatch. training.Fit
// reports it per epoch (EpochStats.MeanFieldSweeps).
type MeanFieldCounter interface {
	MeanFieldSweeps() (sweeps, steps int)
}

// Mask returns n copies of value: a whole-layer clamp mask.
func Mask(n int, value bool) []bool {
	m := make([]bool, n)
	for i := range m {
		m[i] = value
	}
	return m
}

// AllTrue reports whether mask is non-empty and every entry is true: a
// fully clamped layer, which a sweep skips.
func AllTrue(mask []bool) bool {
	for _, b := range mask {
		if !b {
			return false
		}
	}
	return len(mask) > 0
}
