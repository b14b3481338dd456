package deep

import (
	"math"
	"slices"
	"strings"
	"testing"

	models "github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// The tiny DBM v[3] – h1[3] – h2[2] (examples/dbm.ebm), whose every
// distribution is enumerated here from its parameters: a state is
// (v, h1, h2) with bit i of v the unit v[i], and so on.
const (
	tdV, tdH1, tdH2 = 3, 3, 2
)

// tinyDBM is the tiny DBM with N(0, 1.5²) parameters: far from uniform,
// so that two or three temperatures anneal badly and mean field is not
// the exact posterior.
func tinyDBM() *models.TinyDBM {
	m := models.ZeroTinyDBM()
	modeltest.Perturb(m.Reflect(), 1.5, 5)
	return m
}

func bit(k, u int) float64 { return float64(k >> u & 1) }

// tinyEnergy is E(v, h1, h2) of the tiny DBM, written out from its
// parameters.
func tinyEnergy(m *models.TinyDBM, v, h1, h2 int) float64 {
	e := 0.0
	for i := range tdV {
		e -= m.B[i] * bit(v, i)
		for j := range tdH1 {
			e -= bit(v, i) * m.W1[i*tdH1+j] * bit(h1, j)
		}
	}
	for j := range tdH1 {
		e -= m.C1[j] * bit(h1, j)
		for k := range tdH2 {
			e -= bit(h1, j) * m.W2[j*tdH2+k] * bit(h2, k)
		}
	}
	for k := range tdH2 {
		e -= m.C2[k] * bit(h2, k)
	}
	return e
}

// tinyLogP returns the exact log p(v) of every v by enumeration.
func tinyLogP(m *models.TinyDBM) []float64 {
	lv := make([]float64, 1<<tdV)
	for v := range lv {
		var terms []float64
		for h1 := range 1 << tdH1 {
			for h2 := range 1 << tdH2 {
				terms = append(terms, -tinyEnergy(m, v, h1, h2))
			}
		}
		lv[v] = runtime.LogSumExp(terms)
	}
	logZ := runtime.LogSumExp(lv)
	for v := range lv {
		lv[v] -= logZ
	}
	return lv
}

// tinyAnnealed returns p_ann(v) of RAISE's annealing model for the tiny
// DBM, for every v: the state is x = (v, h2) (the path keeps h2 and sums
// out h1), p_0(x) = p_A(v)·¼, and temperature k applies the sweep's kernel
// T_k(x'|x) = Σ_{h1} p_k(h1|x)·p_k(x'|h1) of the tempered joint
// p_k(v, h1, h2) ∝ exp(−β_k·E + (1−β_k)·a_A·v).
func tinyAnnealed(m *models.TinyDBM, baseField, betas []float64) []float64 {
	const nx = 1 << (tdV + tdH2) // x = v | h2<<tdV
	p := make([]float64, nx)
	for x := range p {
		p[x] = 0.25
		for i := range tdV {
			q := runtime.Sigmoid(baseField[i])
			p[x] *= bit(x, i)*q + (1-bit(x, i))*(1-q)
		}
	}
	for _, beta := range betas[1:] {
		// joint[x][h1] ∝ p_k(v, h1, h2).
		joint := make([][]float64, nx)
		for x := range joint {
			v, h2 := x&(1<<tdV-1), x>>tdV
			base := 0.0
			for i := range tdV {
				base += baseField[i] * bit(v, i)
			}
			joint[x] = make([]float64, 1<<tdH1)
			for h1 := range joint[x] {
				joint[x][h1] = math.Exp(-beta*tinyEnergy(m, v, h1, h2) + (1-beta)*base)
			}
		}
		next := make([]float64, nx)
		for x, px := range p {
			rowSum := 0.0
			for _, j := range joint[x] {
				rowSum += j
			}
			for h1 := range 1 << tdH1 {
				ph1 := px * joint[x][h1] / rowSum // p(x)·p_k(h1|x)
				colSum := 0.0
				for y := range nx {
					colSum += joint[y][h1]
				}
				for y := range nx {
					next[y] += ph1 * joint[y][h1] / colSum // ·p_k(y|h1)
				}
			}
		}
		p = next
	}
	pv := make([]float64, 1<<tdV)
	for x, px := range p {
		pv[x&(1<<tdV-1)] += px
	}
	return pv
}

// tinyRows returns n rows, each the visible state v.
func tinyRows(v, n int) *dataset.Dataset {
	d := &dataset.Dataset{Rows: n, Cols: tdV, X: make([]float64, n*tdV)}
	for r := range n {
		for i := range tdV {
			d.X[r*tdV+i] = bit(v, i)
		}
	}
	return d
}

// dropLogQ draws h from the mean-field proposal but reports log q = 0:
// the weight loses its −log q(h|v) term.
type dropLogQ struct{ MeanFieldProposal }

func (p dropLogQ) Propose(m runtime.Reflective, x runtime.Chains, kept []int, rng *runtime.RNG, logQ []float64) error {
	if err := p.MeanFieldProposal.Propose(m, x, kept, rng, logQ); err != nil {
		return err
	}
	clear(logQ[:x.Len()])
	return nil
}

// mirroredDraw draws h from the factorized distribution with every
// mean-field mean μ replaced by 1 − μ, but reports log q of the draw under
// the mean-field means: h does not come from the density in the weight.
type mirroredDraw struct{ MeanFieldProposal }

func (p mirroredDraw) Propose(m runtime.Reflective, x runtime.Chains, kept []int, rng *runtime.RNG, logQ []float64) error {
	iters, tol := p.settings()
	m.MeanField(x, iters, tol, p.Damping)
	layers, views := m.Layers(), x.Layers()
	clear(logQ[:x.Len()])
	for _, l := range kept {
		ly := layers[l]
		size := layout.Product(ly.Shape)
		for c := range x.Len() {
			row := views[l].Data[c*size : (c+1)*size]
			mu := append([]float64(nil), row...)
			for u := range row {
				row[u] = 1 - row[u]
			}
			if _, err := drawFactorial(ly, row, rng); err != nil {
				return err
			}
			logQ[c] += logFactorial(ly, mu, row)
		}
	}
	return nil
}

// logFactorial returns log q(h) of a layer's state h under the factorized
// distribution with means mu (MeanFieldProposal's q), written out
// separately from drawFactorial: −Inf where q gives h no mass.
func logFactorial(ly runtime.LayerInfo, mu, h []float64) float64 {
	lq := 0.0
	switch ly.Kind {
	case runtime.KindBernoulli, runtime.KindSpin:
		for u, m := range mu {
			p, x := m, h[u]
			if ly.Kind == runtime.KindSpin {
				p, x = (1+m)/2, (1+x)/2
			}
			lq += math.Log(x*p + (1-x)*(1-p))
		}
	case runtime.KindSoftmax:
		for u, p := range mu {
			if h[u] == 1 {
				lq += math.Log(p)
			}
		}
	default:
		return math.NaN()
	}
	return lq
}

// RAISE with the mean-field proposal is unbiased for the annealing model:
// with two and three temperatures (where p_ann is far from p), the mean of
// w over 4000 reverse runs from each of three v matches p_ann(v), computed
// exactly by propagating the base model through the sweeps' transition
// matrices over (v, h2), within four standard errors σ (the sample
// standard deviation of w over √4000, about 1–4% of p_ann). The negative
// controls, each a broken weight with the same runs: dropping the
// −log q(h|v) term, or drawing h from the mirrored distribution (every
// mean μ → 1 − μ) while dividing by the mean-field density, must miss
// p_ann(v) by more than 4σ.
func TestDBMRAISEUnbiasedForAnnealingModel(t *testing.T) {
	m := tinyDBM()
	r := m.Reflect()
	logp := tinyLogP(m)
	const runs = 20000
	mf := MeanFieldProposal{}
	for _, betas := range [][]float64{{0, 0.4, 1}, {0, 0.2, 0.6, 1}} {
		base := estimators.Uniform(r)
		pAnn := tinyAnnealed(m, base.Field[0], betas)
		for _, v := range []int{0b000, 0b101, 0b010} {
			data := tinyRows(v, runs)
			type outcome struct{ rel, se float64 }
			mean := func(q estimators.Proposal) outcome {
				res, err := estimators.RAISE(r, base, data, estimators.RAISEConfig{Betas: betas, Runs: 1, Seed: uint64(v + 1), Proposal: q})
				if err != nil {
					t.Fatal(err)
				}
				w := make([]float64, runs)
				for i, lp := range res.LogP {
					w[i] = math.Exp(lp) / pAnn[v]
				}
				mu, se := dbmMeanSE(w)
				return outcome{mu - 1, se}
			}
			good := mean(mf)
			t.Logf("betas %v, v = %03b: mean w / p_ann(v) − 1 = %+.4f (σ %.4f); p_ann %.5f, p %.5f", betas, v, good.rel, good.se, pAnn[v], math.Exp(logp[v]))
			if math.Abs(pAnn[v]/math.Exp(logp[v])-1) < 8*good.se {
				t.Fatalf("betas %v, v = %03b: p_ann %.5f too close to p %.5f for the test to tell them apart", betas, v, pAnn[v], math.Exp(logp[v]))
			}
			if math.Abs(good.rel) > 4*good.se {
				t.Errorf("betas %v, v = %03b: mean weight / p_ann(v) − 1 = %+.4f, more than 4σ = %.4f", betas, v, good.rel, 4*good.se)
			}
			for _, c := range []struct {
				name string
				q    estimators.Proposal
			}{{"without −log q", dropLogQ{mf}}, {"h from the mirrored q", mirroredDraw{mf}}} {
				bad := mean(c.q)
				t.Logf("  control %s: %+.4f (σ %.4f)", c.name, bad.rel, bad.se)
				if math.Abs(bad.rel) <= 4*bad.se {
					t.Errorf("betas %v, v = %03b: control %s passes: mean weight / p_ann(v) − 1 = %+.4f within 4σ = %.4f", betas, v, c.name, bad.rel, 4*bad.se)
				}
			}
		}
	}
}

// tinySample draws n rows from the tiny DBM's exact p(v).
func tinySample(m *models.TinyDBM, n int, seed uint64) *dataset.Dataset {
	logp := tinyLogP(m)
	p := make([]float64, len(logp))
	for v := range p {
		p[v] = math.Exp(logp[v])
	}
	rng := runtime.NewRNG(seed, 0)
	d := &dataset.Dataset{Rows: n, Cols: tdV, X: make([]float64, n*tdV)}
	for r := range n {
		v := rng.Categorical(p)
		for i := range tdV {
			d.X[r*tdV+i] = bit(v, i)
		}
	}
	return d
}

// On rows drawn from the tiny DBM itself, RAISE with the mean-field
// proposal approaches the exact average log p(v) from below as the
// temperatures grow: with 3 and 30 temperatures and one run per row the
// average of RAISE − exact log p over 2000 rows is below 0 by more than
// four standard errors σ of the per-row differences (E[log w] ≤
// log p_ann(v) and E_p[log p_ann] ≤ E_p[log p]); the gap shrinks with the
// temperatures, and with 1000 temperatures and 5 runs per row it is
// within 4σ + 0.01 nats of 0 and not above 4σ. The negative control: the
// plug-in estimate −F(v) − log Ẑ, log Ẑ from equally short forward AIS runs
// (3 temperatures, 1 run, 400 repetitions), errs the other way, and the
// below-check must refuse it by more than four of its σ. (-short runs the
// short paths only.)
func TestDBMRAISEApproachesFromBelow(t *testing.T) {
	m := tinyDBM()
	r := m.Reflect()
	logp := tinyLogP(m)
	data := tinySample(m, 2000, 11)
	exact := make([]float64, data.Rows)
	for i := range exact {
		v := 0
		for u, x := range data.Row(i) {
			v |= int(x) << u
		}
		exact[i] = logp[v]
	}
	base, err := estimators.BaseRate(r, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	prevGap := math.Inf(-1)
	for _, c := range []struct {
		temps, runs  int
		clearlyBelow bool
	}{{3, 1, true}, {30, 1, true}, {1000, 5, false}} {
		if c.temps > 30 && testing.Short() {
			continue // 10⁷ chain-sweeps: in the full suite
		}
		res, err := estimators.RAISE(r, base, data, estimators.RAISEConfig{Temperatures: c.temps, Runs: c.runs, Seed: uint64(c.temps), Proposal: MeanFieldProposal{}})
		if err != nil {
			t.Fatal(err)
		}
		diff := make([]float64, data.Rows)
		for i := range diff {
			diff[i] = res.LogP[i] - exact[i]
		}
		d, se := dbmMeanSE(diff)
		t.Logf("%s: mean RAISE − exact log p = %.4f ± %.4f (σ)", res.Method, d, se)
		if d > 4*se {
			t.Errorf("%d temperatures: RAISE is above the exact log p on average: %.4f ± %.4f", c.temps, d, se)
		}
		if c.clearlyBelow && d+4*se >= 0 {
			t.Errorf("%d temperatures: mean RAISE − exact log p = %.4f ± %.4f, not clearly below 0", c.temps, d, se)
		}
		if !c.clearlyBelow && math.Abs(d) > 4*se+0.01 {
			t.Errorf("%d temperatures: mean RAISE − exact log p = %.4f ± %.4f, not within 4σ + 0.01 of 0", c.temps, d, se)
		}
		if d < prevGap-4*se {
			t.Errorf("%d temperatures: the gap %.4f grew from %.4f", c.temps, d, prevGap)
		}
		prevGap = d
	}

	// Negative control: the plug-in −F(v) − log Ẑ must fail the check.
	modeltest.PlugInAISIsAbove(t, r, base)
}

// drawFactorial draws each kind's factorized distribution with the given
// means and returns the log density of its draw: over 20000 draws of a
// 3-unit layer (a softmax of 3 categories), the returned log q equals the
// separately written logFactorial of the state drawn, Σ_h exp(logFactorial)
// over every state is 1, and every state's frequency is within 4σ
// (binomial, √(q(1−q)/n)) of exp(logFactorial). The negative control: the
// frequencies checked against the means of another layer (each mean
// moved by 0.2 towards ½) fail for some state.
func TestDrawFactorialEachKind(t *testing.T) {
	const n = 20000
	for _, c := range []struct {
		kind      runtime.UnitKind
		mu, other []float64
		states    [][]float64
	}{
		{runtime.KindBernoulli, []float64{0.1, 0.5, 0.85}, []float64{0.3, 0.5, 0.65}, binaryStates(0, 1)},
		{runtime.KindSpin, []float64{-0.8, 0.2, 0.9}, []float64{-0.4, 0.1, 0.5}, binaryStates(-1, 1)},
		{runtime.KindSoftmax, []float64{0.15, 0.25, 0.6}, []float64{0.25, 0.3, 0.45}, [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}},
	} {
		ly := runtime.LayerInfo{Name: "h", Kind: c.kind, Shape: []int{3}}
		total := 0.0
		for _, h := range c.states {
			total += math.Exp(logFactorial(ly, c.mu, h))
		}
		if math.Abs(total-1) > 1e-12 {
			t.Fatalf("%s: Σ_h q(h) = %v", c.kind, total)
		}
		count := make([]float64, len(c.states))
		rng := runtime.NewRNG(3, 0)
		buf := make([]float64, 3)
		for range n {
			copy(buf, c.mu)
			lq, err := drawFactorial(ly, buf, &rng)
			if err != nil {
				t.Fatal(err)
			}
			if want := logFactorial(ly, c.mu, buf); math.Abs(lq-want) > 1e-12 {
				t.Fatalf("%s: draw %v: log q %v, want %v", c.kind, buf, lq, want)
			}
			for s, h := range c.states {
				if slices.Equal(h, buf) {
					count[s]++
				}
			}
		}
		worst := func(mu []float64) float64 {
			w := 0.0
			for s, h := range c.states {
				q := math.Exp(logFactorial(ly, mu, h))
				w = math.Max(w, math.Abs(count[s]/n-q)/math.Sqrt(q*(1-q)/n))
			}
			return w
		}
		good, bad := worst(c.mu), worst(c.other)
		t.Logf("%s: largest deviation %.1fσ; against the other means %.1fσ", c.kind, good, bad)
		if good > 4 {
			t.Errorf("%s: a state's frequency is %.1fσ from its density", c.kind, good)
		}
		if bad <= 4 {
			t.Errorf("%s: control: the frequencies fit the other means too (%.1fσ)", c.kind, bad)
		}
	}
}

// binaryStates lists the 8 states of 3 units taking values lo or hi.
func binaryStates(lo, hi float64) [][]float64 {
	var out [][]float64
	for k := range 8 {
		h := make([]float64, 3)
		for u := range h {
			h[u] = lo
			if k>>u&1 == 1 {
				h[u] = hi
			}
		}
		out = append(out, h)
	}
	return out
}

// kindAs reports one layer of a model as another unit kind.
type kindAs struct {
	runtime.Reflective
	layer int
	kind  runtime.UnitKind
}

func (k kindAs) Layers() []runtime.LayerInfo {
	ls := k.Reflective.Layers()
	out := make([]runtime.LayerInfo, len(ls))
	copy(out, ls)
	out[k.layer].Kind = k.kind
	return out
}

// RAISE of a DBM and its mean-field proposal refuse what they cannot do,
// saying why.
func TestDBMRAISERefuses(t *testing.T) {
	r := tinyDBM().Reflect()
	rows := tinyRows(0b101, 4)
	cfg := estimators.RAISEConfig{Temperatures: 3, Runs: 2, Proposal: MeanFieldProposal{}}
	noq := cfg
	noq.Proposal = nil
	rbm := models.NewTinyRBM(1).Reflect()
	for _, c := range []struct {
		name string
		m    runtime.Reflective
		data *dataset.Dataset
		cfg  estimators.RAISEConfig
		want string
	}{
		{"no proposal", r, rows, noq, "keeps the hidden layer(s) h2, which cannot be summed out together with the others given the visible layers (a deep Boltzmann machine, say); RAISE then starts each reverse chain from a draw of them given v and needs RAISEConfig.Proposal"},
		{"nothing to propose", rbm, tinyRows(0b101, 4), cfg, "keeps no hidden layer, so there is nothing for RAISEConfig.Proposal (the mean-field posterior's factorial marginal"},
	} {
		_, err := estimators.RAISE(c.m, estimators.Uniform(c.m), c.data, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// The proposal refuses kept layers without a factorized density, and
	// layers that are not hidden.
	x := r.NewChains(2, 1)
	logQ := make([]float64, 2)
	rng := runtime.NewRNG(1, 0)
	for _, c := range []struct {
		name string
		m    runtime.Reflective
		kept []int
		logQ []float64
		want string
	}{
		{"gaussian", kindAs{r, 2, runtime.KindGaussian}, []int{2}, logQ, "hidden layer h2 is gaussian; mean field gives its means but no density to draw it from"},
		{"laplace", kindAs{r, 2, runtime.KindLaplace}, []int{2}, logQ, "hidden layer h2 is laplace"},
		{"visible", r, []int{0}, logQ, "layer 0 is no hidden layer"},
		{"out of range", r, []int{7}, logQ, "layer 7 is no hidden layer"},
		{"short logQ", r, []int{2}, logQ[:1], "logQ holds 1 values for 2 chains"},
	} {
		err := MeanFieldProposal{}.Propose(c.m, x, c.kept, &rng, c.logQ)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
