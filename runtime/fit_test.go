package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// meanTrainer is a Trainer whose single parameter mu moves a fraction of
// the way towards each batch mean, so it converges to the data mean; its
// state holds a step counter and an RNG that jitters the update, so exact
// resumption needs the state. diverge makes it write NaN into mu at the
// given (epoch, step), counted from 1; cancel is called after step cancelAt.
type meanTrainer struct {
	mu, vel []float64
	steps   []float64
	rng     []float64 // RNG state, bit-encoded
	epochs  []int     // epoch argument of each TrainStep

	divergeEpoch, divergeStep int
	cancelAt                  int
	cancel                    func()
}

func newMeanTrainer(cols int) *meanTrainer {
	t := &meanTrainer{mu: make([]float64, cols), vel: make([]float64, cols), steps: make([]float64, 1), rng: make([]float64, 4)}
	r := NewRNG(1, 1)
	r.EncodeState(t.rng)
	return t
}

func (t *meanTrainer) ModelName() string { return "Mean" }
func (t *meanTrainer) VisibleSize() int  { return len(t.mu) }
func (t *meanTrainer) Params() []Tensor {
	return []Tensor{{Name: "mu", Shape: []int{len(t.mu)}, Data: t.mu}}
}
func (t *meanTrainer) State() []Tensor {
	return []Tensor{
		{Name: "velocity.mu", Shape: []int{len(t.vel)}, Data: t.vel},
		{Name: "steps", Shape: []int{}, Data: t.steps},
		{Name: "rng", Shape: []int{4}, Data: t.rng},
	}
}

func (t *meanTrainer) TrainStep(batch []float64, rows, epoch int) float64 {
	t.epochs = append(t.epochs, epoch)
	t.steps[0]++
	var r RNG
	r.DecodeState(t.rng)
	cols := len(t.mu)
	var recon float64
	grad := make([]float64, cols)
	for i := range rows {
		for j, v := range batch[i*cols : (i+1)*cols] {
			d := v - t.mu[j]
			recon += d * d
			grad[j] += d / float64(rows)
		}
	}
	opt := SGD{LearningRate: 0.3 + 0.01*r.Float64(), Momentum: 0.5}
	opt.Update(t.mu, grad, t.vel, epoch)
	r.EncodeState(t.rng)
	if epoch+1 == t.divergeEpoch && int(t.stepInEpoch()) == t.divergeStep {
		t.mu[0] = math.NaN()
	}
	if t.cancel != nil && int(t.steps[0]) == t.cancelAt {
		t.cancel()
	}
	return recon
}

// stepInEpoch returns the 1-based step within the current epoch.
func (t *meanTrainer) stepInEpoch() int {
	last := t.epochs[len(t.epochs)-1]
	n := 0
	for _, e := range t.epochs {
		if e == last {
			n++
		}
	}
	return n
}

// cappedTrainer is a meanTrainer whose TrainStep takes at most max rows,
// as a generated trainer takes at most its CDConfig.BatchSize.
type cappedTrainer struct {
	*meanTrainer
	max int
}

func (t cappedTrainer) MaxBatch() int { return t.max }

func (t cappedTrainer) TrainStep(batch []float64, rows, epoch int) float64 {
	if rows > t.max {
		panic("cappedTrainer: batch over capacity")
	}
	return t.meanTrainer.TrainStep(batch, rows, epoch)
}

// fitData has 40 rows of 3 columns with column means 0.2, 0.5, 0.8.
func fitData() *Dataset {
	d := &Dataset{Rows: 40, Cols: 3}
	r := NewRNG(5, 0)
	for range d.Rows {
		for _, m := range []float64{0.2, 0.5, 0.8} {
			d.X = append(d.X, r.Bernoulli(m))
		}
	}
	return d
}

func colMeans(d *Dataset) []float64 {
	m := make([]float64, d.Cols)
	for i := range d.Rows {
		for j, v := range d.Row(i) {
			m[j] += v / float64(d.Rows)
		}
	}
	return m
}

func TestFitTrains(t *testing.T) {
	data := fitData()
	tr := newMeanTrainer(3)
	var progress, metrics bytes.Buffer
	ckpt := filepath.Join(t.TempDir(), "mean.safetensors")
	proxyCalls := 0
	stats, err := Fit(context.Background(), tr, data, FitConfig{
		Epochs: 5, BatchSize: 8, Shuffle: true, Seed: 1,
		Progress: &progress, Metrics: &metrics, Checkpoint: ckpt,
		Proxy: func() (string, float64) { proxyCalls++; return "neg-dist", -math.Abs(tr.mu[0] - 0.2) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 5 || proxyCalls != 5 {
		t.Fatalf("%d stats, %d proxy calls, want 5", len(stats), proxyCalls)
	}
	for i, s := range stats {
		if s.Epoch != i+1 || s.ProxyName != "neg-dist" || s.Seconds < 0 || !(s.Recon > 0) {
			t.Errorf("stats[%d] = %+v", i, s)
		}
	}
	if len(tr.epochs) != 25 || tr.epochs[0] != 0 || tr.epochs[24] != 4 {
		t.Errorf("TrainStep epochs %v, want five steps each of epochs 0…4", tr.epochs)
	}
	means := colMeans(data)
	for j := range means {
		if math.Abs(tr.mu[j]-means[j]) > 0.2 {
			t.Errorf("mu = %v, want ≈ %v", tr.mu, means)
		}
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "epoch 1/5 ") || !strings.Contains(lines[4], "epoch 5/5") ||
		!strings.Contains(lines[2], "recon ") || !strings.Contains(lines[2], "neg-dist ") {
		t.Errorf("progress:\n%s", progress.String())
	}
	mlines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	if len(mlines) != 5 {
		t.Fatalf("metrics:\n%s", metrics.String())
	}
	for i, l := range mlines {
		var m map[string]float64
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		if m["epoch"] != float64(i+1) || m["recon"] != stats[i].Recon || m["neg-dist"] != stats[i].Proxy {
			t.Errorf("metrics line %d = %v, stats %+v", i, m, stats[i])
		}
	}
	c, err := LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "Mean" || c.Meta["epoch"] != "5" || c.Meta["seed"] != "1" {
		t.Errorf("checkpoint model %q meta %v", c.Model, c.Meta)
	}
	fresh := newMeanTrainer(3)
	if err := c.Restore(fresh, fresh.State()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fresh.mu, tr.mu) || !slices.Equal(fresh.vel, tr.vel) || fresh.steps[0] != 25 {
		t.Errorf("restored mu %v vel %v steps %v; trained mu %v vel %v", fresh.mu, fresh.vel, fresh.steps, tr.mu, tr.vel)
	}
}

func TestFitResumeIsExact(t *testing.T) {
	data := fitData()
	cfg := FitConfig{Epochs: 4, BatchSize: 6, Shuffle: true, Seed: 9}
	straight := newMeanTrainer(3)
	if _, err := Fit(context.Background(), straight, data, cfg); err != nil {
		t.Fatal(err)
	}
	// Two epochs, checkpoint, new process, restore, two more epochs.
	ckpt := filepath.Join(t.TempDir(), "c")
	first := newMeanTrainer(3)
	half := cfg
	half.Epochs, half.Checkpoint = 2, ckpt
	if _, err := Fit(context.Background(), first, data, half); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	second := newMeanTrainer(3)
	if err := c.Restore(second, second.State()); err != nil {
		t.Fatal(err)
	}
	rest := cfg
	rest.StartEpoch = 2
	stats, err := Fit(context.Background(), second, data, rest)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Epoch != 3 {
		t.Errorf("resumed stats %+v", stats)
	}
	if !slices.Equal(second.mu, straight.mu) || !slices.Equal(second.vel, straight.vel) {
		t.Errorf("resumed run mu %v, straight run mu %v", second.mu, straight.mu)
	}
}

func TestFitDivergence(t *testing.T) {
	data := fitData()
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "mean.safetensors")

	// Reference: the parameters after two good epochs.
	ref := newMeanTrainer(3)
	cfg := FitConfig{Epochs: 2, BatchSize: 8, Shuffle: true, Seed: 3}
	if _, err := Fit(context.Background(), ref, data, cfg); err != nil {
		t.Fatal(err)
	}

	tr := newMeanTrainer(3)
	tr.divergeEpoch, tr.divergeStep = 3, 2
	cfg.Epochs, cfg.Checkpoint = 6, ckpt
	var progress bytes.Buffer
	cfg.Progress = &progress
	stats, err := Fit(context.Background(), tr, data, cfg)
	if err == nil {
		t.Fatal("divergence not detected")
	}
	if !errors.Is(err, ErrDiverged) {
		t.Errorf("error %v does not wrap ErrDiverged", err)
	}
	for _, want := range []string{"at epoch 3 step 2", "param mu", "end of epoch 2", "not overwritten", ckpt} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(stats) != 2 || strings.Count(progress.String(), "\n") != 2 {
		t.Errorf("%d stats and progress %q, want 2 epochs", len(stats), progress.String())
	}
	if !slices.Equal(tr.mu, ref.mu) || !slices.Equal(tr.vel, ref.vel) || tr.steps[0] != ref.steps[0] {
		t.Errorf("after divergence mu %v vel %v steps %v, want last good mu %v vel %v steps %v",
			tr.mu, tr.vel, tr.steps, ref.mu, ref.vel, ref.steps)
	}
	c, err := LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta["epoch"] != "2" || !slices.Equal(c.Tensors[0].Data, ref.mu) {
		t.Errorf("checkpoint after divergence: epoch %s mu %v, want epoch 2 mu %v", c.Meta["epoch"], c.Tensors[0].Data, ref.mu)
	}

	// Divergence in the first epoch restores the initial parameters.
	tr = newMeanTrainer(3)
	tr.divergeEpoch, tr.divergeStep = 1, 3
	_, err = Fit(context.Background(), tr, data, FitConfig{Epochs: 2, BatchSize: 8})
	if err == nil || !strings.Contains(err.Error(), "at epoch 1 step 3") || !strings.Contains(err.Error(), "initial parameters") {
		t.Errorf("first-epoch divergence: %v", err)
	}
	if !slices.Equal(tr.mu, []float64{0, 0, 0}) {
		t.Errorf("mu = %v, want the initial zeros", tr.mu)
	}
}

func TestFitCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := newMeanTrainer(3)
	tr.cancel, tr.cancelAt = cancel, 7 // in epoch 2 (5 steps per epoch)
	ckpt := filepath.Join(t.TempDir(), "c")
	stats, err := Fit(ctx, tr, fitData(), FitConfig{Epochs: 10, BatchSize: 8, Checkpoint: ckpt})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "epoch 2/10") {
		t.Errorf("error %q does not name the epoch", err)
	}
	if len(tr.epochs) != 7 || len(stats) != 1 {
		t.Errorf("%d steps and %d epochs ran after cancelling at step 7", len(tr.epochs), len(stats))
	}
	if c, err := LoadCheckpoint(ckpt); err != nil || c.Meta["epoch"] != "1" {
		t.Errorf("checkpoint after cancel: %v", err)
	}
}

func TestFitConfigErrors(t *testing.T) {
	data := fitData()
	for _, c := range []struct {
		name string
		data *Dataset
		cfg  FitConfig
		cols int
		max  int // the trainer's MaxBatch, 0 for none
		want string
	}{
		{"batch size", data, FitConfig{Epochs: 1}, 3, 0, "batch size 0 is not positive"},
		{"columns", data, FitConfig{Epochs: 1, BatchSize: 4}, 5, 0, "data has 3 columns, model has 5 visible units"},
		{"empty", &Dataset{Cols: 3}, FitConfig{Epochs: 1, BatchSize: 4}, 3, 0, "empty data set"},
		{"short X", &Dataset{Rows: 2, Cols: 3, X: make([]float64, 5)}, FitConfig{Epochs: 1, BatchSize: 4}, 3, 0, "holds 5"},
		{"checkpoint dir", data, FitConfig{Epochs: 1, BatchSize: 4, Checkpoint: filepath.Join(t.TempDir(), "no", "such", "dir", "c")}, 3, 0, "save checkpoint"},
		{"batch over capacity", data, FitConfig{Epochs: 1, BatchSize: 8}, 3, 5,
			"batch size 8 is more than the 5 rows the trainer takes per step; use a FitConfig.BatchSize of at most 5 or build the trainer with a larger BatchSize"},
	} {
		var tr Trainer = newMeanTrainer(c.cols)
		if c.max > 0 {
			tr = cappedTrainer{newMeanTrainer(c.cols), c.max}
		}
		_, err := Fit(context.Background(), tr, c.data, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// A batch as large as the trainer's, or a larger FitConfig.BatchSize
	// with fewer rows than that, trains.
	for _, c := range []struct {
		rows, batch, max int
	}{{40, 5, 5}, {4, 8, 5}, {40, 8, 0}} {
		d := &Dataset{Rows: c.rows, Cols: 3, X: data.X[:c.rows*3]}
		var tr Trainer = newMeanTrainer(3)
		if c.max > 0 {
			tr = cappedTrainer{newMeanTrainer(3), c.max}
		}
		if _, err := Fit(context.Background(), tr, d, FitConfig{Epochs: 1, BatchSize: c.batch}); err != nil {
			t.Errorf("%d rows in batches of %d, trainer max %d: %v", c.rows, c.batch, c.max, err)
		}
	}
	if _, err := os.Stat("no"); err == nil {
		t.Error("stray directory created")
	}
}
