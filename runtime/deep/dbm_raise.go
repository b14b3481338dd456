package deep

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// RAISE of a deep Boltzmann machine (Burda, Grosse & Salakhutdinov 2015,
// §5): reverse annealing along the path that AIS anneals for it, whose
// state keeps the even hidden layers, each reverse chain started from a
// draw of them given v from the mean-field posterior (estimators.RAISE
// with this proposal; its doc comment has the derivation).

// MeanFieldProposal is an estimators.Proposal: it draws the hidden layers
// that RAISE's path keeps from the factorized mean-field posterior of the
// model given the test row,
//
//	q(h | v) = Π_{kept layers} Π_u q_u(h_u),
//
// each factor the distribution of its unit kind with the mean-field mean μ
// (the model's MeanField, the same inference as ELBO):
//
//	bernoulli:  log q_u = h·log μ + (1−h)·log(1−μ)
//	spin:       the same with p = (1+m)/2 the probability of +1
//	softmax:    log μ_c of the drawn category c, per group
//
// A gaussian or laplace kept layer is refused: mean field gives its means
// but no density to draw from. The layers the path sums out are left at
// their means (RAISE draws them afresh before it reads them). A mean that
// rounds to 0 or 1 leaves q no mass at the other value; E[w] then misses
// p_ann's mass there, which only lowers the estimate.
type MeanFieldProposal struct {
	Iters   int     // mean-field sweeps at most; 0 means 100
	Tol     float64 // stop when no mean moves more than Tol; 0 means 1e-7
	Damping float64 // μ ← (1−d)·update + d·μ
}

// String describes q for RAISE's Method.
func (p MeanFieldProposal) String() string {
	iters, tol := p.settings()
	return fmt.Sprintf("the mean-field posterior's factorial marginal (≤ %d sweeps, tol %g)", iters, tol)
}

func (p MeanFieldProposal) settings() (int, float64) {
	iters, tol := p.Iters, p.Tol
	if iters <= 0 {
		iters = 100
	}
	if tol <= 0 {
		tol = 1e-7
	}
	return iters, tol
}

// Propose runs mean field on every chain of x with its visible layers
// clamped, replaces the means of each kept layer by a draw of the
// factorized distribution with those means, and writes the draw's
// log q(h | v) into logQ.
func (p MeanFieldProposal) Propose(m runtime.Reflective, x runtime.Chains, kept []int, rng *runtime.RNG, logQ []float64) error {
	layers := m.Layers()
	n := x.Len()
	if len(logQ) < n {
		return fmt.Errorf("mean-field proposal: logQ holds %d values for %d chains", len(logQ), n)
	}
	for _, l := range kept {
		if l < 0 || l >= len(layers) || layers[l].Visible {
			return fmt.Errorf("mean-field proposal of %s: layer %d is no hidden layer", m.ModelName(), l)
		}
		if !hasFactorialDensity(layers[l].Kind) {
			return fmt.Errorf("mean-field proposal of %s: hidden layer %s is %s; mean field gives its means but no density to draw it from (bernoulli, spin and softmax layers have one)",
				m.ModelName(), layers[l].Name, layers[l].Kind)
		}
	}
	iters, tol := p.settings()
	m.MeanField(x, iters, tol, p.Damping)
	views := x.Layers()
	clear(logQ[:n])
	for _, l := range kept {
		ly := layers[l]
		size := layout.Product(ly.Shape)
		for c := range n {
			row := views[l].Data[c*size : (c+1)*size]
			lq, err := drawFactorial(ly, row, rng)
			if err != nil {
				return fmt.Errorf("mean-field proposal of %s: chain %d: %w", m.ModelName(), c, err)
			}
			logQ[c] += lq
		}
	}
	return nil
}

// hasFactorialDensity reports whether a layer of this kind has a
// factorized distribution determined by its units' means, from which
// drawFactorial draws: bernoulli, spin and softmax.
func hasFactorialDensity(kind runtime.UnitKind) bool {
	switch kind {
	case runtime.KindBernoulli, runtime.KindSpin, runtime.KindSoftmax:
		return true
	}
	return false
}

// drawFactorial replaces the means mu of one chain's layer by a draw of
// the factorized distribution with those means (see MeanFieldProposal)
// and returns the draw's log density; an error for a mean outside its
// range or a kind without such a distribution.
func drawFactorial(ly runtime.LayerInfo, mu []float64, rng *runtime.RNG) (float64, error) {
	lq := 0.0
	switch ly.Kind {
	case runtime.KindBernoulli, runtime.KindSpin:
		spin := ly.Kind == runtime.KindSpin
		for u, m := range mu {
			p := m
			if spin {
				p = (1 + m) / 2
			}
			if !(p >= 0 && p <= 1) {
				return 0, fmt.Errorf("mean of %s[%d] is %v, outside its range", ly.Name, u, m)
			}
			h := rng.Bernoulli(p)
			if h == 1 {
				lq += math.Log(p)
			} else {
				lq += math.Log1p(-p)
			}
			if spin {
				h = 2*h - 1
			}
			mu[u] = h
		}
	case runtime.KindSoftmax:
		k := ly.Shape[len(ly.Shape)-1]
		for g := 0; g+k <= len(mu); g += k {
			grp := mu[g : g+k]
			for u, p := range grp {
				if !(p >= 0 && p <= 1) {
					return 0, fmt.Errorf("mean of %s[%d] is %v, outside [0, 1]", ly.Name, g+u, p)
				}
			}
			c := rng.Categorical(grp)
			lq += math.Log(grp[c])
			clear(grp)
			grp[c] = 1
		}
	default:
		return 0, fmt.Errorf("hidden layer %s is %s, which has no factorized distribution given its means", ly.Name, ly.Kind)
	}
	return lq, nil
}
