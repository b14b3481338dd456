package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// halfGuide guesses ½ for every hidden mean and learns nothing: a
// MeanFieldGuide whose starting point a test can reproduce.
type halfGuide struct{}

func (halfGuide) Guess(x runtime.Chains) {
	for l, v := range x.Layers() {
		if l > 0 { // the Small machine's layer 0 is v
			for i := range v.Data {
				v.Data[i] = 0.5
			}
		}
	}
}

func (halfGuide) Learn(runtime.Chains, int) {}

// handCount wraps a Small trainer and, before each step, runs mean field
// by hand on the step's minibatch at the parameters the step sees, with
// the trainer's cap and tolerance, counting the sweeps per epoch. from
// says where that mean field starts: zero (MeanField) or ½ (MeanFieldFrom).
type handCount struct {
	*dbmtest.SmallTrainer
	m             *dbmtest.Small
	x             *dbmtest.SmallChains
	iters         int
	tol           float64
	fromHalf      bool
	sweeps, steps []int
}

func (h *handCount) TrainStep(batch []float64, rows, epoch int) float64 {
	x := h.x
	x.N = rows
	copy(x.V[:rows*16], batch[:rows*16])
	var n int
	if h.fromHalf {
		halfGuide{}.Guess(x)
		n = h.m.MeanFieldFrom(x, h.iters, h.tol, 0)
	} else {
		n = h.m.MeanField(x, h.iters, h.tol, 0)
	}
	h.sweeps[epoch] += n
	h.steps[epoch]++
	return h.SmallTrainer.TrainStep(batch, rows, epoch)
}

// A generated DBM trainer counts the mean-field sweeps of its positive
// phase, and Fit reports them per epoch: on a 16-12-8 machine with strong
// weights, where mean field to 10⁻⁴ stops anywhere between a few sweeps
// and its cap, EpochStats.MeanFieldSweeps of every epoch equals the sweeps
// that mean field run by hand on the same minibatches at the same
// parameters takes, divided by the steps, exactly; so do the metrics line
// and the trainer's running total; and with a guide (every guess ½) the
// count is that of mean field started from ½. Negative controls: the hand
// count from zero differs from the guided trainer's, so the comparison
// sees where mean field starts; and a trainer without mean field (an RBM)
// reports none.
func TestFitReportsMeanFieldSweeps(t *testing.T) {
	const (
		rows, batch, epochs = 60, 10, 3
		iters, tol          = 60, 1e-4
	)
	strong := func() (*dbmtest.Small, *dataset.Dataset) {
		m := dbmtest.NewSmall(1)
		rng := runtime.NewRNG(5, 0)
		for _, p := range m.Params() {
			for i := range p.Data {
				p.Data[i] = rng.Normal()
			}
		}
		x := dbmtest.NewSmallChains(rows, 2)
		m.Sweeps(x, 1, 200)
		return m, &dataset.Dataset{Rows: rows, Cols: 16, X: append([]float64(nil), x.V...)}
	}
	run := func(guided, handFromHalf bool) (*handCount, []training.EpochStats, string, string) {
		t.Helper()
		m, data := strong()
		cfg := runtime.CDConfig{K: 1, Persistent: true, Chains: 10, BatchSize: batch, Seed: 3,
			Optimizer: runtime.SGD{LearningRate: 0.05}, MeanFieldIters: iters, MeanFieldTol: tol}
		if guided {
			cfg.MeanFieldGuide = halfGuide{}
		}
		tr, err := dbmtest.NewSmallTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := &handCount{SmallTrainer: tr, m: m, x: dbmtest.NewSmallChains(batch, 9), iters: iters, tol: tol,
			fromHalf: handFromHalf, sweeps: make([]int, epochs), steps: make([]int, epochs)}
		var progress, metrics bytes.Buffer
		stats, err := training.Fit(context.Background(), h, data, training.FitConfig{Epochs: epochs, BatchSize: batch, Shuffle: true, Seed: 4,
			Progress: &progress, Metrics: &metrics})
		if err != nil {
			t.Fatal(err)
		}
		return h, stats, progress.String(), metrics.String()
	}
	check := func(name string, h *handCount, stats []training.EpochStats, progress, metrics string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(metrics), "\n")
		total, steps, below := 0, 0, false
		for e, st := range stats {
			want := float64(h.sweeps[e]) / float64(h.steps[e])
			if st.MeanFieldSweeps != want {
				t.Errorf("%s: epoch %d: Fit reports %v sweeps per minibatch, mean field by hand took %d in %d steps (%v)",
					name, e+1, st.MeanFieldSweeps, h.sweeps[e], h.steps[e], want)
			}
			var line map[string]float64
			if err := json.Unmarshal([]byte(lines[e]), &line); err != nil || line["mean_field_sweeps"] != want {
				t.Errorf("%s: epoch %d: metrics line %s, want mean_field_sweeps %v (%v)", name, e+1, lines[e], want, err)
			}
			total += h.sweeps[e]
			steps += h.steps[e]
			below = below || h.sweeps[e] < iters*h.steps[e]
		}
		if s, n := h.MeanFieldSweeps(); s != total || n != steps {
			t.Errorf("%s: the trainer counted %d sweeps in %d steps, by hand %d in %d", name, s, n, total, steps)
		}
		if !below || total <= 2*steps {
			t.Errorf("%s: %d sweeps in %d steps with cap %d: the fixture does not let the tolerance decide", name, total, steps, iters)
		}
		if !strings.Contains(progress, "mean field") {
			t.Errorf("%s: the progress lines lack the sweeps:\n%s", name, progress)
		}
		t.Logf("%s: %v sweeps per minibatch by epoch", name, func() (v []float64) {
			for _, st := range stats {
				v = append(v, st.MeanFieldSweeps)
			}
			return v
		}())
	}
	h, stats, progress, metrics := run(false, false)
	check("unguided", h, stats, progress, metrics)
	h, stats, progress, metrics = run(true, true)
	check("guided from ½", h, stats, progress, metrics)

	// Negative control: counted from zero, mean field by hand takes other
	// numbers of sweeps than the guided trainer's positive phase.
	h, stats, _, _ = run(true, false)
	same := true
	for e, st := range stats {
		same = same && st.MeanFieldSweeps == float64(h.sweeps[e])/float64(h.steps[e])
	}
	if same {
		t.Error("negative control: mean field from zero counts what the guided trainer does; the test cannot see where mean field starts")
	}

	// Negative control: a trainer without mean field reports none.
	r := rbm.NewRBM(1).Reflect()
	tr, err := r.NewTrainer(runtime.CDConfig{K: 1, BatchSize: 4, Optimizer: runtime.SGD{LearningRate: 0.01}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var progressRBM, metricsRBM bytes.Buffer
	statsRBM, err := training.Fit(context.Background(), tr, modeltest.RandomRows(r, 8, 1), training.FitConfig{Epochs: 1, BatchSize: 4, Progress: &progressRBM, Metrics: &metricsRBM})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.(runtime.MeanFieldCounter); ok || statsRBM[0].MeanFieldSweeps != 0 ||
		strings.Contains(metricsRBM.String(), "mean_field") || strings.Contains(progressRBM.String(), "mean field") {
		t.Errorf("an RBM trainer reports mean-field sweeps: %+v, %s%s", statsRBM[0], metricsRBM.String(), progressRBM.String())
	}
}
