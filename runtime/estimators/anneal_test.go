package estimators_test

import (
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// TestAnnealStep: one annealing step (free energies at two temperatures from
// one computation of the fields, then a sweep reusing them) gives exactly
// the free energies and the states of separate FreeEnergy and Sweep calls.
func TestAnnealStep(t *testing.T) {
	for name, m := range map[string]runtime.Reflective{
		"rbm": rbm.NewRBM(1).Reflect(), "grbm": grbm.NewGRBM(2).Reflect(), "classrbm": classrbm.NewClassRBM(3).Reflect(),
	} {
		modeltest.Perturb(m, 0.5, 4)
		const n, b0, b1 = 9, 0.3, 0.45
		for fe := range m.FreeEnergies() {
			x, y := m.NewChains(n, 5), m.NewChains(n, 5)
			f0, f1, g0, g1 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for range 3 {
				m.AnnealStep(x, fe, b0, b1, f0, f1, true)
				m.FreeEnergy(y, fe, b0, g0)
				m.FreeEnergy(y, fe, b1, g1)
				m.Sweep(y, b1)
				for c := range n {
					if f0[c] != g0[c] || f1[c] != g1[c] {
						t.Fatalf("%s, free energy %d: annealing step F = %g, %g; separately %g, %g", name, fe, f0[c], f1[c], g0[c], g1[c])
					}
				}
				for l, tx := range x.Layers() {
					for i, v := range tx.Data {
						if v != y.Layers()[l].Data[i] {
							t.Fatalf("%s, free energy %d: layer %s differs after the sweep", name, fe, tx.Name)
						}
					}
				}
			}
		}
	}
}
