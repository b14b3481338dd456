package ir

import (
	"math"
	"slices"
)

// EnergyGrad returns ∂E/∂θ at x for every trainable parameter (fixed ones stay zero).
func (m *Model) EnergyGrad(p Params, x State) Params {
	return m.grad(p, stateValue(x))
}

func (m *Model) grad(p Params, val unitValue) Params {
	g := m.NewParams()
	at := m.at()
	for _, gr := range m.Gradients {
		dst := g[gr.Param.Index]
		for _, part := range gr.Parts {
			forEach(part.Sum, part.Distinct, at, func() {
				v := part.Coef.Eval(p, at)
				for _, u := range part.Units {
					v *= val(u, at)
				}
				dst[offset(gr.Param.Shape, part.Wrt.Index, at)] += v
			})
		}
	}
	return g
}

// FreeEnergyGrad returns ∂F/∂θ = E_{p(SumOut | x)}[∂E/∂θ]: every unit of a
// summed-out layer is replaced by its conditional mean (and its square by
// the conditional second moment).
func (m *Model) FreeEnergyGrad(fe *FreeEnergy, p Params, x State) Params {
	mean, second := m.conditionalMoments(fe.SumOut, p, x, 1)
	val := func(u UnitRef, at []int) float64 {
		k := offset(u.Layer.Shape, u.Index, at)
		if slices.Contains(fe.SumOut, u.Layer) {
			if u.Power == 2 {
				return second[u.Layer.Index][k]
			}
			return mean[u.Layer.Index][k]
		}
		v := x[u.Layer.Index][k]
		if u.Power == 2 {
			return v * v
		}
		return v
	}
	return m.grad(p, val)
}

// conditionalMoments returns E[x_u] and E[x_u²] under the conditionals of the
// given layers at x, which must not interact with each other.
func (m *Model) conditionalMoments(layers []*Layer, p Params, x State, beta float64) (mean, second State) {
	mean, second = x.Clone(), x.Clone()
	for _, ly := range layers {
		mu, sq := mean[ly.Index], second[ly.Index]
		info := ly.Kind.Info()
		for k := 0; k < ly.Size; k++ {
			if ly.Kind == Softmax {
				mu[k] = m.UnitProbs(ly, p, x, k, beta)[k%ly.Categories()]
				sq[k] = mu[k]
				continue
			}
			a, prec := m.Field(ly, p, x, k)
			mu[k], sq[k] = info.Mean(a, prec, beta), info.Second(a, prec, beta)
		}
	}
	return mean, second
}

// InputGrad returns ∂E/∂x_u = P_u·x_u − a_u and ∂²E/∂x_u² = P_u for every
// unit of a gaussian layer.
func (m *Model) InputGrad(ly *Layer, p Params, x State) (grad, hess []float64) {
	grad = make([]float64, ly.Size)
	hess = make([]float64, ly.Size)
	for k := range grad {
		a, prec := m.Field(ly, p, x, k)
		grad[k] = prec*x[ly.Index][k] - a
		hess[k] = prec
	}
	return grad, hess
}

// FlipDelta returns E(x with unit k flipped) − E(x) for a bernoulli or spin
// layer: (2x_k − 1)·a_k for bernoulli, 2s_k·a_k for spin.
func (m *Model) FlipDelta(ly *Layer, p Params, x State, k int) float64 {
	a, _ := m.Field(ly, p, x, k)
	v := x[ly.Index][k]
	if ly.Kind == Spin {
		return 2 * v * a
	}
	return (2*v - 1) * a
}

// FreeEnergyFlipDelta returns F(x with unit k of ly flipped) − F(x), where ly
// is a kept layer of fe. The summed-out layers' fields change linearly in
// x_k, so the new fields are the old ones plus δ·∂a/∂x_k.
func (m *Model) FreeEnergyFlipDelta(fe *FreeEnergy, ly *Layer, p Params, x State, k int) float64 {
	y := x.Clone()
	if ly.Kind == Spin {
		y[ly.Index][k] = -x[ly.Index][k]
	} else {
		y[ly.Index][k] = 1 - x[ly.Index][k]
	}
	return m.FreeEnergy(fe, p, y, 1) - m.FreeEnergy(fe, p, x, 1)
}

// MeanField runs naive mean-field inference: the hidden layers' units are
// replaced by their means μ, updated block by block in schedule order (site
// by site in layers with lateral couplings) as μ_u ← (1−d)·mean(a_u(μ)) + d·μ_u,
// with visible layers clamped to x. It stops when no mean moves more than tol
// or after iters sweeps, and returns the means and the sweeps done. The means
// start at zero, so the first sweep is a bottom-up pass in schedule order.
func (m *Model) MeanField(p Params, x State, iters int, tol, damping float64) (State, int) {
	mu := x.Clone()
	for _, ly := range m.Layers {
		if ly.Visible {
			continue
		}
		clear(mu[ly.Index])
	}
	val := stateValue(mu) // units read as their means; a squared unit as μ²
	for it := 1; it <= iters; it++ {
		moved := 0.0
		for _, b := range m.Schedule {
			for _, ly := range b.Layers {
				if ly.Visible {
					continue
				}
				moved = math.Max(moved, m.meanFieldLayer(ly, p, mu, val, damping))
			}
		}
		if moved <= tol {
			return mu, it
		}
	}
	return mu, iters
}

func (m *Model) meanFieldLayer(ly *Layer, p Params, mu State, val unitValue, damping float64) float64 {
	c := m.Conditionals[ly.Index]
	row := mu[ly.Index]
	next := slices.Clone(row)
	target := row // a layer with lateral couplings is updated in place, site by site
	if !ly.Lateral {
		target = next
	}
	moved := 0.0
	update := func(k int, v float64) {
		v = (1-damping)*v + damping*row[k]
		moved = math.Max(moved, math.Abs(v-row[k]))
		target[k] = v
	}
	switch ly.Kind {
	case Softmax:
		K := ly.Categories()
		logits := make([]float64, K)
		for g := 0; g < ly.Groups(); g++ {
			for cat := range logits {
				logits[cat], _ = m.field(c, p, val, g*K+cat)
			}
			for cat, q := range softmax(logits) {
				update(g*K+cat, q)
			}
		}
	default:
		mean := ly.Kind.Info().Mean
		for k := 0; k < ly.Size; k++ {
			a, prec := m.field(c, p, val, k)
			update(k, mean(a, prec, 1))
		}
	}
	copy(row, target)
	return moved
}
