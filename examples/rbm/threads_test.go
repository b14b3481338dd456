package rbm

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

// The per-chain loops (sampling, free energies) run on the workspace's
// threads; every chain draws from its own stream, so the chains end in the
// same states, and the free energies agree, on one thread and on two.
func TestSamplingDoesNotDependOnThreads(t *testing.T) {
	m := NewRBM(3)
	var states [2][]float64
	var free [2][]float64
	for i, threads := range []int{1, 2} {
		x := NewRBMChains(64, 5)
		x.Workspace = runtime.NewWorkspace(threads)
		for range 10 {
			m.Sweep(x, 0.8)
		}
		states[i] = slices.Concat(x.V, x.H)
		free[i] = make([]float64, x.N)
		m.FreeEnergyV(x, 0.7, free[i])
		x.Workspace.Close()
	}
	if !slices.Equal(states[0], states[1]) {
		t.Error("chains sampled on one thread and on two end in different states")
	}
	for c := range free[0] {
		if d := free[0][c] - free[1][c]; d > 1e-9 || d < -1e-9 {
			t.Errorf("chain %d: free energy %.12g on one thread, %.12g on two", c, free[0][c], free[1][c])
		}
	}
}
