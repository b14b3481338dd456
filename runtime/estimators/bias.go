package estimators

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// SetBiases starts a model at the base model: for every visible layer
// that has a bias — a parameter tensor P, one element per unit, entering
// the layer's field linearly when every other unit is zero,
// a_u = a_u⁰ + c·P_u — it sets P so that with the other layers at zero the
// layer's conditional is the base model's, a_u = b.Field[layer][u]. For a
// bernoulli unit fitted by BaseRate that is the bias log p − log(1 − p) of
// the unit's smoothed mean, as Hinton's practical guide (2010, §8) starts
// an RBM. Weights and the biases of hidden layers are left alone, and so
// are gaussian layers, whose base also fixes a precision.
//
// The bias is found by probing the generated model, not by its name: a
// candidate P is perturbed by δ_u = u+1 and by 2δ_u, and it is the bias
// when both change the field by c·δ_u and 2c·δ_u for one c ≠ 0. SetBiases
// returns the names of the parameters it set, one per layer at most.
func (b *Base) SetBiases(m runtime.Reflective) ([]string, error) {
	x := m.NewChains(1, 0)
	for _, t := range x.Layers() {
		clear(t.Data)
	}
	params := m.Params()
	var set []string
	for i, ly := range m.Layers() {
		field, ok := b.Field[i]
		if !ly.Visible || !ok || ly.Kind == runtime.KindGaussian {
			continue
		}
		size := layout.Product(ly.Shape)
		if len(field) != size {
			return set, fmt.Errorf("runtime: base field of layer %s has %d values, the layer %d units", ly.Name, len(field), size)
		}
		a0, prec := make([]float64, size), make([]float64, size)
		m.Field(x, i, a0, prec)
		for _, p := range params {
			if p.Fixed || p.Len() != size {
				continue
			}
			c, ok := biasCoefficient(m, x, i, p, a0)
			if !ok {
				continue
			}
			for u := range p.Data {
				p.Data[u] += (field[u] - a0[u]) / c
			}
			set = append(set, p.Name)
			break
		}
	}
	return set, nil
}

// biasCoefficient reports whether p enters the field of layer i at the
// chains x as a_u = a0_u + c·p_u, and c.
func biasCoefficient(m runtime.Reflective, x runtime.Chains, i int, p runtime.Tensor, a0 []float64) (float64, bool) {
	saved := append([]float64(nil), p.Data...)
	defer copy(p.Data, saved)
	a, prec := make([]float64, len(a0)), make([]float64, len(a0))
	c := math.NaN()
	for _, scale := range []float64{1, 2} {
		for u := range p.Data {
			p.Data[u] = saved[u] + scale*float64(u+1)
		}
		m.Field(x, i, a, prec)
		if scale == 1 {
			c = a[0] - a0[0]
			if c == 0 || math.IsNaN(c) || math.IsInf(c, 0) {
				return 0, false
			}
		}
		for u := range a {
			want := scale * c * float64(u+1)
			if d := a[u] - a0[u]; math.Abs(d-want) > 1e-9*math.Max(1, math.Abs(want)) {
				return 0, false
			}
		}
	}
	return c, true
}
