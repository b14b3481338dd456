package ising_test

import (
	"testing"

	"github.com/ebmc/ebmc/examples/ising"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// A ferromagnet, J = 0.5 between every pair of the 16 spins and no field,
// has two modes, all +1 and all −1, separated by a barrier of about 32 nats.
// Started in the + mode, single-site Gibbs sampling stays there for any
// feasible number of sweeps; parallel tempering over a ladder down to
// β = 0.05 visits both modes about equally often in the same number of
// sweeps at β = 1.
func TestTemperingCrossesModesGibbsDoesNot(t *testing.T) {
	m := ising.ZeroIsing()
	for k := range m.J {
		m.J[k] = 0.5
	}
	r := m.Reflect()
	const chains, sweeps = 20, 2000
	// magnetization sign of chain c of a batch of spins.
	negative := func(x runtime.Chains, c int) bool {
		s := x.Layers()[0]
		size := len(s.Data) / x.Len()
		sum := 0.0
		for _, v := range s.Data[c*size : (c+1)*size] {
			sum += v
		}
		return sum < 0
	}
	allPlus := func(x runtime.Chains) {
		for _, t := range x.Layers() {
			for k := range t.Data {
				t.Data[k] = 1
			}
		}
	}

	gibbs := r.NewChains(chains, 1)
	allPlus(gibbs)
	pt, err := estimators.NewTempering(r, estimators.GeometricLadder(12, 0.05), chains, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range pt.Chains {
		allPlus(x)
	}
	gibbsNeg, ptNeg, n := 0, 0, 0
	for s := 0; s < sweeps; s++ {
		r.Sweep(gibbs, 1)
		pt.Sweep()
		if s < sweeps/4 {
			continue
		}
		for c := 0; c < chains; c++ {
			n++
			if negative(gibbs, c) {
				gibbsNeg++
			}
			if negative(pt.Chains[0], c) {
				ptNeg++
			}
		}
	}
	fg, fp := float64(gibbsNeg)/float64(n), float64(ptNeg)/float64(n)
	t.Logf("share of β=1 samples in the − mode: Gibbs %.3f, tempering %.3f; swap rates %.2f", fg, fp, pt.SwapRates())
	if fg != 0 {
		t.Errorf("Gibbs left the + mode (%.3f of samples in the − mode): the barrier is not high enough for this test", fg)
	}
	// The mode is a fair coin per sample at equilibrium; with 20 chains and
	// correlated samples, 0.5 ± 0.2 still rejects a sampler stuck in one mode.
	if fp < 0.3 || fp > 0.7 {
		t.Errorf("tempering spent %.3f of its β=1 samples in the − mode, want about 0.5", fp)
	}
	if a := testing.AllocsPerRun(3, pt.Sweep); a != 0 {
		t.Errorf("a tempering sweep allocates %.0f times", a)
	}
}
