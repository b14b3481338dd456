package estimators

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

// RAISEConfig configures RAISE.
type RAISEConfig struct {
	// Betas and Temperatures give the inverse temperatures as in AISConfig:
	// explicit betas rising from 0 to 1, else Temperatures evenly spaced
	// ones, else (both zero) SMBetas, the 14,500 of Salakhutdinov & Murray.
	Betas        []float64
	Temperatures int
	Runs         int // reverse chains per test row; 0 means DefaultRAISERuns
	Seed         uint64
	Progress     io.Writer // a line every tenth of the way, with the time left, if set
	// Proposal draws the hidden layers that the path density keeps (a
	// deep Boltzmann machine's even layers, say) given the test row, and
	// must be set exactly for such models; nil for every model whose path
	// density keeps the visible layers alone. deep.MeanFieldProposal draws
	// them from the mean-field posterior.
	Proposal Proposal
}

// Proposal is RAISE's distribution q(h | v) of the hidden layers that the
// path density keeps, given the visible ones: the start of each reverse
// chain. It must have a density that is positive wherever the model's
// p(v, h) is (where it is not, E[w] misses that mass and the estimate only
// falls further below log p_ann(v)).
type Proposal interface {
	// Propose replaces the layers kept (indices into m.Layers(), hidden
	// layers) of every chain of x, whose visible layers hold test rows, by
	// a draw from q(h | v), using rng, and writes log q(h | v) of each
	// chain's draw into logQ[c]. It may change the other hidden layers too:
	// RAISE draws them afresh before it reads them. An error says why it
	// cannot draw for this model.
	Propose(m runtime.Reflective, x runtime.Chains, kept []int, rng *runtime.RNG, logQ []float64) error
	String() string // what q is, for RAISEResult.Method
}

// DefaultRAISERuns is the number of runs per row when RAISEConfig.Runs is 0.
const DefaultRAISERuns = 10

// raiseChains bounds the chains RAISE anneals at once (rows × runs), and
// so its memory.
const raiseChains = 10000

// RAISEResult is RAISE's estimate of the log-likelihood of test rows.
type RAISEResult struct {
	Method string
	// LogP[r] = log (1/M)·Σ_m w_{r,m}, a stochastic lower bound on
	// log p_ann(v_r), and so approximately on log p(v_r).
	LogP []float64
	Mean float64 // the average of LogP over the rows
	// SE is the standard error of Mean over the rows (their sample standard
	// deviation over √rows; NaN for a single row). It measures the spread
	// of the test rows and the runs' noise together, not the bias.
	SE float64
	// ESS[r] is Kish's effective sample size (Σ_m w)²/Σ_m w² of row r's
	// weights, between 1 and Runs. Where it is a small share of Runs, LogP[r]
	// rests on few runs and sits further below log p_ann(v_r): raise the
	// temperatures first, then the runs (see Estimate).
	ESS     []float64
	Seconds float64
}

// RAISE estimates log p(v) of each row of data by reverse annealed
// importance sampling (Burda, Grosse & Salakhutdinov 2015, "Accurate and
// conservative estimates of MRF log-likelihood using reverse annealing"): a
// stochastic lower bound, where log-likelihoods from a forward-AIS estimate
// of log Z err high.
//
// Take the geometric path of AIS from the base model to the model over the
// visible layers, with unnormalized densities
//
//	f_k(v) = f_A(v)^{1−β_k} · exp(−F_{β_k}(v)),  k = 0 … K,
//
// F_β being the free energy that sums out every hidden layer: f_0 is the
// base model times the hidden layers' uniform distribution, with the known
// normalizer Z_0 = Base.LogZ, and f_K(v) = exp(−F(v)), the model's visible
// marginal, with normalizer Z. Let T_k be a Markov kernel on v that leaves
// p_k = f_k/Z_k invariant, and T̃_k(v'|v) = T_k(v|v')·f_k(v')/f_k(v) its
// reversal. The annealing model draws x_0 ~ p_0, then x_k ~ T_k(·|x_{k−1})
// for k = 1 … K, and outputs v = x_K; its marginal p_ann(v) tends to the
// model's p(v) = f_K(v)/Z as the path gets finer. Started at a test row,
// x_K = v, and run backwards with x_{k−1} ~ T̃_k(·|x_k) for k = K … 1, the
// weight
//
//	w = f_K(v)/Z_0 · Π_{k=0}^{K−1} f_k(x_k)/f_{k+1}(x_k)
//
// is the ratio of the annealing model's joint density of x_0 … x_K to the
// backward chain's, so E[w] = p_ann(v). With M independent runs per row,
// log (1/M)·Σ_m w_m is therefore by Jensen's inequality in expectation at
// most log p_ann(v): a stochastic lower bound, which tightens as the runs
// grow (the Jensen gap) and as the temperatures grow (p_ann → p). On
// average over rows drawn from the model itself it is also below the
// average log p(v), since E_p[log p_ann] − E_p[log p] = −KL(p‖p_ann) ≤ 0.
// It needs no estimate of log Z.
//
// The kernels are the model's Gibbs sweeps at β_k. The generated sweep of a
// model whose hidden layers can all be summed out given the visible ones
// (an RBM, a class RBM) samples those hidden layers first, in one block,
// and then the visible ones: for the RBMs in examples, Sweep's schedule is
// "1. {h} 2. {v}", and AnnealStep reuses the hidden fields computed for the
// free energies for that first block. (The compiler's schedule puts the
// block without the visible layers first in every bipartite model.) A sweep
// is then a Markov kernel on v, T_k(v'|v) = Σ_h p_k(h|v)·p_k(v'|h),
// reversible with respect to p_k(v), so T̃_k = T_k. RAISE checks this before
// it starts — two batches of chains that differ only in their hidden units,
// with the same random streams, must agree after one sweep — and refuses
// a model whose sweep reads stale hidden units. Where the visible units are
// updated one after another instead of drawn together given h — a fully
// visible model (no hidden layers; f_k then uses the energy), or visible
// layers with lateral couplings — the sweep leaves p_k invariant without
// being reversible. The backward chain then uses T_k in the place of T̃_k;
// as T_k is the reversal of T̃_k, the bound holds for the annealing model
// whose forward kernels are the T̃_k, which has the same limit.
//
// Concretely, this is ReverseAIS with the chains started at the test rows
// (each repeated Runs times) and exactly one sweep at β = 1 (the draw of
// x_{K−1}) in the place of burn-in, plus log f_K(v) − log Z_0 per row. It
// anneals at most about 10,000 chains at a time, rows in batches, with the
// parameters held (HoldParams), and costs Runs·K sweeps per row.
//
// Where the hidden layers cannot all be summed out together given v — a
// deep Boltzmann machine, whose odd layers are independent given the even
// ones but not given v alone — RAISE follows the path AIS anneals for such
// a model: the free energy F_β(v, h) that keeps the visible layers and the
// hidden layers h it cannot sum out (for a DBM v–h1–h2, h = h2 with h1
// summed out), so that the state of the chains is x = (v, h) and
//
//	f_k(v, h) = f_A(v)^{1−β_k} · exp(−F_{β_k}(v, h)),
//
// f_0 being the base model times the uniform distribution of every hidden
// layer, with Z_0 = Base.LogZ as before. The sweep draws the summed-out
// layers given x and then x given them (for the DBM "1. {h1} 2. {v, h2}"),
// T_k(x'|x) = Σ_{h1} p_k(h1|x)·p_k(x'|h1), reversible with respect to
// p_k(x) as above, and RAISE checks that it resamples the summed-out layers
// before reading them. The annealing model's marginal is now
// p_ann(v) = Σ_h p_ann(v, h). The reverse chain must start at x_K = (v, h)
// with h drawn from a proposal q(h | v) (cfg.Proposal) whose density is
// known, and the weight divides by it:
//
//	w = f_K(v, h)/q(h | v) · Π_{k=0}^{K−1} f_k(x_k)/f_{k+1}(x_k) / Z_0.
//
// The backward chain's density of x_0 … x_K is q(h | v)·Π_k T̃_k(x_{k−1}|x_k)
// and the annealing model's p_0(x_0)·Π_k T_k(x_k|x_{k−1}); their ratio is w
// by the same telescoping as above, so for a fixed v
//
//	E[w] = Σ_h q(h | v) · p_ann(v, h)/q(h | v) = p_ann(v)
//
// whenever q(h | v) > 0 wherever p_ann(v, h) > 0: the log-mean over runs
// is again a stochastic lower bound on log p_ann(v). The better q matches
// p_ann(h | v), the less the weights vary and the tighter the bound; any q
// leaves it valid. A model whose path keeps hidden layers and no Proposal
// is refused, and so is a Proposal where the path keeps none.
func RAISE(m runtime.Reflective, base *Base, data *dataset.Dataset, cfg RAISEConfig) (*RAISEResult, error) {
	start := time.Now()
	name := m.ModelName()
	fail := func(err error) error { return fmt.Errorf("runtime: RAISE of %s: %w", name, err) }
	betas, err := AISConfig{Betas: cfg.Betas, Temperatures: cfg.Temperatures}.Schedule()
	if err != nil {
		return nil, fail(err)
	}
	runs := cfg.Runs
	switch {
	case runs == 0:
		runs = DefaultRAISERuns
	case runs < 0:
		return nil, fail(fmt.Errorf("Runs is %d; 0 means %d, otherwise it must be at least 1", runs, DefaultRAISERuns))
	}
	if base == nil {
		return nil, fail(errors.New("no base model"))
	}
	if data == nil || data.Rows < 1 {
		return nil, fail(errors.New("no test rows"))
	}
	if n := layout.VisibleSize(m); data.Cols != n {
		return nil, fail(fmt.Errorf("data has %d columns, the visible layers have %d units", data.Cols, n))
	}
	if len(data.X) < data.Rows*data.Cols {
		return nil, fail(fmt.Errorf("data holds %d values, not %d rows of %d", len(data.X), data.Rows, data.Cols))
	}
	fe, kept := raisePath(m)
	if err := checkProposal(m, kept, cfg.Proposal); err != nil {
		return nil, fail(err)
	}
	z0, err := base.LogZ(m)
	if err != nil {
		return nil, err
	}
	if fe >= 0 && !sweepForgetsHidden(m, base, data, m.FreeEnergies()[fe].SumOut) {
		return nil, fail(errors.New("a Gibbs sweep reads the summed-out hidden layers before it resamples them from the layers the path keeps, so it is no Markov kernel on the path's state; RAISE is not implemented for this sweep order"))
	}

	d := &pathDensity{m: m, base: base, fe: fe}
	K := len(betas) - 1
	rows, cols := data.Rows, data.Cols
	per := max(1, raiseChains/runs) // rows per batch
	method := fmt.Sprintf("RAISE, %d temperatures, %d runs per row, %d rows", K, runs, rows)
	if cfg.Proposal != nil {
		method += fmt.Sprintf(", %s drawn from %s", layerNames(m, kept), cfg.Proposal)
	}
	res := &RAISEResult{Method: method, LogP: make([]float64, rows), ESS: make([]float64, rows)}
	total := rows * K // temperature steps of one chain per row, for progress
	var x runtime.Chains
	var rep, lw, fK, cur, prev, lin, logQ []float64
	rng := runtime.NewRNG(mix64(cfg.Seed^0x71), 0x5241495345)
	for b, lo := 0, 0; lo < rows; b, lo = b+1, lo+per {
		hi := min(rows, lo+per)
		n := (hi - lo) * runs
		if x == nil || x.Len() != n {
			if x != nil {
				m.HoldParams(x, false)
			}
			x = m.NewChains(n, mix64(cfg.Seed^0x5241495345)+uint64(b))
			m.HoldParams(x, true)
			base.apply(m, x)
			rep, lw, fK = make([]float64, n*cols), make([]float64, n), make([]float64, n)
			cur, prev, lin, logQ = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		}
		for r := lo; r < hi; r++ {
			row := data.Row(r)
			for j := range runs {
				copy(rep[((r-lo)*runs+j)*cols:], row)
			}
		}
		layout.PutRows(m, x, rep, cols)
		if cfg.Proposal != nil { // x_K = (v, h), h ~ q(h | v)
			if err := cfg.Proposal.Propose(m, x, kept, &rng, logQ); err != nil {
				m.HoldParams(x, false)
				return nil, fail(err)
			}
		}
		d.eval(x, 1, fK) // log f_K(x_K)
		m.Sweep(x, 1)    // x_{K−1} ~ T_K(·|x_K)
		clear(lw)
		if fe < 0 {
			d.eval(x, 1, prev)
		}
		for k := K - 1; k >= 0; k-- {
			// lw += log f_k(x_k) − log f_{k+1}(x_k), then x_{k−1} ~ T_k(·|x_k).
			if fe >= 0 {
				clear(lin)
				base.LogDensity(m, x, 0, lin)
				m.AnnealStep(x, fe, betas[k+1], betas[k], prev, cur, k > 0)
				for c := range lw {
					lw[c] += -cur[c] + (1-betas[k])*lin[c] + prev[c] - (1-betas[k+1])*lin[c]
				}
			} else {
				d.eval(x, betas[k], cur)
				for c := range lw {
					lw[c] += cur[c] - prev[c]
				}
				if k > 0 {
					m.Sweep(x, betas[k])
					d.eval(x, betas[k], prev)
				}
			}
			if cfg.Progress != nil {
				done := lo*K + (K-k)*(hi-lo)
				before := done - (hi - lo)
				if done*10/total != before*10/total {
					el := time.Since(start).Seconds()
					fmt.Fprintf(cfg.Progress, "RAISE %s: rows %d–%d of %d, β = %.4f, %d%% done, %.1fs, about %.0fs left\n",
						name, lo+1, hi, rows, betas[k], done*100/total, el, el*float64(total-done)/float64(done))
				}
			}
		}
		for r := lo; r < hi; r++ {
			w := lw[(r-lo)*runs : (r-lo+1)*runs]
			for j := range w {
				w[j] += fK[(r-lo)*runs+j] - z0 - logQ[(r-lo)*runs+j]
			}
			res.LogP[r] = runtime.LogMeanExp(w)
			res.ESS[r] = stats.KishESS(w)
		}
	}
	m.HoldParams(x, false)
	res.Mean, res.SE = stats.MeanSE(res.LogP)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// raisePath returns the path RAISE follows, the one AIS anneals: the free
// energy that sums out the most hidden units and no visible one
// (hiddenFreeEnergy), or −1 for the energy; and the hidden layers that
// path keeps (indices into Layers()), none for a model whose hidden layers
// can all be summed out given the visible ones.
func raisePath(m runtime.Reflective) (fe int, kept []int) {
	fe = hiddenFreeEnergy(m)
	summed := map[string]bool{}
	if fe >= 0 {
		for _, n := range m.FreeEnergies()[fe].SumOut {
			summed[n] = true
		}
	}
	for i, ly := range m.Layers() {
		if !ly.Visible && !summed[ly.Name] {
			kept = append(kept, i)
		}
	}
	return fe, kept
}

// checkProposal refuses a path that keeps hidden layers without a
// proposal to draw them, and a proposal where there is nothing to draw.
func checkProposal(m runtime.Reflective, kept []int, q Proposal) error {
	switch {
	case len(kept) > 0 && q == nil:
		return fmt.Errorf("the path density keeps the hidden layer(s) %s, which cannot be summed out together with the others given the visible layers (a deep Boltzmann machine, say); RAISE then starts each reverse chain from a draw of them given v and needs RAISEConfig.Proposal with its density (deep.MeanFieldProposal: the mean-field posterior)",
			layerNames(m, kept))
	case len(kept) == 0 && q != nil:
		return fmt.Errorf("the path density keeps no hidden layer, so there is nothing for RAISEConfig.Proposal (%s) to draw; leave it nil", q)
	}
	return nil
}

// layerNames lists the names of layers, by index.
func layerNames(m runtime.Reflective, idx []int) string {
	layers := m.Layers()
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = layers[i].Name
	}
	return strings.Join(names, ", ")
}

// sweepForgetsHidden reports whether one sweep of m leaves chains that
// differ only in the units of the summed-out layers in the same state:
// whether the sweep draws those layers from the layers the path keeps
// before it reads them, and so is a Markov kernel on the kept layers. It
// sweeps two batches of chains with the same random streams, the visible
// units of the first rows of data, the same kept hidden units, and
// opposite extremes in the summed-out units (0 and 1, −1 and +1, the
// first and the last category).
func sweepForgetsHidden(m runtime.Reflective, base *Base, data *dataset.Dataset, summed []string) bool {
	const n = 16
	rows := make([]float64, n*data.Cols)
	for c := range n {
		copy(rows[c*data.Cols:], data.Row(c%data.Rows))
	}
	var xs [2]runtime.Chains
	for s := range xs {
		x := m.NewChains(n, 0x5eed)
		base.apply(m, x)
		layout.PutRows(m, x, rows, data.Cols)
		layers := x.Layers()
		for i, ly := range m.Layers() {
			if !slices.Contains(summed, ly.Name) {
				continue
			}
			t := layers[i].Data
			switch ly.Kind {
			case runtime.KindBernoulli, runtime.KindSpin, runtime.KindGaussian:
				v := float64(s)
				if ly.Kind != runtime.KindBernoulli {
					v = 2*v - 1
				}
				for u := range t {
					t[u] = v
				}
			case runtime.KindSoftmax:
				k := ly.Shape[len(ly.Shape)-1]
				clear(t)
				for g := 0; g < len(t)/k; g++ {
					t[g*k+s*(k-1)] = 1
				}
			}
		}
		m.Sweep(x, 1)
		xs[s] = x
	}
	a, b := xs[0].Layers(), xs[1].Layers()
	for i := range a {
		for u := range a[i].Data {
			if a[i].Data[u] != b[i].Data[u] {
				return false
			}
		}
	}
	return true
}
