package modeltest

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/stats"
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

// PlugInAISIsAbove is the negative control of the tests that check that an
// estimate lies below the exact log p(v) on average: the plug-in
// log p = −F(v) − log Ẑ, with Ẑ from AIS at 3 temperatures and 1 run,
// errs high (AIS errs low in log Z), so a below-check must reject it. The
// rows' exact −F(v) is common to both, so the plug-in's error is
// log Z − log Ẑ; over 400 runs it must be above 0 by 4 standard errors,
// or t fails.
func PlugInAISIsAbove(t *testing.T, m runtime.Reflective, base *estimators.Base) {
	t.Helper()
	logZ, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	diff := make([]float64, 400)
	for i := range diff {
		est, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: 3, Runs: 1, Seed: uint64(100 + i)})
		if err != nil {
			t.Fatal(err)
		}
		diff[i] = logZ - est.LogZ
	}
	d, se := stats.MeanSE(diff)
	t.Logf("control, −F − log Ẑ (AIS, 3 temperatures, 1 run): mean − exact log p = %.4f ± %.4f", d, se)
	if d+4*se < 0 {
		t.Fatalf("control: the plug-in AIS estimate passed the below-check (%.4f ± %.4f), so the check cannot tell", d, se)
	}
	if d-4*se <= 0 {
		t.Errorf("control: the plug-in AIS estimate is not clearly above the exact log p (%.4f ± %.4f)", d, se)
	}
}
