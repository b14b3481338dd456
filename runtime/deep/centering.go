package deep

import (
	"fmt"
	"slices"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Centering is the centered gradient of a Boltzmann machine (Montavon &
// Müller 2012; Melchior, Fischer & Wiskott 2016, "How to center deep
// Boltzmann machines", JMLR 17(99)), a runtime.GradientTransform for the
// generated trainers (runtime.CDConfig.Transform). The energy written with
// every layer's units shifted by an offset μ_l,
//
//	E(x) = Σ_(i,j) s·(x_i − μ_i)ᵀ W (x_j − μ_j) + Σ_l σ_l·b̃_lᵀ (x_l − μ_l),
//
// (s, σ_l = ±1 the signs of the model's terms, −1 for the usual
// −xᵀWh − bᵀx) is the same family of models as the normal one, but
// gradient ascent on (W, b̃) takes other steps, closer to the natural
// gradient; Melchior et al. find higher log-likelihoods with it. With the
// offsets the means of the positive phase, that is the update Centering
// gives the normal parameters: from the normal ascent directions g,
//
//	g_W ← g_W − s·σ_j·μ_i g_{b_j}ᵀ − s·σ_i·g_{b_i} μ_jᵀ
//	g_{b_i} ← g_{b_i} − Σ_W s·σ_i·g_W μ_j   (with the new g_W)
//
// for every coupling W of layers i and j and the bias b_i of each layer,
// the sum over the couplings of layer i (g_Wᵀ μ_i where i is W's second
// layer) —
// the centered step mapped back to the normal parameters, so the model,
// its samplers and its estimators stay as they are.
//
// The offsets follow the positive phase: μ_l ← (1 − ν)·μ_l + ν·m_l, for
// m_l the minibatch's mean of layer l (the data for visible layers, the
// conditional or mean-field means for hidden ones) and ν = Rate, starting
// at the first minibatch's means. Melchior et al. recommend this "dd"
// variant, offsets from the data's means by a moving average, over
// offsets that depend on the model's means (the enhanced gradient), which
// diverge.
//
// It applies to machines whose energy has only terms linear in the units
// of one layer (a bias, exactly one trained vector per layer) and bilinear
// in the units of two layers (couplings, matrices of either orientation),
// over bernoulli, spin and softmax layers: RBMs and deep Boltzmann machines.
// NewCentering refuses others with the reason.
type Centering struct {
	// Rate is ν, the weight of each minibatch's means in the offsets.
	Rate float64
	// Offsets[l] is μ_l of layer l (in Layers order).
	Offsets [][]float64

	layers   []int // each layer's size
	bias     []int // each layer's bias parameter
	biasSign []float64
	coup     []centeredCoupling
	started  []float64   // State: 1 once the offsets hold a minibatch's means
	sums     [][]float64 // per layer: Observe's sums, Transform's bias corrections
	nParams  int
}

// A centeredCoupling is a trained parameter with terms s·x_i[a]·x_j[b]·W[k],
// k = a·stride_i + b·stride_j.
type centeredCoupling struct {
	param            int
	i, j             int
	strideI, strideJ int
	sign             float64
}

// DefaultCenteringRate is Centering.Rate unless set: a moving average over
// about a hundred minibatches.
const DefaultCenteringRate = 0.01

// NewCentering returns the centered gradient for m with offsets averaged at
// rate ν (0 means DefaultCenteringRate), or says why m's energy does not
// have the form it needs. It reads the terms' layout and signs from m's
// gradient at single units (Reflective.EnergyGrad), at m's parameters.
func NewCentering(m runtime.Reflective, rate float64) (*Centering, error) {
	if rate == 0 {
		rate = DefaultCenteringRate
	}
	if !(rate > 0 && rate <= 1) {
		return nil, fmt.Errorf("runtime: centering %s: rate %v not in (0, 1]", m.ModelName(), rate)
	}
	fail := func(format string, args ...any) (*Centering, error) {
		return nil, fmt.Errorf("runtime: centering %s: %s", m.ModelName(), fmt.Sprintf(format, args...))
	}
	layers, params := m.Layers(), m.Params()
	c := &Centering{Rate: rate, nParams: len(params), started: []float64{0}}
	for _, ly := range layers {
		switch ly.Kind {
		case "bernoulli", "spin", "softmax":
		default:
			return fail("layer %s is %s; centering needs units whose terms are linear in each unit (bernoulli, spin, softmax)", ly.Name, ly.Kind)
		}
		n := layout.Product(ly.Shape)
		c.layers = append(c.layers, n)
		c.Offsets = append(c.Offsets, make([]float64, n))
		c.sums = append(c.sums, make([]float64, n))
	}
	t := dbmTermsOf(m)
	if len(t.higher) > 0 {
		return fail("%s couples three or more layers in one term", t.higher[0])
	}
	for l, lat := range t.lateral {
		if lat {
			return fail("layer %s is coupled to itself (lateral connections)", layers[l].Name)
		}
	}
	probe := newUnitProbe(m)
	for l := range layers {
		var bs []int
		for k, ok := range t.alone[l] {
			if ok {
				bs = append(bs, k)
			}
		}
		if len(bs) != 1 {
			return fail("layer %s has %d trained bias parameters; centering needs exactly one to absorb its offsets", layers[l].Name, len(bs))
		}
		k := bs[0]
		if !slices.Equal(params[k].Shape, layers[l].Shape) && !slices.Equal(params[k].Shape, []int{c.layers[l]}) {
			return fail("bias %s of layer %s has shape %v, not the layer's", params[k].Name, layers[l].Name, params[k].Shape)
		}
		u := min(1, c.layers[l]-1)
		sign, err := probe.single(k, map[int]int{l: u}, u)
		if err != nil {
			return fail("bias %s: %v", params[k].Name, err)
		}
		c.bias, c.biasSign = append(c.bias, k), append(c.biasSign, sign)
	}
	for i := range layers {
		for j := i + 1; j < len(layers); j++ {
			for k, ok := range t.couples[i][j] {
				if !ok {
					continue
				}
				cp, err := probe.coupling(k, i, j, c.layers[i], c.layers[j])
				if err != nil {
					return fail("coupling %s of %s and %s: %v", params[k].Name, layers[i].Name, layers[j].Name, err)
				}
				c.coup = append(c.coup, cp)
			}
		}
	}
	return c, nil
}

// Observe moves the offsets toward the means of the first rows rows of
// layers (a step's positive phase).
func (c *Centering) Observe(layers []runtime.Tensor, rows int) {
	if rows <= 0 {
		return
	}
	first := c.started[0] == 0
	for l, v := range layers {
		size := c.layers[l]
		mean := c.sums[l]
		clear(mean)
		for r := range rows {
			for u, a := range v.Data[r*size : (r+1)*size] {
				mean[u] += a
			}
		}
		mu, w := c.Offsets[l], 1/float64(rows)
		if first {
			for u := range mu {
				mu[u] = w * mean[u]
			}
			continue
		}
		for u := range mu {
			mu[u] = (1-c.Rate)*mu[u] + c.Rate*w*mean[u]
		}
	}
	c.started[0] = 1
}

// Transform rewrites the normal ascent directions g (Params order) into
// the centered step's, as the type's comment states.
func (c *Centering) Transform(g []runtime.Tensor, epoch int) {
	if len(g) != c.nParams {
		panic(fmt.Sprintf("runtime: Centering.Transform: %d gradient tensors for %d parameters", len(g), c.nParams))
	}
	for _, d := range c.sums {
		clear(d) // the biases' corrections
	}
	for _, cp := range c.coup {
		gw := g[cp.param].Data
		mi, mj := c.Offsets[cp.i], c.Offsets[cp.j]
		gbi, gbj := g[c.bias[cp.i]].Data, g[c.bias[cp.j]].Data
		fi := cp.sign * c.biasSign[cp.j] // of μ_i g_{b_j}ᵀ in g_W, and of g_Wᵀ μ_i in g_{b_j}
		fj := cp.sign * c.biasSign[cp.i] // of g_{b_i} μ_jᵀ in g_W, and of g_W μ_j in g_{b_i}
		di, dj := c.sums[cp.i], c.sums[cp.j]
		for a, ma := range mi {
			row, ga, s := a*cp.strideI, gbi[a], 0.0
			for b, mb := range mj {
				k := row + b*cp.strideJ
				w := gw[k] - fi*ma*gbj[b] - fj*ga*mb
				gw[k] = w
				s += w * mb
				dj[b] += fi * w * ma
			}
			di[a] += fj * s
		}
	}
	for l, k := range c.bias {
		gb := g[k].Data
		for u, d := range c.sums[l] {
			gb[u] -= d
		}
	}
}

// State returns the offsets and whether they hold a minibatch's means.
func (c *Centering) State() []runtime.Tensor {
	s := []runtime.Tensor{{Name: "centering.started", Shape: []int{1}, Data: c.started}}
	for l, mu := range c.Offsets {
		s = append(s, runtime.Tensor{Name: fmt.Sprintf("centering.offset.%d", l), Shape: []int{len(mu)}, Data: mu})
	}
	return s
}

var _ runtime.GradientTransform = (*Centering)(nil)

// unitProbe reads the layout and signs of linear and bilinear terms off a
// model's energy gradient at states with one or two units on.
type unitProbe struct {
	m     runtime.Reflective
	x     runtime.Chains
	grads []runtime.Tensor
}

func newUnitProbe(m runtime.Reflective) *unitProbe {
	return &unitProbe{m: m, x: m.NewChains(1, 0xce47), grads: runtime.ZerosLike(m.Params())}
}

// grad returns ∂E/∂θ_k at the state with unit on[l] of each layer l in on
// set to 1 and every other unit 0.
func (p *unitProbe) grad(k int, on map[int]int) []float64 {
	for l, t := range p.x.Layers() {
		clear(t.Data)
		if u, ok := on[l]; ok {
			t.Data[u] = 1
		}
	}
	for _, g := range p.grads {
		clear(g.Data)
	}
	p.m.EnergyGrad(p.x, 1, p.grads)
	return p.grads[k].Data
}

// single checks that ∂E/∂θ_k is zero with every unit off and ±1 at index
// want alone with the units on set, and returns that sign.
func (p *unitProbe) single(k int, on map[int]int, want int) (float64, error) {
	for i, v := range p.grad(k, nil) {
		if v != 0 {
			return 0, fmt.Errorf("its gradient is %v at element %d with every unit off; the term is not linear in the units", v, i)
		}
	}
	g := p.grad(k, on)
	sign := g[want]
	if sign != 1 && sign != -1 {
		return 0, fmt.Errorf("its gradient at element %d is %v with units %v on, not ±1", want, sign, on)
	}
	for i, v := range g {
		if v != 0 && i != want {
			return 0, fmt.Errorf("its gradient is %v at element %d with units %v on; only element %d should move", v, i, on, want)
		}
	}
	return sign, nil
}

// coupling finds the layout of a coupling of layers i and j (sizes ni,
// nj): row-major in (i, j) or in (j, i), with one sign, checked at two
// pairs of units.
func (p *unitProbe) coupling(k, i, j, ni, nj int) (centeredCoupling, error) {
	if n := len(p.grads[k].Data); n != ni*nj {
		return centeredCoupling{}, fmt.Errorf("%d elements, not %d × %d", n, ni, nj)
	}
	try := func(strideI, strideJ int) (centeredCoupling, error) {
		cp := centeredCoupling{param: k, i: i, j: j, strideI: strideI, strideJ: strideJ}
		for n, pair := range [][2]int{{ni - 1, 0}, {0, nj - 1}} {
			a, b := pair[0], pair[1]
			sign, err := p.single(k, map[int]int{i: a, j: b}, a*strideI+b*strideJ)
			if err != nil {
				return cp, err
			}
			if n > 0 && sign != cp.sign {
				return cp, fmt.Errorf("its terms have both signs")
			}
			cp.sign = sign
		}
		return cp, nil
	}
	cp, err := try(nj, 1)
	if err != nil {
		if cp2, err2 := try(1, ni); err2 == nil {
			return cp2, nil
		}
	}
	return cp, err
}
