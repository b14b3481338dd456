package modeltest

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// RandomRows returns n rows for the visible layers of m: uniform bits,
// one-hot groups, standard normals.
func RandomRows(m runtime.Reflective, n int, seed uint64) *dataset.Dataset {
	rng := runtime.NewRNG(seed, 0)
	var x []float64
	cols := 0
	for r := range n {
		for _, ly := range m.Layers() {
			if !ly.Visible {
				continue
			}
			size := 1
			for _, d := range ly.Shape {
				size *= d
			}
			if r == 0 {
				cols += size
			}
			row := make([]float64, size)
			switch ly.Kind {
			case "bernoulli":
				for u := range row {
					row[u] = rng.Bernoulli(0.5)
				}
			case "spin":
				for u := range row {
					row[u] = 2*rng.Bernoulli(0.5) - 1
				}
			case "gaussian":
				for u := range row {
					row[u] = rng.Normal()
				}
			case "softmax":
				k := ly.Shape[len(ly.Shape)-1]
				for g := 0; g < size/k; g++ {
					row[g*k+rng.Intn(k)] = 1
				}
			}
			x = append(x, row...)
		}
	}
	return &dataset.Dataset{Rows: n, Cols: cols, X: x}
}

// Perturb adds N(0, s²) to every trained parameter.
func Perturb(m runtime.Reflective, s float64, seed uint64) {
	rng := runtime.NewRNG(seed, 1)
	for _, p := range m.Params() {
		if !p.Fixed {
			for i := range p.Data {
				p.Data[i] += s * rng.Normal()
			}
		}
	}
}

// ExactSample draws n rows from p(v) ∝ exp(−F(v)) of a model whose visible
// layers are bernoulli, by enumerating every visible configuration.
func ExactSample(t *testing.T, m runtime.Reflective, n int, seed uint64) *dataset.Dataset {
	t.Helper()
	cols := 0
	for _, ly := range m.Layers() {
		if ly.Visible {
			if ly.Kind != "bernoulli" {
				t.Fatalf("ExactSample: layer %s is %s", ly.Name, ly.Kind)
			}
			cols += ly.Shape[0]
		}
	}
	configs := 1 << cols
	all := &dataset.Dataset{Rows: configs, Cols: cols, X: make([]float64, configs*cols)}
	for k := range configs {
		for u := range cols {
			all.X[k*cols+u] = float64(k >> u & 1)
		}
	}
	logp := FreeEnergies(t, m, all)
	for k := range logp {
		logp[k] = -logp[k]
	}
	logZ := runtime.LogSumExp(logp)
	p := make([]float64, configs)
	for k := range p {
		p[k] = math.Exp(logp[k] - logZ)
	}
	rng := runtime.NewRNG(seed, 0)
	d := &dataset.Dataset{Rows: n, Cols: cols, X: make([]float64, n*cols)}
	for r := range n {
		copy(d.Row(r), all.Row(rng.Categorical(p)))
	}
	return d
}

// FreeEnergies returns F of every row (the energy for a fully visible model).
func FreeEnergies(t *testing.T, m runtime.Reflective, d *dataset.Dataset) []float64 {
	t.Helper()
	if estimators.VisibleFreeEnergy(m) >= 0 {
		f, err := estimators.FreeEnergies(m, d)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	x := m.NewChains(d.Rows, 0)
	copy(x.Layers()[0].Data, d.X)
	f := make([]float64, d.Rows)
	m.Energy(x, f)
	return f
}
