package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/dbn/models"
	"github.com/ebmc/ebmc/examples/internal/labelled"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

// shapesDBN trains the command's small DBN greedily on its 8×8 shapes.
func shapesDBN(t *testing.T, epochs int) (d *deep.DBN, train, test *dataset.BitDataset, trainLabels, testLabels []int, stats [][]training.EpochStats) {
	t.Helper()
	rawTrain, trainLabels := labelled.Shapes(2000, 1)
	rawTest, testLabels := labelled.Shapes(1000, 2)
	train, test = dataset.Binarized(rawTrain, 0.5), dataset.Binarized(rawTest, 0.5)
	d, err := deep.NewDBN(models.NewSmall1(1).Reflect(), models.NewSmallTop(2).Reflect())
	if err != nil {
		t.Fatal(err)
	}
	cd := runtime.CDConfig{K: 1, BatchSize: 20, MeanVisible: true, Seed: 3, Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}}
	fc := training.FitConfig{Epochs: epochs, BatchSize: 20, Shuffle: true, Seed: 4}
	stats, err = d.Pretrain(context.Background(), train, trainLabels, deep.DBNPretrainConfig{Layers: []deep.DBNLayerTraining{{CD: cd, Fit: fc}}})
	if err != nil {
		t.Fatal(err)
	}
	return d, train, test, trainLabels, testLabels, stats
}

// Greedy training lowers each layer's reconstruction error
// ‖x − E[x | h = E[h | x]]‖² on the data it is trained on, by far more than
// the difference between two epochs' noise; and the labelled top RBM then
// classifies held-out shapes better than chance: with 1000 test rows of 4
// balanced classes, a classifier at chance (0.25) exceeds 0.25 + 5·√(0.25·0.75/1000)
// ≈ 0.318 with probability below 3·10⁻⁷.
func TestGreedyTrainingAndClassification(t *testing.T) {
	d, train, test, trainLabels, testLabels, stats := shapesDBN(t, 20)
	after := reconstructions(t, d.Generative(0), d.Generative(1), train, trainLabels)
	// Before: the untrained bottom RBM on the data, the untrained top RBM on
	// the trained bottom RBM's features (what it was trained on).
	before := []float64{
		reconstructions(t, models.NewSmall1(1).Reflect(), models.NewSmallTop(2).Reflect(), train, trainLabels)[0],
		reconstructions(t, d.Generative(0), models.NewSmallTop(2).Reflect(), train, trainLabels)[1],
	}
	for k := range before {
		t.Logf("layer %d: reconstruction error %.3f before, %.3f after; epochs %.3f → %.3f", k, before[k], after[k], stats[k][0].Recon, stats[k][len(stats[k])-1].Recon)
		if !(after[k] < 0.75*before[k]) {
			t.Errorf("layer %d: reconstruction error %.3f after training, %.3f before", k, after[k], before[k])
		}
		if last := stats[k][len(stats[k])-1].Recon; !(last < stats[k][0].Recon) {
			t.Errorf("layer %d: epoch reconstruction error rose from %.3f to %.3f", k, stats[k][0].Recon, last)
		}
	}
	probs, err := d.ClassProbs(test)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := d.Propagate(test, 1, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := estimators.ClassProbs(d.Generative(1), "y", feats)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(probs[i]-want[i]) > 1e-12 {
			t.Fatalf("DBN.ClassProbs[%d] = %.15g, estimators.ClassProbs on the propagated rows %.15g", i, probs[i], want[i])
		}
	}
	acc, err := estimators.Accuracy(probs, testLabels)
	if err != nil {
		t.Fatal(err)
	}
	chance := 0.25 + 5*math.Sqrt(0.25*0.75/float64(test.Rows))
	t.Logf("accuracy %.4f (chance + 5σ: %.4f)", acc, chance)
	if acc <= chance {
		t.Errorf("accuracy %.4f does not beat chance (+5σ = %.4f)", acc, chance)
	}
}

// reconstructions returns the reconstruction errors of the bottom model on
// data and of the top model on the bottom model's hidden means with labels.
func reconstructions(t *testing.T, bottom, top runtime.Reflective, data dataset.Source, labels []int) []float64 {
	t.Helper()
	d, err := deep.NewDBN(bottom, top)
	if err != nil {
		t.Fatal(err)
	}
	r0, err := estimators.Reconstruction(bottom, data)
	if err != nil {
		t.Fatal(err)
	}
	up, err := d.Propagate(data, 1, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	with := &dataset.Dataset{Rows: up.Rows, Cols: up.Cols + d.Classes()}
	for r := 0; r < up.Rows; r++ {
		row := make([]float64, d.Classes())
		row[labels[r]] = 1
		with.X = append(with.X, append(append([]float64(nil), up.Row(r)...), row...)...)
	}
	r1, err := estimators.Reconstruction(top, with)
	if err != nil {
		t.Fatal(err)
	}
	return []float64{r0, r1}
}

// Up-down fine-tuning of the greedily trained shapes DBN raises its lower
// bound on the held-out rows (log Z of the top RBM exact): the mean of the
// per-row differences after − before exceeds three of its standard errors.
func TestUpDownImprovesBound(t *testing.T) {
	d, train, test, trainLabels, _, _ := shapesDBN(t, 20)
	bound := func() *deep.DBNBound {
		z, err := d.TopLogZ(train, trainLabels, estimators.AISConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if z.Method != "exact (enumeration)" {
			t.Fatalf("log Z of the small top RBM by %s, want exact", z.Method)
		}
		b, err := d.LowerBound(test, z, deep.DBNBoundConfig{Samples: 20, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := bound()
	if err := d.Untie(models.ZeroSmall1().Reflect()); err != nil {
		t.Fatal(err)
	}
	ud, err := d.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Seed: 6, Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.WithLabels(train, trainLabels)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Fit(context.Background(), ud, rows, training.FitConfig{Epochs: 10, BatchSize: 20, Shuffle: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	after := bound()
	diff := make([]float64, len(after.PerRow))
	for i := range diff {
		diff[i] = after.PerRow[i] - before.PerRow[i]
	}
	m, se := meanSE(diff)
	t.Logf("bound %.4f ± %.4f → %.4f ± %.4f; paired difference %.4f ± %.4f", before.Value, before.StdErr, after.Value, after.StdErr, m, se)
	if !(m > 3*se) {
		t.Errorf("up-down changed the bound by %.4f ± %.4f nats; expected an improvement beyond 3 standard errors", m, se)
	}
}

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

// The command runs end to end on its embedded shapes and writes its files.
func TestCommandShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole command: in the full suite")
	}
	out := t.TempDir()
	var stdout, stderr strings.Builder
	code := run([]string{"-data", filepath.Join(out, "absent"), "-out", out, "-epochs1", "5", "-epochs-top", "5", "-updown", "1", "-disc", "2", "-backprop", "2", "-logreg-epochs", "5", "-sweeps", "20", "-frames", "3"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, f := range []string{"metrics.json", "samples.png", "chain.gif"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(stdout.String(), "test log-likelihood ≥") {
		t.Errorf("no lower bound in the output:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "[disc] test accuracy of p(y | v):") {
		t.Errorf("no accuracy after the discriminative stage in the output:\n%s", stdout.String())
	}
	met := readMetrics(t, out)
	var stages []string
	for _, s := range met.Stages {
		stages = append(stages, s.Stage)
	}
	if !slices.Equal(stages, []string{"greedy", "up-down", "disc", "backprop"}) {
		t.Fatalf("stages %v, want greedy, up-down, disc, backprop", stages)
	}
	disc, bp := met.Stages[2], met.Stages[3]
	t.Logf("accuracy greedy %.4f, up-down %.4f, disc %.4f (by epoch %v, %.4f s per epoch), backprop %.4f (by epoch %v); logistic regression %.4f",
		met.Stages[0].Accuracy.Value, met.Stages[1].Accuracy.Value, disc.Accuracy.Value, disc.AccuracyByEpoch, disc.SecondsPerEpoch, bp.Accuracy.Value, bp.AccuracyByEpoch, met.LogReg.Accuracy.Value)
	for _, st := range []StageMetrics{disc, bp} {
		if st.Epochs != 2 || len(st.AccuracyByEpoch) != 2 || !(st.SecondsPerEpoch > 0) || !(st.Accuracy.Value > 0) || st.Training == "" {
			t.Errorf("%s stage metrics: %+v", st.Stage, st)
		}
	}
	// The grey-level classifier of the backprop stage is reported beside
	// its accuracy on binarized images.
	if bp.AccuracyBinarized == nil || !strings.Contains(bp.Input, "grey") || bp.AccuracyByEpoch[1] != bp.Accuracy.Value {
		t.Errorf("backprop stage: input %q, accuracy %v by epoch %v, on binarized images %v", bp.Input, bp.Accuracy.Value, bp.AccuracyByEpoch, bp.AccuracyBinarized)
	}
}

// -float32 reaches greedy training and up-down, and says so in
// metrics.json; on a CPU without float32 kernels the command refuses it.
func TestCommandFloat32(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr strings.Builder
	code := run([]string{"-data", filepath.Join(out, "absent"), "-out", out, "-float32", "-epochs1", "1", "-epochs-top", "1", "-updown", "1", "-disc", "0", "-backprop", "0", "-logreg-epochs", "1", "-sweeps", "2", "-frames", "1"}, &stdout, &stderr)
	if !runtime.HasFloat32() {
		if code == 0 || !strings.Contains(stderr.String()+stdout.String(), "float32 kernels") {
			t.Errorf("-float32 without the kernels: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		return
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	met := readMetrics(t, out)
	if !met.Float32Products || len(met.Stages) != 2 || !strings.Contains(met.Stages[1].Training, "float32") {
		t.Errorf("float32_products %v, stages %+v", met.Float32Products, met.Stages)
	}
}

// The fine-tuning stages of the command, on a greedily trained shapes DBN:
// of the held-out rows whose class the stage changes, the ones it corrects
// outnumber the ones it breaks by more than 3 standard deviations of that
// difference under no effect (a sign test, √(corrected + broken)). Each
// leaves the generative bottom model as it was, reports its epochs and
// accuracies and saves its checkpoints.
func TestFineTuningStages(t *testing.T) {
	for _, c := range []struct {
		stage       string
		run         func(p *problem, o options) (*StageMetrics, error)
		problem     problem
		opts        options
		checkpoints []string
	}{
		{"disc", (*problem).discriminativeQuiet, problem{disc: 10}, options{lrDisc: 0.05, discHybrid: 0.05},
			[]string{"disc-0-RBM.safetensors", "disc-1-TopRBM.safetensors"}},
		{"backprop", (*problem).backpropagationQuiet, problem{backprop: 10, recognition: []runtime.Reflective{models.ZeroSmall1().Reflect()}}, options{lrBackprop: 0.05},
			[]string{"backprop-0-RBM.safetensors", "backprop-1-TopRBM.safetensors", "backprop-rec0-RBM.safetensors"}},
	} {
		d, train, test, trainLabels, testLabels, _ := shapesDBN(t, 20)
		before, err := d.ClassProbs(test)
		if err != nil {
			t.Fatal(err)
		}
		bottom := slices.Clone(d.Generative(0).Params()[0].Data)
		p := c.problem
		p.name, p.train, p.test, p.trainLabels, p.testLabs, p.classes, p.dbn, p.every = "shapes", train, test, trainLabels, testLabels, 4, d, 1
		o := c.opts
		o.out, o.batch, o.temps, o.runs, o.samples, o.seed = t.TempDir(), 20, 100, 2, 1, 1
		met, err := c.run(&p, o)
		if err != nil {
			t.Fatal(err)
		}
		after, err := d.ClassProbs(test)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bottom, d.Generative(0).Params()[0].Data) {
			t.Errorf("%s: the stage changed the generative bottom model", c.stage)
		}
		argmax := func(p []float64, r int) int {
			row := p[r*4 : (r+1)*4]
			return slices.Index(row, slices.Max(row))
		}
		var fixed, broken float64
		for r, y := range testLabels {
			b, a := argmax(before, r) == y, argmax(after, r) == y
			switch {
			case a && !b:
				fixed++
			case b && !a:
				broken++
			}
		}
		accBefore, err := estimators.Accuracy(before, testLabels)
		if err != nil {
			t.Fatal(err)
		}
		accAfter, err := estimators.Accuracy(after, testLabels)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: accuracy %.4f greedy → %.4f after %d epochs (%v); %v corrected, %v broken; bound %.3f", c.stage, accBefore, accAfter, met.Epochs, met.AccuracyByEpoch, fixed, broken, met.LowerBound.Value)
		if !(fixed-broken > 3*math.Sqrt(fixed+broken)) {
			t.Errorf("%s: the stage corrected %v test rows and broke %v (accuracy %.4f → %.4f)", c.stage, fixed, broken, accBefore, accAfter)
		}
		if met.Stage != c.stage || met.Epochs != 10 || len(met.AccuracyByEpoch) != 10 || met.AccuracyByEpoch[9] != met.Accuracy.Value || met.Accuracy.Value != accAfter {
			t.Errorf("stage metrics %q, %d epochs, accuracy by epoch %v, accuracy %v; want %s, 10 epochs ending at %v", met.Stage, met.Epochs, met.AccuracyByEpoch, met.Accuracy.Value, c.stage, accAfter)
		}
		for _, f := range c.checkpoints {
			if _, err := os.Stat(filepath.Join(o.out, f)); err != nil {
				t.Errorf("%s: checkpoint: %v", c.stage, err)
			}
		}
	}
}

func (p *problem) discriminativeQuiet(o options) (*StageMetrics, error) {
	return p.discriminative(o, io.Discard, io.Discard)
}

func (p *problem) backpropagationQuiet(o options) (*StageMetrics, error) {
	return p.backpropagation(o, io.Discard, io.Discard)
}

// readMetrics reads the metrics.json the command wrote in dir.
func readMetrics(t *testing.T, dir string) Metrics {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var met Metrics
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	return met
}
