package estimators_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// modelStates returns n states of m's chains after sweeps Gibbs sweeps at
// β = 1 from noise, layer by layer: on a small model, samples of it.
func modelStates(m runtime.Reflective, n, sweeps int, seed uint64) [][]float64 {
	x := m.NewChains(n, seed)
	for range sweeps {
		m.Sweep(x, 1)
	}
	var out [][]float64
	for _, ly := range x.Layers() {
		out = append(out, slices.Clone(ly.Data))
	}
	return out
}

// TestReverseAISFrom estimates log Z of the enumerable 16-12-8 DBM, its
// weights tripled so that Gibbs sampling mixes slowly, by reverse AIS
// started from samples of the model (2000 sweeps of each chain from
// noise) with no burn-in: within its ±3σ interval (widened by 0.01 for
// the bias of the log of a mean) of the exact value. The negative control
// starts every run from the state of all zeros, which is not a sample of
// the model, and must miss the exact value.
func TestReverseAISFrom(t *testing.T) {
	m, r := smallDBM(3)
	for _, w := range [][]float64{m.W1, m.W2} {
		for i := range w {
			w[i] *= 3
		}
	}
	exact, err := r.LogZ(1e8)
	if err != nil {
		t.Fatal(err)
	}
	base := estimators.Uniform(r)
	cfg := estimators.AISConfig{Temperatures: 300, Seed: 4}
	samples := modelStates(r, 200, 2000, 11)
	zeros := make([][]float64, len(samples))
	for i, s := range samples {
		zeros[i] = make([]float64, len(s))
	}
	for _, c := range []struct {
		name  string
		start [][]float64
		hit   bool
	}{
		{"samples of the model", samples, true},
		{"control: all zeros", zeros, false},
	} {
		z, err := estimators.ReverseAISFrom(r, base, cfg, c.start, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s: log Z %.4f [%.4f, %.4f], ESS %.1f; exact %.4f", c.name, z.Method, z.LogZ, z.Low, z.High, z.ESS, exact)
		if hit := exact >= z.Low-0.01 && exact <= z.High+0.01; hit != c.hit {
			t.Errorf("%s: log Z %.4f [%.4f, %.4f] (ESS %.1f), exact %.4f: within %v, want %v", c.name, z.LogZ, z.Low, z.High, z.ESS, exact, hit, c.hit)
		}
	}
}

// TestReverseAISFromRefuses: a start that does not fit the model, or holds
// values its layers' kinds do not take, is refused with a plain error.
func TestReverseAISFromRefuses(t *testing.T) {
	_, small := smallDBM(3)
	kinds := dbmtest.NewKinds(1).Reflect()
	gaussian := grbm.NewGRBM(1).Reflect()
	good := func(m runtime.Reflective) [][]float64 { return modelStates(m, 4, 1, 2) }
	edit := func(m runtime.Reflective, layer, at int, v float64) [][]float64 {
		s := good(m)
		s[layer][at] = v
		return s
	}
	for _, c := range []struct {
		name  string
		m     runtime.Reflective
		start [][]float64
		runs  int
		want  string
	}{
		{"too few layers", small, good(small)[:2], 0, "the start holds 2 layers, the model has 3"},
		{"ragged rows", small, append(good(small)[:2], make([]float64, 8*3)), 0, "the start's layer h2 holds 3 states, layer v 4"},
		{"not a multiple", small, append(good(small)[:2], make([]float64, 7)), 0, "layer h2 holds 7 values, not a positive multiple of its 8 units"},
		{"bernoulli ½", small, edit(small, 1, 5, 0.5), 0, "layer h1 holds 0.5 at value 5 (state 0), not a state of a bernoulli layer"},
		{"spin 0", kinds, edit(kinds, 0, 4, 0), 0, "layer s holds 0 at value 4 (state 1), not a state of a spin layer"},
		{"softmax two ones", kinds, func() [][]float64 { s := good(kinds); s[1][3], s[1][4], s[1][5] = 1, 1, 0; return s }(), 0, "layer y: group 1 of state 0 is not one-hot"},
		{"softmax ½", kinds, edit(kinds, 1, 7, 0.5), 0, "layer y holds 0.5 at value 7 (state 1), not a state of a softmax layer"},
		{"bernoulli NaN", small, edit(small, 0, 0, math.NaN()), 0, "layer v holds NaN at value 0"},
		{"gaussian NaN", gaussian, edit(gaussian, 0, 2, math.NaN()), 0, "layer v holds NaN at value 2 (state 0), not a state of a gaussian layer"},
		{"gaussian +Inf", gaussian, edit(gaussian, 0, 3, math.Inf(1)), 0, "layer v holds +Inf at value 3"},
		{"runs mismatch", small, good(small), 5, "Runs is 5 but the start holds 4 states"},
	} {
		_, err := estimators.ReverseAISFrom(c.m, estimators.Uniform(c.m), estimators.AISConfig{Temperatures: 10, Runs: c.runs}, c.start, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := estimators.ReverseAISFrom(small, estimators.Uniform(small), estimators.AISConfig{Temperatures: 10}, good(small), -1); err == nil {
		t.Error("-1 burn-in sweeps accepted")
	}
	// The control: valid starts of every kind, real values of a gaussian
	// layer among them, are taken.
	for _, m := range []runtime.Reflective{small, kinds, gaussian} {
		if _, err := estimators.ReverseAISFrom(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: 10}, edit(m, 0, 0, modelStates(m, 1, 1, 5)[0][0]), 0); err != nil {
			t.Errorf("%s: a valid start refused: %v", m.ModelName(), err)
		}
	}
	if _, err := estimators.ReverseAISFrom(gaussian, estimators.Uniform(gaussian), estimators.AISConfig{Temperatures: 10}, edit(gaussian, 0, 1, -0.37), 0); err != nil {
		t.Errorf("a gaussian value of -0.37 refused: %v", err)
	}
}
