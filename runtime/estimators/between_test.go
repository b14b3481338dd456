package estimators_test

import (
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/internal/gentest/emtest"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// drawn returns m with every parameter drawn from N(0, scale²) by its own
// stream.
func drawn(m runtime.Reflective, seed uint64, scale float64) runtime.Reflective {
	rng := runtime.NewRNG(seed, 7)
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = scale * rng.Normal()
		}
	}
	return m
}

// TestAISBetween anneals between two enumerable models of each kind of
// visible layer and hidden layer — the same model with other parameters,
// and models with the same visible layer and different hidden ones — in
// both directions, and checks the estimate of log Z₁ against enumeration:
// within its ±3σ interval, and that interval narrower than 0.3 nats, so
// that an estimate 0.3 nats off (the control below) would fail.
func TestAISBetween(t *testing.T) {
	cases := []struct {
		name   string
		m0, m1 runtime.Reflective
	}{
		{"bernoulli 6×3, other parameters", drawn(rbm.NewRBM(1).Reflect(), 1, 1), drawn(rbm.NewRBM(1).Reflect(), 2, 1)},
		{"3×2 to 3×6: other hidden layers", drawn(dbn.NewTinyRBM(1).Reflect(), 3, 1), drawn(dbn.NewTinyWide(1).Reflect(), 4, 1)},
		{"gaussian visible", drawn(grbm.NewGRBM(1).Reflect(), 5, 0.7), drawn(grbm.NewGRBM(1).Reflect(), 6, 0.7)},
		{"bernoulli and softmax visible", drawn(classrbm.NewClassRBM(1).Reflect(), 7, 1), drawn(classrbm.NewClassRBM(1).Reflect(), 8, 1)},
		{"softmax hidden", drawn(emtest.NewMix(1).Reflect(), 9, 1), drawn(emtest.NewMix(1).Reflect(), 10, 1)},
	}
	for _, c := range cases {
		z0, err := c.m0.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		z1, err := c.m1.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		for _, reverse := range []bool{false, true} {
			cfg := estimators.BetweenConfig{AISConfig: estimators.AISConfig{Temperatures: 200, Runs: 400, Seed: 11}, Burn: 50, Reverse: reverse}
			est, err := estimators.AISBetween(c.m0, c.m1, z0, cfg)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			t.Logf("%s, reverse %v: log Z₁ %.4f [%.4f, %.4f], exact %.4f (log Z₀ %.4f), ESS %.0f", c.name, reverse, est.LogZ, est.Low, est.High, z1, z0, est.ESS)
			if !(est.Low <= z1 && z1 <= est.High) {
				t.Errorf("%s, reverse %v: log Z₁ = %.4f [%.4f, %.4f], exact %.4f", c.name, reverse, est.LogZ, est.Low, est.High, z1)
			}
			if est.High-est.Low > 0.3 {
				t.Errorf("%s, reverse %v: the interval [%.4f, %.4f] is too wide for the test to see an error of 0.3 nats", c.name, reverse, est.Low, est.High)
			}
			// The control: the same estimate against a log Z₁ 0.3 nats off fails.
			if off := z1 + 0.3; est.Low <= off && off <= est.High {
				t.Errorf("%s, reverse %v: the interval [%.4f, %.4f] also holds %.4f, 0.3 nats off", c.name, reverse, est.Low, est.High, off)
			}
		}
	}
}

// TestAISBetweenRefuses checks the pairs and settings the path cannot take.
func TestAISBetweenRefuses(t *testing.T) {
	six := rbm.NewRBM(1).Reflect()
	cases := []struct {
		name   string
		m0, m1 runtime.Reflective
		cfg    estimators.BetweenConfig
		want   string
	}{
		{"other visible sizes", six, dbn.NewTinyRBM(1).Reflect(), estimators.BetweenConfig{}, "layer v is bernoulli [6]"},
		{"other visible kinds", grbm.NewGRBM(1).Reflect(), dbn.NewTinyRBM(1).Reflect(), estimators.BetweenConfig{}, "layer v is gaussian"},
		{"other visible layers", six, classrbm.NewClassRBM(1).Reflect(), estimators.BetweenConfig{}, "different visible layers"},
		{"no visible free energy", dbmtest.NewSmall(1).Reflect(), dbmtest.NewSmall(2).Reflect(), estimators.BetweenConfig{}, "no free energy of its visible layers"},
		{"negative burn-in", six, six, estimators.BetweenConfig{Burn: -1}, "-1 burn-in sweeps"},
		{"a start of the wrong size", six, six, estimators.BetweenConfig{Start: [][]float64{make([]float64, 5), make([]float64, 3)}}, "not a positive multiple"},
		{"another path", six, six, estimators.BetweenConfig{AISConfig: estimators.AISConfig{Path: estimators.PathFewest}}, "Path must be the default"},
	}
	for _, c := range cases {
		_, err := estimators.AISBetween(c.m0, c.m1, 0, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one that says %q", c.name, err, c.want)
		}
	}
}
