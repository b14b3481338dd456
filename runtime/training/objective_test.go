package training_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/gauss"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// snapshot copies tensors' values.
func snapshot(ts []runtime.Tensor) [][]float64 {
	var s [][]float64
	for _, t := range ts {
		s = append(s, slices.Clone(t.Data))
	}
	return s
}

func restore(ts []runtime.Tensor, s [][]float64) {
	for i, t := range ts {
		copy(t.Data, s[i])
	}
}

// TestObjectiveGradients checks each method's step against central finite
// differences of the loss it returns: with learning rate 1 and no momentum
// a step moves θ by the ascent direction g, which must equal −∂(loss/rows)/∂θ.
// Random choices (sites, noise, corruption) repeat exactly because the
// random stream is restored from State before every evaluation.
func TestObjectiveGradients(t *testing.T) {
	type model struct {
		name string
		new  func() runtime.Reflective
	}
	var (
		bin = model{"rbm", func() runtime.Reflective { return rbm.NewRBM(1).Reflect() }}
		fv  = model{"fvbm", func() runtime.Reflective { return fvbm.NewFVBM(2).Reflect() }}
		cls = model{"classrbm", func() runtime.Reflective { return classrbm.NewClassRBM(3).Reflect() }}
		gs  = model{"gauss", func() runtime.Reflective { return gauss.NewGauss(4).Reflect() }}
		gr  = model{"grbm", func() runtime.Reflective { return grbm.NewGRBM(5).Reflect() }}
	)
	cases := []struct {
		model
		how training.Method
		tol float64 // relative; the score methods difference ∂F/∂θ themselves
	}{
		{bin, training.Exact{}, 1e-6},
		{fv, training.Exact{}, 1e-6},
		{cls, training.Exact{}, 1e-6},
		{bin, training.PL{}, 1e-6},
		{bin, training.PL{Sites: 2}, 1e-6},
		{bin, training.GPL{Block: 2}, 1e-6},
		{fv, training.GPL{Block: 3}, 1e-6},
		{cls, training.GPL{Block: 2, Sites: 3}, 1e-6},
		{cls, training.GPL{Groups: [][]int{{0, 2}, {3, 1}}}, 1e-6},
		{fv, training.PL{}, 1e-6},
		{cls, training.PL{}, 1e-6},
		{bin, training.Ratio{}, 1e-6},
		{fv, training.Ratio{Sites: 3}, 1e-6},
		{gs, training.Score{}, 1e-4},
		{gr, training.Score{}, 1e-4},
		{gr, training.Score{Slices: 2}, 1e-4},
		{gs, training.DSM{NoiseStd: 0.3}, 1e-5},
		{gr, training.DSM{NoiseStd: 0.3}, 1e-5},
		{bin, training.NCE{Ratio: 3}, 1e-6},
		{cls, training.NCE{Ratio: 2}, 1e-6},
		{gr, training.NCE{Ratio: 2}, 1e-6},
		{cls, training.Conditional{Label: "y"}, 1e-6},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s", c.name, c.how.Name())
		switch h := c.how.(type) {
		case training.PL:
			if h.Sites > 0 {
				name += "/sampled"
			}
		case training.GPL:
			if h.Sites > 0 {
				name += "/sampled"
			}
		case training.Ratio:
			if h.Sites > 0 {
				name += "/sampled"
			}
		case training.Score:
			if h.Slices > 0 {
				name += "/sampled"
			}
		}
		t.Run(name, func(t *testing.T) {
			m := c.new()
			modeltest.Perturb(m, 0.5, 7)
			data := modeltest.RandomRows(m, 7, 11)
			how := c.how
			if nce, ok := how.(training.NCE); ok {
				b, err := estimators.BaseRate(m, data, 1)
				if err != nil {
					t.Fatal(err)
				}
				nce.Noise = b
				how = nce
			}
			opts := training.Options{BatchSize: data.Rows, Seed: 13, Optimizer: runtime.SGD{LearningRate: 1}}
			step, err := training.NewTrainer(m, how, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Optimizer = runtime.SGD{}
			eval, err := training.NewTrainer(m, how, opts)
			if err != nil {
				t.Fatal(err)
			}
			params := append(m.Params(), learnedLogZ(step.State())...)
			state0, evalState := snapshot(step.State()), snapshot(eval.State())
			theta0 := snapshot(params)
			loss := func() float64 {
				restore(eval.State(), evalState)
				if c := learnedLogZ(eval.State()); c != nil { // NCE's c lives in each trainer
					c[0].Data[0] = learnedLogZ(step.State())[0].Data[0]
				}
				return eval.TrainStep(data.X, data.Rows, 0) / float64(data.Rows)
			}
			step.TrainStep(data.X, data.Rows, 0)
			g := snapshot(params)
			for i := range g {
				for k := range g[i] {
					g[i][k] -= theta0[i][k]
				}
			}
			restore(params, theta0)
			restore(step.State(), state0)
			checked := 0
			for i, p := range params {
				if p.Fixed {
					continue
				}
				for k := range p.Data {
					h := 1e-5 * math.Max(1, math.Abs(theta0[i][k]))
					p.Data[k] = theta0[i][k] + h
					up := loss()
					p.Data[k] = theta0[i][k] - h
					down := loss()
					p.Data[k] = theta0[i][k]
					fd := -(up - down) / (2 * h)
					if math.Abs(g[i][k]-fd) > c.tol*math.Max(1, math.Abs(fd)) {
						t.Errorf("%s[%d]: step direction %.9g, −∂loss/∂θ by differences %.9g", p.Name, k, g[i][k], fd)
					}
					checked++
				}
			}
			if checked == 0 {
				t.Fatal("no parameter checked")
			}
		})
	}
}

// learnedLogZ returns NCE's log Z tensor among the state, if any.
func learnedLogZ(state []runtime.Tensor) []runtime.Tensor {
	for _, s := range state {
		if s.Name == "nce.logZ" {
			return []runtime.Tensor{s}
		}
	}
	return nil
}

// TestPCDWithOtherSamplers: with many persistent chains brought to
// equilibrium by Metropolis–Hastings (binary units) or MALA (gaussian ones),
// the stochastic-maximum-likelihood direction matches the exact
// log-likelihood gradient within its Monte Carlo error.
func TestPCDWithOtherSamplers(t *testing.T) {
	cases := []struct {
		name    string
		new     func() runtime.Reflective
		sampler estimators.Sampler
	}{
		{"rbm/metropolis", func() runtime.Reflective { return rbm.NewRBM(1).Reflect() }, estimators.Sampler{Name: "metropolis"}},
		{"grbm/mala", func() runtime.Reflective { return grbm.NewGRBM(2).Reflect() }, estimators.Sampler{Name: "mala", Step: 0.05}},
		{"grbm/metropolis", func() runtime.Reflective { return grbm.NewGRBM(2).Reflect() }, estimators.Sampler{Name: "metropolis", Step: 0.5}},
	}
	if testing.Short() {
		cases = cases[:1] // the other samplers: in the full suite
	}
	const chains = 10000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := c.new()
			modeltest.Perturb(m, 0.5, 3)
			data := modeltest.RandomRows(m, 5, 4)
			theta0 := snapshot(m.Params())
			direction := func(how training.Method) [][]float64 {
				tr, err := training.NewTrainer(m, how, training.Options{BatchSize: data.Rows, Seed: 5, Optimizer: runtime.SGD{LearningRate: 1}})
				if err != nil {
					t.Fatal(err)
				}
				tr.TrainStep(data.X, data.Rows, 0)
				g := snapshot(m.Params())
				for i := range g {
					for k := range g[i] {
						g[i][k] -= theta0[i][k]
					}
				}
				restore(m.Params(), theta0)
				if o, ok := tr.(*training.ObjectiveTrainer); ok && how.Name() == "pcd" {
					st := o.SamplerStats()
					t.Logf("%s: %d transitions, acceptance rate %.3f", c.sampler.Name, st.Transitions, st.AcceptanceRate())
				}
				return g
			}
			exact := direction(training.Exact{})
			pcd := direction(training.PCD{Sampler: c.sampler, K: 150, Chains: chains})
			// The chains' mean of ∂F/∂θ has standard error σ/√10000 with σ
			// below 1 for these parameters (|∂F/∂W| ≤ |v|·1, unit-scale v), so
			// 0.06 is at least 6 standard errors.
			worst := 0.0
			for i, p := range m.Params() {
				for k := range p.Data {
					d := math.Abs(pcd[i][k] - exact[i][k])
					worst = math.Max(worst, d)
					if d > 0.06 {
						t.Errorf("%s[%d]: pcd direction %.4f, exact %.4f", p.Name, k, pcd[i][k], exact[i][k])
					}
				}
			}
			t.Logf("largest difference from the exact gradient %.4f", worst)
		})
	}
}

// TestObjectiveTrainerRefuses: methods that do not apply say why.
func TestObjectiveTrainerRefuses(t *testing.T) {
	bin, gau := rbm.NewRBM(1).Reflect(), grbm.NewGRBM(1).Reflect()
	cases := []struct {
		m    runtime.Reflective
		how  training.Method
		opts training.Options
		want string
	}{
		{bin, nil, training.Options{BatchSize: 1}, "no method given"},
		{bin, training.PL{}, training.Options{}, "BatchSize must be positive"},
		{bin, training.Score{}, training.Options{BatchSize: 1}, "score matching needs gaussian units"},
		{gau, training.Ratio{}, training.Options{BatchSize: 1}, "ratio matching needs binary"},
		{gau, training.PL{}, training.Options{BatchSize: 1}, "pseudo-likelihood here needs discrete units"},
		{bin, training.NCE{}, training.Options{BatchSize: 1}, "NCE needs a noise distribution"},
		{bin, training.Exact{Limit: 4}, training.Options{BatchSize: 1}, "more than the limit"},
		{bin, training.PCD{Sampler: estimators.Sampler{Name: "hmc"}}, training.Options{BatchSize: 1}, `unknown sampler "hmc"`},
		{gau, training.PCD{Sampler: estimators.Sampler{Name: "mala"}}, training.Options{BatchSize: 1}, "needs a positive Step"},
		{bin, training.PL{}, training.Options{BatchSize: 1, Rates: map[string]float64{"Q": 1}}, `Rates names "Q"`},
		{bin, training.PL{}, training.Options{BatchSize: 1, EvalRows: -1}, "EvalRows must not be negative"},
		{bin, training.Conditional{}, training.Options{BatchSize: 1}, "needs Label"},
		{bin, training.Conditional{Label: "v"}, training.Options{BatchSize: 1}, "must be one softmax group"},
		{bin, training.Conditional{Label: "h"}, training.Options{BatchSize: 1}, "no visible layer h"},
	}
	for _, c := range cases {
		_, err := training.NewTrainer(c.m, c.how, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v on %s: error %v, want one containing %q", c.how, c.m.ModelName(), err, c.want)
		}
	}
}

// TestEvalRows: evaluating the rows in smaller batches of chains
// (Options.EvalRows) changes only the order in which the gradient is
// summed: the losses and the parameters after three steps agree with the
// default's to rounding (1e-12 relative; a step moves them by ~1e-1), and
// for score matching, whose gradient differences ∂F/∂θ at steps of 1e-3
// and 1e-4, to that rounding divided by the steps (1e-8).
// The negative control runs the same comparison against a trainer whose
// learning rate is 0.1% higher, which must be told apart.
func TestEvalRows(t *testing.T) {
	newModel := func(name string) runtime.Reflective {
		var m runtime.Reflective
		switch name {
		case "classrbm":
			m = classrbm.NewClassRBM(3).Reflect()
		case "rbm":
			m = rbm.NewRBM(1).Reflect()
		default:
			m = gauss.NewGauss(4).Reflect()
		}
		modeltest.Perturb(m, 0.5, 7)
		return m
	}
	cases := []struct {
		model string
		how   training.Method
		rows  int
		tol   float64
	}{
		{"classrbm", training.Conditional{Label: "y"}, 1, 1e-12},
		{"classrbm", training.Conditional{Label: "y", Hybrid: 0.5, K: 1}, 3, 1e-12},
		{"rbm", training.PL{Sites: 2}, 5, 1e-12},
		{"rbm", training.Exact{}, 7, 1e-12},
		{"gauss", training.Score{}, 2, 1e-8},
	}
	// run takes three steps of how with opts on a fresh model and returns
	// the losses and the parameters; *most is the most chains it made at once.
	run := func(t *testing.T, model string, how training.Method, opts training.Options, most *int) ([]float64, [][]float64) {
		m := newModel(model)
		data := modeltest.RandomRows(m, 11, 11)
		opts.BatchSize = data.Rows
		tr, err := training.NewTrainer(chainCounter{m, most}, how, opts)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for step := range 3 {
			losses = append(losses, tr.TrainStep(data.X, data.Rows, step))
		}
		return losses, snapshot(m.Params())
	}
	// differ says where two runs differ by more than rounding.
	differ := func(tol float64, la, lb []float64, pa, pb [][]float64) string {
		close := func(a, b float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(a)+math.Abs(b)) }
		for i := range la {
			if !close(la[i], lb[i]) {
				return fmt.Sprintf("loss of step %d: %.17g against %.17g", i, la[i], lb[i])
			}
		}
		for i := range pa {
			for k := range pa[i] {
				if !close(pa[i][k], pb[i][k]) {
					return fmt.Sprintf("parameter %d[%d]: %.17g against %.17g", i, k, pa[i][k], pb[i][k])
				}
			}
		}
		return ""
	}
	opts := training.Options{Seed: 5, Optimizer: runtime.SGD{LearningRate: 0.3, Momentum: 0.5}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", c.model, c.how.Name(), c.rows), func(t *testing.T) {
			var mostDefault, mostSmall, mostFaster int
			la, pa := run(t, c.model, c.how, opts, &mostDefault)
			small := opts
			small.EvalRows = c.rows
			lb, pb := run(t, c.model, c.how, small, &mostSmall)
			if d := differ(c.tol, la, lb, pa, pb); d != "" {
				t.Errorf("EvalRows %d against the default: %s", c.rows, d)
			}
			if mostSmall > c.rows || mostDefault <= c.rows {
				t.Errorf("batches of at most %d chains with EvalRows %d, %d with the default; want at most %d, and more by default", mostSmall, c.rows, mostDefault, c.rows)
			}
			faster := small
			faster.Optimizer.LearningRate *= 1.001
			lc, pc := run(t, c.model, c.how, faster, &mostFaster)
			if differ(c.tol, la, lc, pa, pc) == "" {
				t.Error("negative control: a 0.1% higher learning rate was not told apart")
			}
		})
	}
}

// chainCounter is a model that records in *most the largest batch of
// chains asked of NewChains.
type chainCounter struct {
	runtime.Reflective
	most *int
}

func (m chainCounter) NewChains(n int, seed uint64) runtime.Chains {
	*m.most = max(*m.most, n)
	return m.Reflective.NewChains(n, seed)
}

// TestHybridStep: a hybrid step is the conditional step followed by the
// generated CD step at Hybrid times the learning rate, on the same rows.
func TestHybridStep(t *testing.T) {
	newModel := func() runtime.Reflective {
		m := classrbm.NewClassRBM(3).Reflect()
		modeltest.Perturb(m, 0.5, 7)
		return m
	}
	data := modeltest.RandomRows(newModel(), 9, 11)
	opt := runtime.SGD{LearningRate: 0.3, Momentum: 0.5}
	opts := training.Options{BatchSize: data.Rows, Optimizer: opt, Seed: 5}

	hybrid := newModel()
	h, err := training.NewTrainer(hybrid, training.Conditional{Label: "y", K: 2, Hybrid: 0.25}, opts)
	if err != nil {
		t.Fatal(err)
	}
	twice := newModel()
	c, err := training.NewTrainer(twice, training.Conditional{Label: "y", K: 2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	gen := opt
	gen.LearningRate *= 0.25
	g, err := twice.NewTrainer(runtime.CDConfig{K: 2, BatchSize: data.Rows, Optimizer: gen, Seed: 5 ^ 0x487962})
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	theta0 := snapshot(hybrid.Params())
	for step := range 3 {
		lh := h.TrainStep(data.X, data.Rows, step)
		lc := c.TrainStep(data.X, data.Rows, step)
		g.TrainStep(data.X, data.Rows, step)
		if lh != lc {
			t.Errorf("step %d: hybrid loss %g, conditional loss %g; both should be −Σ log p(y | x) before the step", step, lh, lc)
		}
	}
	for i, p := range hybrid.Params() {
		q := twice.Params()[i]
		for k := range p.Data {
			if math.Abs(p.Data[k]-q.Data[k]) > 1e-12 {
				t.Fatalf("%s[%d]: hybrid %g, conditional then CD %g", p.Name, k, p.Data[k], q.Data[k])
			}
			moved = moved || p.Data[k] != theta0[i][k]
		}
	}
	if !moved {
		t.Fatal("the hybrid steps left every parameter unchanged")
	}
	n := 0
	for _, s := range h.State() {
		if strings.HasPrefix(s.Name, "hybrid.") {
			n++
		}
	}
	if n == 0 {
		t.Error("State does not include the generative trainer's state")
	}
}

// blocks returns the groups of block neighbouring units of n.
func blocks(n, block int) [][]int {
	var g [][]int
	for lo := 0; lo < n; lo += block {
		var b []int
		for c := lo; c < min(n, lo+block); c++ {
			b = append(b, c)
		}
		g = append(g, b)
	}
	return g
}

// gplLoss is −Σ_B log p(v_B | v_−B) summed over the rows and the groups B
// of units of a fully visible model's one bernoulli layer, each
// conditional from the energies of every configuration of its group: the
// definition, by brute force.
func gplLoss(m runtime.Reflective, rows [][]float64, groups [][]int) float64 {
	x := m.NewChains(1, 1)
	energy := func(v []float64) float64 {
		copy(x.Layers()[0].Data, v)
		e := make([]float64, 1)
		m.Energy(x, e)
		return e[0]
	}
	loss := 0.0
	for _, v := range rows {
		for _, g := range groups {
			y := slices.Clone(v)
			lse := math.Inf(-1)
			for c := range 1 << len(g) {
				for b, col := range g {
					y[col] = float64(c >> b & 1)
				}
				lse = runtime.LogAddExp(lse, -energy(y))
			}
			loss += energy(v) + lse
		}
	}
	return loss
}

// Generalized pseudo-likelihood's loss is its definition: blocks of 1, 2,
// 3 and all 5 units of a fully visible Boltzmann machine (the last, the
// exact negative log-likelihood) against brute force; Block 1 is
// pseudo-likelihood, to the last bit; a brute force with the wrong blocks
// is told apart (the negative control).
func TestGPLLossIsItsDefinition(t *testing.T) {
	m := fvbm.NewFVBM(2).Reflect()
	modeltest.Perturb(m, 0.5, 7)
	data := modeltest.RandomRows(m, 6, 11)
	var rows [][]float64
	for r := range data.Rows {
		rows = append(rows, data.Row(r))
	}
	loss := func(how training.Method) float64 {
		tr, err := training.NewTrainer(m, how, training.Options{BatchSize: data.Rows})
		if err != nil {
			t.Fatal(err)
		}
		return tr.TrainStep(data.X, data.Rows, 0) // no learning rate: the parameters stay
	}
	for _, block := range []int{1, 2, 3, 5} {
		got, want := loss(training.GPL{Block: block}), gplLoss(m, rows, blocks(5, block))
		if math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("Block %d: loss %.12g, by definition %.12g", block, got, want)
		}
		if block > 1 && math.Abs(got-gplLoss(m, rows, blocks(5, 1))) < 1e-6 {
			t.Errorf("Block %d: the loss equals pseudo-likelihood's; the blocks are not used", block)
		}
	}
	// Groups the user chooses, not neighbours; unit 2 in none is a site of its own.
	groups := [][]int{{0, 3}, {4, 1}}
	got, want := loss(training.GPL{Groups: groups}), gplLoss(m, rows, [][]int{{0, 3}, {4, 1}, {2}})
	if math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("groups %v: loss %.12g, by definition %.12g", groups, got, want)
	}
	if math.Abs(got-gplLoss(m, rows, blocks(5, 2))) < 1e-6 {
		t.Errorf("groups %v: the loss equals that of blocks of 2; the groups are not used", groups)
	}
	if a, b := loss(training.GPL{Block: 1}), loss(training.PL{}); a != b {
		t.Errorf("GPL with blocks of 1: %.17g, pseudo-likelihood %.17g", a, b)
	}
	for _, c := range []struct {
		how  training.GPL
		want string
	}{
		{training.GPL{Block: 0}, "Block is 0"},
		{training.GPL{Block: training.MaxGPLBlock + 1}, "Block is 13"},
		{training.GPL{Block: 2, Groups: [][]int{{0}}}, "not both"},
		{training.GPL{Groups: [][]int{{0, 1}, {1, 2}}}, "column 1 is in groups 0 and 1"},
		{training.GPL{Groups: [][]int{{0, 5}}}, "columns 0 to 4"},
		{training.GPL{Groups: [][]int{{}}}, "group 0 has 0 units"},
	} {
		if _, err := training.NewTrainer(m, c.how, training.Options{BatchSize: 1}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one containing %q", c.how, err, c.want)
		}
	}
	// The class RBM's columns 0–3 are bernoulli pixels, 4–6 its softmax label.
	cls := classrbm.NewClassRBM(3).Reflect()
	if _, err := training.NewTrainer(cls, training.GPL{Groups: [][]int{{0, 4}}}, training.Options{BatchSize: 1}); err == nil || !strings.Contains(err.Error(), "a softmax unit") {
		t.Errorf("a group with a softmax unit: err = %v", err)
	}
}
