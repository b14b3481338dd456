package sparse

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebmc/ebmc/runtime"
)

// Constraint keeps every column of a parameter — its elements with one
// value of the last index, D[·, k] for a D[NV, NK] — in the Euclidean ball
// of radius Radius, by projection after each step: without it the L1 term
// is beaten by shrinking h and growing D (the energy is unchanged by
// h → h/s, D → s·D except for λ·|h|/s).
type Constraint struct {
	Param  string
	Radius float64
}

// LearnConfig configures dictionary learning.
type LearnConfig struct {
	Epochs    int     // passes over the data; 0 means 10
	BatchSize int     // rows per step; 0 means 100
	Rate      float64 // the first step size η; 0 means 1. Backtracking adapts it
	Solve     Options // MAP inference of each batch's codes
	// Constraints project parameters after each step (dictionary columns
	// of bounded norm).
	Constraints []Constraint
	Seed        uint64 // shuffles the rows
	// Progress, if set, is called after every epoch.
	Progress func(s EpochStats)
}

// EpochStats summarizes one epoch of Learn.
type EpochStats struct {
	Epoch      int     `json:"epoch"`
	Objective  float64 `json:"objective"`  // mean F(v, h*) over the epoch's rows, at their MAP codes before each step
	Iterations float64 `json:"iterations"` // mean iterations of MAP inference per row
	Nonzero    float64 `json:"nonzero"`    // fraction of nonzero code units
	Unsolved   int     `json:"unsolved"`   // rows whose inference stopped at MaxIter
	Rate       float64 `json:"rate"`       // the step size at the end of the epoch
}

// Learner runs dictionary learning on one model: MAP codes for a batch,
// then one projected gradient step on the trained parameters,
//
//	θ ← P(θ − η·∇_θ J),   J(θ) = (1/B)·Σ_n E(v_n, h_n*; θ),
//
// with η found by backtracking: halved until
// J(θ⁺) ≤ J(θ) + ⟨∇J, θ⁺ − θ⟩ + ‖θ⁺ − θ‖²/(2η), and grown by 1.5 after
// each accepted step. The codes of each row are kept and warm-start its
// next inference.
type Learner struct {
	m      Model
	cfg    LearnConfig
	solver *Solver
	codes  []float64 // rows × CodeSize
	grad   []runtime.Tensor
	saved  [][]float64
	cons   []int // parameter index of each constraint
	rate   float64
	order  []int
	rng    *rand.Rand
}

// NewLearner checks the configuration against m and data of rows rows.
func NewLearner(m Model, rows int, cfg LearnConfig) (*Learner, error) {
	if cfg.Epochs == 0 {
		cfg.Epochs = 10
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 100
	}
	if cfg.Rate == 0 {
		cfg.Rate = 1
	}
	if cfg.Epochs < 0 || cfg.BatchSize < 0 || !(cfg.Rate > 0) || rows <= 0 {
		return nil, fmt.Errorf("sparse: bad configuration (epochs %d, batch %d, rate %g, rows %d)", cfg.Epochs, cfg.BatchSize, cfg.Rate, rows)
	}
	l := &Learner{m: m, cfg: cfg, solver: NewSolver(m), codes: make([]float64, rows*m.CodeSize()), rate: cfg.Rate,
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed))}
	params := m.Params()
	for _, p := range params {
		l.grad = append(l.grad, runtime.Tensor{Name: p.Name, Shape: p.Shape, Data: make([]float64, len(p.Data)), Fixed: p.Fixed})
		l.saved = append(l.saved, make([]float64, len(p.Data)))
	}
	for _, c := range cfg.Constraints {
		k := -1
		for i, p := range params {
			if p.Name == c.Param {
				k = i
			}
		}
		switch {
		case k < 0:
			return nil, fmt.Errorf("sparse: constraint on param %q, which model %s does not have", c.Param, m.ModelName())
		case params[k].Fixed:
			return nil, fmt.Errorf("sparse: constraint on param %s, which is fixed", c.Param)
		case len(params[k].Shape) == 0:
			return nil, fmt.Errorf("sparse: constraint on param %s, a scalar: it has no columns", c.Param)
		case !(c.Radius > 0):
			return nil, fmt.Errorf("sparse: constraint on param %s: radius %g, want > 0", c.Param, c.Radius)
		}
		l.cons = append(l.cons, k)
	}
	l.order = make([]int, rows)
	for i := range l.order {
		l.order[i] = i
	}
	l.project()
	return l, nil
}

// Codes returns the current code of every row (rows × CodeSize), a view.
func (l *Learner) Codes() []float64 { return l.codes }

// Learn runs cfg.Epochs epochs of dictionary learning on data (rows ×
// VisibleSize, row-major) and returns each epoch's statistics.
func Learn(m Model, data []float64, rows int, cfg LearnConfig) ([]EpochStats, error) {
	if rows <= 0 || len(data) != rows*m.VisibleSize() {
		return nil, fmt.Errorf("sparse: %d values for %d rows of %d", len(data), rows, m.VisibleSize())
	}
	l, err := NewLearner(m, rows, cfg)
	if err != nil {
		return nil, err
	}
	var out []EpochStats
	for e := 0; e < l.cfg.Epochs; e++ {
		st, err := l.Epoch(data, e)
		if err != nil {
			return out, err
		}
		out = append(out, st)
		if l.cfg.Progress != nil {
			l.cfg.Progress(st)
		}
	}
	return out, nil
}

// Epoch runs one pass over data in shuffled minibatches.
func (l *Learner) Epoch(data []float64, epoch int) (EpochStats, error) {
	rows := len(l.order)
	nv, n := l.m.VisibleSize(), l.m.CodeSize()
	if len(data) != rows*nv {
		return EpochStats{}, fmt.Errorf("sparse: %d values for %d rows of %d", len(data), rows, nv)
	}
	l.rng.Shuffle(rows, func(i, j int) { l.order[i], l.order[j] = l.order[j], l.order[i] })
	st := EpochStats{Epoch: epoch}
	nonzero := 0
	for lo := 0; lo < rows; lo += l.cfg.BatchSize {
		batch := l.order[lo:min(rows, lo+l.cfg.BatchSize)]
		l.solver.Refresh()
		for _, r := range batch {
			h := l.codes[r*n : r*n+n]
			res, err := l.solver.Solve(data[r*nv:r*nv+nv], h, l.cfg.Solve)
			if err != nil {
				return st, fmt.Errorf("sparse: row %d: %w", r, err)
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
			return st, err
		}
	}
	st.Objective /= float64(rows)
	st.Iterations /= float64(rows)
	st.Nonzero = float64(nonzero) / float64(rows*n)
	st.Rate = l.rate
	return st, nil
}

// batchEnergy is J(θ) = (1/B)·Σ_n E(v_n, h_n).
func (l *Learner) batchEnergy(data []float64, batch []int) float64 {
	nv, n := l.m.VisibleSize(), l.m.CodeSize()
	j := 0.0
	for _, r := range batch {
		j += l.m.Energy(data[r*nv:r*nv+nv], l.codes[r*n:r*n+n])
	}
	return j / float64(len(batch))
}

// step takes one projected gradient step with backtracking on a batch.
func (l *Learner) step(data []float64, batch []int) error {
	nv, n := l.m.VisibleSize(), l.m.CodeSize()
	params := l.m.Params()
	for i := range l.grad {
		clear(l.grad[i].Data)
		copy(l.saved[i], params[i].Data)
	}
	scale := 1 / float64(len(batch))
	for _, r := range batch {
		l.m.EnergyGrad(data[r*nv:r*nv+nv], l.codes[r*n:r*n+n], scale, l.grad)
	}
	j0 := l.batchEnergy(data, batch)
	if math.IsNaN(j0) || math.IsInf(j0, 0) {
		return fmt.Errorf("sparse: the batch energy is %g", j0)
	}
	for try := 0; try < 60; try++ {
		lin, sq := 0.0, 0.0
		for i, p := range params {
			if p.Fixed {
				continue
			}
			for k := range p.Data {
				p.Data[k] = l.saved[i][k] - l.rate*l.grad[i].Data[k]
			}
		}
		l.project()
		for i, p := range params {
			if p.Fixed {
				continue
			}
			for k, x := range p.Data {
				d := x - l.saved[i][k]
				lin += l.grad[i].Data[k] * d
				sq += d * d
			}
		}
		j1 := l.batchEnergy(data, batch)
		if j1 <= j0+lin+sq/(2*l.rate)+1e-12*math.Abs(j0) {
			l.rate *= 1.5
			return nil
		}
		l.rate /= 2
	}
	for i, p := range params {
		copy(p.Data, l.saved[i])
	}
	return errors.New("sparse: no step size decreased the batch energy (60 halvings); the gradient may be wrong")
}

// project puts every constrained column back in its ball.
func (l *Learner) project() {
	params := l.m.Params()
	for ci, k := range l.cons {
		ProjectColumns(params[k].Data, params[k].Shape, l.cfg.Constraints[ci].Radius)
	}
}

// ProjectColumns scales each column of a row-major tensor of the given
// shape — the elements sharing one value of the last index — whose
// Euclidean norm exceeds radius back onto the sphere of that radius: the
// projection onto {‖D[·, k]‖ ≤ radius for every k}.
func ProjectColumns(data []float64, shape []int, radius float64) {
	cols := shape[len(shape)-1]
	for k := 0; k < cols; k++ {
		s := 0.0
		for i := k; i < len(data); i += cols {
			s += data[i] * data[i]
		}
		if norm := math.Sqrt(s); norm > radius {
			f := radius / norm
			for i := k; i < len(data); i += cols {
				data[i] *= f
			}
		}
	}
}
