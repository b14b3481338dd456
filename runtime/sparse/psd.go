package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebmc/ebmc/runtime"
)

// Encoder predicts a code from a data row: with Shrink false,
//
//	F(v) = g ⊙ tanh(W·v + b),
//
// the encoder of predictive sparse decomposition (Kavukcuoglu, Ranzato &
// LeCun 2008); with Shrink true, the soft-thresholding encoder
//
//	F(v)_k = S(W_k·v + b_k, |g_k|) = sign(a_k)·max(|a_k| − |g_k|, 0),
//
// one ISTA step with learned matrices (Gregor & LeCun 2010), whose
// predictions have exact zeros. W is K×N (row-major), b and g have K entries.
type Encoder struct {
	N, K    int
	W, B, G []float64
	Shrink  bool
}

// NewEncoder returns a tanh encoder for rows of n values and codes of k,
// with W drawn from N(0, 1/n), b = 0 and g = 1.
func NewEncoder(n, k int, seed uint64) *Encoder {
	e := &Encoder{N: n, K: k, W: make([]float64, k*n), B: make([]float64, k), G: make([]float64, k)}
	r := rand.New(rand.NewPCG(seed, 0xe2c))
	for i := range e.W {
		e.W[i] = r.NormFloat64() / math.Sqrt(float64(n))
	}
	for i := range e.G {
		e.G[i] = 1
	}
	return e
}

// ModelName names the encoder in checkpoints.
func (e *Encoder) ModelName() string {
	if e.Shrink {
		return "ShrinkEncoder"
	}
	return "TanhEncoder"
}

// Params returns views of W (K×N), b and g, so that an encoder can be
// saved and loaded like a generated model (package runtime/checkpoint).
func (e *Encoder) Params() []runtime.Tensor {
	return []runtime.Tensor{
		{Name: "W", Shape: []int{e.K, e.N}, Data: e.W},
		{Name: "b", Shape: []int{e.K}, Data: e.B},
		{Name: "g", Shape: []int{e.K}, Data: e.G},
	}
}

var _ runtime.Model = (*Encoder)(nil)

// NewShrinkEncoder returns a soft-thresholding encoder, with W drawn from
// N(0, 1/n), b = 0 and thresholds g = 0.
func NewShrinkEncoder(n, k int, seed uint64) *Encoder {
	e := NewEncoder(n, k, seed)
	e.Shrink = true
	clear(e.G)
	return e
}

// Predict writes F(v) into dst.
func (e *Encoder) Predict(v, dst []float64) {
	for k := 0; k < e.K; k++ {
		a := dot(e.W[k*e.N:k*e.N+e.N], v) + e.B[k]
		if e.Shrink {
			dst[k] = runtime.SoftThreshold(a, math.Abs(e.G[k]))
		} else {
			dst[k] = e.G[k] * math.Tanh(a)
		}
	}
}

// Step takes a gradient step of size rate on ½‖F(v) − h‖² and returns
// that loss before the step.
func (e *Encoder) Step(v, h []float64, rate float64) float64 {
	loss := 0.0
	for k := 0; k < e.K; k++ {
		a := dot(e.W[k*e.N:k*e.N+e.N], v) + e.B[k]
		var r, da float64
		if e.Shrink {
			// ∂S/∂a = 1 and ∂S/∂|g| = −sign(a) where |a| > |g|, else 0.
			th := math.Abs(e.G[k])
			f := runtime.SoftThreshold(a, th)
			r = f - h[k]
			if f != 0 {
				da = r
				sg := 1.0
				if e.G[k] < 0 {
					sg = -1
				}
				e.G[k] -= rate * r * -math.Copysign(1, a) * sg
			}
		} else {
			t := math.Tanh(a)
			r = e.G[k]*t - h[k]
			da = r * e.G[k] * (1 - t*t)
			e.G[k] -= rate * r * t
		}
		loss += 0.5 * r * r
		e.B[k] -= rate * da
		row := e.W[k*e.N : k*e.N+e.N]
		for j, x := range v {
			row[j] -= rate * da * x
		}
	}
	return loss
}

// PSDConfig configures TrainPSD.
type PSDConfig struct {
	LearnConfig
	// Alpha weighs the prediction term α‖h − F(v)‖² in the inference of
	// the codes; 0 means 1.
	Alpha float64
	// EncoderRate is the encoder's SGD step size; 0 means 0.01.
	EncoderRate float64
}

// PSDStats summarizes one epoch of TrainPSD.
type PSDStats struct {
	EpochStats
	EncoderLoss float64 `json:"encoder_loss"` // mean ½‖F(v) − h*‖² per row, before each step
}

// TrainPSD trains a dictionary and an encoder together, per minibatch:
// the codes h* = argmin_h E(v, h) + α‖h − F(v)‖², started at F(v); a
// projected gradient step on the model's parameters (as Learn); an SGD
// step of the encoder on ½‖F(v) − h*‖².
func TrainPSD(m Model, enc *Encoder, data []float64, rows int, cfg PSDConfig) ([]PSDStats, error) {
	nv, n := m.VisibleSize(), m.CodeSize()
	if enc.N != nv || enc.K != n {
		return nil, fmt.Errorf("sparse: the encoder maps %d values to %d, the model %d to %d", enc.N, enc.K, nv, n)
	}
	if rows <= 0 || len(data) != rows*nv {
		return nil, fmt.Errorf("sparse: %d values for %d rows of %d", len(data), rows, nv)
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 1
	}
	if cfg.EncoderRate == 0 {
		cfg.EncoderRate = 0.01
	}
	if !(cfg.Alpha > 0) || !(cfg.EncoderRate > 0) {
		return nil, fmt.Errorf("sparse: bad PSD configuration (alpha %g, encoder rate %g)", cfg.Alpha, cfg.EncoderRate)
	}
	l, err := NewLearner(m, rows, cfg.LearnConfig)
	if err != nil {
		return nil, err
	}
	pred := make([]float64, n)
	var out []PSDStats
	for e := 0; e < l.cfg.Epochs; e++ {
		l.rng.Shuffle(rows, func(i, j int) { l.order[i], l.order[j] = l.order[j], l.order[i] })
		st := PSDStats{EpochStats: EpochStats{Epoch: e}}
		nonzero := 0
		for lo := 0; lo < rows; lo += l.cfg.BatchSize {
			batch := l.order[lo:min(rows, lo+l.cfg.BatchSize)]
			l.solver.Refresh()
			for _, r := range batch {
				v, h := data[r*nv:r*nv+nv], l.codes[r*n:r*n+n]
				enc.Predict(v, pred)
				copy(h, pred)
				l.solver.SetPrior(cfg.Alpha, pred)
				res, err := l.solver.Solve(v, h, l.cfg.Solve)
				l.solver.SetPrior(0, nil)
				if err != nil {
					return out, fmt.Errorf("sparse: row %d: %w", r, err)
				}
				st.Objective += res.Objective
				st.Iterations += float64(res.Iterations)
				if !res.Converged {
					st.Unsolved++
				}
				for _, x := range h {
					if x != 0 {
						nonzero++
					}
				}
			}
			if err := l.step(data, batch); err != nil {
				return out, err
			}
			for _, r := range batch {
				st.EncoderLoss += enc.Step(data[r*nv:r*nv+nv], l.codes[r*n:r*n+n], cfg.EncoderRate)
			}
		}
		st.Objective /= float64(rows)
		st.Iterations /= float64(rows)
		st.EncoderLoss /= float64(rows)
		st.Nonzero = float64(nonzero) / float64(rows*n)
		st.Rate = l.rate
		out = append(out, st)
		if l.cfg.Progress != nil {
			l.cfg.Progress(st.EpochStats)
		}
	}
	return out, nil
}

// EncoderStats compares an encoder's predictions with the MAP codes.
type EncoderStats struct {
	// ItersCold and ItersWarm are the mean iterations of MAP inference
	// started at h = 0 and at F(v), to the same tolerance.
	ItersCold float64 `json:"iterations_from_zero"`
	ItersWarm float64 `json:"iterations_from_prediction"`
	// ObjectiveMAP is the mean E(v, h*), ObjectiveEncoder the mean
	// E(v, F(v)): the energy of the prediction used without inference.
	ObjectiveMAP     float64 `json:"objective_map"`
	ObjectiveEncoder float64 `json:"objective_encoder"`
	// RelError is Σ‖F(v) − h*‖² / Σ‖h*‖².
	RelError float64 `json:"relative_error"`
	// ItersToMatch is the mean number of iterations that inference from
	// h = 0 takes to reach an objective as low as E(v, F(v)): the
	// inference the encoder's one pass replaces.
	ItersToMatch float64 `json:"iterations_to_match"`
}

// EvaluateEncoder runs MAP inference on every row twice (from 0 and from
// the encoder's prediction) and compares.
func EvaluateEncoder(m Model, enc *Encoder, data []float64, rows int, opt Options) (EncoderStats, error) {
	nv, n := m.VisibleSize(), m.CodeSize()
	if rows <= 0 || len(data) != rows*nv || enc.N != nv || enc.K != n {
		return EncoderStats{}, fmt.Errorf("sparse: EvaluateEncoder: %d values for %d rows of %d, encoder %d→%d, model %d→%d", len(data), rows, nv, enc.N, enc.K, nv, n)
	}
	s := NewSolver(m)
	pred, cold, warm := make([]float64, n), make([]float64, n), make([]float64, n)
	var st EncoderStats
	var num, den, fp float64
	match := 0
	user := opt.Trace
	opt.Trace = func(it int, f float64) {
		if match == 0 && f <= fp {
			match = it
		}
		if user != nil {
			user(it, f)
		}
	}
	for r := 0; r < rows; r++ {
		v := data[r*nv : r*nv+nv]
		enc.Predict(v, pred)
		var err error
		if fp, err = s.Objective(v, pred); err != nil {
			return st, err
		}
		clear(cold)
		match = 0
		rc, err := s.Solve(v, cold, opt)
		if err != nil {
			return st, err
		}
		if match == 0 {
			match = rc.Iterations
		}
		st.ItersToMatch += float64(match)
		copy(warm, pred)
		rw, err := s.Solve(v, warm, opt)
		if err != nil {
			return st, err
		}
		st.ItersCold += float64(rc.Iterations)
		st.ItersWarm += float64(rw.Iterations)
		st.ObjectiveMAP += rc.Objective
		st.ObjectiveEncoder += fp
		for k := range pred {
			d := pred[k] - cold[k]
			num += d * d
			den += cold[k] * cold[k]
		}
	}
	f := 1 / float64(rows)
	st.ItersCold *= f
	st.ItersWarm *= f
	st.ObjectiveMAP *= f
	st.ObjectiveEncoder *= f
	st.ItersToMatch *= f
	if den > 0 {
		st.RelError = num / den
	}
	return st, nil
}
