package deep_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	models "github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
	"github.com/ebmc/ebmc/verify"
)

// The tiny DBNs: v[4] ← h1[3] ← h2[3] ⇄ (top: h2, y[2] | h3[2]), and
// v[4] ← h1[3] ⇄ (top: h1 | h2[2]) without a label. Every distribution they
// define can be enumerated.

// randomize sets every parameter of m to N(0, std²).
func randomize(m runtime.Model, std float64, seed uint64) {
	rng := runtime.NewRNG(seed, 77)
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = std * rng.Normal()
		}
	}
}

type tinyDBN struct {
	l1   *models.Tiny1
	l2   *models.Tiny2
	top  *models.TinyTop
	dbn  *deep.DBN
	r1   *models.Tiny1 // recognition copies after untie
	r2   *models.Tiny2
	seed uint64
}

func newTinyDBN(t *testing.T, std float64, seed uint64) *tinyDBN {
	t.Helper()
	n := &tinyDBN{l1: models.ZeroTiny1(), l2: models.ZeroTiny2(), top: models.ZeroTinyTop(), seed: seed}
	randomize(n.l1, std, seed)
	randomize(n.l2, std, seed+1)
	randomize(n.top, std, seed+2)
	d, err := deep.NewDBN(n.l1.Reflect(), n.l2.Reflect(), n.top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	n.dbn = d
	return n
}

// untie gives the tiny DBN recognition weights that differ from the
// generative ones.
func (n *tinyDBN) untie(t *testing.T, std float64) {
	t.Helper()
	n.r1, n.r2 = models.ZeroTiny1(), models.ZeroTiny2()
	if err := n.dbn.Untie(n.r1.Reflect(), n.r2.Reflect()); err != nil {
		t.Fatal(err)
	}
	rng := runtime.NewRNG(n.seed, 99)
	for _, m := range []runtime.Model{n.r1, n.r2} {
		for _, p := range m.Params() {
			for i := range p.Data {
				p.Data[i] += std * rng.Normal()
			}
		}
	}
}

// bits returns the binary digits of k, most significant first, as n floats.
func bits(k, n int) []float64 {
	b := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = float64(k & 1)
		k >>= 1
	}
	return b
}

// logBernoulli is log Π_i p(x_i | field a_i) for σ(a) = p(x_i = 1).
func logBernoulli(x, a []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i]*a[i] - runtime.Softplus(a[i])
	}
	return s
}

// fieldV is a_i = b_i + Σ_j W_ij h_j of an RBM with W nv×nh.
func fieldV(w, b, h []float64) []float64 {
	a := append([]float64(nil), b...)
	for i := range a {
		for j, hj := range h {
			a[i] += w[i*len(h)+j] * hj
		}
	}
	return a
}

// fieldH is c_j + Σ_i v_i W_ij.
func fieldH(w, c, v []float64) []float64 {
	a := append([]float64(nil), c...)
	for j := range a {
		for i, vi := range v {
			a[j] += vi * w[i*len(c)+j]
		}
	}
	return a
}

// topLogJoint is log Σ_{h3} exp(−E_top(h2, y, h3)) of the tiny top model,
// written out: −E = h2·b + d_y + Σ_j h3_j (c_j + Σ_i h2_i W_ij + U_yj).
func topLogJoint(m *models.TinyTop, h2 []float64, y int) float64 {
	s := m.D[y]
	for i, v := range h2 {
		s += m.B[i] * v
	}
	a := fieldH(m.W, m.C, h2)
	for j := range a {
		s += runtime.Softplus(a[j] + m.U[y*len(a)+j])
	}
	return s
}

// exact returns log p(v) of the tiny DBN for all 16 v (label summed out, or
// with y clamped to label ≥ 0: log p(v | y)), by enumeration of h1, h2 and y.
func (n *tinyDBN) exact(label int) []float64 {
	const nv, n1, n2 = 4, 3, 3
	var logPrior [8]float64 // log p(h2) or log p(h2 | y)
	for k := range logPrior {
		h2 := bits(k, n2)
		if label >= 0 {
			logPrior[k] = topLogJoint(n.top, h2, label)
		} else {
			logPrior[k] = runtime.LogAddExp(topLogJoint(n.top, h2, 0), topLogJoint(n.top, h2, 1))
		}
	}
	z := runtime.LogSumExp(logPrior[:])
	out := make([]float64, 1<<nv)
	for vk := range out {
		v := bits(vk, nv)
		terms := make([]float64, 0, 64)
		for k2 := 0; k2 < 1<<n2; k2++ {
			h2 := bits(k2, n2)
			for k1 := 0; k1 < 1<<n1; k1++ {
				h1 := bits(k1, n1)
				terms = append(terms, logPrior[k2]-z+
					logBernoulli(h1, fieldV(n.l2.W, n.l2.B, h2))+
					logBernoulli(v, fieldV(n.l1.W, n.l1.B, h1)))
			}
		}
		out[vk] = runtime.LogSumExp(terms)
	}
	return out
}

// histogramTV draws n ancestral samples and returns the total-variation
// distance of their distribution over v from exp(logp), and verify's bound.
func histogramTV(t *testing.T, d *deep.DBN, logp []float64, n int, labels []int, seed uint64) (tv, bound float64) {
	t.Helper()
	v, err := d.Sample(n, deep.DBNSampleConfig{Sweeps: 50, Labels: labels, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	nv := d.VisibleSize()
	counts := make([]float64, len(logp))
	for c := 0; c < n; c++ {
		k := 0
		for _, x := range v[c*nv : (c+1)*nv] {
			if x != 0 && x != 1 {
				t.Fatalf("sample %d holds %v, not a binary state", c, v[c*nv:(c+1)*nv])
			}
			k = 2*k + int(x)
		}
		counts[k]++
	}
	p := make([]float64, len(logp))
	for k, l := range logp {
		p[k] = math.Exp(l)
		tv += math.Abs(counts[k]/float64(n) - p[k])
	}
	return tv / 2, verify.TVBound(p, n)
}

// Ancestral samples of a tiny DBN — Gibbs in the top RBM, then
// h1 ~ p(h1 | h2), v ~ p(v | h1) — follow p(v) = Σ p(v | h1) p(h1 | h2) p(h2),
// within verify's total-variation bound (exceeded with probability below
// 1e-6). The same samples against the distribution that ignores the top RBM
// (h2 uniform) must fail, which shows that the test can.
func TestAncestralSamplesExact(t *testing.T) {
	n := newTinyDBN(t, 1.5, 1)
	const samples = 20000
	logp := n.exact(-1)
	total := 0.0
	for _, l := range logp {
		total += math.Exp(l)
	}
	if math.Abs(total-1) > 1e-12 {
		t.Fatalf("exact p(v) sums to %v", total)
	}
	tv, bound := histogramTV(t, n.dbn, logp, samples, nil, 3)
	t.Logf("TV %.4f, bound %.4f", tv, bound)
	if tv > bound {
		t.Errorf("ancestral samples: TV %.4f from the exact p(v) exceeds the bound %.4f", tv, bound)
	}
	top := n.top.Params()
	saved := make([][]float64, len(top))
	for i, p := range top {
		saved[i] = append([]float64(nil), p.Data...)
		clear(p.Data)
	}
	wrong := n.exact(-1)
	for i, p := range top {
		copy(p.Data, saved[i])
	}
	tv, bound = histogramTV(t, n.dbn, wrong, samples, nil, 3)
	t.Logf("against the wrong distribution: TV %.4f, bound %.4f", tv, bound)
	if tv <= bound {
		t.Errorf("the test cannot tell the DBN from one with a uniform top layer: TV %.4f ≤ bound %.4f", tv, bound)
	}
}

// With the label clamped, ancestral samples follow p(v | y) = Σ p(v | h1)
// p(h1 | h2) p(h2 | y). Random weights wash the label out on its way down
// (p(v | y) differs little between labels), so this DBN's layers copy their
// units (weights ±3 plus N(0, 0.3²) noise) and the label decides the top
// RBM's state; the samples for one label must then also fail against the
// other label's distribution.
func TestAncestralSamplesLabelClamped(t *testing.T) {
	if testing.Short() {
		t.Skip("a second ancestral-sampling test: TestAncestralSamplesExact runs under -short")
	}
	n := newTinyDBN(t, 0.3, 2)
	for i := 0; i < 4; i++ { // v_i follows h1_{i mod 3}
		n.l1.W[i*3+i%3] += 3
		n.l1.B[i] -= 1.5
	}
	for i := 0; i < 3; i++ { // h1_i follows h2_i
		n.l2.W[i*3+i] += 3
		n.l2.B[i] -= 1.5
	}
	// top: y = 0 turns h3_0 on, which turns h2_0, h2_1 on; y = 1 turns h3_1, h2_2 on.
	for _, w := range [][3]int{{0, 0, 3}, {1, 0, 3}, {2, 1, 3}} {
		n.top.W[w[0]*2+w[1]] += float64(w[2])
	}
	for y := 0; y < 2; y++ {
		for j := 0; j < 2; j++ {
			if y == j {
				n.top.U[y*2+j] += 3
			} else {
				n.top.U[y*2+j] -= 3
			}
		}
	}
	for i := range n.top.B {
		n.top.B[i] -= 1.5
	}
	for j := range n.top.C {
		n.top.C[j] -= 1.5
	}
	const samples = 20000
	logp := [2][]float64{n.exact(0), n.exact(1)}
	t.Logf("TV between p(v | y = 0) and p(v | y = 1): %.4f", tvOf(logp[0], logp[1]))
	for y := 0; y < 2; y++ {
		labels := make([]int, samples)
		for i := range labels {
			labels[i] = y
		}
		tv, bound := histogramTV(t, n.dbn, logp[y], samples, labels, 4+uint64(y))
		t.Logf("y = %d: TV %.4f, bound %.4f", y, tv, bound)
		if tv > bound {
			t.Errorf("label %d clamped: TV %.4f from the exact p(v | y) exceeds the bound %.4f", y, tv, bound)
		}
		tv, bound = histogramTV(t, n.dbn, logp[1-y], samples, labels, 4+uint64(y))
		if tv <= bound {
			t.Errorf("label %d clamped: the samples are within the bound %.4f (TV %.4f) of p(v | y = %d) too; the test cannot see the clamp", y, bound, tv, 1-y)
		}
	}
}

func tvOf(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(math.Exp(a[i]) - math.Exp(b[i]))
	}
	return s / 2
}

// The same for a DBN whose top RBM has no label (v ← h1 ⇄ h2).
func TestAncestralSamplesExactUnlabelled(t *testing.T) {
	l1, top, d := newTinyUnlabelled(t, 5)
	logp := unlabelledExact(l1, top)
	tv, bound := histogramTV(t, d, logp, 20000, nil, 8)
	t.Logf("TV %.4f, bound %.4f", tv, bound)
	if tv > bound {
		t.Errorf("ancestral samples: TV %.4f from the exact p(v) exceeds the bound %.4f", tv, bound)
	}
}

// newTinyUnlabelled returns the DBN v ← h1 ⇄ h2 of tiny1 under tinyrbm,
// its parameters drawn from N(0, 1.5²) with seeds seed and seed+1.
func newTinyUnlabelled(t *testing.T, seed uint64) (*models.Tiny1, *models.TinyRBM, *deep.DBN) {
	t.Helper()
	l1, top := models.ZeroTiny1(), models.ZeroTinyRBM()
	randomize(l1, 1.5, seed)
	randomize(top, 1.5, seed+1)
	d, err := deep.NewDBN(l1.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	return l1, top, d
}

// allVisible holds the 16 configurations of 4 binary pixels, in the order
// of bits.
func allVisible() *dataset.Dataset {
	all := &dataset.Dataset{Rows: 16, Cols: 4}
	for k := range 16 {
		all.X = append(all.X, bits(k, 4)...)
	}
	return all
}

// unlabelledExact returns log p(v) of the DBN v ← h1 ⇄ h2 of l1 under
// top for all 16 v, by enumeration.
func unlabelledExact(l1 *models.Tiny1, top *models.TinyRBM) []float64 {
	logp, _ := unlabelledJoint(l1, top)
	return logp
}

// unlabelledJoint returns log p(v) and log p(v, h1) (index 8·v + h1) of
// the DBN of unlabelledExact.
func unlabelledJoint(l1 *models.Tiny1, top *models.TinyRBM) (logp, joint []float64) {
	logp, joint = make([]float64, 16), make([]float64, 16*8)
	var prior [8]float64 // log p*(h1) = h1·b + Σ_j softplus(c_j + Σ_i h1_i W_ij)
	for k := range prior {
		h1 := bits(k, 3)
		for i, v := range h1 {
			prior[k] += top.B[i] * v
		}
		for _, a := range fieldH(top.W, top.C, h1) {
			prior[k] += runtime.Softplus(a)
		}
	}
	z := runtime.LogSumExp(prior[:])
	for vk := range logp {
		v := bits(vk, 4)
		terms := joint[8*vk : 8*vk+8]
		for k := range terms {
			terms[k] = prior[k] - z + logBernoulli(v, fieldV(l1.W, l1.B, bits(k, 3)))
		}
		logp[vk] = runtime.LogSumExp(terms)
	}
	return logp, joint
}

// The importance-sampling estimate of LowerBound (Importance, log Z of the
// top exact) lies within five of its standard errors of the exact log p(v)
// of a tiny tied DBN for every v, the standard error computed exactly from
// the proposal q(h1 | v) of the first RBM: sd_q(w)/(p(v)·√S). The
// variational bound of the same draws lies below, by KL(q ‖ p(h1 | v)).
func TestLowerBoundImportance(t *testing.T) {
	l1, top, d := newTinyUnlabelled(t, 41)
	all := allVisible()
	z, err := top.Reflect().LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	exactZ := &estimators.Estimate{LogZ: z, Low: z, High: z, Method: "exact"}
	const samples = 1000
	is, err := d.LowerBound(all, exactZ, deep.DBNBoundConfig{Samples: samples, Importance: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	vb, err := d.LowerBound(all, exactZ, deep.DBNBoundConfig{Samples: samples, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	logp, joint := unlabelledJoint(l1, top)
	for k := range 16 {
		v := bits(k, 4)
		a := fieldH(l1.W, l1.C, v)
		m2 := 0.0 // E_q[(w/p(v))²]
		for h := range 8 {
			lq := logBernoulli(bits(h, 3), a)
			m2 += math.Exp(2*(joint[8*k+h]-logp[k]) - lq)
		}
		se := math.Sqrt(max(m2-1, 0) / samples)
		if d := is.PerRow[k] - logp[k]; math.Abs(d) > 5*se+1e-12 {
			t.Errorf("v = %04b: importance estimate %.5f, exact %.5f, off by %.5f > 5 s.e. %.5f", k, is.PerRow[k], logp[k], d, 5*se)
		}
		if vb.PerRow[k] > is.PerRow[k]+1e-12 {
			t.Errorf("v = %04b: variational bound %.5f above the importance estimate %.5f", k, vb.PerRow[k], is.PerRow[k])
		}
	}
	t.Logf("mean over v: importance %.4f, variational %.4f, exact %.4f", is.Value, vb.Value, meanOf(logp))
}

// RAISE through a tiny unlabelled DBN, with tied and with untied recognition
// weights (the generative ones plus N(0, 0.5²)), gives for every v a log-mean weight within the
// noise its effective sample size implies of the exact log p(v): the
// weights are unbiased for p_ann(v), which 1000 temperatures bring within
// a few thousandths of a nat of p(v). The negative control: the exact
// log p(v) of a DBN whose first layer differs by N(0, 0.3²) lies outside
// those tolerances.
func TestDBNRAISE(t *testing.T) {
	if testing.Short() {
		t.Skip("RAISE with 1000 temperatures: in the full suite")
	}
	l1, top, d := newTinyUnlabelled(t, 31)
	all := allVisible()
	logp := unlabelledExact(l1, top)
	wrong := perturbedExact(l1, top)
	const runs = 300
	for _, tied := range []bool{true, false} {
		if !tied {
			r1 := models.ZeroTiny1()
			if err := d.Untie(r1.Reflect()); err != nil {
				t.Fatal(err)
			}
			rng := runtime.NewRNG(33, 0)
			for _, p := range r1.Params() { // Untie copied the generative weights
				for i := range p.Data {
					p.Data[i] += 0.5 * rng.Normal()
				}
			}
		}
		base, err := d.TopBase(all, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.RAISE(all, base, estimators.RAISEConfig{Temperatures: 1000, Runs: runs, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		checkRAISE(t, fmt.Sprintf("tied=%v: RAISE", tied), res, runs, logp, wrong)
	}
}

// checkRAISE checks RAISE's estimate of log p(v) for each of the 16 v
// against the exact logp, within the noise of its runs, and that the
// perturbed DBN's wrong lies outside that tolerance for at least 8 v.
func checkRAISE(t *testing.T, what string, res *estimators.RAISEResult, runs int, logp, wrong []float64) {
	t.Helper()
	caught := 0
	for k := range 16 {
		// The log of a mean of runs weights errs by about its relative
		// standard error √((runs/ESS − 1)/runs).
		tol := 5*math.Sqrt((float64(runs)/res.ESS[k]-1)/float64(runs)) + 0.01
		if d := res.LogP[k] - logp[k]; math.Abs(d) > tol {
			t.Errorf("%s, v = %04b: %.4f, exact %.4f, off by %.4f > %.4f (ESS %.0f)", what, k, res.LogP[k], logp[k], d, tol, res.ESS[k])
		}
		if math.Abs(res.LogP[k]-wrong[k]) > tol {
			caught++
		}
	}
	t.Logf("%s: mean %.4f, exact %.4f; the perturbed DBN's log p(v) lies outside the tolerance for %d of 16 v", what, res.Mean, meanOf(logp), caught)
	if caught < 8 {
		t.Errorf("%s: the perturbed DBN passes for %d of 16 v: the tolerances cannot tell the models apart", what, 16-caught)
	}
}

// perturbedExact is log p(v) of the DBN of unlabelledExact with N(0, 0.3²)
// added to the first layer's weights: the negative control of RAISE's
// tolerances.
func perturbedExact(l1 *models.Tiny1, top *models.TinyRBM) []float64 {
	other := models.ZeroTiny1()
	copy(other.W, l1.W)
	copy(other.B, l1.B)
	copy(other.C, l1.C)
	rng := runtime.NewRNG(5, 0)
	for i := range other.W {
		other.W[i] += 0.3 * rng.Normal()
	}
	return unlabelledExact(other, top)
}

// RAISESwapped, RAISE through the tiny DBN with its 3×2 top annealed over
// the top's 2 hidden units (TinyRBMSwapped, the top with its layers
// swapped) from a base of random fields, gives for every v a log-mean
// weight within the noise of its effective sample size of the exact
// log p(v), as RAISE does, and the perturbed DBN's log p(v) lies outside
// those tolerances. It refuses the top itself and a swapped model whose W
// is not transposed.
func TestDBNRAISESwapped(t *testing.T) {
	if testing.Short() {
		t.Skip("RAISE with 1000 temperatures: in the full suite")
	}
	l1, top, d := newTinyUnlabelled(t, 31)
	all := allVisible()
	logp, wrong := unlabelledExact(l1, top), perturbedExact(l1, top)
	sw := swappedTiny(top)
	base := estimators.Uniform(sw.Reflect())
	rng := runtime.NewRNG(9, 0)
	for u := range base.Field[0] {
		base.Field[0][u] = rng.Normal()
	}
	const runs = 300
	res, err := d.RAISESwapped(all, sw.Reflect(), base, estimators.RAISEConfig{Temperatures: 1000, Runs: runs, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	checkRAISE(t, "RAISE over the top's hidden layer", res, runs, logp, wrong)
	if !strings.Contains(res.Method, "1000 temperatures") || !strings.Contains(res.Method, "300 draws") {
		t.Errorf("method %q does not give the temperatures and the runs", res.Method)
	}
	cfg := estimators.RAISEConfig{Temperatures: 10, Runs: 2, Seed: 7}
	if _, err := d.RAISESwapped(all, top.Reflect(), estimators.Uniform(top.Reflect()), cfg); err == nil {
		t.Error("the top itself as its swapped model: no error")
	}
	flat := models.ZeroTinyRBMSwapped()
	copy(flat.W, top.W) // the right shape, not transposed
	copy(flat.B, top.C)
	copy(flat.C, top.B)
	if _, err := d.RAISESwapped(all, flat.Reflect(), base, cfg); err == nil || !strings.Contains(err.Error(), "swapped") {
		t.Errorf("a swapped model with W not transposed: %v, want a refusal", err)
	}
}

// swappedTiny returns TinyRBM top with its layers swapped.
func swappedTiny(top *models.TinyRBM) *models.TinyRBMSwapped {
	sw := models.ZeroTinyRBMSwapped()
	for i := range 3 {
		for j := range 2 {
			sw.W[j*3+i] = top.W[i*2+j]
		}
	}
	copy(sw.B, top.C)
	copy(sw.C, top.B)
	return sw
}

// SwappedTopBase's fields are the smoothed log-odds of E[h₂ | h₁] over the
// rows, h₁ the recognition means of each v, written out here in loops;
// the control, the base over h₁ (TopBase), differs. A top with a label
// layer and a model that is not the swapped top are refused.
func TestSwappedTopBase(t *testing.T) {
	l1, top, d := newTinyUnlabelled(t, 31)
	all := allVisible()
	sw := swappedTiny(top)
	base, err := d.SwappedTopBase(all, sw.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	sig := func(a float64) float64 { return 1 / (1 + math.Exp(-a)) }
	mean := make([]float64, 2)
	for k := range 16 {
		v := bits(k, 4)
		h1 := make([]float64, 3)
		for j := range 3 {
			a := l1.C[j]
			for i := range 4 {
				a += v[i] * l1.W[i*3+j]
			}
			h1[j] = sig(a)
		}
		for j := range 2 {
			a := top.C[j]
			for i := range 3 {
				a += h1[i] * top.W[i*2+j]
			}
			mean[j] += sig(a)
		}
	}
	got := base.Field[0]
	for j := range 2 {
		p := (mean[j] + 0.8) / (16 + 1.6) // pseudo-count 16/20
		if want := math.Log(p / (1 - p)); math.Abs(got[j]-want) > 1e-12 {
			t.Errorf("field of h2[%d] %.15f, want %.15f", j, got[j], want)
		}
	}
	other, err := d.TopBase(all, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(other.Field[0][0]-got[0]) < 1e-6 && math.Abs(other.Field[0][1]-got[1]) < 1e-6 {
		t.Error("control: the base over h1 has the same fields as the base over h2")
	}
	if _, err := d.SwappedTopBase(all, top.Reflect()); err == nil {
		t.Error("the top itself as its swapped model: no error")
	}
	if _, err := newTinyDBN(t, 1, 3).dbn.SwappedTopBase(all, sw.Reflect()); err == nil {
		t.Error("a top with a label layer: no error")
	}
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// The wake and sleep gradients (GenerativeGrad, RecognitionGrad) match
// central finite differences of Σ log p(h_k | h_{k+1}) and
// Σ log q(h_{k+1} | h_k) over a batch of random states, for every parameter
// of both lower layers of an untied tiny DBN. Central differences with step
// ε = 1e-5 err by O(ε²) times the third derivative, far below the 1e-7
// tolerance; a gradient with a wrong sign or a missing expectation term is
// off by O(1).
func TestWakeSleepGradients(t *testing.T) {
	n := newTinyDBN(t, 1, 11)
	n.untie(t, 0.5)
	const chains, eps = 7, 1e-5
	for k := 0; k < 2; k++ {
		for _, rec := range []bool{false, true} {
			m := n.dbn.Generative(k)
			logf, grad := n.dbn.LogGenerative, n.dbn.GenerativeGrad
			if rec {
				m = n.dbn.Recognition(k)
				logf, grad = n.dbn.LogRecognition, n.dbn.RecognitionGrad
			}
			x := m.NewChains(chains, uint64(20+k)) // uniformly random binary states
			sum := func() float64 {
				dst := make([]float64, chains)
				if err := logf(k, x, dst); err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for _, v := range dst {
					s += v
				}
				return s
			}
			var g []runtime.Tensor
			for _, p := range m.Params() {
				g = append(g, runtime.Tensor{Name: p.Name, Shape: p.Shape, Data: make([]float64, len(p.Data))})
			}
			if err := grad(k, x, 1, g); err != nil {
				t.Fatal(err)
			}
			worst, nonzero := 0.0, 0
			for i, p := range m.Params() {
				for j := range p.Data {
					old := p.Data[j]
					p.Data[j] = old + eps
					up := sum()
					p.Data[j] = old - eps
					down := sum()
					p.Data[j] = old
					fd := (up - down) / (2 * eps)
					if math.Abs(fd) > 1e-3 {
						nonzero++
					}
					if e := math.Abs(g[i].Data[j] - fd); e > worst {
						worst = e
					}
					if e := math.Abs(g[i].Data[j] - fd); e > 1e-7*(1+math.Abs(fd)) {
						t.Errorf("layer %d recognition=%v: ∂/∂%s[%d] = %.9g, finite differences %.9g", k, rec, p.Name, j, g[i].Data[j], fd)
					}
				}
			}
			t.Logf("layer %d recognition=%v: worst |gradient − finite difference| %.2g, %d nonzero", k, rec, worst, nonzero)
			if nonzero == 0 {
				t.Errorf("layer %d recognition=%v: every finite difference vanished; the test is vacuous", k, rec)
			}
		}
	}
	// The generative hidden biases c do not enter p(v | h), the recognition
	// visible biases b do not enter q(h | v): their gradients must vanish,
	// which the finite differences above confirmed element by element.
}

// exactBound returns, for one v of the tiny labelled DBN, the variational
// bound E_q[log p(v, h1, h2) − log q(h1, h2 | v)] (log Z of the top exact),
// and the variance of the term under q, both by enumeration.
func (n *tinyDBN) exactBound(v []float64, logZ float64) (bound, variance float64) {
	r1, r2 := n.l1, n.l2
	if n.r1 != nil {
		r1, r2 = n.r1, n.r2
	}
	var terms, weights []float64
	for k1 := 0; k1 < 8; k1++ {
		h1 := bits(k1, 3)
		lq1 := logBernoulli(h1, fieldH(r1.W, r1.C, v))
		for k2 := 0; k2 < 8; k2++ {
			h2 := bits(k2, 3)
			lq := lq1 + logBernoulli(h2, fieldH(r2.W, r2.C, h1))
			lp := runtime.LogAddExp(topLogJoint(n.top, h2, 0), topLogJoint(n.top, h2, 1)) - logZ +
				logBernoulli(h1, fieldV(n.l2.W, n.l2.B, h2)) + logBernoulli(v, fieldV(n.l1.W, n.l1.B, h1))
			terms = append(terms, lp-lq)
			weights = append(weights, math.Exp(lq))
		}
	}
	for i, w := range weights {
		bound += w * terms[i]
	}
	for i, w := range weights {
		variance += w * (terms[i] - bound) * (terms[i] - bound)
	}
	return bound, variance
}

// The estimated lower bound of a greedily trained tiny DBN, with log Z of
// the top model from AIS, agrees with the bound computed by enumeration
// (within 5 standard errors derived from its exact variance and AIS's
// interval), and that bound is below the exact log p(v) of every
// configuration, by KL(q ‖ p(h | v)). Tied weights (after greedy training)
// and untied ones are both checked.
func TestLowerBound(t *testing.T) {
	n := newTinyDBN(t, 0.1, 21)
	data, labels := tinyData(2000, 5)
	fc := training.FitConfig{Epochs: 30, BatchSize: 20, Shuffle: true, Seed: 1}
	cd := runtime.CDConfig{K: 1, BatchSize: 20, Seed: 2, Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.5}}
	if _, err := n.dbn.Pretrain(context.Background(), data, labels, deep.DBNPretrainConfig{Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc}}}); err != nil {
		t.Fatal(err)
	}
	exactZ, err := n.top.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	ais, err := estimators.AIS(n.top.Reflect(), estimators.Uniform(n.top.Reflect()), estimators.AISConfig{Temperatures: 1000, Runs: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("log Z of the top: exact %.5f, AIS %.5f [%.5f, %.5f]", exactZ, ais.LogZ, ais.Low, ais.High)
	if exactZ < ais.Low || exactZ > ais.High {
		t.Fatalf("AIS interval [%.5f, %.5f] misses the exact log Z %.5f", ais.Low, ais.High, exactZ)
	}
	all := allVisible()
	logp := n.exact(-1)
	for _, tied := range []bool{true, false} {
		if !tied {
			n.untie(t, 0.3)
		}
		const samples = 4000
		b, err := n.dbn.LowerBound(all, ais, deep.DBNBoundConfig{Samples: samples, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		gap := 0.0
		for k := 0; k < 16; k++ {
			want, variance := n.exactBound(bits(k, 4), exactZ)
			if want > logp[k]+1e-12 {
				t.Errorf("v = %04b: the exact bound %.6f exceeds log p(v) = %.6f", k, want, logp[k])
			}
			tol := 5*math.Sqrt(variance/samples) + (ais.High - ais.Low)
			if got := b.PerRow[k]; math.Abs(got-want) > tol {
				t.Errorf("tied=%v v = %04b: estimated bound %.5f, exact %.5f (tolerance %.5f)", tied, k, got, want, tol)
			}
			gap += (logp[k] - want) * math.Exp(logp[k])
		}
		t.Logf("tied=%v: mean bound over the 16 configurations %.4f ± %.4f; E_p[log p(v) − bound] = %.4f nats", tied, b.Value, b.StdErr, gap)
		if tied && gap > 0.5 {
			t.Errorf("the bound of the trained, tied DBN is %.3f nats below log p(v) on average; expected a fraction of a nat", gap)
		}
	}
}

// tinyData draws n rows of 4 pixels with labels: class 0 turns the left
// pair on, class 1 the right pair, each pixel then flipped with probability
// 0.1.
func tinyData(n int, seed uint64) (*dataset.Dataset, []int) {
	rng := runtime.NewRNG(seed, 0)
	d := &dataset.Dataset{Rows: n, Cols: 4, X: make([]float64, 4*n)}
	labels := make([]int, n)
	for r := range n {
		y := r % 2
		labels[r] = y
		for i := 0; i < 4; i++ {
			on := (i < 2) == (y == 0)
			if on {
				d.X[4*r+i] = 1
			}
			if rng.Float64() < 0.1 {
				d.X[4*r+i] = 1 - d.X[4*r+i]
			}
		}
	}
	return d, labels
}

// NewDBN and Untie reject what cannot be stacked, naming models and sizes.
func TestNewDBNErrors(t *testing.T) {
	cases := []struct {
		name   string
		layers []runtime.Reflective
		want   []string
	}{
		{"size mismatch", []runtime.Reflective{models.ZeroTiny1().Reflect(), models.ZeroTiny1().Reflect()},
			[]string{"model 0 (RBM) has 3 hidden units (h)", "model 1 (RBM) has 4 units in its visible layer v"}},
		{"mismatch below the top", []runtime.Reflective{models.ZeroTiny1().Reflect(), models.ZeroTinyTop().Reflect(), models.ZeroTinyTop().Reflect()},
			[]string{"model 1 (TopRBM)", "2 visible layers", "only the top model may have a label"}},
		{"top of another size", []runtime.Reflective{models.ZeroTinyRBM().Reflect(), models.ZeroTinyTop().Reflect()},
			[]string{"model 0 (RBM) has 2 hidden units (h)", "model 1 (TopRBM) has 3 units in its visible layer v"}},
		{"two hidden layers", []runtime.Reflective{models.ZeroTiny1().Reflect(), models.ZeroTinyDBM().Reflect()},
			[]string{"model 1 (DBM)", "hidden layers", "exactly one"}},
		{"one model", []runtime.Reflective{models.ZeroTiny1().Reflect()}, []string{"at least two"}},
		{"nil", []runtime.Reflective{models.ZeroTiny1().Reflect(), nil}, []string{"model 1 is nil"}},
	}
	for _, c := range cases {
		_, err := deep.NewDBN(c.layers...)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
	n := newTinyDBN(t, 1, 1)
	for _, c := range []struct {
		name string
		rec  []runtime.Reflective
		want string
	}{
		{"count", []runtime.Reflective{models.ZeroTiny1().Reflect()}, "1 recognition models for 2 lower layers"},
		{"same instance", []runtime.Reflective{n.l1.Reflect(), models.ZeroTiny2().Reflect()}, "is the generative model itself"},
		{"other model", []runtime.Reflective{models.ZeroTiny1().Reflect(), models.ZeroTinyTop().Reflect()}, "recognition model 1 is TopRBM, the generative model is RBM"},
		{"other size", []runtime.Reflective{models.ZeroTiny1().Reflect(), models.ZeroTiny1().Reflect()}, "parameter 0 is W with 12 values, want W with 9"},
	} {
		if err := n.dbn.Untie(c.rec...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("untie, %s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	if !n.dbn.Tied() {
		t.Error("a failed Untie untied the DBN")
	}
	if _, err := n.dbn.UpDown(deep.DBNUpDownConfig{Optimizer: runtime.SGD{LearningRate: 0.1}}); err == nil {
		t.Error("up-down on a tied DBN succeeded")
	}
	if _, err := n.dbn.Sample(3, deep.DBNSampleConfig{Labels: []int{0, 1}}); err == nil {
		t.Error("sampling 3 chains with 2 labels succeeded")
	}
	if _, err := n.dbn.Sample(2, deep.DBNSampleConfig{Labels: []int{0, 2}}); err == nil {
		t.Error("sampling with label 2 of 2 classes succeeded")
	}
	d, _ := tinyData(10, 1)
	if _, err := n.dbn.Pretrain(context.Background(), d, nil, deep.DBNPretrainConfig{Layers: []deep.DBNLayerTraining{{}}}); err == nil || !strings.Contains(err.Error(), "0 labels for 10 rows") {
		t.Errorf("pretraining a labelled DBN without labels: %v", err)
	}
	one := &dataset.Dataset{Rows: 1, Cols: 4, X: []float64{1, 0, 1, 1}} // fewer rows than classes
	if _, err := n.dbn.LowerBound(one, &estimators.Estimate{LogZ: 1}, deep.DBNBoundConfig{Samples: 1}); err != nil {
		t.Errorf("bound of one row: %v", err)
	}
	if p, err := n.dbn.ClassProbs(one); err != nil || len(p) != 2 {
		t.Errorf("classifying one row: %v, %v", p, err)
	}
	if _, err := n.dbn.LowerBound(one, nil, deep.DBNBoundConfig{}); err == nil {
		t.Error("a bound without log Z succeeded")
	}
	if _, err := n.dbn.Propagate(&dataset.Dataset{Rows: 1, Cols: 3, X: make([]float64, 3)}, 1, false, 0); err == nil {
		t.Error("propagating rows of the wrong width succeeded")
	}
	if err := n.dbn.LogGenerative(2, n.top.Reflect().NewChains(1, 1), make([]float64, 1)); err == nil {
		t.Error("log p of the top layer as a directed layer succeeded")
	}
	if err := n.dbn.LogGenerative(0, n.l2.Reflect().NewChains(1, 1), make([]float64, 1)); err == nil {
		t.Error("log p of layer 0 on chains of layer 1 succeeded")
	}
}

// TopData maps rows up by the recognition means, μ_1 = σ(c₁ + vW₁),
// μ_2 = σ(c₂ + μ_1W₂) with the untied recognition parameters, and appends
// the one-hot labels; the top RBM classifies those features exactly as
// DBN.ClassProbs does. Without a label layer it is Propagate; bad labels are
// errors.
func TestTopData(t *testing.T) {
	n := newTinyDBN(t, 1.5, 11)
	n.untie(t, 0.5)
	data, labels := tinyData(12, 3)
	rows, err := n.dbn.TopData(data, labels)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Rows != data.Rows || rows.Cols != 3+2 {
		t.Fatalf("TopData is %d×%d, want %d×5", rows.Rows, rows.Cols, data.Rows)
	}
	sigmoid := func(a []float64) []float64 {
		for i := range a {
			a[i] = runtime.Sigmoid(a[i])
		}
		return a
	}
	for r := range data.Rows {
		mu := sigmoid(fieldH(n.r2.W, n.r2.C, sigmoid(fieldH(n.r1.W, n.r1.C, data.Row(r)))))
		want := append(mu, 0, 0)
		want[3+labels[r]] = 1
		for i, w := range want {
			if got := rows.Row(r)[i]; math.Abs(got-w) > 1e-12 {
				t.Fatalf("row %d column %d: %.15g, want %.15g", r, i, got, w)
			}
		}
	}
	feats := &dataset.Dataset{Rows: rows.Rows, Cols: 3}
	for r := range rows.Rows {
		feats.X = append(feats.X, rows.Row(r)[:3]...)
	}
	want, err := n.dbn.ClassProbs(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := estimators.ClassProbs(n.top.Reflect(), "y", feats)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("p(y | v)[%d]: %.15g on TopData's features, %.15g by DBN.ClassProbs", i, got[i], want[i])
		}
	}
	for _, c := range []struct {
		labels []int
		want   string
	}{
		{nil, "0 labels for 12 rows"},
		{append(make([]int, 11), 2), "label 2 of row 11 is outside 0…1"},
	} {
		if _, err := n.dbn.TopData(data, c.labels); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TopData with labels %v: %v, want an error containing %q", c.labels, err, c.want)
		}
	}
	l1, top := models.ZeroTiny1(), models.ZeroTinyRBM()
	randomize(l1, 1.5, 5)
	d, err := deep.NewDBN(l1.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.TopData(data, labels); err == nil || !strings.Contains(err.Error(), "no label layer") {
		t.Errorf("TopData with labels for an unlabelled DBN: %v", err)
	}
	rows, err = d.TopData(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	up, err := d.Propagate(data, 1, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows.X, up.X) || rows.Cols != up.Cols {
		t.Errorf("TopData of an unlabelled DBN differs from Propagate")
	}
}

// backpropBatch returns rows random binary images of the tiny DBN with
// random one-hot labels appended, as DBN.WithLabels builds them, and the
// images and labels alone.
func backpropBatch(rows int, seed uint64) (batch []float64, images *dataset.Dataset, labels []int) {
	rng := runtime.NewRNG(seed, 5)
	images = &dataset.Dataset{Rows: rows, Cols: 4, X: make([]float64, rows*4)}
	for i := range images.X {
		images.X[i] = rng.Bernoulli(0.5)
	}
	for range rows {
		labels = append(labels, rng.Intn(2))
	}
	for r := range rows {
		batch = append(batch, images.Row(r)...)
		y := []float64{0, 0}
		y[labels[r]] = 1
		batch = append(batch, y...)
	}
	return batch, images, labels
}

// The backpropagation trainer's step on the tiny labelled DBN moves every
// parameter by −η ∂L/∂θ, where L = −(1/n) Σ log p(y | v) is computed
// independently by DBN.ClassProbs and differentiated by finite differences:
// the recognition weights of both lower layers (tied, and untied with the
// generative ones left alone) and the top model's parameters.
func TestBackpropGradient(t *testing.T) {
	const rows, eta, eps = 6, 1e-8, 1e-5
	for _, untied := range []bool{false, true} {
		n := newTinyDBN(t, 1, 31)
		if untied {
			n.untie(t, 0.5)
		}
		batch, images, labels := backpropBatch(rows, 7)
		loss := func() float64 {
			probs, err := n.dbn.ClassProbs(images)
			if err != nil {
				t.Fatal(err)
			}
			s := 0.0
			for r, y := range labels {
				s -= math.Log(probs[r*2+y])
			}
			return s / rows
		}
		tr, err := n.dbn.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: eta}})
		if err != nil {
			t.Fatal(err)
		}
		var fd [][]float64
		nonzero := 0
		for _, p := range tr.Params() {
			g := make([]float64, len(p.Data))
			for j := range p.Data {
				old := p.Data[j]
				p.Data[j] = old + eps
				up := loss()
				p.Data[j] = old - eps
				down := loss()
				p.Data[j] = old
				g[j] = (up - down) / (2 * eps)
				if math.Abs(g[j]) > 1e-3 {
					nonzero++
				}
			}
			fd = append(fd, g)
		}
		var before [][]float64
		for _, p := range tr.Params() {
			before = append(before, slices.Clone(p.Data))
		}
		var generative [][]float64
		for k := range 2 {
			generative = append(generative, slices.Clone(n.dbn.Generative(k).Params()[0].Data))
		}
		want := loss() * rows
		got := tr.TrainStep(batch, rows, 0)
		if math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
			t.Errorf("untied=%v: TrainStep returned Σ −log p(y|v) = %.12g, ClassProbs gives %.12g", untied, got, want)
		}
		worst := 0.0
		for i, p := range tr.Params() {
			for j := range p.Data {
				g := (before[i][j] - p.Data[j]) / eta
				e := math.Abs(g - fd[i][j])
				worst = max(worst, e)
				if e > 1e-6*(1+math.Abs(fd[i][j])) {
					t.Errorf("untied=%v: ∂L/∂%s[%d] = %.9g, finite differences %.9g", untied, p.Name, j, g, fd[i][j])
				}
			}
		}
		t.Logf("untied=%v: %d parameters, %d nonzero finite differences, worst |gradient − finite difference| %.2g", untied, len(tr.Params()), nonzero, worst)
		if nonzero < 10 {
			t.Errorf("untied=%v: only %d finite differences are nonzero; the test is nearly vacuous", untied, nonzero)
		}
		for k := range 2 {
			same := slices.Equal(generative[k], n.dbn.Generative(k).Params()[0].Data)
			if untied != same {
				t.Errorf("untied=%v: generative weights of layer %d unchanged = %v", untied, k, same)
			}
		}
	}
}

// A backpropagation step allocates nothing once the trainer has seen the
// batch size.
func TestBackpropAllocs(t *testing.T) {
	n := newTinyDBN(t, 1, 32)
	batch, _, _ := backpropBatch(8, 9)
	tr, err := n.dbn.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	tr.TrainStep(batch, 8, 0)
	if a := testing.AllocsPerRun(20, func() { tr.TrainStep(batch, 8, 0) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}

// An up-down step allocates nothing once the trainer has seen the batch
// size (the chains' layers are looked up once, not per step).
func TestUpDownAllocs(t *testing.T) {
	n := newTinyDBN(t, 1, 34)
	n.untie(t, 0.5)
	batch, _, _ := backpropBatch(8, 10)
	tr, err := n.dbn.UpDown(deep.DBNUpDownConfig{K: 2, MeanVisible: true, Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	tr.TrainStep(batch, 8, 0)
	if a := testing.AllocsPerRun(20, func() { tr.TrainStep(batch, 8, 0) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}

// Both fine-tuning steps allocate nothing at the sizes of examples/dbn
// either (100 rows, products split between threads, the backpropagation's
// per-row loop on the workspace), after two warm-up steps.
func TestFineTuningAllocsExampleSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of 784-500-2000 steps")
	}
	d, bin := exampleDBN(t, 100, false)
	ud, err := d.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	_, grey := exampleDBN(t, 100, true)
	bp, err := d.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	type trainerCase struct {
		name  string
		tr    runtime.Trainer
		batch []float64
	}
	cases := []trainerCase{{"up-down", ud, bin}, {"backprop", bp, grey}}
	if runtime.HasFloat32() {
		d32, _ := exampleDBN(t, 100, false)
		ud32, err := d32.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Float32: true, Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.5}})
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, trainerCase{"up-down float32", ud32, bin})
	}
	for _, c := range cases {
		c.tr.TrainStep(c.batch, 100, 0)
		c.tr.TrainStep(c.batch, 100, 0)
		if a := testing.AllocsPerRun(3, func() { c.tr.TrainStep(c.batch, 100, 0) }); a != 0 {
			t.Errorf("%s: %v allocations per step", c.name, a)
		}
	}
}

// With Float32 an up-down step of examples/dbn's DBN runs its products in
// float32 and lands where float64's lands: the parameters' change from one
// step differs from float64's by float32 rounding (and the few Bernoulli
// draws it flips), far less than the change itself. Negative control: the
// two must not be the same bits, or Float32 ran nothing in float32.
func TestUpDownFloat32(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of 784-500-2000 steps")
	}
	if !runtime.HasFloat32() {
		if _, err := (&deep.DBN{}).UpDown(deep.DBNUpDownConfig{Float32: true}); err == nil {
			t.Error("Float32 without the kernels: no error")
		}
		t.Skip("no float32 kernels on this CPU")
	}
	step := func(f32 bool) (before, after []float64) {
		d, batch := exampleDBN(t, 100, false)
		tr, err := d.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Seed: 4, Float32: f32,
			Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.5, WeightDecay: 0.0002}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range tr.Params() {
			before = append(before, p.Data...)
		}
		tr.TrainStep(batch, 100, 0)
		if tr.Float32Active() != f32 {
			t.Fatalf("Float32 %v: Float32Active %v", f32, tr.Float32Active())
		}
		for _, p := range tr.Params() {
			after = append(after, p.Data...)
		}
		return before, after
	}
	p0, p64 := step(false)
	_, p32 := step(true)
	checkFloat32Step(t, p0, p64, p32)
}

// Backprop refuses a DBN without a label layer, a learning rate that is not
// positive and finite, and rates for parameters it does not train; a batch
// shorter than its rows is a NaN loss, which Fit reports as divergence.
func TestBackpropRefusals(t *testing.T) {
	l1, top := models.ZeroTiny1(), models.ZeroTinyRBM()
	unlabelled, err := deep.NewDBN(l1.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	sgd := runtime.SGD{LearningRate: 0.01}
	n := newTinyDBN(t, 1, 33)
	for _, c := range []struct {
		d    *deep.DBN
		cfg  deep.DBNBackpropConfig
		want string
	}{
		{unlabelled, deep.DBNBackpropConfig{Optimizer: sgd}, "no label layer"},
		{n.dbn, deep.DBNBackpropConfig{}, "learning rate 0 is not positive"},
		{n.dbn, deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: math.Inf(1)}}, "not positive and finite"},
		{n.dbn, deep.DBNBackpropConfig{Optimizer: sgd, Rates: map[string]float64{"top.nope": 2}}, `"top.nope", which is not a trained parameter`},
		{n.dbn, deep.DBNBackpropConfig{Optimizer: sgd, Rates: map[string]float64{"top.W": -1}}, "not finite and ≥ 0"},
	} {
		if _, err := c.d.Backprop(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Backprop(%+v): %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	tr, err := n.dbn.Backprop(deep.DBNBackpropConfig{Optimizer: sgd})
	if err != nil {
		t.Fatal(err)
	}
	batch, _, _ := backpropBatch(4, 3)
	if loss := tr.TrainStep(batch[:len(batch)-1], 4, 0); !math.IsNaN(loss) {
		t.Errorf("a short batch gives loss %v, want NaN", loss)
	}
}

// Pretrain calls each layer's Init with its model and the rows it is
// about to fit — the images for the bottom model, their recognition means
// for the next — before training, and stops on Init's error.
func TestPretrainInit(t *testing.T) {
	l1, top := models.ZeroTiny1(), models.ZeroTinyRBM()
	d, err := deep.NewDBN(l1.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := tinyData(200, 3)
	var seen []string
	init := func(m runtime.Reflective, rows dataset.Source) error {
		r, c := rows.Shape()
		seen = append(seen, fmt.Sprintf("%s %d×%d", m.ModelName(), r, c))
		base, err := estimators.BaseRate(m, rows, 1)
		if err != nil {
			return err
		}
		_, err = base.SetBiases(m)
		return err
	}
	fc := training.FitConfig{Epochs: 1, BatchSize: 20, Seed: 1}
	cd := runtime.CDConfig{K: 1, BatchSize: 20, Seed: 2, Optimizer: runtime.SGD{LearningRate: 0.01}}
	if _, err := d.Pretrain(context.Background(), data, nil, deep.DBNPretrainConfig{
		Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc, Init: init}}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"RBM 200×4", "RBM 200×3"}; !slices.Equal(seen, want) {
		t.Errorf("Init saw %v, want %v", seen, want)
	}
	if l1.B[0] == 0 || top.B[0] == 0 {
		t.Errorf("visible biases not set: %v, %v", l1.B, top.B)
	}
	fail := func(runtime.Reflective, dataset.Source) error { return errors.New("no") }
	_, err = d.Pretrain(context.Background(), data, nil, deep.DBNPretrainConfig{
		Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc, Init: fail}}})
	if err == nil || !strings.Contains(err.Error(), "init: no") {
		t.Errorf("Pretrain with a failing Init: %v", err)
	}
}

// upDownBoundChange greedily trains the tiny labelled DBN on train, unties
// it, fine-tunes it by up-down on tuneOn (with train's labels) and returns
// the per-row change of the exact variational bound on train's images
// (every expectation over q enumerated, log Z of the top model exact):
// the bound after minus the bound before up-down.
func upDownBoundChange(t *testing.T, train, tuneOn *dataset.Dataset, labels []int) []float64 {
	t.Helper()
	n := newTinyDBN(t, 0.1, 21)
	cd := runtime.CDConfig{K: 1, BatchSize: 20, MeanVisible: true, Seed: 22, Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.5}}
	fc := training.FitConfig{Epochs: 10, BatchSize: 20, Shuffle: true, Seed: 23}
	if _, err := n.dbn.Pretrain(context.Background(), train, labels, deep.DBNPretrainConfig{Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc}}}); err != nil {
		t.Fatal(err)
	}
	n.untie(t, 0)
	bounds := func() []float64 {
		logZ, err := n.top.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, train.Rows)
		for r := range out {
			out[r], _ = n.exactBound(train.Row(r), logZ)
		}
		return out
	}
	before := bounds()
	ud, err := n.dbn.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Seed: 24, Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := n.dbn.WithLabels(tuneOn, labels)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Fit(context.Background(), ud, rows, training.FitConfig{Epochs: 20, BatchSize: 20, Shuffle: true, Seed: 25}); err != nil {
		t.Fatal(err)
	}
	after := bounds()
	for r := range after {
		after[r] -= before[r]
	}
	return after
}

// Up-down fine-tuning of a greedily trained tiny DBN raises its variational
// bound on the training images, computed exactly by enumeration: the mean
// per-row change exceeds 3 of its standard errors (over the 400 rows). The
// negative control fine-tunes on images of uniformly random pixels instead,
// with the same labels; the same check on the training images must then
// fail, which shows that it can.
func TestUpDownRaisesExactBound(t *testing.T) {
	train, labels := tinyData(400, 26)
	m, se := meanSE(upDownBoundChange(t, train, train, labels))
	t.Logf("up-down on the data: bound changes by %.4f ± %.4f nats per image", m, se)
	if !(m > 3*se) {
		t.Errorf("up-down changed the exact bound by %.4f ± %.4f nats; want an improvement beyond 3 standard errors", m, se)
	}
	noise := &dataset.Dataset{Rows: train.Rows, Cols: train.Cols, X: make([]float64, len(train.X))}
	rng := runtime.NewRNG(27, 0)
	for i := range noise.X {
		if rng.Float64() < 0.5 {
			noise.X[i] = 1
		}
	}
	m, se = meanSE(upDownBoundChange(t, train, noise, labels))
	t.Logf("negative control, up-down on random images: bound on the data changes by %.4f ± %.4f nats per image", m, se)
	if m > 3*se {
		t.Errorf("up-down on random images raised the bound on the data by %.4f ± %.4f: the check cannot fail", m, se)
	}
}

// meanSE returns the mean of x and its standard error sd/√n.
func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		se += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(se / float64(len(x)-1) / float64(len(x)))
}

// The DBN reads any dataset.Source: greedy training, the lower bound, the
// class probabilities and the top model's rows are the same, bit for bit,
// from the images as float64 (Dataset) and as bits (BitDataset), and
// TopSource gathers, in any order, the rows TopData holds, up to rounding
// (1e-14: the generated products sum a batch of another length in another
// order, which moves the last bit or two of a mean). The negative control
// trains on the bits with one pixel flipped: the parameters must then
// differ.
func TestDBNSources(t *testing.T) {
	dense, labels := tinyData(200, 31)
	run := func(data dataset.Source) (params []float64, bound *deep.DBNBound, probs []float64, top *dataset.Dataset, n *tinyDBN) {
		n = newTinyDBN(t, 0.1, 32)
		cd := runtime.CDConfig{K: 1, BatchSize: 20, Seed: 33, Optimizer: runtime.SGD{LearningRate: 0.1}}
		fc := training.FitConfig{Epochs: 3, BatchSize: 20, Shuffle: true, Seed: 34}
		if _, err := n.dbn.Pretrain(context.Background(), data, labels, deep.DBNPretrainConfig{Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc}}}); err != nil {
			t.Fatal(err)
		}
		for _, m := range []runtime.Model{n.l1, n.l2, n.top} {
			for _, p := range m.Params() {
				params = append(params, p.Data...)
			}
		}
		var err error
		if bound, err = n.dbn.LowerBound(data, &estimators.Estimate{LogZ: 1}, deep.DBNBoundConfig{Samples: 2, Seed: 35}); err != nil {
			t.Fatal(err)
		}
		if probs, err = n.dbn.ClassProbs(data); err != nil {
			t.Fatal(err)
		}
		if top, err = n.dbn.TopData(data, labels); err != nil {
			t.Fatal(err)
		}
		return params, bound, probs, top, n
	}
	bits := dataset.Binarized(dense, 0.5)
	p1, b1, c1, top1, _ := run(dense)
	p2, b2, c2, top2, n := run(bits)
	if !slices.Equal(p1, p2) || !slices.Equal(b1.PerRow, b2.PerRow) || !slices.Equal(c1, c2) || !slices.Equal(top1.X, top2.X) {
		t.Errorf("training and evaluation differ between the Dataset and the BitDataset of the same images")
	}
	src, err := n.dbn.TopSource(bits, labels)
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{199, 0, 57, 57, 3}
	got := make([]float64, len(idx)*top2.Cols)
	src.Gather(got, idx)
	for k, i := range idx {
		row := got[k*top2.Cols : (k+1)*top2.Cols]
		for j, v := range row {
			if math.Abs(v-top2.Row(i)[j]) > 1e-14 {
				t.Errorf("TopSource row %d = %v, TopData's %v", i, row, top2.Row(i))
				break
			}
		}
	}
	if r, c := src.Shape(); r != top2.Rows || c != top2.Cols {
		t.Errorf("TopSource shape %d×%d, TopData %d×%d", r, c, top2.Rows, top2.Cols)
	}
	flipped := &dataset.Dataset{Rows: dense.Rows, Cols: dense.Cols, X: slices.Clone(dense.X)}
	flipped.X[5] = 1 - flipped.X[5]
	if p3, _, _, _, _ := run(dataset.Binarized(flipped, 0.5)); slices.Equal(p1, p3) {
		t.Error("negative control: training on other images gave the same parameters")
	}
}
