package deep

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/emtest"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/gauss"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
)

func TestELBOEntropyOfEachKind(t *testing.T) {
	for _, c := range []struct {
		kind  runtime.UnitKind
		shape []int
		mu    []float64
		want  float64
	}{
		{"bernoulli", []int{2}, []float64{0.5, 0.5}, 2 * math.Ln2},
		{"bernoulli", []int{2}, []float64{0, 1}, 0},
		{"bernoulli", []int{1}, []float64{0.2}, -0.2*math.Log(0.2) - 0.8*math.Log(0.8)},
		{"spin", []int{2}, []float64{0, -1}, math.Ln2},
		{"spin", []int{1}, []float64{0.6}, -0.8*math.Log(0.8) - 0.2*math.Log(0.2)},
		{"softmax", []int{2, 3}, []float64{1. / 3, 1. / 3, 1. / 3, 0, 1, 0}, math.Log(3)},
	} {
		got, err := elboEntropy(runtime.LayerInfo{Name: "h", Kind: c.kind, Shape: c.shape}, c.mu)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s %v: entropy %v, %v; want %v", c.kind, c.mu, got, err, c.want)
		}
	}
	for _, c := range []struct {
		kind runtime.UnitKind
		mu   float64
	}{{"bernoulli", 1.5}, {"spin", -1.01}, {"softmax", math.NaN()}, {"gaussian", 0}} {
		if _, err := elboEntropy(runtime.LayerInfo{Name: "h", Kind: c.kind, Shape: []int{1}}, []float64{c.mu}); err == nil {
			t.Errorf("%s mean %v was accepted", c.kind, c.mu)
		}
	}
}

func TestDBMMeanSE(t *testing.T) {
	m, se := dbmMeanSE([]float64{1, 2, 3, 4})
	// sd = √(5/3), se = sd/2
	if m != 2.5 || math.Abs(se-math.Sqrt(5.0/3)/2) > 1e-15 {
		t.Errorf("mean %v, se %v", m, se)
	}
	if m, se := dbmMeanSE([]float64{7}); m != 7 || se != 0 {
		t.Errorf("one value: mean %v, se %v", m, se)
	}
}

// The samplers of the pretraining RBMs draw from the distributions whose
// means dbmMeans computes: each empirical mean of n draws in [−1, 1] is
// within √(2·ln(2·10⁶)/n) of it except with probability 10⁻⁶ (Hoeffding).
func TestDBMSamplesHaveTheirMeans(t *testing.T) {
	const n = 20000
	tol := math.Sqrt(2 * math.Log(2e6) / n)
	rng := runtime.NewRNG(1, 0)
	a := []float64{-1.5, 0.3, 2, -0.2, 0.7, 0}
	for _, ly := range []runtime.LayerInfo{
		{Kind: "bernoulli", Shape: []int{6}},
		{Kind: "spin", Shape: []int{6}},
		{Kind: "softmax", Shape: []int{2, 3}},
	} {
		want := make([]float64, len(a))
		dbmMeans(ly, a, nil, want)
		sum := make([]float64, len(a))
		x := make([]float64, len(a))
		for s := 0; s < n; s++ {
			dbmSample(ly, a, nil, x, &rng)
			for i, v := range x {
				sum[i] += v / n
			}
		}
		for i := range sum {
			if math.Abs(sum[i]-want[i]) > tol {
				t.Errorf("%s unit %d: empirical mean %.4f, exact %.4f (tolerance %.4f)", ly.Kind, i, sum[i], want[i], tol)
			}
		}
		resampled := make([]float64, len(a))
		for s := 0; s < n; s++ {
			copy(x, want)
			dbmSampleMeans(ly, x, &rng)
			for i, v := range x {
				resampled[i] += v / n
			}
		}
		for i := range sum {
			if math.Abs(resampled[i]-want[i]) > tol {
				t.Errorf("%s unit %d: mean of samples of the means %.4f, want %.4f (tolerance %.4f)", ly.Kind, i, resampled[i], want[i], tol)
			}
		}
	}
}

// The structure NewDBMLayout reads off the terms (dbmTermsOf) is the one
// probing the energy finds: with only the layers S nonzero, ∂E/∂θ holds
// exactly the terms whose units all lie in S, and a layer's field changes
// with exactly the layers it interacts with. Every test model agrees; a
// model whose Terms leave out its first coupling is caught.
func TestTermsAgreeWithProbing(t *testing.T) {
	models := []runtime.Reflective{
		emtest.NewDeep(1).Reflect(), emtest.NewGHid(1).Reflect(), emtest.NewMix(1).Reflect(),
		emtest.NewNoPrior(1).Reflect(), emtest.NewOdd(1).Reflect(), emtest.NewTiny(1).Reflect(),
		rbm.NewRBM(1).Reflect(), fvbm.NewFVBM(1).Reflect(), grbm.NewGRBM(1).Reflect(),
		gauss.NewGauss(1).Reflect(), classrbm.NewClassRBM(1).Reflect(),
	}
	for _, m := range models {
		if d := termsDiffer(dbmTermsOf(m), dbmProbeTerms(m)); d != "" {
			t.Errorf("%s: the terms and the probes disagree: %s", m.ModelName(), d)
		}
	}
	if d := termsDiffer(dbmTermsOf(dropCoupling{models[0]}), dbmProbeTerms(models[0])); d == "" {
		t.Error("terms without the first coupling agreed with the probes")
	}
}

// dropCoupling is a model whose Terms leave out the first term of two layers.
type dropCoupling struct{ runtime.Reflective }

func (d dropCoupling) Terms() []runtime.TermInfo {
	var out []runtime.TermInfo
	dropped := false
	for _, t := range d.Reflective.Terms() {
		if !dropped && len(t.Layers) == 2 && t.Layers[0] != t.Layers[1] {
			dropped = true
			continue
		}
		out = append(out, t)
	}
	return out
}

// termsDiffer describes the first difference between two structures.
func termsDiffer(a, b *dbmTerms) string {
	switch {
	case !reflect.DeepEqual(a.alone, b.alone):
		return fmt.Sprintf("alone %v against %v", a.alone, b.alone)
	case !reflect.DeepEqual(a.lateral, b.lateral):
		return fmt.Sprintf("lateral %v against %v", a.lateral, b.lateral)
	case !reflect.DeepEqual(a.couples, b.couples):
		return fmt.Sprintf("couples %v against %v", a.couples, b.couples)
	case !reflect.DeepEqual(a.adj, b.adj):
		return fmt.Sprintf("interactions %v against %v", a.adj, b.adj)
	case (len(a.higher) > 0) != (len(b.higher) > 0):
		return fmt.Sprintf("terms of three layers %v against %v", a.higher, b.higher)
	}
	return ""
}

// dbmProbe evaluates ∂E/∂θ and fields of a model at probe states: chosen
// layers at fixed random values (times a factor), all others zero. Since
// E is a polynomial in the units, the gradient with only the layers S
// nonzero holds exactly the terms whose units all lie in S.
type dbmProbe struct {
	m      runtime.Reflective
	x      runtime.Chains
	vals   [][]float64
	params []runtime.Tensor
	grads  []runtime.Tensor
}

func dbmNewProbe(m runtime.Reflective) *dbmProbe {
	p := &dbmProbe{m: m, x: m.NewChains(1, 0xdb1), params: m.Params()}
	rng := runtime.NewRNG(0xdb2, 0)
	for _, t := range p.x.Layers() {
		v := make([]float64, len(t.Data))
		for i := range v {
			v[i] = 0.5 + rng.Float64()
		}
		p.vals = append(p.vals, v)
	}
	p.grads = runtime.ZerosLike(p.params)
	return p
}

// set puts layer l at factor[l]·(its probe values), layers without a factor at zero.
func (p *dbmProbe) set(factor map[int]float64) {
	for l, t := range p.x.Layers() {
		f := factor[l]
		for i := range t.Data {
			t.Data[i] = f * p.vals[l][i]
		}
	}
}

// grad returns a copy of ∂E/∂θ at the probe state given by factor.
func (p *dbmProbe) grad(factor map[int]float64) [][]float64 {
	p.set(factor)
	for _, g := range p.grads {
		clear(g.Data)
	}
	p.m.EnergyGrad(p.x, 1, p.grads)
	out := make([][]float64, len(p.grads))
	for i, g := range p.grads {
		out[i] = append([]float64(nil), g.Data...)
	}
	return out
}

// field returns a copy of the field (and precision) of layer l at the probe state.
func (p *dbmProbe) field(l int, factor map[int]float64) []float64 {
	p.set(factor)
	n := len(p.vals[l])
	a, prec := make([]float64, n), make([]float64, n)
	p.m.Field(p.x, l, a, prec)
	return append(a, prec...)
}

// dbmDiffers reports whether a and b differ beyond rounding.
func dbmDiffers(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9*(1+math.Abs(a[i])+math.Abs(b[i])) {
			return true
		}
	}
	return false
}

// dbmProbeTerms finds the terms of the energy by inclusion–exclusion on
// probe gradients: with g_S the gradient when only the layers S are
// nonzero, the terms in layer l alone are g_{l} − g_∅, those in layers i
// and j exactly are g_{ij} − g_i − g_j + g_∅, and anything left of g_all is
// a term of three or more layers. A term of degree 1 in l doubles when l
// doubles; a lateral one quadruples. Fields probe the couplings that
// gradients cannot see (fixed parameters), at the current parameter values.
func dbmProbeTerms(m runtime.Reflective) *dbmTerms {
	p := dbmNewProbe(m)
	layers := m.Layers()
	n := len(p.vals)
	t := &dbmTerms{alone: make([][]bool, n), lateral: make([]bool, n), couples: make([][][]bool, n), adj: make([][]bool, n)}
	g0 := p.grad(nil)
	g1 := make([][][]float64, n)
	sub := func(a, b [][]float64) [][]float64 {
		out := make([][]float64, len(a))
		for i := range a {
			out[i] = make([]float64, len(a[i]))
			for k := range a[i] {
				out[i][k] = a[i][k] - b[i][k]
			}
		}
		return out
	}
	nonzero := func(g []float64) bool { return dbmDiffers(g, make([]float64, len(g))) }
	for l := 0; l < n; l++ {
		g1[l] = sub(p.grad(map[int]float64{l: 1}), g0)
		g2 := sub(p.grad(map[int]float64{l: 2}), g0)
		t.alone[l] = make([]bool, len(p.params))
		for k := range p.params {
			t.alone[l][k] = nonzero(g1[l][k])
			twice := make([]float64, len(g1[l][k]))
			for i, v := range g1[l][k] {
				twice[i] = 2 * v
			}
			// A gaussian unit's own square is not a coupling: it is the precision.
			if layers[l].Kind != runtime.KindGaussian && dbmDiffers(g2[k], twice) {
				t.lateral[l] = true
			}
		}
		t.couples[l] = make([][]bool, n)
		t.adj[l] = make([]bool, n)
	}
	rest := sub(p.grad(dbmAllLayers(n)), g0)
	for l := 0; l < n; l++ {
		rest = sub(rest, g1[l])
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			gij := sub(sub(sub(p.grad(map[int]float64{i: 1, j: 1}), g0), g1[i]), g1[j])
			rest = sub(rest, gij)
			t.couples[i][j] = make([]bool, len(p.params))
			for k := range p.params {
				if nonzero(gij[k]) {
					t.couples[i][j][k] = true
					t.adj[i][j], t.adj[j][i] = true, true
				}
			}
		}
	}
	for k, g := range rest {
		if nonzero(g) {
			t.higher = append(t.higher, p.params[k].Name)
		}
	}
	for i := 0; i < n; i++ {
		base := p.field(i, nil)
		for j := 0; j < n; j++ {
			if dbmDiffers(p.field(i, map[int]float64{j: 1}), base) {
				if i == j {
					t.lateral[i] = true
				} else {
					t.adj[i][j], t.adj[j][i] = true, true
				}
			}
		}
	}
	return t
}

func dbmAllLayers(n int) map[int]float64 {
	f := make(map[int]float64, n)
	for l := 0; l < n; l++ {
		f[l] = 1
	}
	return f
}
