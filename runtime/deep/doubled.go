package deep

import (
	"github.com/ebmc/ebmc/runtime"
)

// DoubledUp starts mean field in a deep Boltzmann machine from one
// bottom-up pass with the input from below doubled, the approximate
// inference of greedy pretraining (Salakhutdinov & Hinton 2009, and the
// mean field of their released code): for the hidden layers x₁ … x_L of
// the machine's chain (DBMLayout),
//
//	μ_l = E[x_l | x_{l−1} = 2·μ_{l−1}, the layers above 0],  l < L,
//	μ_L = E[x_L | x_{L−1} = μ_{L−1}],
//
// with μ₀ = v: each layer below the top makes up for the input from above
// that is still missing by counting the one from below twice. It uses the
// model's own parameters at the time of the guess and learns nothing, so
// it needs no training. As a trainer's guide (runtime.CDConfig
// .MeanFieldGuide) it allocates nothing per step.
type DoubledUp struct {
	m     runtime.Reflective
	chain []int
	sizes []int
	views layerViews
}

// NewDoubledUp returns the doubled-up guess for m, which must be a chain
// of layers (DBMLayout). A generated energy couples neighbours linearly in
// each one's state, whatever its kind, so doubling a layer's state
// doubles its input to the next.
func NewDoubledUp(m runtime.Reflective) (*DoubledUp, error) {
	lay, err := NewDBMLayout(m)
	if err != nil {
		return nil, err
	}
	layers := m.Layers()
	d := &DoubledUp{m: m, chain: lay.Chain}
	for _, l := range lay.Chain {
		d.sizes = append(d.sizes, layers[l].Units())
	}
	return d, nil
}

// Guess writes the doubled-up pass into the hidden layers of x from its
// visible layer; the visible layer is left as it was.
func (d *DoubledUp) Guess(x runtime.Chains) {
	views, n := d.views.of(x), x.Len()
	L := len(d.chain) - 1
	for k := 1; k <= L; k++ {
		clear(views[d.chain[k]].Data[:n*d.sizes[k]])
	}
	for k := 1; k <= L; k++ {
		below := views[d.chain[k-1]].Data[:n*d.sizes[k-1]]
		if k < L {
			scale(below, 2)
		}
		d.m.Mean(x, d.chain[k], 1, views[d.chain[k]].Data[:n*d.sizes[k]])
		if k < L {
			scale(below, 0.5) // exact: halving undoes doubling
		}
	}
}

// Learn does nothing: the guess reads the model's current parameters.
func (d *DoubledUp) Learn(runtime.Chains, int) {}

var _ runtime.MeanFieldGuide = (*DoubledUp)(nil)

// scale multiplies every element of s by c.
func scale(s []float64, c float64) {
	for i := range s {
		s[i] *= c
	}
}
