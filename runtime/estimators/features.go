package estimators

import (
	"errors"
	"fmt"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Transform returns the hidden features of every row of d, as
// scikit-learn's BernoulliRBM.transform: the means of the hidden layers
// given the visible ones, E[h | v], concatenated in declaration order. For
// a model whose hidden layers are independent given v (an RBM) that is the
// exact conditional mean; otherwise (a deep Boltzmann machine) the
// mean-field approximation, up to 100 sweeps to tolerance 10⁻⁶.
func Transform(m runtime.Reflective, d *dataset.Dataset) (*dataset.Dataset, error) {
	if err := checkRows(m, d); err != nil {
		return nil, fmt.Errorf("runtime: transform: %w", err)
	}
	hidden := 0
	for _, ly := range m.Layers() {
		if !ly.Visible {
			hidden += layout.Product(ly.Shape)
		}
	}
	if hidden == 0 {
		return nil, fmt.Errorf("runtime: transform: %s has no hidden layer", m.ModelName())
	}
	out := &dataset.Dataset{Rows: d.Rows, Cols: hidden, X: make([]float64, d.Rows*hidden)}
	err := batches(d, func(lo int, part *dataset.Dataset) error {
		x, err := load(m, part)
		if err != nil {
			return err
		}
		m.MeanField(x, 100, 1e-6, 0)
		off := 0
		for i, ly := range m.Layers() {
			if ly.Visible {
				continue
			}
			size := layout.Product(ly.Shape)
			src := x.Layers()[i].Data
			for r := range part.Rows {
				copy(out.X[(lo+r)*hidden+off:(lo+r)*hidden+off+size], src[r*size:(r+1)*size])
			}
			off += size
		}
		return nil
	})
	return out, err
}

// Sample draws n samples of the visible layers (as Transform's rows are
// read: concatenated in declaration order): n independent chains from
// uniformly random states, each run for burn block-Gibbs sweeps at β = 1.
// The samples are as good as the chains mix; burn in the thousands suits a
// trained RBM on images.
func Sample(m runtime.Reflective, n, burn int, seed uint64) (*dataset.Dataset, error) {
	if n < 1 || burn < 0 {
		return nil, fmt.Errorf("runtime: sample: %d samples after %d sweeps: want n ≥ 1 and burn ≥ 0", n, burn)
	}
	cols := layout.VisibleSize(m)
	if cols == 0 {
		return nil, errors.New("runtime: sample: the model has no visible layer")
	}
	out := &dataset.Dataset{Rows: n, Cols: cols, X: make([]float64, n*cols)}
	for lo, b := 0, uint64(0); lo < n; lo, b = lo+evalBatch, b+1 {
		k := min(evalBatch, n-lo)
		x := m.NewChains(k, mix64(seed)+b)
		m.HoldParams(x, true)
		for range burn {
			m.Sweep(x, 1)
		}
		m.HoldParams(x, false)
		off := 0
		for i, ly := range m.Layers() {
			if !ly.Visible {
				continue
			}
			size := layout.Product(ly.Shape)
			src := x.Layers()[i].Data
			for r := range k {
				copy(out.X[(lo+r)*cols+off:(lo+r)*cols+off+size], src[r*size:(r+1)*size])
			}
			off += size
		}
	}
	return out, nil
}

// checkRows checks that d holds rows of m's visible layers.
func checkRows(m runtime.Reflective, d *dataset.Dataset) error {
	switch {
	case d == nil || d.Rows < 1:
		return errors.New("no rows")
	case d.Cols != layout.VisibleSize(m):
		return fmt.Errorf("rows of %d values, the visible layers of %s have %d units", d.Cols, m.ModelName(), layout.VisibleSize(m))
	case len(d.X) < d.Rows*d.Cols:
		return fmt.Errorf("%d values for %d rows of %d", len(d.X), d.Rows, d.Cols)
	}
	return nil
}

// mix64 is the splitmix64 finaliser, a bijection on uint64 with good
// avalanche behaviour.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
