package deep

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/emtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// strongDBM is the 16-12-8 test machine with weights of scale w, so that
// mean field from zero takes many sweeps, and data drawn from it by Gibbs
// sampling.
func strongDBM(t *testing.T, w float64, rows int) (*dbmtest.Small, *dataset.Dataset) {
	t.Helper()
	m := dbmtest.NewSmall(1)
	rng := runtime.NewRNG(5, 0)
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = w * rng.Normal()
		}
	}
	x := dbmtest.NewSmallChains(rows, 2)
	m.Sweeps(x, 1, 200)
	return m, &dataset.Dataset{Rows: rows, Cols: 16, X: append([]float64(nil), x.V...)}
}

// The recognition model's gradient is that of its loss: each weight and
// bias moved by ±h changes the cross-entropy by what the step's gradient
// says, to O(h²).
func TestRecognitionGradient(t *testing.T) {
	m, data := strongDBM(t, 1, 7)
	r, err := NewRecognition(m.Reflect(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := runtime.NewRNG(9, 0)
	for l := 1; l < len(r.Sizes); l++ {
		for i := range r.R[l] {
			r.R[l][i] = 0.5 * rng.Normal()
		}
		for i := range r.Bias[l] {
			r.Bias[l][i] = 0.5 * rng.Normal()
		}
	}
	targets := make([][]float64, len(r.Sizes))
	for l := 1; l < len(r.Sizes); l++ {
		targets[l] = make([]float64, 7*r.Sizes[l])
		for i := range targets[l] {
			targets[l][i] = rng.Float64()
		}
	}
	loss := func() float64 {
		copy(r.mu[0], data.X)
		r.forward(7)
		s := 0.0
		for l := 1; l < len(r.Sizes); l++ {
			for k, m := range r.mu[l][:7*r.Sizes[l]] {
				s += crossEntropy(targets[l][k], m)
			}
		}
		return s / 7
	}
	// A step at rate 1 without momentum moves θ by −∂loss/∂θ: read the
	// gradient off the change, then undo it.
	check := func(name string, theta []float64, l int) {
		saved := snapshot(r)
		before := append([]float64(nil), theta...)
		copy(r.mu[0], data.X)
		opt := runtime.SGD{LearningRate: 1}
		r.step(7, targets, &opt, 0)
		grad := make([]float64, len(theta))
		for i := range theta {
			grad[i] = before[i] - theta[i]
		}
		restore(r, saved) // undo every layer's step
		const h = 1e-5
		for i := range theta {
			theta[i] = before[i] + h
			up := loss()
			theta[i] = before[i] - h
			down := loss()
			theta[i] = before[i]
			if fd := (up - down) / (2 * h); math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("%s of layer %d [%d]: step's gradient %.9g, finite differences %.9g", name, l, i, grad[i], fd)
				return
			}
		}
	}
	for l := 1; l < len(r.Sizes); l++ {
		check("R", r.R[l], l)
		check("bias", r.Bias[l], l)
	}
}

func snapshot(r *Recognition) [][]float64 {
	var out [][]float64
	for l := 1; l < len(r.Sizes); l++ {
		out = append(out, append([]float64(nil), r.R[l]...), append([]float64(nil), r.Bias[l]...))
	}
	return out
}

func restore(r *Recognition, s [][]float64) {
	for l := 1; l < len(r.Sizes); l++ {
		copy(r.R[l], s[2*(l-1)])
		copy(r.Bias[l], s[2*(l-1)+1])
	}
}

// A trained recognition model starts mean field closer to its fixed point:
// at most 70% of the sweeps to the same tolerance (here 26 against 47 from
// zero), and a higher bound when both stop after one sweep. The untrained
// model (every guess ½, 38 sweeps) is the negative control: it does not
// pass. (Sweeps count for a batch of 100, until no mean of any row moves
// more than the tolerance: the slowest row decides, which is why tighter
// tolerances save a smaller share.)
func TestRecognitionSavesSweeps(t *testing.T) {
	m, data := strongDBM(t, 1.5, 2000)
	r, err := NewRecognition(m.Reflect(), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const iters, tol = 500, 1e-4
	untrained, err := CompareMeanField(m.Reflect(), r, data, iters, tol, 1)
	if err != nil {
		t.Fatal(err)
	}
	epochs, err := TrainRecognition(context.Background(), m.Reflect(), r, data, RecognitionConfig{Epochs: 30, Rate: 0.5, Momentum: 0.9, Iters: iters, Tol: tol, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if first, last := epochs[0].Loss, epochs[len(epochs)-1].Loss; !(last < first) {
		t.Errorf("cross-entropy %.4f after training, %.4f in the first epoch", last, first)
	}
	trained, err := CompareMeanField(m.Reflect(), r, data, iters, tol, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweeps to %g from zero %.1f, from untrained guesses %.1f, from trained guesses %.1f", tol, trained.SweepsFromZero, untrained.SweepsFromGuess, trained.SweepsFromGuess)
	t.Logf("bound after 1 sweep from zero %.4f, from trained guesses %.4f; at the stopping rule %.4f and %.4f",
		trained.BudgetBoundFromZero, trained.BudgetBoundFromGuess, trained.BoundFromZero, trained.BoundFromGuess)
	saves := func(c *MeanFieldComparison) bool { return c.SweepsFromGuess <= 0.7*c.SweepsFromZero }
	if !saves(trained) {
		t.Errorf("trained guesses take %.1f sweeps, from zero %.1f: want at most 70%%", trained.SweepsFromGuess, trained.SweepsFromZero)
	}
	if saves(untrained) {
		t.Errorf("negative control: untrained guesses (½) take %.1f sweeps, from zero %.1f: the test cannot tell", untrained.SweepsFromGuess, untrained.SweepsFromZero)
	}
	if !(trained.BudgetBoundFromGuess > trained.BudgetBoundFromZero) {
		t.Errorf("after one sweep the bound from trained guesses %.4f is not above the one from zero %.4f", trained.BudgetBoundFromGuess, trained.BudgetBoundFromZero)
	}
}

// Hidden layers other than bernoulli are refused, naming the kind.
func TestRecognitionRefusesOtherKinds(t *testing.T) {
	_, err := NewRecognition(emtest.NewGHid(1).Reflect(), 10, nil)
	if err == nil || !strings.Contains(err.Error(), "gaussian") {
		t.Fatalf("NewRecognition of a gaussian hidden layer: err = %v, want one naming gaussian", err)
	}
	if _, err := NewRecognition(dbmtest.NewSmall(1).Reflect(), 0, nil); err == nil {
		t.Fatal("NewRecognition accepted batch size 0")
	}
}

// As a trainer's guide (CDConfig.MeanFieldGuide) the recognition model only
// moves where mean field starts: run to convergence, a step from its
// guesses updates the parameters as a step from zero does, to 1e-9, and the
// guide learns from the fixed points it sees. The negative control stops
// mean field after one sweep, where the starting point shows.
func TestRecognitionGuidesTrainer(t *testing.T) {
	step := func(iters int, guided bool) ([]float64, *Recognition) {
		m, data := strongDBM(t, 0.5, 50)
		var r *Recognition
		cfg := runtime.CDConfig{K: 1, Persistent: true, Chains: 10, BatchSize: 50, Seed: 3,
			Optimizer: runtime.SGD{LearningRate: 0.05}, MeanFieldIters: iters, MeanFieldTol: 1e-14}
		if guided {
			var err error
			if r, err = NewRecognition(m.Reflect(), 50, nil); err != nil {
				t.Fatal(err)
			}
			rng := runtime.NewRNG(4, 0)
			for l := 1; l < len(r.Sizes); l++ {
				for i := range r.R[l] {
					r.R[l][i] = rng.Normal()
				}
			}
			cfg.MeanFieldGuide = r
		}
		tr, err := dbmtest.NewSmallTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.TrainStep(data.X, 50, 0)
		var out []float64
		for _, p := range m.Params() {
			out = append(out, p.Data...)
		}
		return out, r
	}
	diff := func(a, b []float64) float64 {
		d := 0.0
		for i := range a {
			d = max(d, math.Abs(a[i]-b[i]))
		}
		return d
	}
	zero, _ := step(5000, false)
	guided, r := step(5000, true)
	defer r.Close()
	if d := diff(zero, guided); d > 1e-9 {
		t.Errorf("converged mean field: parameters after a guided step differ from an unguided one by %g", d)
	}
	moved := false
	for _, v := range r.Bias[1] {
		moved = moved || v != 0
	}
	if !moved {
		t.Error("the guide did not learn: its biases are still zero")
	}
	zero1, _ := step(1, false)
	guided1, r1 := step(1, true)
	defer r1.Close()
	if d := diff(zero1, guided1); d < 1e-6 {
		t.Errorf("negative control: after one sweep the guided step differs by only %g; the test cannot tell the starting points apart", d)
	}
}

// A trainer's step guided by the recognition model allocates nothing: the
// guide keeps the views of the trainer's batch. The control shows that the
// count sees allocations: asking the chains for their views allocates.
func TestRecognitionGuidedStepAllocatesNothing(t *testing.T) {
	m, data := strongDBM(t, 0.5, 20)
	r, err := NewRecognition(m.Reflect(), 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, Chains: 10, BatchSize: 20, Seed: 3,
		Optimizer: runtime.SGD{LearningRate: 0.01}, MeanFieldGuide: r})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() { tr.TrainStep(data.X, 20, 0) }); a != 0 {
		t.Errorf("a guided step allocates %v times", a)
	}
	ctl, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, Chains: 10, BatchSize: 20, Seed: 3,
		Optimizer: runtime.SGD{LearningRate: 0.01}, MeanFieldGuide: &viewsGuide{r: r}})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() { ctl.TrainStep(data.X, 20, 0) }); a == 0 {
		t.Error("control: a guide that asks for the views at every step counted no allocation; the count cannot see them")
	}
	// The last batch of an epoch is smaller: the guide's views follow it.
	tr.TrainStep(data.X[:7*16], 7, 0)
	if s, n := tr.MeanFieldSweeps(); n != 7 || s < n {
		t.Errorf("after 7 steps the trainer counts %d sweeps in %d steps", s, n)
	}
}

// viewsGuide is the recognition model as a guide that asks the chains for
// their views at every step, as the model did before it kept them.
type viewsGuide struct {
	r    *Recognition
	last []runtime.Tensor
}

func (g *viewsGuide) Guess(x runtime.Chains) { g.last = x.Layers(); g.r.Guess(x) }

func (g *viewsGuide) Learn(x runtime.Chains, epoch int) { g.r.Learn(x, epoch) }
