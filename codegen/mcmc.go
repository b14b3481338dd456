package codegen

import (
	"fmt"

	"github.com/ebmc/ebmc/ir"
)

// mcmc writes the Metropolis–Hastings and Langevin samplers of every layer
// they apply to.
func (g *gen) mcmc() {
	for _, c := range g.m.Conditionals {
		switch c.Layer.Kind {
		case ir.Bernoulli, ir.Spin:
			g.flipSampler(c)
		case ir.Gaussian:
			g.randomWalk(c)
			g.langevin(c)
		}
	}
}

// flipSampler writes MetropolisL for a binary layer: single-unit flips
// accepted by the derived flip delta.
func (g *gen) flipSampler(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	info := ly.Kind.Info()
	delta, flip := info.FlipGo, info.FlipGoValue
	p.Pf("// Metropolis%s runs one Metropolis–Hastings sweep over %s for the chains in", L, ly.Name)
	p.Pf("// use: each unit in turn proposes to flip, which changes the energy by the derived")
	p.Pf("// flip delta ΔE = %s, and is accepted with probability min(1, exp(−β·ΔE)).", fmt.Sprintf(info.FlipDelta, info.Symbol, "a"))
	p.P("// step is unused (it sets the proposal width of gaussian layers). It returns")
	p.P("// the accepted and proposed moves.")
	p.Pf("func (m *%s) Metropolis%s(x *%s, beta, step float64) (accepted, proposed int) {", g.T, L, g.C)
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("rng := &x.RNG[ch]")
	p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
	p.Pf("for u := 0; u < %d; u++ {", S)
	p.Pf("a, _ := m.fieldSite%s(x, ch, u)", L)
	p.Pf("logA := -beta * (%s)", delta)
	if ly.Visible {
		p.Pf("if x.Base%s != nil { // the base model's share of the tempered density", L)
		p.Pf("logA += (1 - beta) * x.Base%s[u] * (%s - row[u])", L, flip)
		p.P("}")
	}
	p.P("proposed++")
	p.P("if logA >= 0 || rng.Float64() < math.Exp(logA) {")
	p.Pf("row[u] = %s", flip)
	p.P("accepted++")
	p.P("}")
	p.P("}")
	p.P("}")
	p.P("return accepted, proposed")
	p.P("}")
	p.P()
}

// randomWalk writes MetropolisL for a gaussian layer.
func (g *gen) randomWalk(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("// Metropolis%s runs one random-walk Metropolis step on %s for every chain in use:", L, ly.Name)
	p.P("// all units move by N(0, step²) at once, and the move is accepted with")
	p.P("// probability min(1, exp(−β·(E(x′) − E(x)))). It returns the accepted and")
	p.P("// proposed moves; it uses x.save and a scratch energy slice of the chains.")
	p.Pf("func (m *%s) Metropolis%s(x *%s, beta, step float64) (accepted, proposed int) {", g.T, L, g.C)
	p.Pf("old := x.save[:x.N*%d]", S)
	p.Pf("copy(old, x.%s[:x.N*%d])", L, S)
	p.P("m.Energy(x, x.e0[:x.N])")
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("rng := &x.RNG[ch]")
	p.Pf("for k := ch * %d; k < (ch+1)*%d; k++ {", S, S)
	p.Pf("x.%s[k] += step * rng.Normal()", L)
	p.P("}")
	p.P("}")
	p.P("m.Energy(x, x.e1[:x.N])")
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("proposed++")
	p.P("logA := -beta * (x.e1[ch] - x.e0[ch])")
	g.baseDelta(ly, "logA")
	p.P("if logA >= 0 || x.RNG[ch].Float64() < math.Exp(logA) {")
	p.P("accepted++")
	p.P("continue")
	p.P("}")
	p.Pf("copy(x.%s[ch*%d:(ch+1)*%d], old[ch*%d:(ch+1)*%d])", L, S, S, S, S)
	p.P("}")
	p.P("return accepted, proposed")
	p.P("}")
	p.P()
}

// baseDelta adds (1−β)·(log p_A(x′) − log p_A(x)) of a visible layer's base
// model, when the chains have one, to the log acceptance ratio of chain ch.
func (g *gen) baseDelta(ly *ir.Layer, v string) {
	if !ly.Visible {
		return
	}
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("if x.Base%s != nil {", L)
	p.Pf("for u := 0; u < %d; u++ {", S)
	p.Pf("xn, xo := x.%s[ch*%d+u], x.save[ch*%d+u]", L, S, S)
	p.Pf("%s += (1 - beta) * (x.Base%s[u]*(xn-xo) - 0.5*x.BasePrecision%s[u]*(xn*xn-xo*xo))", v, L, L)
	p.P("}")
	p.P("}")
}

// langevin writes LangevinL: one step of Langevin dynamics on a gaussian
// layer from the derived input gradient, optionally Metropolis-adjusted.
func (g *gen) langevin(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("// Langevin%s moves %s of every chain in use by one step of Langevin dynamics", L, ly.Name)
	p.P("// with step size ε, from the derived input gradient ∂E/∂x_u = P_u·x_u − a_u:")
	p.P("//")
	p.P("//\tx′ = x − ε·β·∂E/∂x + √(2ε)·ξ,  ξ ~ N(0, I).")
	p.P("//")
	p.P("// With adjust it is the Metropolis-adjusted Langevin algorithm: the move is")
	p.P("// accepted with probability min(1, p(x′)q(x|x′) / (p(x)q(x′|x))), so the chain")
	p.P("// samples p_β exactly; without, the unadjusted algorithm, whose bias shrinks")
	p.P("// with ε. It returns the accepted and proposed moves.")
	p.Pf("func (m *%s) Langevin%s(x *%s, beta, eps float64, adjust bool) (accepted, proposed int) {", g.T, L, g.C)
	p.Pf("n := x.N * %d", S)
	p.P("old, grad := x.save[:n], x.grad[:n]")
	p.Pf("copy(old, x.%s[:n])", L)
	p.Pf("m.gradient%s(x, beta, grad)", L)
	p.P("if adjust {")
	p.P("m.Energy(x, x.e0[:x.N])")
	p.P("}")
	p.P("sd := math.Sqrt(2 * eps)")
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("rng := &x.RNG[ch]")
	p.Pf("for k := ch * %d; k < (ch+1)*%d; k++ {", S, S)
	p.Pf("x.%s[k] = old[k] - eps*grad[k] + sd*rng.Normal()", L)
	p.P("}")
	p.P("}")
	p.P("proposed = x.N")
	p.P("if !adjust {")
	p.P("return x.N, x.N")
	p.P("}")
	p.P("// log q(x|x′) − log q(x′|x), with the gradient at x′ in grad2.")
	p.P("grad2 := x.grad2[:n]")
	p.Pf("m.gradient%s(x, beta, grad2)", L)
	p.P("m.Energy(x, x.e1[:x.N])")
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("logA := -beta * (x.e1[ch] - x.e0[ch])")
	g.baseDelta(ly, "logA")
	p.Pf("for k := ch * %d; k < (ch+1)*%d; k++ {", S, S)
	p.Pf("fwd := x.%s[k] - old[k] + eps*grad[k]", L)
	p.Pf("bwd := old[k] - x.%s[k] + eps*grad2[k]", L)
	p.P("logA += (fwd*fwd - bwd*bwd) / (4 * eps)")
	p.P("}")
	p.P("if logA >= 0 || x.RNG[ch].Float64() < math.Exp(logA) {")
	p.P("accepted++")
	p.P("continue")
	p.P("}")
	p.Pf("copy(x.%s[ch*%d:(ch+1)*%d], old[ch*%d:(ch+1)*%d])", L, S, S, S, S)
	p.P("}")
	p.P("return accepted, proposed")
	p.P("}")
	p.P()
	p.Pf("// gradient%s writes β·∂E/∂x_u = β·(P_u·x_u − a_u) of every unit of %s, plus", L, ly.Name)
	p.P("// the base model's (1−β)·(P_A·x − a_A) when the chains have one.")
	p.Pf("func (m *%s) gradient%s(x *%s, beta float64, dst []float64) {", g.T, L, g.C)
	p.Pf("m.field%s(x)", L)
	p.Pf("for k, v := range x.%s[:x.N*%d] {", L, S)
	p.Pf("dst[k] = beta * (x.p%s[k]*v - x.a%s[k])", L, L)
	if ly.Visible {
		p.Pf("if x.Base%s != nil {", L)
		p.Pf("u := k %% %d", S)
		p.Pf("dst[k] += (1 - beta) * (x.BasePrecision%s[u]*v - x.Base%s[u])", L, L)
		p.P("}")
	}
	p.P("}")
	p.P("}")
	p.P()
}
