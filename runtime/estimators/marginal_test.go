package estimators_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// tinyDBM is the 3-3-2 DBM with weights and biases of order one and a base
// model whose fields are far from zero, so that leaving the base out of
// the sum over v shows.
func tinyDBM() (runtime.Reflective, *estimators.Base) {
	m := dbn.NewTinyDBM(1)
	rng := runtime.NewRNG(5, 0)
	for _, p := range [][]float64{m.W1, m.W2, m.B, m.C1, m.C2} {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	r := m.Reflect()
	base := estimators.Uniform(r)
	for i := range base.Field[0] {
		base.Field[0][i] = 1.5 - float64(i)
	}
	return r, base
}

// TestMarginalPathDensity checks the density of PathFewest on a 3-3-2 DBM
// against the sum written out over v and h2,
//
//	log f_β(h1) = log Σ_{v,h2} exp(−β·E(v, h1, h2) + (1−β)·a_A·v),
//
// at four temperatures and for every h1: the path keeps h1 alone, and the
// two agree to 1e-12. The negative control leaves the base's share out of
// the sum over v, which must then miss by more than 1e-3 at β < 1.
func TestMarginalPathDensity(t *testing.T) {
	r, base := tinyDBM()
	const n1 = 3
	x := r.NewChains(1<<n1, 1)
	for h := range 1 << n1 {
		h1 := x.Layers()[1].Data[h*n1 : (h+1)*n1]
		for j := range h1 {
			h1[j] = float64(h >> j & 1)
		}
	}
	all := r.NewChains(32, 2) // every (v, h2) for one h1
	e := make([]float64, 32)
	for _, beta := range []float64{0, 0.3, 0.77, 1} {
		got, wrong := make([]float64, 1<<n1), make([]float64, 1<<n1)
		keep := estimators.PathLogDensity(r, base, estimators.PathFewest, x, beta, got, false)
		estimators.PathLogDensity(r, base, estimators.PathFewest, x, beta, wrong, true)
		if !slices.Equal(keep, []string{"h1"}) {
			t.Fatalf("PathFewest keeps %v, want [h1]", keep)
		}
		missed := 0.0
		for h := range 1 << n1 {
			ly := all.Layers()
			for s := range 32 {
				for i := range 3 {
					ly[0].Data[s*3+i] = float64(s >> i & 1)
				}
				for j := range n1 {
					ly[1].Data[s*n1+j] = float64(h >> j & 1)
				}
				for k := range 2 {
					ly[2].Data[s*2+k] = float64(s >> (3 + k) & 1)
				}
			}
			r.Energy(all, e)
			terms := make([]float64, 32)
			for s := range 32 {
				lin := 0.0
				for i := range 3 {
					lin += base.Field[0][i] * float64(s>>i&1)
				}
				terms[s] = -beta*e[s] + (1-beta)*lin
			}
			want := runtime.LogSumExp(terms)
			if math.Abs(got[h]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("β = %g, h1 = %03b: log f = %.15g, the sum %.15g", beta, h, got[h], want)
			}
			missed = math.Max(missed, math.Abs(wrong[h]-want))
		}
		if beta < 1 && missed < 1e-3 {
			t.Errorf("β = %g: the density without the base's share in the sum over v is within %g of the sum", beta, missed)
		}
	}
}

// TestAISPathFewest estimates log Z of an enumerable 16-12-8 DBM by
// forward and reverse AIS along the marginal of h1 (PathFewest) from a base
// model of fields far from zero: both within their ±3σ intervals (±0.014
// nats here; widened by 0.01 for the bias of log mean w, negligible at an
// ESS near the 200 runs) of the exact value.
func TestAISPathFewest(t *testing.T) {
	_, r := smallDBM(3)
	exact, err := r.LogZ(1e8)
	if err != nil {
		t.Fatal(err)
	}
	base := estimators.Uniform(r)
	for i := range base.Field[0] {
		base.Field[0][i] = math.Sin(float64(i))
	}
	cfg := estimators.AISConfig{Temperatures: 2000, Runs: 200, Seed: 4, Path: estimators.PathFewest}
	fwd, err := estimators.AIS(r, base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := estimators.ReverseAIS(r, base, cfg, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range []*estimators.Estimate{fwd, rev} {
		t.Logf("%s: log Z %.4f [%.4f, %.4f], ESS %.1f; exact %.4f", z.Method, z.LogZ, z.Low, z.High, z.ESS, exact)
		if exact < z.Low-0.01 || exact > z.High+0.01 {
			t.Errorf("%s: log Z %.4f [%.4f, %.4f] (ESS %.1f), exact %.4f", z.Method, z.LogZ, z.Low, z.High, z.ESS, exact)
		}
	}
}

// TestAISAllocatesPerRunNotPerTemperature checks that AIS and reverse AIS,
// along either path, allocate the same with 20 temperatures as with 200:
// nothing inside the loop over temperatures. The control counts a
// closure that allocates once per temperature, which the comparison must
// catch.
func TestAISAllocatesPerRunNotPerTemperature(t *testing.T) {
	_, r := smallDBM(3)
	base := estimators.Uniform(r)
	var sink [][]float64
	for _, c := range []struct {
		name string
		run  func(temps int)
	}{
		{"forward, visible", func(k int) { estimators.AIS(r, base, estimators.AISConfig{Temperatures: k, Runs: 4}) }},
		{"forward, fewest", func(k int) {
			estimators.AIS(r, base, estimators.AISConfig{Temperatures: k, Runs: 4, Path: estimators.PathFewest})
		}},
		{"reverse, fewest", func(k int) {
			estimators.ReverseAIS(r, base, estimators.AISConfig{Temperatures: k, Runs: 4, Path: estimators.PathFewest}, 1)
		}},
		{"control", func(k int) {
			for range k {
				sink = append(sink[:0], make([]float64, 8))
			}
		}},
	} {
		few := testing.AllocsPerRun(3, func() { c.run(20) })
		many := testing.AllocsPerRun(3, func() { c.run(200) })
		if grows := many > few; grows != (c.name == "control") {
			t.Errorf("%s: %v allocations with 20 temperatures, %v with 200", c.name, few, many)
		}
	}
}
