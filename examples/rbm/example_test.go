package rbm_test

import (
	"fmt"

	"github.com/ebmc/ebmc/examples/rbm"
)

// Sampling: 10 chains from random states, 100 sweeps of block Gibbs.
func ExampleRBM_Sweep() {
	m := rbm.NewRBM(1)            // parameters from the .ebm initializers
	x := rbm.NewRBMChains(10, 42) // 10 chains, random states
	for s := 0; s < 100; s++ {
		m.Sweep(x, 1) // h ~ p(h | v), then v ~ p(v | h)
	}
	fmt.Println(len(x.V), len(x.H))
	// Output: 7840 5000
}

// Free energies F(v) = −Σ b·v − Σ softplus(c + Wᵀv) of a batch of images.
func ExampleRBM_FreeEnergy() {
	m := rbm.ZeroRBM() // all parameters zero: F(v) = −500·log 2 for every v
	x := rbm.NewRBMChains(2, 1)
	f := make([]float64, 2)
	m.FreeEnergy(x, 1, f)
	fmt.Printf("%.4f %.4f\n", f[0], f[1])
	// Output: -346.5736 -346.5736
}
