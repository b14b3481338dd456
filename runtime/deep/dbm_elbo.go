package deep

import (
	"fmt"
	"math"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// The variational lower bound of a model with hidden layers (Deep
// Learning §19.1, §20.4.2; Salakhutdinov & Hinton 2009, §2.1).

// ELBOConfig configures the mean-field inference behind ELBO; zero values
// mean the defaults.
type ELBOConfig struct {
	Iters   int     // mean-field sweeps at most; 0 means 100
	Tol     float64 // stop when no mean moves more than Tol; 0 means 1e-7
	Damping float64 // μ ← (1−d)·update + d·μ
	Batch   int     // rows per batch of chains; 0 means 1000
}

// ELBOResult holds the variational lower bounds of the rows of a data set.
type ELBOResult struct {
	Rows   []float64 // L(v) of every row
	Mean   float64   // the mean of Rows
	StdErr float64   // the standard error of Mean over rows, sd(Rows)/√n
	LogZ   float64   // the log Z the bounds were computed with
	// Sweeps is the largest number of mean-field sweeps a batch used.
	Sweeps  int
	Seconds float64
}

// ELBO returns, for every row v of d (the visible layers, concatenated in
// declaration order), the variational lower bound on log p(v)
//
//	L(v) = −E_q[E(v, h)] + H(q) − log Z ≤ log p(v)
//
// for the factorized q(h) = Π_u q(h_u) that the model's MeanField finds
// (the gap is KL(q ‖ p(h | v))), with logZ supplied by the caller — exact
// from LogZ or estimated by AIS, whose error then shifts every bound.
//
// The expected energy is the energy at the means, E_q[E(v, h)] = E(v, μ):
// the energy is a polynomial in which every unit appears with power at
// most 1 (the compiler reduces x² = x for bernoulli and s² = 1 for spin
// units and rejects products within one softmax group), and the units of
// different factors are independent under q. ELBO verifies that power
// on sample units of each hidden layer. The entropy is a sum over units,
//
//	bernoulli μ:  −μ·log μ − (1−μ)·log(1−μ)
//	spin m:       the same with μ = (1+m)/2, the probability of +1
//	softmax μ_c:  −Σ_c μ_c·log μ_c per group
//
// and a gaussian hidden layer is refused (its square has E_q[x²] ≠ μ²).
//
// d is a dense Dataset or any Source (binary images as a BitDataset),
// read cfg.Batch rows at a time: the bounds are the same either way.
func ELBO(m runtime.Reflective, d dataset.Source, logZ float64, cfg ELBOConfig) (*ELBOResult, error) {
	start := time.Now()
	if m == nil {
		return nil, fmt.Errorf("runtime: ELBO: nil model")
	}
	if err := elboCheck(m); err != nil {
		return nil, err
	}
	var rows, cols int
	if d != nil {
		rows, cols = d.Shape()
	}
	switch {
	case rows <= 0:
		return nil, fmt.Errorf("runtime: ELBO of %s: empty data set", m.ModelName())
	case cols != layout.VisibleSize(m):
		return nil, fmt.Errorf("runtime: ELBO of %s: data has %d columns, the visible layers have %d units", m.ModelName(), cols, layout.VisibleSize(m))
	case shortDense(d):
		dd := d.(*dataset.Dataset)
		return nil, fmt.Errorf("runtime: ELBO of %s: data set declares %d×%d values, holds %d", m.ModelName(), dd.Rows, dd.Cols, len(dd.X))
	case math.IsNaN(logZ) || math.IsInf(logZ, 0):
		return nil, fmt.Errorf("runtime: ELBO of %s: log Z is %v", m.ModelName(), logZ)
	}
	if cfg.Iters <= 0 {
		cfg.Iters = 100
	}
	if cfg.Tol <= 0 {
		cfg.Tol = 1e-7
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	res := &ELBOResult{Rows: make([]float64, rows), LogZ: logZ}
	size := min(cfg.Batch, rows)
	full := m.NewChains(size, 1)
	var rest runtime.Chains
	rb := newRowBatches(d, size)
	for lo := 0; lo < rows; lo += size {
		n := min(size, rows-lo)
		x := full
		if n < size {
			if rest == nil {
				rest = m.NewChains(n, 2)
			}
			x = rest
		}
		layout.PutRows(m, x, rb.rows(lo, n), cols)
		res.Sweeps = max(res.Sweeps, m.MeanField(x, cfg.Iters, cfg.Tol, cfg.Damping))
		if err := elboAt(m, x, logZ, res.Rows[lo:lo+n]); err != nil {
			return nil, err
		}
	}
	res.Mean, res.StdErr = dbmMeanSE(res.Rows)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// ELBOAt writes, for every chain of x, −E(x) + H(q) − logZ, where the
// hidden layers of x hold the means of a factorized q (any q, not only
// the mean-field fixed point: the bound holds for all). It refuses the
// models and means ELBO refuses.
func ELBOAt(m runtime.Reflective, x runtime.Chains, logZ float64, dst []float64) error {
	if m == nil || x == nil {
		return fmt.Errorf("runtime: ELBO: nil model or chains")
	}
	if err := elboCheck(m); err != nil {
		return err
	}
	if len(dst) < x.Len() {
		return fmt.Errorf("runtime: ELBO of %s: dst holds %d values for %d chains", m.ModelName(), len(dst), x.Len())
	}
	return elboAt(m, x, logZ, dst[:x.Len()])
}

func elboAt(m runtime.Reflective, x runtime.Chains, logZ float64, dst []float64) error {
	m.Energy(x, dst)
	n := x.Len()
	for c := range dst {
		dst[c] = -dst[c] - logZ
	}
	views := x.Layers()
	for l, ly := range m.Layers() {
		if ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		for c := 0; c < n; c++ {
			h, err := elboEntropy(ly, views[l].Data[c*size:(c+1)*size])
			if err != nil {
				return fmt.Errorf("runtime: ELBO of %s: chain %d: %w", m.ModelName(), c, err)
			}
			dst[c] += h
		}
	}
	return nil
}

// elboEntropy returns the entropy of the factorized distribution of one
// layer with the given means.
func elboEntropy(ly runtime.LayerInfo, mu []float64) (float64, error) {
	binary := func(p float64) float64 {
		h := 0.0
		if p > 0 {
			h -= p * math.Log(p)
		}
		if p < 1 {
			h -= (1 - p) * math.Log1p(-p)
		}
		return h
	}
	h := 0.0
	switch ly.Kind {
	case runtime.KindBernoulli:
		for u, p := range mu {
			if !(p >= 0 && p <= 1) {
				return 0, fmt.Errorf("mean of %s[%d] is %v, outside [0, 1]", ly.Name, u, p)
			}
			h += binary(p)
		}
	case runtime.KindSpin:
		for u, s := range mu {
			if !(s >= -1 && s <= 1) {
				return 0, fmt.Errorf("mean of %s[%d] is %v, outside [−1, 1]", ly.Name, u, s)
			}
			h += binary((1 + s) / 2)
		}
	case runtime.KindSoftmax:
		for u, p := range mu {
			if !(p >= 0 && p <= 1) {
				return 0, fmt.Errorf("mean of %s[%d] is %v, outside [0, 1]", ly.Name, u, p)
			}
			if p > 0 {
				h -= p * math.Log(p)
			}
		}
	default:
		return 0, fmt.Errorf("hidden layer %s is %s", ly.Name, ly.Kind)
	}
	return h, nil
}

// elboCheck refuses models whose hidden layers are not bernoulli, spin
// or softmax, and verifies that the energy is affine in sample hidden
// units (E(x_u = 0) − 2·E(x_u = 1) + E(x_u = 2) = 0), which makes
// E_q[E] = E(μ) for a factorized q.
func elboCheck(m runtime.Reflective) error {
	layers := m.Layers()
	type probe struct{ layer, unit int }
	var probes []probe
	for l, ly := range layers {
		if ly.Visible {
			continue
		}
		switch ly.Kind {
		case runtime.KindBernoulli, runtime.KindSpin, runtime.KindSoftmax:
		default:
			return fmt.Errorf("runtime: ELBO of %s: hidden layer %s is %s; the mean-field bound supports bernoulli, spin and softmax hidden layers", m.ModelName(), ly.Name, ly.Kind)
		}
		size := layout.Product(ly.Shape)
		step := max(1, size/16)
		for u := 0; u < size; u += step {
			probes = append(probes, probe{l, u})
		}
	}
	if len(probes) == 0 {
		return fmt.Errorf("runtime: ELBO of %s: the model has no hidden layer", m.ModelName())
	}
	x := m.NewChains(3*len(probes), 0xe1b0)
	views := x.Layers()
	for l, t := range views {
		size := layout.Product(layers[l].Shape)
		for c := 1; c < x.Len(); c++ {
			copy(t.Data[c*size:(c+1)*size], t.Data[:size])
		}
	}
	for i, p := range probes {
		size := layout.Product(layers[p.layer].Shape)
		for k := 0; k < 3; k++ {
			views[p.layer].Data[(3*i+k)*size+p.unit] = float64(k)
		}
	}
	e := make([]float64, x.Len())
	m.Energy(x, e)
	for i, p := range probes {
		e0, e1, e2 := e[3*i], e[3*i+1], e[3*i+2]
		if math.Abs(e0-2*e1+e2) > 1e-9*(1+math.Abs(e0)+math.Abs(e1)+math.Abs(e2)) {
			return fmt.Errorf("runtime: ELBO of %s: the energy is not affine in %s[%d], so E_q[E] is not the energy at the means", m.ModelName(), layers[p.layer].Name, p.unit)
		}
	}
	return nil
}

// dbmMeanSE returns the mean of x and its standard error sd(x)/√n (0 for one value).
func dbmMeanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}

// rowBatches reads consecutive rows of a Source: a dense Dataset in place,
// any other Source gathered into one buffer of at most size rows.
type rowBatches struct {
	d     dataset.Source
	dense *dataset.Dataset
	buf   []float64
	idx   []int
}

func newRowBatches(d dataset.Source, size int) *rowBatches {
	rb := &rowBatches{d: d}
	if dense, ok := d.(*dataset.Dataset); ok {
		rb.dense = dense
		return rb
	}
	_, cols := d.Shape()
	rb.buf, rb.idx = make([]float64, size*cols), make([]int, size)
	return rb
}

// rows returns rows lo, …, lo+n−1 (n at most the size), valid until the
// next call.
func (rb *rowBatches) rows(lo, n int) []float64 {
	if rb.dense != nil {
		return rb.dense.X[lo*rb.dense.Cols : (lo+n)*rb.dense.Cols]
	}
	idx := rb.idx[:n]
	for i := range idx {
		idx[i] = lo + i
	}
	_, cols := rb.d.Shape()
	x := rb.buf[:n*cols]
	rb.d.Gather(x, idx)
	return x
}
