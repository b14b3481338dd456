package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
)

// tieTop makes the top RBM's marginal over its visible units the bottom
// RBM's marginal over its hidden units, up to a constant, when the top's
// other hidden units carry no weight: log p̃(h) = c·h + Σ_i softplus(b_i +
// (Wh)_i) below, b'·h + Σ_j softplus(c'_j + (W'ᵀh)_j) above, compared on
// every h. Controls: the top's visible biases left at zero, or one tied
// weight off, and the two marginals differ.
func TestTieTopGivesTheBottomsHiddenMarginal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomize := func(m runtime.Reflective) {
		for _, p := range m.Params() {
			for i := range p.Data {
				p.Data[i] = rng.NormFloat64()
			}
		}
	}
	bottom := dbn.NewTiny1(1).Reflect() // 4 visible × 3 hidden
	randomize(bottom)
	tied := func() runtime.Reflective {
		top := dbn.NewTinyWide(2).Reflect() // 3 visible × 6 hidden
		randomize(top)
		if err := tieTop(bottom, top); err != nil {
			t.Fatal(err)
		}
		w := top.Params()[0]
		for i := range w.Shape[0] {
			for j := 4; j < w.Shape[1]; j++ {
				w.Data[i*w.Shape[1]+j] = 0
			}
		}
		return top
	}
	if s := marginalSpread(bottom, tied()); s > 1e-12 {
		t.Errorf("the tied top's marginal differs from the bottom's hidden marginal by up to %.3g beyond a constant", s)
	}
	noBiases := tied()
	clear(noBiases.Params()[1].Data)
	oneOff := tied()
	oneOff.Params()[0].Data[1] += 0.1
	for name, top := range map[string]runtime.Reflective{"no visible biases": noBiases, "one weight off": oneOff} {
		if s := marginalSpread(bottom, top); s < 1e-3 {
			t.Errorf("control %q: the marginals agree to %.3g", name, s)
		}
	}
	if err := tieTop(dbn.NewTinyWide(3).Reflect(), bottom); err == nil {
		t.Error("tieTop accepted a top whose W is smaller than the bottom's Wᵀ")
	}
}

// marginalSpread returns max − min over every binary h of log p̃_bottom(h)
// − log p̃_top(h): 0 when the two unnormalized marginals are proportional.
func marginalSpread(bottom, top runtime.Reflective) float64 {
	bp, tp := bottom.Params(), top.Params()
	bw, bb, bc := bp[0], bp[1].Data, bp[2].Data
	tw, tb, tc := tp[0], tp[1].Data, tp[2].Data
	nv, nh, th := bw.Shape[0], bw.Shape[1], tw.Shape[1]
	lo, hi := math.Inf(1), math.Inf(-1)
	for code := range 1 << nh {
		h := make([]float64, nh)
		for j := range h {
			h[j] = float64(code >> j & 1)
		}
		below, above := 0.0, 0.0
		for j := range nh {
			below += bc[j] * h[j]
			above += tb[j] * h[j]
		}
		for i := range nv {
			a := bb[i]
			for j := range nh {
				a += bw.Data[i*nh+j] * h[j]
			}
			below += softplus(a)
		}
		for k := range th {
			a := tc[k]
			for j := range nh {
				a += tw.Data[j*th+k] * h[j]
			}
			above += softplus(a)
		}
		lo, hi = min(lo, below-above), max(hi, below-above)
	}
	return hi - lo
}
