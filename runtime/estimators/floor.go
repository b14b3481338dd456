package estimators

import (
	"fmt"
	"math"
	"slices"

	"github.com/ebmc/ebmc/runtime"
)

// LogZFloor returns
//
//	log Σ_{s ∈ S} exp(−F(s))
//
// where F is the free energy fe of m (m.FreeEnergies()[fe]: the layers it
// keeps at s, the others summed out in closed form) and S is the set of
// distinct states of the kept layers among the chains of x (a state held
// by several chains counts once). Since Z = Σ_s exp(−F(s)) over every
// state s, each term is part of Z and the result is a lower bound on
// log Z, exact rather than estimated: an AIS estimate whose interval lies
// below it has missed mass that the states of S hold.
//
// For a deep Boltzmann machine v – h1 – h2 with fe keeping h1, the state
// h1 = 0 leaves v and h2 independent, v ~ σ(b) and h2 ~ σ(c2), and its
// term is Σ softplus(b) + Σ softplus(c2): the mass of the "h1 off" mode,
// which persistent chains started at the data need never visit
// (docs/mnist.md). The chains' kept layers must hold valid states of
// their units (0/1 for bernoulli, one-hot groups for softmax).
func LogZFloor(m runtime.Reflective, fe int, x runtime.Chains) (float64, error) {
	fes := m.FreeEnergies()
	if fe < 0 || fe >= len(fes) {
		return 0, fmt.Errorf("estimators: LogZFloor: %s has %d free energies, not %d", m.ModelName(), len(fes), fe+1)
	}
	n := x.Len()
	if n == 0 {
		return 0, fmt.Errorf("estimators: LogZFloor: no chains")
	}
	kept := map[string]bool{}
	for _, name := range fes[fe].Keep {
		kept[name] = true
	}
	var rows [][]float64 // per kept layer, the chains' rows (Len × size)
	var sizes []int
	for i, t := range x.Layers() {
		if kept[m.Layers()[i].Name] {
			rows = append(rows, t.Data)
			sizes = append(sizes, len(t.Data)/n)
		}
	}
	f := make([]float64, n)
	m.FreeEnergy(x, fe, 1, f)
	var seen distinct
	var terms []float64
	state := make([][]float64, len(rows))
	for c := 0; c < n; c++ {
		for l, r := range rows {
			state[l] = r[c*sizes[l] : (c+1)*sizes[l]]
		}
		if !seen.add(state...) {
			continue
		}
		if math.IsNaN(f[c]) || math.IsInf(f[c], 0) {
			return 0, fmt.Errorf("estimators: LogZFloor: free energy of chain %d is %v", c, f[c])
		}
		terms = append(terms, -f[c])
	}
	slices.Sort(terms)
	return runtime.LogSumExp(terms), nil
}
