package estimators_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// randomized returns m's model with every parameter drawn from N(0, 1), so
// that weights and biases are of order one, and a base model whose fields
// are far from zero, so that leaving the base out of a sum shows.
func randomized(m runtime.Reflective, params [][]float64) (runtime.Reflective, *estimators.Base) {
	rng := runtime.NewRNG(5, 0)
	for _, p := range params {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	base := estimators.Uniform(m)
	for _, f := range base.Field {
		for i := range f {
			f[i] = 1.5 - float64(i)
		}
	}
	return m, base
}

// states lists every value of a discrete layer's units: {0, 1} for each
// bernoulli unit, {−1, +1} for each spin, one of k categories for each
// softmax group.
func states(ly runtime.LayerInfo) [][]float64 {
	size := 1
	for _, d := range ly.Shape {
		size *= d
	}
	base, lo := 2, 0.0 // values per digit, the value of digit 0
	digits, width := size, 1
	switch ly.Kind {
	case runtime.KindSpin:
		lo = -1
	case runtime.KindSoftmax:
		width = ly.Shape[len(ly.Shape)-1]
		base, digits = width, size/width
	}
	count := 1
	for range digits {
		count *= base
	}
	out := make([][]float64, count)
	for n := range out {
		x, rest := make([]float64, size), n
		for g := range digits {
			digit := rest % base
			rest /= base
			if width > 1 {
				x[g*width+digit] = 1
				continue
			}
			x[g] = lo + float64(digit)*(1-lo)
		}
		out[n] = x
	}
	return out
}

// product lists every combination of one state per layer of layers.
func product(all [][][]float64) [][][]float64 {
	out := [][][]float64{nil}
	for _, layer := range all {
		var next [][][]float64
		for _, prefix := range out {
			for _, s := range layer {
				next = append(next, append(slices.Clone(prefix), s))
			}
		}
		out = next
	}
	return out
}

// TestMarginalPathDensity checks the density of PathFewest against the sum
// over the summed-out layers written out,
//
//	log f_β(k) = log Σ_r exp(−β·E(k, r) + (1−β)·Σ_ℓ a_A,ℓ·x_ℓ),
//
// k the kept layers, r the others, ℓ over the visible layers, at four
// temperatures and every k: a 3-3-2 DBM of bernoulli units (v and h2
// summed out, h1 kept) and a DBM whose visible layers are a spin layer and
// a softmax layer (s, y and the spin layer h2 summed out), the two agreeing
// to 1e-12. The negative control leaves the base's share out of the sums
// over visible layers, which must then miss by more than 1e-3 at β < 1.
func TestMarginalPathDensity(t *testing.T) {
	tiny := dbn.NewTinyDBM(1)
	kinds := dbmtest.NewKinds(1)
	for _, c := range []struct {
		name   string
		m      runtime.Reflective
		params [][]float64
		keep   []string
	}{
		{"bernoulli 3-3-2", tiny.Reflect(), [][]float64{tiny.W1, tiny.W2, tiny.B, tiny.C1, tiny.C2}, []string{"h1"}},
		{"spin and softmax visible", kinds.Reflect(), [][]float64{kinds.A, kinds.B, kinds.W, kinds.Bs, kinds.By, kinds.C1, kinds.C2}, []string{"h1"}},
	} {
		r, base := randomized(c.m, c.params)
		layers := r.Layers()
		var keptStates, summedStates [][][]float64
		var kept []int
		for i, ly := range layers {
			if slices.Contains(c.keep, ly.Name) {
				kept = append(kept, i)
				keptStates = append(keptStates, states(ly))
			} else {
				summedStates = append(summedStates, states(ly))
			}
		}
		ks, rs := product(keptStates), product(summedStates)
		x, all := r.NewChains(len(ks), 1), r.NewChains(len(rs), 2)
		// set writes combination comb of the kept (or the other) layers into chain n.
		set := func(ch runtime.Chains, n int, comb [][]float64, keptLayers bool) {
			j := 0
			for i, ly := range ch.Layers() {
				if slices.Contains(kept, i) != keptLayers {
					continue
				}
				copy(ly.Data[n*len(comb[j]):], comb[j])
				j++
			}
		}
		for n, comb := range ks {
			set(x, n, comb, true)
		}
		for n, comb := range rs {
			set(all, n, comb, false)
		}
		e, terms := make([]float64, len(rs)), make([]float64, len(rs))
		for _, beta := range []float64{0, 0.3, 0.77, 1} {
			got, wrong := make([]float64, len(ks)), make([]float64, len(ks))
			keep := estimators.PathLogDensity(r, base, estimators.PathFewest, x, beta, got, false)
			estimators.PathLogDensity(r, base, estimators.PathFewest, x, beta, wrong, true)
			if !slices.Equal(keep, c.keep) {
				t.Fatalf("%s: PathFewest keeps %v, want %v", c.name, keep, c.keep)
			}
			missed := 0.0
			for n, comb := range ks {
				for m := range rs {
					set(all, m, comb, true)
				}
				r.Energy(all, e)
				views := all.Layers()
				for m := range rs {
					lin := 0.0
					for i, f := range base.Field {
						for u, a := range f {
							lin += a * views[i].Data[m*len(f)+u]
						}
					}
					terms[m] = -beta*e[m] + (1-beta)*lin
				}
				want := runtime.LogSumExp(terms)
				if math.Abs(got[n]-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("%s, β = %g, kept %v: log f = %.15g, the sum %.15g", c.name, beta, comb, got[n], want)
				}
				missed = math.Max(missed, math.Abs(wrong[n]-want))
			}
			if beta < 1 && missed < 1e-3 {
				t.Errorf("%s, β = %g: the density without the base's share in the sums over visible layers is within %g of the sum", c.name, beta, missed)
			}
		}
	}
}

// TestAISPathFewest estimates log Z by forward and reverse AIS along the
// marginal of h1 (PathFewest) from a base model of fields far from zero,
// on an enumerable 16-12-8 DBM and on the DBM with spin and softmax
// visible layers and a spin h2 (weights of order one): both within their
// ±3σ intervals of the exact value, widened by 0.01 for the bias of
// log mean w (negligible at an ESS near the 200 runs).
func TestAISPathFewest(t *testing.T) {
	_, small := smallDBM(3)
	kinds := dbmtest.NewKinds(1)
	mixed, _ := randomized(kinds.Reflect(), [][]float64{kinds.A, kinds.B, kinds.W, kinds.Bs, kinds.By, kinds.C1, kinds.C2})
	for _, r := range []runtime.Reflective{small, mixed} {
		exact, err := r.LogZ(1e8)
		if err != nil {
			t.Fatal(err)
		}
		base := estimators.Uniform(r)
		for _, f := range base.Field {
			for i := range f {
				f[i] = math.Sin(float64(i))
			}
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
