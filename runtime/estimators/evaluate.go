package estimators

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

// Evaluation of a trained model on a data set whose rows hold the visible
// layers, concatenated in declaration order.

// load puts the rows of d into a new batch of chains' visible layers.
func load(m runtime.Reflective, d *dataset.Dataset) (runtime.Chains, error) {
	var l loader
	return l.load(m, d)
}

// loader is load with a batch of chains kept from one call to the next
// with as many rows: for evaluations that read only the visible layers
// (free energies), so that batch after batch allocates nothing.
type loader struct{ x runtime.Chains }

func (l *loader) load(m runtime.Reflective, d *dataset.Dataset) (runtime.Chains, error) {
	if n := layout.VisibleSize(m); d.Cols != n {
		return nil, fmt.Errorf("runtime: %s: data has %d columns, the visible layers have %d units", m.ModelName(), d.Cols, n)
	}
	if l.x == nil || l.x.Len() != d.Rows {
		l.x = m.NewChains(d.Rows, 1)
	}
	layout.PutRows(m, l.x, d.X, d.Cols)
	return l.x, nil
}

// evalBatch bounds the rows evaluated at once, and so the memory used.
const evalBatch = 1000

// batches calls f on consecutive slices of at most evalBatch rows of d: a
// Dataset's own rows, or for another Source (bits, say) the rows expanded
// into one buffer of evalBatch rows, reused, so that memory stays bounded
// by the batch whatever the size of d.
func batches(d dataset.Source, f func(lo int, part *dataset.Dataset) error) error {
	rows, cols := d.Shape()
	dense, isDense := d.(*dataset.Dataset)
	var buf []float64
	var idx []int
	for lo := 0; lo < rows; lo += evalBatch {
		hi := min(rows, lo+evalBatch)
		part := &dataset.Dataset{Rows: hi - lo, Cols: cols}
		if isDense {
			part.X = dense.X[lo*cols : hi*cols]
		} else {
			if buf == nil {
				buf, idx = make([]float64, min(rows, evalBatch)*cols), make([]int, 0, evalBatch)
			}
			idx = idx[:0]
			for r := lo; r < hi; r++ {
				idx = append(idx, r)
			}
			part.X = buf[:(hi-lo)*cols]
			d.Gather(part.X, idx)
		}
		if err := f(lo, part); err != nil {
			return err
		}
	}
	return nil
}

// FreeEnergies returns F(v) = −log Σ_hidden exp(−E(v, hidden)) of every row.
func FreeEnergies(m runtime.Reflective, d dataset.Source) ([]float64, error) {
	fe := VisibleFreeEnergy(m)
	if fe < 0 {
		return nil, fmt.Errorf("runtime: %s has no free energy of its visible layers (the hidden layers cannot be summed out together)", m.ModelName())
	}
	rows, _ := d.Shape()
	f := make([]float64, rows)
	var l loader
	return f, freeEnergies(m, &l, fe, d, f)
}

// freeEnergies writes F(v) of the rows of d into f, loading them through l.
func freeEnergies(m runtime.Reflective, l *loader, fe int, d dataset.Source, f []float64) error {
	return batches(d, func(lo int, part *dataset.Dataset) error {
		x, err := l.load(m, part)
		if err != nil {
			return err
		}
		m.FreeEnergy(x, fe, 1, f[lo:lo+part.Rows])
		return nil
	})
}

// LogLikelihood returns the average log p(v) = −F(v) − log Z over the rows.
func LogLikelihood(m runtime.Reflective, d dataset.Source, logZ float64) (float64, error) {
	f, err := FreeEnergies(m, d)
	if err != nil {
		return 0, err
	}
	return -stats.Mean(f) - logZ, nil
}

// FreeEnergyGap returns mean F(test) − mean F(train): it grows when a model
// overfits, and needs no partition function.
func FreeEnergyGap(m runtime.Reflective, train, test dataset.Source) (float64, error) {
	ftr, err := FreeEnergies(m, train)
	if err != nil {
		return 0, err
	}
	fte, err := FreeEnergies(m, test)
	if err != nil {
		return 0, err
	}
	return stats.Mean(fte) - stats.Mean(ftr), nil
}

// PseudoLikelihood is Besag's log pseudo-likelihood of binary visible data,
// Σ_i log p(v_i | v_−i) = Σ_i log σ(F(v with v_i flipped) − F(v)), averaged over rows.
type PseudoLikelihood struct {
	Total   float64 // Σ over units (all units), per row
	PerUnit float64 // Total divided by the number of units, comparable across sizes
	// Sampled is the estimate scikit-learn's BernoulliRBM.score_samples
	// reports: the number of units times log p(v_i | v_−i) for one random
	// unit i per row.
	Sampled float64
	Units   int
}

// Pseudo computes the pseudo-likelihood of the rows of d for a model whose
// visible layers are bernoulli or spin. It evaluates the free energy of
// every row with every unit flipped, in batches.
func Pseudo(m runtime.Reflective, d dataset.Source, seed uint64) (*PseudoLikelihood, error) {
	fe := VisibleFreeEnergy(m)
	if fe < 0 {
		return nil, fmt.Errorf("runtime: pseudo-likelihood of %s: no free energy of the visible layers", m.ModelName())
	}
	for _, ly := range m.Layers() {
		if ly.Visible && !ly.Kind.Binary() {
			return nil, fmt.Errorf("runtime: pseudo-likelihood of %s: visible layer %s is %s; flips need bernoulli or spin units", m.ModelName(), ly.Name, ly.Kind)
		}
	}
	base, err := FreeEnergies(m, d)
	if err != nil {
		return nil, err
	}
	rows, units := d.Shape()
	rng := runtime.NewRNG(seed, 0)
	pick := make([]int, rows)
	for r := range pick {
		pick[r] = rng.Intn(units)
	}
	// A batch of copies of one row, each with a different unit flipped.
	flip := &dataset.Dataset{Rows: units, Cols: units, X: make([]float64, units*units)}
	f := make([]float64, units)
	var l loader
	spins := spinColumns(m)
	total, sampled := 0.0, 0.0
	row, at := make([]float64, units), []int{0}
	for r := 0; r < rows; r++ {
		at[0] = r
		d.Gather(row, at)
		for u := 0; u < units; u++ {
			dst := flip.X[u*units : (u+1)*units]
			copy(dst, row)
			if spins[u] {
				dst[u] = -dst[u]
			} else {
				dst[u] = 1 - dst[u]
			}
		}
		if err := freeEnergies(m, &l, fe, flip, f); err != nil {
			return nil, err
		}
		for u, fu := range f {
			lp := -runtime.Softplus(base[r] - fu) // log σ(F(flipped) − F(v))
			total += lp
			if u == pick[r] {
				sampled += float64(units) * lp
			}
		}
	}
	n := float64(rows)
	return &PseudoLikelihood{Total: total / n, PerUnit: total / n / float64(units), Sampled: sampled / n, Units: units}, nil
}

// Reconstruction returns the mean over rows of ‖v − E[v | h = E[h | v]]‖²
// for a model with one hidden block: the hidden means given the data, then
// the visible means given those.
func Reconstruction(m runtime.Reflective, d dataset.Source) (float64, error) {
	s := 0.0
	var l loader // the hidden means overwrite the kept chains' hidden layers
	var recon []float64
	err := batches(d, func(_ int, part *dataset.Dataset) error {
		x, err := l.load(m, part)
		if err != nil {
			return err
		}
		layers := x.Layers()
		var visible []int
		for i, ly := range m.Layers() {
			if ly.Visible {
				visible = append(visible, i)
			} else {
				m.Mean(x, i, 1, layers[i].Data)
			}
		}
		for _, i := range visible {
			v := layers[i].Data
			if cap(recon) < len(v) {
				recon = make([]float64, len(v))
			}
			recon = recon[:len(v)]
			m.Mean(x, i, 1, recon)
			for k := range v {
				s += (v[k] - recon[k]) * (v[k] - recon[k])
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if math.IsNaN(s) {
		return 0, fmt.Errorf("runtime: reconstruction of %s is NaN", m.ModelName())
	}
	rows, _ := d.Shape()
	return s / float64(rows), nil
}

// SampledPseudoLikelihood is scikit-learn's cheap estimate of the
// pseudo-likelihood: for each row one random unit i, units·log p(v_i | v_−i),
// averaged over the rows. It costs two free energies per row.
func SampledPseudoLikelihood(m runtime.Reflective, d dataset.Source, seed uint64) (float64, error) {
	rows, cols := d.Shape()
	spin := spinColumns(m)
	rng := runtime.NewRNG(seed, 0)
	s := 0.0
	fe := VisibleFreeEnergy(m)
	if fe < 0 {
		return 0, fmt.Errorf("runtime: pseudo-likelihood of %s: no free energy of the visible layers", m.ModelName())
	}
	var flipped *dataset.Dataset
	var l loader
	var base, f []float64
	err := batches(d, func(_ int, part *dataset.Dataset) error {
		if cap(base) < part.Rows {
			base, f = make([]float64, part.Rows), make([]float64, part.Rows)
		}
		base, f = base[:part.Rows], f[:part.Rows]
		if err := freeEnergies(m, &l, fe, part, base); err != nil {
			return err
		}
		if flipped == nil {
			flipped = &dataset.Dataset{X: make([]float64, len(part.X))}
		}
		flipped.Rows, flipped.Cols, flipped.X = part.Rows, part.Cols, flipped.X[:len(part.X)]
		copy(flipped.X, part.X)
		for r := range part.Rows {
			u := rng.Intn(cols)
			v := &flipped.X[r*cols+u]
			if spin[u] {
				*v = -*v
			} else {
				*v = 1 - *v
			}
		}
		if err := freeEnergies(m, &l, fe, flipped, f); err != nil {
			return err
		}
		for r := range f {
			s -= runtime.Softplus(base[r] - f[r])
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return s / float64(rows) * float64(cols), nil
}

// spinColumns marks the data columns that belong to spin layers.
func spinColumns(m runtime.Reflective) map[int]bool {
	spins := map[int]bool{}
	off := 0
	for _, ly := range m.Layers() {
		if ly.Visible {
			for u := 0; u < layout.Product(ly.Shape); u++ {
				spins[off+u] = ly.Kind == runtime.KindSpin
			}
			off += layout.Product(ly.Shape)
		}
	}
	return spins
}

// LogLikelihoodProxy returns a training.FitConfig.Proxy that tracks the average
// log-likelihood of d during training by a quick AIS run (few temperatures
// and runs: a rough, usually low estimate, cheap enough for every epoch).
func LogLikelihoodProxy(m runtime.Reflective, base *Base, d dataset.Source, temps, runs int) func() (string, float64) {
	return func() (string, float64) {
		est, err := AIS(m, base, AISConfig{Temperatures: temps, Runs: runs, Seed: 1})
		if err != nil {
			return "log-likelihood (quick AIS)", math.NaN()
		}
		ll, err := LogLikelihood(m, d, est.LogZ)
		if err != nil {
			return "log-likelihood (quick AIS)", math.NaN()
		}
		return "log-likelihood (quick AIS)", ll
	}
}

// LogMass returns log Σ_r exp(logp[r]) over the distinct rows r of d (a
// row repeated counts once): the log of the probability a model gives the
// set of rows, when logp[r] is log p(v_r) or a lower bound on it. It
// cannot exceed 0. Where it does, the log Z the values were computed with
// is too low by at least that much, since Σ_r p*(v_r) ≤ Z: the rows'
// unnormalized values are a floor under log Z that no sampler has to find.
func LogMass(d *dataset.Dataset, logp []float64) (float64, error) {
	if d == nil || len(logp) != d.Rows {
		return 0, fmt.Errorf("runtime: log mass: %d values for %v rows", len(logp), d)
	}
	var seen distinct
	terms := make([]float64, 0, d.Rows)
	for r := range d.Rows {
		if seen.add(d.X[r*d.Cols : (r+1)*d.Cols]) {
			terms = append(terms, logp[r])
		}
	}
	return runtime.LogSumExp(terms), nil
}
