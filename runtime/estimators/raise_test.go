package estimators_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// exactLogP returns the exact log p(v) = −F(v) − log Z of every row, log Z
// by enumeration.
func exactLogP(t *testing.T, m runtime.Reflective, d *dataset.Dataset) []float64 {
	t.Helper()
	logZ, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	f := modeltest.FreeEnergies(t, m, d)
	for r := range f {
		f[r] = -f[r] - logZ
	}
	return f
}

// meanSE returns the mean of x and its standard error.
func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}

// strongRBM is the 6×3 test RBM with N(0, 1.5²) parameters: far from
// the uniform base model, so that few temperatures anneal badly.
func strongRBM() runtime.Reflective {
	m := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(m, 1.5, 7)
	return m
}

// checkESS fails unless every ESS is in [1, runs].
func checkESS(t *testing.T, what string, ess []float64, runs int) {
	t.Helper()
	for r, e := range ess {
		if !(e >= 1-1e-9 && e <= float64(runs)+1e-9) {
			t.Fatalf("%s: ESS[%d] = %g, outside [1, %d]", what, r, e, runs)
		}
	}
}

// With many temperatures and runs, RAISE's estimate of each row's log p(v)
// matches the exact value within a few of its standard errors, the error
// of log mean w over M runs, √((M/ESS − 1)/M) by the delta method (Kish's
// ESS gives the weights' relative variance), plus 0.01 nats for the bias
// of the annealing model and the Jensen gap. On an RBM, a class RBM
// (softmax labels among the visible layers) and a fully visible BM.
func TestRAISEConvergesToExact(t *testing.T) {
	cls := classrbm.NewClassRBM(3).Reflect()
	modeltest.Perturb(cls, 1, 8)
	fv := fvbm.NewFVBM(2).Reflect()
	modeltest.Perturb(fv, 0.7, 9)
	cases := []struct {
		name string
		m    runtime.Reflective
		rows func(m runtime.Reflective) *dataset.Dataset
	}{
		{"rbm", strongRBM(), func(m runtime.Reflective) *dataset.Dataset { return modeltest.ExactSample(t, m, 8, 3) }},
		{"classrbm", cls, func(m runtime.Reflective) *dataset.Dataset { return modeltest.RandomRows(m, 8, 4) }},
		{"fvbm", fv, func(m runtime.Reflective) *dataset.Dataset { return modeltest.ExactSample(t, m, 8, 5) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.rows(c.m)
			exact := exactLogP(t, c.m, data)
			base, err := estimators.BaseRate(c.m, data, 1)
			if err != nil {
				t.Fatal(err)
			}
			const runs = 100
			res, err := estimators.RAISE(c.m, base, data, estimators.RAISEConfig{Temperatures: 200, Runs: runs, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			checkESS(t, c.name, res.ESS, runs)
			sumVar, sumExact, worst := 0.0, 0.0, 0.0
			for r, lp := range res.LogP {
				se := math.Sqrt(math.Max(float64(runs)/res.ESS[r]-1, 0) / runs)
				sumVar += se * se
				worst = math.Max(worst, math.Abs(lp-exact[r])/se)
				sumExact += exact[r]
				if math.Abs(lp-exact[r]) > 4*se+0.01 {
					t.Errorf("row %d: RAISE log p = %.4f (ESS %.0f, se %.4f), exact %.4f", r, lp, res.ESS[r], se, exact[r])
				}
			}
			n := float64(data.Rows)
			if d := res.Mean - sumExact/n; math.Abs(d) > 4*math.Sqrt(sumVar)/n+0.01 {
				t.Errorf("mean RAISE log p %.4f is %.4f from the exact %.4f", res.Mean, d, sumExact/n)
			}
			t.Logf("%s: %s: mean %.4f ± %.4f, exact %.4f, largest error %.1f standard errors, %.2fs",
				c.name, res.Method, res.Mean, res.SE, sumExact/n, worst, res.Seconds)
		})
	}
}

// annealedMarginal returns p_ann(v) of RAISE's annealing model for the 6×3
// RBM, for every v (bit u of the index is v[u]): p_0 is the base model,
// and each temperature applies the kernel of one sweep at β_k,
// T_k(v'|v) = Σ_h p_k(h|v)·p_k(v'|h) with p_k(h_j = 1|v) = σ(β_k·a_h[j])
// and p_k(v_i = 1|h) = σ(β_k·a_v[i] + (1 − β_k)·a_A[i]).
func annealedMarginal(m *rbm.RBM, baseField []float64, betas []float64) []float64 {
	const nv, nh = rbm.RBMNV, rbm.RBMNH
	bit := func(k, u int) float64 { return float64(k >> u & 1) }
	bern := func(x, p float64) float64 { return x*p + (1-x)*(1-p) }
	p := make([]float64, 1<<nv)
	for v := range p {
		p[v] = 1
		for i := range nv {
			p[v] *= bern(bit(v, i), runtime.Sigmoid(baseField[i]))
		}
	}
	for _, beta := range betas[1:] {
		next := make([]float64, len(p))
		for v, pv := range p {
			for h := range 1 << nh {
				ph := pv
				for j := range nh {
					a := m.C[j]
					for i := range nv {
						a += m.W[i*nh+j] * bit(v, i)
					}
					ph *= bern(bit(h, j), runtime.Sigmoid(beta*a))
				}
				for w := range next {
					pw := ph
					for i := range nv {
						a := m.B[i]
						for j := range nh {
							a += m.W[i*nh+j] * bit(h, j)
						}
						pw *= bern(bit(w, i), runtime.Sigmoid(beta*a+(1-beta)*baseField[i]))
					}
					next[w] += pw
				}
			}
		}
		p = next
	}
	return p
}

// RAISE's weight is unbiased for the annealing model: with two and three
// temperatures (where p_ann is far from p), the mean of w over many runs
// matches p_ann(v), computed exactly by propagating the base model through
// the sweeps' transition matrices, within four standard errors (the
// weights' relative variance from Kish's ESS, M/ESS − 1). A sweep at the
// wrong temperature, or an increment of the weight at the wrong one, fails.
func TestRAISEUnbiasedForAnnealingModel(t *testing.T) {
	r := rbm.NewRBM(1)
	m := r.Reflect()
	modeltest.Perturb(m, 1.5, 7)
	for _, betas := range [][]float64{{0, 0.4, 1}, {0, 0.2, 0.6, 1}} {
		train := modeltest.ExactSample(t, m, 200, 4)
		base, err := estimators.BaseRate(m, train, 1)
		if err != nil {
			t.Fatal(err)
		}
		pAnn := annealedMarginal(r, base.Field[0], betas)
		// Two rows, each repeated four times.
		data := &dataset.Dataset{Rows: 8, Cols: rbm.RBMNV, X: make([]float64, 8*rbm.RBMNV)}
		vs := []int{0b101101, 0b000011}
		for row := range 8 {
			for u := range rbm.RBMNV {
				data.X[row*rbm.RBMNV+u] = float64(vs[row/4] >> u & 1)
			}
		}
		const runs = 4000
		res, err := estimators.RAISE(m, base, data, estimators.RAISEConfig{Betas: betas, Runs: runs, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		exact := exactLogP(t, m, data)
		for g, v := range vs {
			w, relVar := 0.0, 0.0
			for row := 4 * g; row < 4*g+4; row++ {
				w += math.Exp(res.LogP[row]) / 4
				relVar += (runs/res.ESS[row] - 1) / 4
			}
			se := math.Sqrt(relVar / (4 * runs))
			p := math.Exp(exact[4*g])
			t.Logf("betas %v, v = %06b: mean w %.5f, p_ann %.5f (relative error %.4f, se %.4f), p %.5f", betas, v, w, pAnn[v], w/pAnn[v]-1, se, p)
			if math.Abs(pAnn[v]/p-1) < 8*se {
				t.Fatalf("betas %v, v = %06b: p_ann %.5f too close to p %.5f for the test to tell them apart", betas, v, pAnn[v], p)
			}
			if math.Abs(w/pAnn[v]-1) > 4*se {
				t.Errorf("betas %v, v = %06b: mean weight %.5f, p_ann(v) = %.5f: relative error %.4f, more than 4 × %.4f", betas, v, w, pAnn[v], w/pAnn[v]-1, se)
			}
		}
	}
}

// With one or three temperatures and one or two runs per row, RAISE's
// average over rows drawn from the model itself is below their exact
// average log p(v) by more than four standard errors of the per-row
// differences (E[log mean w] ≤ log p_ann(v), and E_p[log p_ann] ≤ E_p[log p]).
// The negative control: the usual plug-in estimate −F(v) − log Ẑ with
// log Ẑ from equally short forward AIS runs errs the other way (E[log Ẑ] ≤
// log Z), and the same check must refuse it, by more than four of its
// standard errors.
func TestRAISEIsConservative(t *testing.T) {
	m := strongRBM()
	data := modeltest.ExactSample(t, m, 3000, 11)
	exact := exactLogP(t, m, data)
	base := estimators.Uniform(m)
	for _, c := range []struct{ temps, runs int }{{1, 1}, {3, 1}, {3, 2}} {
		res, err := estimators.RAISE(m, base, data, estimators.RAISEConfig{Temperatures: c.temps, Runs: c.runs, Seed: uint64(c.temps)})
		if err != nil {
			t.Fatal(err)
		}
		checkESS(t, res.Method, res.ESS, c.runs)
		diff := make([]float64, data.Rows)
		for r := range diff {
			diff[r] = res.LogP[r] - exact[r]
		}
		d, se := meanSE(diff)
		t.Logf("%s: mean log p %.4f, exact %.4f: %.4f ± %.4f", res.Method, res.Mean, res.Mean-d, d, se)
		if d+4*se >= 0 {
			t.Errorf("%s: mean RAISE − exact log p = %.4f ± %.4f, not clearly below 0", res.Method, d, se)
		}
	}

	// Negative control: the plug-in −F(v) − log Ẑ must fail the check.
	modeltest.PlugInAISIsAbove(t, m, base)
}

// Every estimator reports Kish's ESS of its weights, in [1, runs]; Finite
// reads the interval.
func TestEstimateESSAndFinite(t *testing.T) {
	m := strongRBM()
	base := estimators.Uniform(m)
	cfg := estimators.AISConfig{Temperatures: 100, Runs: 50, Seed: 2}
	kish := func(lw []float64) float64 {
		mx := math.Inf(-1)
		for _, v := range lw {
			mx = math.Max(mx, v)
		}
		s, s2 := 0.0, 0.0
		for _, v := range lw {
			w := math.Exp(v - mx)
			s += w
			s2 += w * w
		}
		return s * s / s2
	}
	fwd, err := estimators.AIS(m, base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := estimators.ReverseAIS(m, base, cfg, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*estimators.Estimate{fwd, rev} {
		checkESS(t, e.Method, []float64{e.ESS}, cfg.Runs)
		if want := kish(e.LogW); math.Abs(e.ESS-want) > 1e-9*want {
			t.Errorf("%s: ESS %g, Kish's (Σw)²/Σw² of LogW is %g", e.Method, e.ESS, want)
		}
	}
	bridged, err := estimators.BridgedAIS(m, base, cfg, 20)
	if err != nil {
		t.Fatal(err)
	}
	checkESS(t, bridged.Method, []float64{bridged.ESS}, cfg.Runs)
	if !strings.Contains(bridged.Method, "100 temperatures, 50 runs") {
		t.Errorf("bridged AIS method %q", bridged.Method)
	}
	m1 := strongRBM()
	modeltest.Perturb(m1, 0.1, 3)
	br, err := estimators.Bridge(m, m1, estimators.BridgeConfig{Samples: 40, Burn: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkESS(t, br.Method, []float64{br.ESS}, 40)

	// One importance sample: ESS 1.
	one, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: 1, Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if one.ESS != 1 {
		t.Errorf("ESS of one run is %g", one.ESS)
	}
	if !fwd.Finite() {
		t.Errorf("AIS at 100 temperatures and 50 runs: interval [%g, %g] not finite", fwd.Low, fwd.High)
	}
	for _, e := range []estimators.Estimate{
		{Low: math.Inf(-1), High: 1},
		{Low: 0, High: math.Inf(1)},
		{Low: math.NaN(), High: 1},
	} {
		if e.Finite() {
			t.Errorf("Finite() of [%g, %g] is true", e.Low, e.High)
		}
	}
	if e := (estimators.Estimate{Low: -1, High: 1}); !e.Finite() {
		t.Error("Finite() of [−1, 1] is false")
	}
}

// The zero AISConfig anneals along SMBetas with 100 runs, and on the small
// RBM its interval is finite and holds the exact log Z; Temperatures keeps
// meaning evenly spaced temperatures.
func TestAISDefaults(t *testing.T) {
	b := estimators.SMBetas()
	if len(b) != 14501 || b[0] != 0 || b[len(b)-1] != 1 || b[500] != 0.5 || b[4500] != 0.9 {
		t.Fatalf("SMBetas: %d betas, β₀ = %g, β₅₀₀ = %g, β₄₅₀₀ = %g, last %g", len(b), b[0], b[500], b[4500], b[len(b)-1])
	}
	for k := 1; k < len(b); k++ {
		want := 1e-3
		if k > 4500 {
			want = 1e-5
		} else if k > 500 {
			want = 1e-4
		}
		if step := b[k] - b[k-1]; !(step > 0) || math.Abs(step-want) > 1e-9 {
			t.Fatalf("SMBetas: β_%d − β_%d = %g, want %g", k, k-1, step, want)
		}
	}
	b[1] = 7
	if estimators.SMBetas()[1] != 1e-3 {
		t.Fatal("SMBetas returns a shared slice")
	}
	if !slices.Equal(estimators.ScaledSMBetas(1), estimators.SMBetas()) {
		t.Error("ScaledSMBetas(1) differs from SMBetas")
	}
	b3 := estimators.ScaledSMBetas(3)
	if len(b3) != 3*14500+1 || b3[0] != 0 || b3[len(b3)-1] != 1 || b3[1500] != 0.5 || b3[13500] != 0.9 {
		t.Fatalf("ScaledSMBetas(3): %d betas, β₁₅₀₀ = %g, β₁₃₅₀₀ = %g, last %g", len(b3), b3[1500], b3[13500], b3[len(b3)-1])
	}
	for k := 1; k < len(b3); k++ {
		if step := b3[k] - b3[k-1]; !(step > 0) || step > 1e-3/3+1e-12 {
			t.Fatalf("ScaledSMBetas(3): β_%d − β_%d = %g", k, k-1, step)
		}
	}

	m := strongRBM()
	logZ, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	est, err := estimators.AIS(m, estimators.Uniform(m), estimators.AISConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(est.LogW) != estimators.DefaultAISRuns || !strings.Contains(est.Method, "14500 temperatures") {
		t.Fatalf("default AIS: %s, %d weights", est.Method, len(est.LogW))
	}
	if !est.Finite() || logZ < est.Low || logZ > est.High {
		t.Errorf("default AIS: log Z %.4f [%.4f, %.4f], exact %.4f", est.LogZ, est.Low, est.High, logZ)
	}
	checkESS(t, est.Method, []float64{est.ESS}, estimators.DefaultAISRuns)
	t.Logf("%s: %.4f [%.4f, %.4f], ESS %.1f, exact %.4f, %.2fs", est.Method, est.LogZ, est.Low, est.High, est.ESS, logZ, est.Seconds)
	even, err := estimators.AIS(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: 7, Runs: 3})
	if err != nil || !strings.Contains(even.Method, "7 temperatures, 3 runs") {
		t.Fatalf("AIS at 7 temperatures: %v, %v", even, err)
	}
	if _, err := estimators.AIS(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: -1}); err == nil {
		t.Error("AIS accepted −1 temperatures")
	}
	if _, err := estimators.ReverseAIS(m, estimators.Uniform(m), estimators.AISConfig{Temperatures: 2, Runs: -1}, 1); err == nil {
		t.Error("reverse AIS accepted −1 runs")
	}
	res, err := estimators.RAISE(m, estimators.Uniform(m), modeltest.RandomRows(m, 1, 1), estimators.RAISEConfig{Runs: 1})
	if err != nil || !strings.Contains(res.Method, "14500 temperatures, 1 runs per row") || !math.IsNaN(res.SE) {
		t.Fatalf("default RAISE: %+v, %v", res, err)
	}
}

// keepsHidden presents the RBM as a model whose only free energy sums out
// the visible layer, so the path density is the energy, which keeps h.
type keepsHidden struct{ runtime.Reflective }

func (keepsHidden) FreeEnergies() []runtime.FreeEnergyInfo {
	return []runtime.FreeEnergyInfo{{Keep: []string{"h"}, SumOut: []string{"v"}}}
}

// noProposal is a Proposal that draws nothing.
type noProposal struct{}

func (noProposal) Propose(runtime.Reflective, runtime.Chains, []int, *runtime.RNG, []float64) error {
	return nil
}
func (noProposal) String() string { return "none" }

// visibleFirst sweeps v before h, so a sweep reads the stale hidden units.
type visibleFirst struct{ runtime.Reflective }

func (m visibleFirst) Sweep(x runtime.Chains, beta float64) {
	m.Sample(x, 0, beta)
	m.Sample(x, 1, beta)
}

// RAISE refuses bad input and models it does not handle, saying why.
func TestRAISERefuses(t *testing.T) {
	m := strongRBM()
	base := estimators.Uniform(m)
	rows := modeltest.RandomRows(m, 4, 1)
	cfg := estimators.RAISEConfig{Temperatures: 3, Runs: 2}
	for _, c := range []struct {
		name string
		m    runtime.Reflective
		data *dataset.Dataset
		cfg  estimators.RAISEConfig
		want string
	}{
		{"narrow rows", m, &dataset.Dataset{Rows: 4, Cols: 5, X: make([]float64, 20)}, cfg, "data has 5 columns, the visible layers have 6"},
		{"short data", m, &dataset.Dataset{Rows: 4, Cols: 6, X: make([]float64, 20)}, cfg, "holds 20 values"},
		{"no rows", m, &dataset.Dataset{Cols: 6}, cfg, "no test rows"},
		{"negative runs", m, rows, estimators.RAISEConfig{Temperatures: 3, Runs: -1}, "Runs is -1"},
		{"bad betas", m, rows, estimators.RAISEConfig{Betas: []float64{0, 0.5}}, "betas must rise from 0 to 1"},
		{"deep", keepsHidden{m}, rows, cfg, "keeps the hidden layer(s) h, which cannot be summed out"},
		{"deep without a proposal", dbn.NewTinyDBM(1).Reflect(), modeltest.RandomRows(dbn.NewTinyDBM(1).Reflect(), 4, 1), cfg, "keeps the hidden layer(s) h2, which cannot be summed out together with the others given the visible layers (a deep Boltzmann machine, say); RAISE then starts each reverse chain from a draw of them given v and needs RAISEConfig.Proposal"},
		{"visible first", visibleFirst{m}, rows, cfg, "reads the summed-out hidden layers before"},
		{"proposal with nothing to draw", m, rows, estimators.RAISEConfig{Temperatures: 3, Runs: 2, Proposal: noProposal{}}, "keeps no hidden layer, so there is nothing for RAISEConfig.Proposal (none) to draw"},
	} {
		_, err := estimators.RAISE(c.m, base, c.data, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// The sweep check accepts the generated sweep also where h has no effect
	// on v: every weight zero.
	zero := rbm.ZeroRBM().Reflect()
	if _, err := estimators.RAISE(zero, base, rows, cfg); err != nil {
		t.Errorf("zero RBM: %v", err)
	}
}

// Progress reports every tenth of the way, with the time left.
func TestRAISEProgress(t *testing.T) {
	m := strongRBM()
	var out strings.Builder
	_, err := estimators.RAISE(m, estimators.Uniform(m), modeltest.RandomRows(m, 3, 2), estimators.RAISEConfig{Temperatures: 40, Runs: 4000, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 || !strings.Contains(lines[9], "100% done") || !strings.Contains(lines[0], "left") {
		t.Errorf("progress:\n%s", out.String())
	}
}
