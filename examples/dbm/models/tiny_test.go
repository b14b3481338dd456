package models_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/dbm/internal/exact"
	"github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/verify"
)

// randomDBM returns the tiny DBM with every parameter drawn from N(0, sd²).
func randomDBM(seed uint64, sd float64) *models.Tiny {
	m := models.ZeroTiny()
	rng := runtime.NewRNG(seed, 0)
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = sd * rng.Normal()
		}
	}
	return m
}

// sampleTV runs n chains of the two-block Gibbs sampler at inverse
// temperature beta for sweeps sweeps from random starts and returns the
// total-variation distance of their final states from the exact joint.
func sampleTV(t *testing.T, m *models.Tiny, j *exact.Joint, n, sweeps int, beta float64) float64 {
	t.Helper()
	x := models.NewTinyChains(n, 7)
	for s := 0; s < sweeps; s++ {
		m.Sweep(x, beta)
	}
	counts := make([]float64, len(j.LogP))
	for c := 0; c < n; c++ {
		k, ok := j.Index(x, c)
		if !ok {
			t.Fatalf("chain %d ended in an invalid state", c)
		}
		counts[k]++
	}
	tv := 0.0
	for k, lp := range j.LogP {
		tv += math.Abs(counts[k]/float64(n) - math.Exp(lp))
	}
	return tv / 2
}

// The generated two-block Gibbs sampler ({h1}, then {v, h2}) leaves the
// joint distribution invariant: the final states of independent chains
// are within the total-variation bound that verify derives from the
// sample size (exceeded with probability below 10⁻⁶). A sampler at the
// wrong temperature must fail the same bound, so the test has power.
func TestDBMGibbsMatchesExactJoint(t *testing.T) {
	m := randomDBM(1, 1)
	j, err := exact.Enumerate(m.Reflect(), 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	const n, sweeps = 40000, 50
	bound := verify.TVBound(j.P(), n)
	tv := sampleTV(t, m, j, n, sweeps, 1)
	t.Logf("TV %.4f, bound %.4f (%d chains × %d sweeps, %d states)", tv, bound, n, sweeps, len(j.LogP))
	if tv > bound {
		t.Errorf("Gibbs samples are %.4f from the exact joint in total variation; the bound is %.4f", tv, bound)
	}
	if wrong := sampleTV(t, m, j, n, sweeps, 0.7); wrong <= bound {
		t.Errorf("sampling at β = 0.7 gave TV %.4f, within the bound %.4f: the test cannot tell samplers apart", wrong, bound)
	} else {
		t.Logf("negative control (β = 0.7): TV %.4f", wrong)
	}
}

// The generated LogZ agrees with the enumeration of all 2⁹ configurations.
func TestDBMExactLogZ(t *testing.T) {
	m := randomDBM(2, 1)
	j, err := exact.Enumerate(m.Reflect(), 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	z, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(z-j.LogZ) > 1e-9*math.Abs(z) {
		t.Fatalf("generated log Z %.12f, enumeration %.12f", z, j.LogZ)
	}
}

// allVisible returns every configuration of the visible layer.
func allVisible() *dataset.Dataset {
	d := &dataset.Dataset{Rows: 1 << models.TinyNV, Cols: models.TinyNV}
	for k := 0; k < d.Rows; k++ {
		for i := 0; i < models.TinyNV; i++ {
			d.X = append(d.X, float64(k>>i&1))
		}
	}
	return d
}

// The mean-field fixed point is a stationary point of the bound: the
// central difference of L(v, μ) in every hidden mean vanishes there
// (∂L/∂μ_j = a_j − logit μ_j), and does not at a perturbed μ.
func TestELBOStationaryAtMeanField(t *testing.T) {
	m := randomDBM(3, 1)
	r := m.Reflect()
	d := allVisible()
	x := models.NewTinyChains(1, 1)
	const eps, tol = 1e-5, 1e-6
	elbo := func() float64 {
		var l [1]float64
		if err := deep.ELBOAt(r, x, 0, l[:]); err != nil {
			t.Fatal(err)
		}
		return l[0]
	}
	grad := func() []float64 {
		var g []float64
		for _, h := range [][]float64{x.H1, x.H2} {
			for u := range h {
				old := h[u]
				h[u] = old + eps
				up := elbo()
				h[u] = old - eps
				down := elbo()
				h[u] = old
				g = append(g, (up-down)/(2*eps))
			}
		}
		return g
	}
	maxAbs := func(g []float64) float64 {
		mx := 0.0
		for _, v := range g {
			mx = math.Max(mx, math.Abs(v))
		}
		return mx
	}
	worst, perturbed := 0.0, math.Inf(1)
	for row := 0; row < d.Rows; row++ {
		copy(x.V, d.Row(row))
		if it := m.MeanField(x, 10000, 1e-15, 0); it >= 10000 {
			t.Fatalf("v = %v: mean field did not converge", d.Row(row))
		}
		worst = math.Max(worst, maxAbs(grad()))
		x.H1[row%models.TinyN1] = 0.5*x.H1[row%models.TinyN1] + 0.25
		x.H2[row%models.TinyN2] = 0.5*x.H2[row%models.TinyN2] + 0.25
		perturbed = math.Min(perturbed, maxAbs(grad()))
	}
	t.Logf("largest |∂L/∂μ| at the fixed points %.2e; smallest largest |∂L/∂μ| at perturbed means %.3f", worst, perturbed)
	if worst > tol {
		t.Errorf("the bound's gradient at the mean-field fixed point reaches %.2e > %.0e", worst, tol)
	}
	if perturbed < 100*tol {
		t.Errorf("at perturbed means the gradient is only %.2e: the check cannot fail", perturbed)
	}
}

// L(v) ≤ log p(v) for every v, with the exact log Z; the gap is
// KL(q ‖ p(h | v)) ≥ 0.
func TestELBOBelowExactLogLikelihood(t *testing.T) {
	for _, sd := range []float64{0.5, 1, 2} {
		m := randomDBM(4, sd)
		r := m.Reflect()
		j, err := exact.Enumerate(r, 1<<12)
		if err != nil {
			t.Fatal(err)
		}
		d := allVisible()
		res, err := deep.ELBO(r, d, j.LogZ, deep.ELBOConfig{Iters: 1000, Tol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		gap, maxGap, meanLL := 0.0, 0.0, 0.0
		for row := 0; row < d.Rows; row++ {
			lp, err := j.LogPVisible(d.Row(row))
			if err != nil {
				t.Fatal(err)
			}
			g := lp - res.Rows[row]
			if g < -1e-9 {
				t.Errorf("sd %g, v = %v: bound %.6f exceeds log p(v) = %.6f", sd, d.Row(row), res.Rows[row], lp)
			}
			gap += g / float64(d.Rows)
			maxGap = math.Max(maxGap, g)
			meanLL += lp / float64(d.Rows)
		}
		t.Logf("weights sd %g: mean log p(v) %.4f, mean bound %.4f ± %.4f (s.e.), gap mean %.4f max %.4f nats", sd, meanLL, res.Mean, res.StdErr, gap, maxGap)
	}
}

// ICM never raises the energy, stops at a local minimum (no single free
// unit's flip lowers the energy) and leaves clamped units alone.
func TestICMDescendsToLocalMinimum(t *testing.T) {
	m := randomDBM(5, 2)
	r := m.Reflect()
	const n = 64
	x := models.NewTinyChains(n, 3)
	clamp := [][]bool{{true, false, true, false}, nil, nil}
	v0 := append([]float64(nil), x.V...)
	e, prev := make([]float64, n), make([]float64, n)
	m.Energy(x, prev)
	converged := false
	for s := 0; s < 100 && !converged; s++ {
		res, err := estimators.ICM(r, x, clamp, 1)
		if err != nil {
			t.Fatal(err)
		}
		converged = res.Converged
		m.Energy(x, e)
		for c := range e {
			if e[c] > prev[c]+1e-12*(1+math.Abs(prev[c])) {
				t.Fatalf("sweep %d raised the energy of chain %d from %.12f to %.12f", s+1, c, prev[c], e[c])
			}
		}
		copy(prev, e)
	}
	if !converged {
		t.Fatal("ICM did not converge in 100 sweeps")
	}
	for c := 0; c < n; c++ {
		for i, cl := range clamp[0] {
			if cl && x.V[c*models.TinyNV+i] != v0[c*models.TinyNV+i] {
				t.Fatalf("chain %d: clamped v[%d] changed", c, i)
			}
		}
	}
	assertLocalMinimum(t, m, x, clamp)
}

// assertLocalMinimum flips every free unit of every chain in turn and
// checks that no flip lowers the energy.
func assertLocalMinimum(t *testing.T, m *models.Tiny, x *models.TinyChains, clamp [][]bool) {
	t.Helper()
	n := x.N
	base := make([]float64, n)
	m.Energy(x, base)
	e := make([]float64, n)
	flips := 0
	for l, layer := range [][]float64{x.V, x.H1, x.H2} {
		size := len(layer) / n
		for u := 0; u < size; u++ {
			if l < len(clamp) && clamp[l] != nil && clamp[l][u] {
				continue
			}
			for c := 0; c < n; c++ {
				layer[c*size+u] = 1 - layer[c*size+u]
			}
			m.Energy(x, e)
			for c := 0; c < n; c++ {
				layer[c*size+u] = 1 - layer[c*size+u]
				flips++
				if e[c] < base[c]-1e-12*(1+math.Abs(base[c])) {
					t.Errorf("chain %d: flipping unit %d of layer %d lowers the energy from %.12f to %.12f", c, u, l, base[c], e[c])
				}
			}
		}
	}
	t.Logf("%d single-unit flips checked", flips)
}

// Every completion keeps the observed units; ICM's are valid states, the
// others means in [0, 1]; Gibbs completion estimates E[v_missing | v_observed],
// which the enumeration gives exactly.
func TestCompleteKeepsObservedUnits(t *testing.T) {
	if testing.Short() {
		t.Skip("three completion methods on 64,000 rows: in the full suite")
	}
	m := randomDBM(6, 0.3)
	// h1[0] ties v[0] to v[2] and h1[1] ties v[1] to v[3], so that the
	// observed units say much about the missing ones.
	for _, p := range [][2]int{{0, 0}, {2, 0}, {1, 1}, {3, 1}} {
		m.W1[p[0]*models.TinyN1+p[1]] = 4
	}
	m.C1[0], m.C1[1] = -4, -4
	r := m.Reflect()
	j, err := exact.Enumerate(r, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 4000
	src := allVisible()
	d := &dataset.Dataset{Cols: models.TinyNV}
	for row := 0; row < src.Rows; row++ {
		for k := 0; k < copies; k++ {
			d.X = append(d.X, src.Row(row)...)
			d.Rows++
		}
	}
	missing := []bool{false, false, true, true}
	observed := []bool{true, true, false, false}
	for _, method := range []estimators.CompletionMethod{estimators.CompleteICM, estimators.CompleteMeanField, estimators.CompleteGibbs} {
		out, err := estimators.Complete(r, d, missing, estimators.CompleteConfig{Method: method, Burn: 20, Samples: 20, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for row := 0; row < d.Rows; row++ {
			in, got := d.Row(row), out.Row(row)
			for u := range in {
				switch {
				case !missing[u] && got[u] != in[u]:
					t.Fatalf("%v: row %d: observed v[%d] changed from %v to %v", method, row, u, in[u], got[u])
				case method == estimators.CompleteICM && got[u] != 0 && got[u] != 1:
					t.Fatalf("ICM: row %d: v[%d] = %v is not a state", row, u, got[u])
				case !(got[u] >= 0 && got[u] <= 1):
					t.Fatalf("%v: row %d: v[%d] = %v is not a mean", method, row, u, got[u])
				}
			}
		}
		if method != estimators.CompleteGibbs {
			continue
		}
		// The copies of a row are independent chains, each giving a value
		// in [0, 1]: by Hoeffding's inequality their average is farther
		// than t = √(ln(2·10⁶)/(2·copies)) from its expectation with
		// probability below 10⁻⁶. (A standard error from the sample
		// variance would not do: configurations of probability 10⁻⁵ that
		// no chain visits shift the mean by more than it.)
		tol := math.Sqrt(math.Log(2e6) / (2 * copies))
		marginal, err := j.ConditionalMeans(models.NewTinyChains(1, 0), src.Row(0), make([]bool, models.TinyNV))
		if err != nil {
			t.Fatal(err)
		}
		power := 0.0
		for row := 0; row < src.Rows; row++ {
			want, err := j.ConditionalMeans(models.NewTinyChains(1, 0), src.Row(row), observed)
			if err != nil {
				t.Fatal(err)
			}
			for u := range missing {
				if !missing[u] {
					continue
				}
				got := 0.0
				for k := 0; k < copies; k++ {
					got += out.Row(row*copies + k)[u] / copies
				}
				worst = math.Max(worst, math.Abs(got-want[u]))
				power = math.Max(power, math.Abs(marginal[u]-want[u]))
				if math.Abs(got-want[u]) > tol {
					t.Errorf("Gibbs completion of v[%d] given %v: %.5f, exact %.5f (tolerance %.5f)", u, src.Row(row)[:2], got, want[u], tol)
				}
			}
		}
		if power <= 2*tol {
			t.Errorf("the conditional means differ from the marginal ones by at most %.4f: a sampler ignoring the clamp would pass", power)
		}
		t.Logf("Gibbs completion: largest error %.5f from the exact conditional means (tolerance %.5f; conditional and marginal means differ by up to %.3f)", worst, tol, power)
	}
}

// The generated mean field and Gibbs sweep allocate nothing once warm.
func TestDBMHotPathsAllocateNothing(t *testing.T) {
	m := randomDBM(7, 1)
	x := models.NewTinyChains(8, 1)
	m.MeanField(x, 5, 0, 0)
	m.Sweep(x, 1)
	if a := testing.AllocsPerRun(100, func() { m.MeanField(x, 10, 0, 0) }); a != 0 {
		t.Errorf("MeanField allocates %.1f times per run", a)
	}
	if a := testing.AllocsPerRun(100, func() { m.Sweep(x, 1) }); a != 0 {
		t.Errorf("Sweep allocates %.1f times per run", a)
	}
}

// meanSD returns the mean and the sample standard deviation of x.
func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v / float64(len(x))
	}
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}

// With one mask per row, rows are completed in groups of equal masks: the
// result is the one each row gets with its mask alone.
func TestCompletePerRowMasks(t *testing.T) {
	m := randomDBM(8, 1)
	r := m.Reflect()
	d := allVisible()
	masks := [][]bool{{false, false, true, true}, {true, false, false, true}, {false, true, false, false}}
	missing := make([]bool, 0, d.Rows*d.Cols)
	for row := 0; row < d.Rows; row++ {
		missing = append(missing, masks[row%len(masks)]...)
	}
	cfg := estimators.CompleteConfig{Method: estimators.CompleteMeanField, Tol: 1e-12, Iters: 1000}
	out, err := estimators.Complete(r, d, missing, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for row := 0; row < d.Rows; row++ {
		one := &dataset.Dataset{Rows: 1, Cols: d.Cols, X: d.Row(row)}
		want, err := estimators.Complete(r, one, masks[row%len(masks)], cfg)
		if err != nil {
			t.Fatal(err)
		}
		for u, got := range out.Row(row) {
			if math.Abs(got-want.X[u]) > 1e-9 {
				t.Errorf("row %d, v[%d]: %.12f completed with the other rows, %.12f alone", row, u, got, want.X[u])
			}
			if !missing[row*d.Cols+u] && got != d.Row(row)[u] {
				t.Errorf("row %d: observed v[%d] changed", row, u)
			}
		}
	}
	if _, err := estimators.Complete(r, d, missing[:5], cfg); err == nil {
		t.Error("a mask of 5 flags for 16 rows of 4 was accepted")
	}
}

// The persistent trainer's step reports Σ‖v − E[v | μ]‖² over the batch,
// with μ the mean-field posterior of the hidden layers, and the mean-field
// settings of the configuration reach the positive phase.
func TestTrainerReconstructionAndMeanField(t *testing.T) {
	const rows = 6
	data := make([]float64, rows*models.TinyNV)
	rng := runtime.NewRNG(3, 0)
	for i := range data {
		data[i] = rng.Bernoulli(0.5)
	}
	step := func(cfg runtime.CDConfig) (float64, []float64) {
		m := randomDBM(5, 0.3)
		cfg.BatchSize, cfg.Persistent, cfg.Seed = rows, true, 1
		cfg.Optimizer = runtime.SGD{LearningRate: 0.1}
		tr, err := models.NewTinyTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return tr.TrainStep(data, rows, 0), append([]float64(nil), m.W1...)
	}
	recon, w := step(runtime.CDConfig{})

	m := randomDBM(5, 0.3)
	x := models.NewTinyChains(rows, 9)
	copy(x.V, data)
	m.MeanField(x, 200, 1e-12, 0)
	means := make([]float64, rows*models.TinyNV)
	m.MeanV(x, 1, means)
	want := 0.0
	for k, v := range data {
		want += (v - means[k]) * (v - means[k])
	}
	if recon <= 0 || math.Abs(recon-want) > 1e-4 {
		t.Errorf("PCD step reports reconstruction error %.6g, want Σ‖v − E[v | μ]‖² = %.6g", recon, want)
	}
	_, w1 := step(runtime.CDConfig{MeanFieldIters: 1})
	same := true
	for k := range w {
		same = same && w[k] == w1[k]
	}
	if same {
		t.Error("one mean-field pass and 25 give the same update: MeanFieldIters does not reach the positive phase")
	}
}
