package deep

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Recognition is a bottom-up recognition model for the mean-field
// posterior of a deep Boltzmann machine (Salakhutdinov & Larochelle 2010,
// "Efficient learning of deep Boltzmann machines", AISTATS): for the
// hidden layers x₁ … x_L of the machine's chain (DBMLayout),
//
//	μ₁ = σ(v·R₁ + r₁),  μ_l = σ(μ_{l−1}·R_l + r_l),
//
// one pass, trained (TrainRecognition) to predict the fixed point of mean
// field, q(h | v). Mean field started from μ (Reflective.MeanFieldFrom)
// then reaches a tolerance in fewer sweeps than from zero. It applies to
// machines whose hidden layers are bernoulli.
type Recognition struct {
	// Chain and Sizes are the machine's chain of layers (DBMLayout.Chain)
	// and their sizes, the visible layer first.
	Chain, Sizes []int
	// R[l] (Sizes[l−1]×Sizes[l], row-major) and Bias[l] map layer l−1 to
	// layer l, for l = 1…L; R[0] and Bias[0] are empty.
	R, Bias [][]float64

	// Optimizer steps Learn (the trainer's guide, CDConfig.MeanFieldGuide);
	// NewRecognition sets rate 0.1 and momentum 0.9.
	Optimizer runtime.SGD

	ws       *runtime.Workspace
	own      bool // ws is the model's own
	batch    int
	mu, grad [][]float64 // per layer: activations (batch × size), their error terms
	back     [][]float64 // per layer: the error terms from the layer above
	target   [][]float64 // Learn's views of the chains' layers
	views    layerViews
	gR, gB   [][]float64 // gradients
	vR, vB   [][]float64 // velocities
}

// NewRecognition returns a recognition model for m with every weight and
// bias zero (every guess ½ until trained), for minibatches of up to batch
// rows, whose products run on ws (nil: a workspace of its own, which Close
// releases; pass a trainer's to keep one set of threads on the cores).
func NewRecognition(m runtime.Reflective, batch int, ws *runtime.Workspace) (*Recognition, error) {
	lay, err := NewDBMLayout(m)
	if err != nil {
		return nil, err
	}
	if batch <= 0 {
		return nil, fmt.Errorf("runtime: recognition model of %s: batch size must be positive, got %d", m.ModelName(), batch)
	}
	layers := m.Layers()
	r := &Recognition{Chain: lay.Chain, ws: ws, batch: batch, Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.9}}
	if ws == nil {
		r.ws, r.own = runtime.NewWorkspace(0), true
	}
	for k, l := range lay.Chain {
		ly := layers[l]
		if k > 0 && ly.Kind != "bernoulli" {
			return nil, fmt.Errorf("runtime: recognition model of %s: hidden layer %s is %s; the recognition model predicts bernoulli means only", m.ModelName(), ly.Name, ly.Kind)
		}
		r.Sizes = append(r.Sizes, layout.Product(ly.Shape))
	}
	L := len(r.Sizes)
	for _, p := range []*[][]float64{&r.R, &r.Bias, &r.gR, &r.gB, &r.vR, &r.vB, &r.mu, &r.grad, &r.back, &r.target} {
		*p = make([][]float64, L)
	}
	for l := 1; l < L; l++ {
		in, out := r.Sizes[l-1], r.Sizes[l]
		r.R[l], r.gR[l], r.vR[l] = make([]float64, in*out), make([]float64, in*out), make([]float64, in*out)
		r.Bias[l], r.gB[l], r.vB[l] = make([]float64, out), make([]float64, out), make([]float64, out)
		r.grad[l], r.back[l] = make([]float64, batch*out), make([]float64, batch*out)
	}
	for l := range L {
		r.mu[l] = make([]float64, batch*r.Sizes[l])
	}
	return r, nil
}

// Close releases the threads of the model's own workspace.
func (r *Recognition) Close() {
	if r.own {
		r.ws.Close()
	}
}

// forward computes μ for the first n rows of r.mu[0].
func (r *Recognition) forward(n int) {
	for l := 1; l < len(r.Sizes); l++ {
		in, out := r.Sizes[l-1], r.Sizes[l]
		a := r.mu[l][:n*out]
		for c := range n {
			copy(a[c*out:(c+1)*out], r.Bias[l])
		}
		r.ws.Gemm(false, false, n, out, in, 1, r.mu[l-1], in, r.R[l], out, 1, a, out)
		runtime.Sigmoids(a, a, 1)
	}
}

// Infer writes the model's guess of the mean-field posterior into the
// hidden layers of the chains, from their visible layer; the chains must
// be at most the batch size the model was made for.
func (r *Recognition) Infer(x runtime.Chains) error {
	n := x.Len()
	if n > r.batch {
		return fmt.Errorf("runtime: recognition model: %d chains, more than its batch size %d", n, r.batch)
	}
	views := r.layers(x)
	copy(r.mu[0][:n*r.Sizes[0]], views[r.Chain[0]].Data[:n*r.Sizes[0]])
	r.forward(n)
	for l := 1; l < len(r.Sizes); l++ {
		copy(views[r.Chain[l]].Data[:n*r.Sizes[l]], r.mu[l][:n*r.Sizes[l]])
	}
	return nil
}

// Guess writes the model's guesses into the hidden layers of x (Infer);
// with Learn it makes r a trainer's guide (runtime.CDConfig.MeanFieldGuide),
// which must then run on batches of at most r's batch size.
func (r *Recognition) Guess(x runtime.Chains) {
	if err := r.Infer(x); err != nil {
		panic(err)
	}
}

// Learn takes one step of r.Optimizer toward the means in x's hidden
// layers, the fixed points mean field reached from r's guesses.
func (r *Recognition) Learn(x runtime.Chains, epoch int) {
	n := x.Len()
	views := r.layers(x)
	for l := range r.Sizes {
		r.target[l] = views[r.Chain[l]].Data
	}
	copy(r.mu[0][:n*r.Sizes[0]], r.target[0][:n*r.Sizes[0]])
	r.step(n, r.target, &r.Optimizer, epoch)
}

var _ runtime.MeanFieldGuide = (*Recognition)(nil)

// layers returns x's layer views (layerViews).
func (r *Recognition) layers(x runtime.Chains) []runtime.Tensor { return r.views.of(x) }

// layerViews keeps x.Layers() while the chains and their Len stay the
// same (the views of a batch's storage do not move), so that a trainer's
// guided step allocates nothing. Chains of a type that cannot be compared
// are asked every time.
type layerViews struct {
	seen  runtime.Chains // the chains, and their Len, whose views are kept
	seenN int
	views []runtime.Tensor
}

// of returns x.Layers(), kept from the last call when x is the same.
func (c *layerViews) of(x runtime.Chains) []runtime.Tensor {
	n := x.Len()
	if !reflect.TypeOf(x).Comparable() {
		return x.Layers()
	}
	if c.seen != x || c.seenN != n {
		c.seen, c.seenN, c.views = x, n, x.Layers()
	}
	return c.views
}

// step takes one gradient step on the cross-entropy between the guesses
// for the first n rows of r.mu[0] and the targets (the fixed points, per
// hidden layer, n × size), Σ_l Σ_j −t·log μ − (1−t)·log(1−μ), averaged
// over rows, and returns that loss before the step. Its gradient through
// the layers:
//
//	δ_L = μ_L − t_L,  δ_l = μ_l − t_l + (δ_{l+1}·R_{l+1}ᵀ) ⊙ μ_l ⊙ (1 − μ_l),
//	∂/∂R_l = μ_{l−1}ᵀ·δ_l / n,  ∂/∂r_l = Σ_rows δ_l / n.
func (r *Recognition) step(n int, targets [][]float64, opt *runtime.SGD, epoch int) float64 {
	r.forward(n)
	L := len(r.Sizes)
	loss := 0.0
	for l := L - 1; l >= 1; l-- {
		out := r.Sizes[l]
		mu, t, d := r.mu[l][:n*out], targets[l][:n*out], r.grad[l][:n*out]
		for k, m := range mu {
			loss += crossEntropy(t[k], m)
			d[k] = m - t[k]
		}
		if l+1 < L {
			next := r.Sizes[l+1]
			back := r.back[l][:n*out]
			r.ws.Gemm(false, true, n, out, next, 1, r.grad[l+1], next, r.R[l+1], next, 0, back, out)
			for k, m := range mu {
				d[k] += back[k] * m * (1 - m)
			}
		}
	}
	// Update ascends: the gradients passed are −∂loss/∂θ.
	for l := 1; l < L; l++ {
		in, out := r.Sizes[l-1], r.Sizes[l]
		r.ws.Gemm(true, false, in, out, n, -1/float64(n), r.mu[l-1], in, r.grad[l], out, 0, r.gR[l], out)
		clear(r.gB[l])
		for c := range n {
			for j, d := range r.grad[l][c*out : (c+1)*out] {
				r.gB[l][j] -= d / float64(n)
			}
		}
		r.ws.Update(opt, r.R[l], r.gR[l], r.vR[l], epoch)
		bias := *opt
		bias.WeightDecay = 0
		r.ws.Update(&bias, r.Bias[l], r.gB[l], r.vB[l], epoch)
	}
	return loss / float64(n)
}

func crossEntropy(t, m float64) float64 {
	const eps = 1e-12
	m = min(max(m, eps), 1-eps)
	return -t*math.Log(m) - (1-t)*math.Log(1-m)
}

// RecognitionConfig configures TrainRecognition.
type RecognitionConfig struct {
	Epochs    int     // passes over the data (0 means 1)
	BatchSize int     // rows per step (0: the model's batch size)
	Rate      float64 // SGD learning rate (0 means 0.1)
	Momentum  float64 // SGD momentum
	// Iters and Tol are the mean field whose fixed points are the targets:
	// at most Iters sweeps (0 means 100) from the model's current guess,
	// to tolerance Tol (0 means 1e-6).
	Iters int
	Tol   float64
	Seed  uint64 // the order of the rows
	// Progress, if not nil, receives one line per epoch.
	Progress io.Writer
}

// RecognitionEpoch is one epoch of TrainRecognition.
type RecognitionEpoch struct {
	Epoch int `json:"epoch"`
	// Loss is the mean cross-entropy per row between the guesses and the
	// fixed points, before each step.
	Loss float64 `json:"loss"`
	// Sweeps is the mean number of mean-field sweeps from the guesses to
	// the targets.
	Sweeps  float64 `json:"mean_field_sweeps"`
	Seconds float64 `json:"seconds"`
}

// TrainRecognition fits r to m's mean-field fixed points on data: for each
// minibatch, mean field runs from r's guess (so the targets get cheaper as
// r improves) and r takes one gradient step toward the fixed point.
func TrainRecognition(ctx context.Context, m runtime.Reflective, r *Recognition, data dataset.Source, cfg RecognitionConfig) ([]RecognitionEpoch, error) {
	rows, cols := data.Shape()
	switch {
	case rows <= 0:
		return nil, fmt.Errorf("runtime: TrainRecognition of %s: empty data set", m.ModelName())
	case cols != r.Sizes[0]:
		return nil, fmt.Errorf("runtime: TrainRecognition of %s: data has %d columns, the visible layer %d units", m.ModelName(), cols, r.Sizes[0])
	}
	cfg = cfg.withDefaults(r.batch)
	if cfg.BatchSize > r.batch {
		return nil, fmt.Errorf("runtime: TrainRecognition of %s: batch size %d is more than the recognition model's %d", m.ModelName(), cfg.BatchSize, r.batch)
	}
	opt := runtime.SGD{LearningRate: cfg.Rate, Momentum: cfg.Momentum}
	// One batch of chains for the full minibatches, one for a last short one.
	full := m.NewChains(cfg.BatchSize, cfg.Seed)
	var rest runtime.Chains
	targets := make([][]float64, len(r.Sizes))
	rng := runtime.NewRNG(cfg.Seed, 0)
	order := make([]int, rows)
	idx := make([]int, cfg.BatchSize)
	buf := make([]float64, cfg.BatchSize*cols)
	var out []RecognitionEpoch
	for ep := range cfg.Epochs {
		start := time.Now()
		for i := range order {
			order[i] = i
		}
		for i := len(order) - 1; i > 0; i-- {
			j := rng.Intn(i + 1)
			order[i], order[j] = order[j], order[i]
		}
		loss, sweeps, batches := 0.0, 0, 0
		for lo := 0; lo < rows; lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			n := min(cfg.BatchSize, rows-lo)
			x := full
			if n < cfg.BatchSize {
				if rest == nil || rest.Len() != n {
					rest = m.NewChains(n, cfg.Seed+1)
				}
				x = rest
			}
			copy(idx, order[lo:lo+n])
			data.Gather(buf[:n*cols], idx[:n])
			layout.PutRows(m, x, buf[:n*cols], cols)
			if err := r.Infer(x); err != nil {
				return out, err
			}
			sweeps += m.MeanFieldFrom(x, cfg.Iters, cfg.Tol, 0)
			views := x.Layers()
			for l := 1; l < len(r.Sizes); l++ {
				targets[l] = views[r.Chain[l]].Data
			}
			copy(r.mu[0][:n*cols], buf[:n*cols])
			loss += r.step(n, targets, &opt, ep) * float64(n)
			batches++
		}
		e := RecognitionEpoch{Epoch: ep + 1, Loss: loss / float64(rows), Sweeps: float64(sweeps) / float64(batches), Seconds: time.Since(start).Seconds()}
		out = append(out, e)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "recognition epoch %d: cross-entropy %.3f per row, %.1f mean-field sweeps per batch from its guesses, %.1fs\n", e.Epoch, e.Loss, e.Sweeps, e.Seconds)
		}
	}
	return out, nil
}

func (cfg RecognitionConfig) withDefaults(batch int) RecognitionConfig {
	if cfg.Epochs <= 0 {
		cfg.Epochs = 1
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = batch
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 0.1
	}
	if cfg.Iters <= 0 {
		cfg.Iters = 100
	}
	if cfg.Tol <= 0 {
		cfg.Tol = 1e-6
	}
	return cfg
}

// MeanFieldComparison compares mean field started from zero with mean
// field started from a recognition model's guesses, on the same rows.
type MeanFieldComparison struct {
	Rows, Batch int
	// Iters and Tol are the stopping rule: no mean moves more than Tol in a
	// sweep, or Iters sweeps.
	Iters int
	Tol   float64
	// Sweeps are the mean sweeps per batch to the stopping rule; Seconds
	// the time, the recognition pass included.
	SweepsFromZero, SweepsFromGuess   float64
	SecondsFromZero, SecondsFromGuess float64
	// Bounds are the mean over rows of −E(v, μ) + H(μ), the variational
	// lower bound on log p(v) plus log Z, where mean field stopped.
	BoundFromZero, BoundFromGuess float64
	// Budget is a fixed number of sweeps, and BudgetBounds the bounds after
	// it (the guesses alone at Budget 0).
	Budget                                    int
	BudgetBoundFromZero, BudgetBoundFromGuess float64
}

// CompareMeanField runs mean field on data from zero and from r's guesses,
// to the stopping rule (iters, tol) and for a fixed budget of sweeps, in
// minibatches of r's batch size, and reports sweeps, time and bounds.
func CompareMeanField(m runtime.Reflective, r *Recognition, data dataset.Source, iters int, tol float64, budget int) (*MeanFieldComparison, error) {
	rows, cols := data.Shape()
	if rows <= 0 || cols != r.Sizes[0] {
		return nil, fmt.Errorf("runtime: CompareMeanField of %s: data is %d×%d, want rows of %d", m.ModelName(), rows, cols, r.Sizes[0])
	}
	c := &MeanFieldComparison{Rows: rows, Batch: r.batch, Iters: iters, Tol: tol, Budget: budget}
	full := m.NewChains(r.batch, 1)
	var rest runtime.Chains
	idx := make([]int, r.batch)
	buf := make([]float64, r.batch*cols)
	bound := make([]float64, r.batch)
	sum := func(x runtime.Chains) (float64, error) {
		if err := elboAt(m, x, 0, bound[:x.Len()]); err != nil {
			return 0, err
		}
		s := 0.0
		for _, b := range bound[:x.Len()] {
			s += b
		}
		return s, nil
	}
	batches := 0
	for lo := 0; lo < rows; lo += r.batch {
		n := min(r.batch, rows-lo)
		x := full
		if n < r.batch {
			rest = m.NewChains(n, 2)
			x = rest
		}
		for i := range idx[:n] {
			idx[i] = lo + i
		}
		data.Gather(buf[:n*cols], idx[:n])
		layout.PutRows(m, x, buf[:n*cols], cols)
		for _, guess := range []bool{false, true} {
			start := time.Now()
			var sweeps int
			if guess {
				if err := r.Infer(x); err != nil {
					return nil, err
				}
				sweeps = m.MeanFieldFrom(x, iters, tol, 0)
			} else {
				sweeps = m.MeanField(x, iters, tol, 0)
			}
			dt := time.Since(start).Seconds()
			b, err := sum(x)
			if err != nil {
				return nil, err
			}
			if guess {
				c.SweepsFromGuess += float64(sweeps)
				c.SecondsFromGuess += dt
				c.BoundFromGuess += b
				if err := r.Infer(x); err != nil {
					return nil, err
				}
				if budget > 0 {
					m.MeanFieldFrom(x, budget, -1, 0)
				}
			} else {
				c.SweepsFromZero += float64(sweeps)
				c.SecondsFromZero += dt
				c.BoundFromZero += b
				m.MeanField(x, budget, -1, 0)
			}
			if b, err = sum(x); err != nil {
				return nil, err
			}
			if guess {
				c.BudgetBoundFromGuess += b
			} else {
				c.BudgetBoundFromZero += b
			}
		}
		batches++
	}
	c.SweepsFromZero /= float64(batches)
	c.SweepsFromGuess /= float64(batches)
	for _, b := range []*float64{&c.BoundFromZero, &c.BoundFromGuess, &c.BudgetBoundFromZero, &c.BudgetBoundFromGuess} {
		*b /= float64(rows)
	}
	return c, nil
}
