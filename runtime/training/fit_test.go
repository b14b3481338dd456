package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
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
	// alter, if not nil, is applied at the end of every TrainStep to the
	// epoch argument and the batch's loss, and returns the loss to report;
	// it may change mu too.
	alter func(epoch int, loss float64) float64
}

func newMeanTrainer(cols int) *meanTrainer {
	t := &meanTrainer{mu: make([]float64, cols), vel: make([]float64, cols), steps: make([]float64, 1), rng: make([]float64, 4)}
	r := runtime.NewRNG(1, 1)
	r.EncodeState(t.rng)
	return t
}

func (t *meanTrainer) ModelName() string { return "Mean" }
func (t *meanTrainer) VisibleSize() int  { return len(t.mu) }
func (t *meanTrainer) Params() []runtime.Tensor {
	return []runtime.Tensor{{Name: "mu", Shape: []int{len(t.mu)}, Data: t.mu}}
}
func (t *meanTrainer) State() []runtime.Tensor {
	return []runtime.Tensor{
		{Name: "velocity.mu", Shape: []int{len(t.vel)}, Data: t.vel},
		{Name: "steps", Shape: []int{}, Data: t.steps},
		{Name: "rng", Shape: []int{4}, Data: t.rng},
	}
}

func (t *meanTrainer) TrainStep(batch []float64, rows, epoch int) float64 {
	t.epochs = append(t.epochs, epoch)
	t.steps[0]++
	var r runtime.RNG
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
	opt := runtime.SGD{LearningRate: 0.3 + 0.01*r.Float64(), Momentum: 0.5}
	opt.Update(t.mu, grad, t.vel, epoch)
	r.EncodeState(t.rng)
	if epoch+1 == t.divergeEpoch && int(t.stepInEpoch()) == t.divergeStep {
		t.mu[0] = math.NaN()
	}
	if t.cancel != nil && int(t.steps[0]) == t.cancelAt {
		t.cancel()
	}
	if t.alter != nil {
		recon = t.alter(epoch, recon)
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
func fitData() *dataset.Dataset {
	d := &dataset.Dataset{Rows: 40, Cols: 3}
	r := runtime.NewRNG(5, 0)
	for range d.Rows {
		for _, m := range []float64{0.2, 0.5, 0.8} {
			d.X = append(d.X, r.Bernoulli(m))
		}
	}
	return d
}

func colMeans(d *dataset.Dataset) []float64 {
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
	c, err := checkpoint.LoadCheckpoint(ckpt)
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
	c, err := checkpoint.LoadCheckpoint(ckpt)
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
	c, err := checkpoint.LoadCheckpoint(ckpt)
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

// TestFitFiniteDivergence: Fit stops as for a NaN when an epoch's loss
// rises far above the best epoch's, relative to max(|best|, visible units),
// or when a parameter leaves ±MaxParam — restoring the last good
// parameters and keeping the checkpoint — and not for rises that are small
// on that scale, for losses near zero or negative, or with a check off.
func TestFitFiniteDivergence(t *testing.T) {
	data := fitData() // 3 columns: the loss floor is 3 per row; recon is about 0.6
	scale := func(from int, by float64) func(*meanTrainer) func(int, float64) float64 {
		return func(*meanTrainer) func(int, float64) float64 {
			return func(e int, loss float64) float64 {
				if e+1 >= from {
					return loss * by
				}
				return loss
			}
		}
	}
	perRow := func(f func(epoch int) float64) func(*meanTrainer) func(int, float64) float64 {
		return func(*meanTrainer) func(int, float64) float64 {
			return func(e int, _ float64) float64 { return 8 * f(e+1) } // batches of 8 rows
		}
	}
	param := func(from int, v float64) func(*meanTrainer) func(int, float64) float64 {
		return func(tr *meanTrainer) func(int, float64) float64 {
			return func(e int, loss float64) float64 {
				if e+1 >= from {
					tr.mu[1] = v
				}
				return loss
			}
		}
	}
	for _, c := range []struct {
		name  string
		alter func(*meanTrainer) func(int, float64) float64
		cfg   FitConfig
		bad   int    // the epoch that diverges, 0 for none
		want  string // in the error
	}{
		{"loss ×1e5", scale(4, 1e5), FitConfig{}, 4,
			"training diverged at epoch 4 (recon per row rose to "},
		{"loss ×1e5 with the check off", scale(4, 1e5), FitConfig{LossFactor: -1}, 0, ""},
		{"loss ×1000 under the floor", scale(4, 1000), FitConfig{}, 0, ""},
		{"loss ×10 at LossFactor 2", scale(4, 10), FitConfig{LossFactor: 2}, 4,
			"more than FitConfig.LossFactor 2 allows above its best "},
		{"loss from 0 to 2", perRow(func(e int) float64 { return float64(min(e-1, 2)) }), FitConfig{}, 0, ""},
		{"negative loss rising a little", perRow(func(e int) float64 { return -1000 + float64(10*e) }), FitConfig{}, 0, ""},
		{"negative loss turning positive", perRow(func(e int) float64 { return [...]float64{-1000, -1005, -990, 8500, 0}[e-1] }), FitConfig{}, 0, ""},
		{"negative loss turning positive at LossFactor 10", perRow(func(e int) float64 { return [...]float64{-1000, -1005, -990, 8500, 0}[e-1] }), FitConfig{LossFactor: 10}, 4,
			"(recon per row rose to 8500, more than FitConfig.LossFactor 10 allows above its best -1005 (epoch 2))"},
		{"negative loss turning large", perRow(func(e int) float64 { return [...]float64{-1000, -1005, -990, 2e6, 0}[e-1] }), FitConfig{}, 4,
			"(recon per row rose to 2e+06, more than FitConfig.LossFactor 1000 allows above its best -1005 (epoch 2))"},
		{"param 50000", param(3, 50000), FitConfig{LossFactor: -1}, 3,
			"training diverged at epoch 3 (param mu holds 50000 at element [1], beyond FitConfig.MaxParam 10000 in magnitude)"},
		{"param -50000", param(3, -50000), FitConfig{LossFactor: -1}, 3, "param mu holds -50000 at element [1]"},
		{"param 50000 with the checks off", param(3, 50000), FitConfig{MaxParam: -1, LossFactor: -1}, 0, ""},
		{"param 50000 and loss", param(3, 50000), FitConfig{}, 3, "(param mu holds 50000 at element [1]"}, // the parameter is named first
		{"param 50 at MaxParam 10", param(2, 50), FitConfig{MaxParam: 10, LossFactor: -1}, 2,
			"beyond FitConfig.MaxParam 10 in magnitude); the last good parameters, from the end of epoch 1, were restored"},
		{"param 5000", param(2, 5000), FitConfig{LossFactor: -1}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Epochs, cfg.BatchSize, cfg.Shuffle, cfg.Seed = 5, 8, true, 3
			cfg.Checkpoint = filepath.Join(t.TempDir(), "c")
			tr := newMeanTrainer(3)
			tr.alter = c.alter(tr)
			stats, err := Fit(context.Background(), tr, data, cfg)
			if c.bad == 0 {
				if err != nil || len(stats) != 5 {
					t.Fatalf("%d epochs, error %v; want 5 and no error", len(stats), err)
				}
				return
			}
			if !errors.Is(err, ErrDiverged) {
				t.Fatalf("error %v, want one wrapping ErrDiverged", err)
			}
			kept := "the initial parameters were restored"
			if c.bad > 1 {
				kept = fmt.Sprintf("the last good parameters, from the end of epoch %d, were restored", c.bad-1)
			}
			for _, want := range []string{c.want, kept, "checkpoint " + cfg.Checkpoint + " was not overwritten", "lower the learning rate"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if len(stats) != c.bad-1 {
				t.Errorf("%d epochs of stats, want %d", len(stats), c.bad-1)
			}
			ref := newMeanTrainer(3) // the good epochs alone
			ref.alter = c.alter(ref)
			refCfg := cfg
			refCfg.Epochs, refCfg.Checkpoint = c.bad-1, ""
			if _, err := Fit(context.Background(), ref, data, refCfg); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tr.mu, ref.mu) || !slices.Equal(tr.vel, ref.vel) || tr.steps[0] != ref.steps[0] {
				t.Errorf("after divergence mu %v vel %v steps %v, want last good mu %v vel %v steps %v",
					tr.mu, tr.vel, tr.steps, ref.mu, ref.vel, ref.steps)
			}
			if c.bad > 1 {
				ck, err := checkpoint.LoadCheckpoint(cfg.Checkpoint)
				if err != nil || ck.Meta["epoch"] != strconv.Itoa(c.bad-1) {
					t.Errorf("checkpoint %v, %v; want the one of epoch %d", ck, err, c.bad-1)
				}
			}
		})
	}
}

// TestFitResumeKeepsLossCheck: a run resumed through FitConfig.Resume from
// the checkpoint after epoch 2 keeps the best loss of epochs 1–2 (−1005),
// so a loss of 8500 in epoch 4 trips LossFactor 10 as it does in the run
// straight through. The control resumes with StartEpoch alone: its best is
// epoch 3's 2000, and the same epoch passes.
func TestFitResumeKeepsLossCheck(t *testing.T) {
	data := fitData()
	losses := [...]float64{-1000, -1005, 2000, 8500, 0}
	alter := func(e int, _ float64) float64 { return 8 * losses[e] } // batches of 8 rows
	const want = "more than FitConfig.LossFactor 10 allows above its best -1005 (epoch 2)"
	fit := func(cfg FitConfig) error {
		tr := newMeanTrainer(3)
		tr.alter = alter
		cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.LossFactor = 5, 8, 3, 10
		_, err := Fit(context.Background(), tr, data, cfg)
		return err
	}
	if err := fit(FitConfig{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("straight through: %v, want %q", err, want)
	}
	ckpt := filepath.Join(t.TempDir(), "c")
	tr := newMeanTrainer(3)
	tr.alter = alter
	if _, err := Fit(context.Background(), tr, data, FitConfig{Epochs: 2, BatchSize: 8, Seed: 3, LossFactor: 10, Checkpoint: ckpt}); err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	var cfg FitConfig
	if err := cfg.Resume(c.Meta); err != nil {
		t.Fatal(err)
	}
	if cfg.StartEpoch != 2 || cfg.BestLoss != -1005 || cfg.BestEpoch != 2 {
		t.Fatalf("Resume(%v): start %d, best %v of epoch %d; want 2, -1005 of epoch 2", c.Meta, cfg.StartEpoch, cfg.BestLoss, cfg.BestEpoch)
	}
	if err := fit(cfg); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at epoch 4") {
		t.Errorf("resumed: %v, want divergence at epoch 4: %q", err, want)
	}
	if err := fit(FitConfig{StartEpoch: 2}); err != nil {
		t.Errorf("control, resumed without the best loss: %v, want no divergence", err)
	}
}

// TestFitResumeRefuses: Resume refuses metadata that is not a run's
// progress, and takes a checkpoint without the best loss as one written
// before Fit kept it (the check starts afresh).
func TestFitResumeRefuses(t *testing.T) {
	for _, c := range []struct {
		meta      map[string]string
		start     int
		bestEpoch int
		want      string
	}{
		{map[string]string{"epoch": "3"}, 3, 0, ""},
		{map[string]string{"epoch": "3", "best_loss": "+Inf", "best_epoch": "0"}, 3, 0, ""},
		{map[string]string{"epoch": "3", "best_loss": "-2.5", "best_epoch": "3"}, 3, 3, ""},
		{map[string]string{}, 0, 0, `metadata epoch "" is not a count of epochs`},
		{map[string]string{"epoch": "-1"}, 0, 0, `metadata epoch "-1" is not a count of epochs`},
		{map[string]string{"epoch": "3", "best_loss": "1"}, 0, 0, `best_loss "1", best_epoch "" are not a finite loss of an epoch up to 3`},
		{map[string]string{"epoch": "3", "best_loss": "1", "best_epoch": "4"}, 0, 0, "are not a finite loss of an epoch up to 3"},
		{map[string]string{"epoch": "3", "best_loss": "NaN", "best_epoch": "2"}, 0, 0, "are not a finite loss of an epoch up to 3"},
	} {
		var cfg FitConfig
		err := cfg.Resume(c.meta)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Resume(%v): %v, want %q", c.meta, err, c.want)
			}
			continue
		}
		if err != nil || cfg.StartEpoch != c.start || cfg.BestEpoch != c.bestEpoch {
			t.Errorf("Resume(%v): start %d, best epoch %d, %v; want %d, %d", c.meta, cfg.StartEpoch, cfg.BestEpoch, err, c.start, c.bestEpoch)
		}
	}
}

// TestFitCheckpointUnwritable: a checkpoint path Fit could not write is
// refused before the first step.
func TestFitCheckpointUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "c"),
			"runtime: fit Mean: cannot write checkpoint " + filepath.Join(dir, "no", "such", "c") + ": directory " + filepath.Join(dir, "no", "such") +
				": no such file or directory; create the directory or set FitConfig.Checkpoint to a path in a writable one"},
		{"parent is a file", filepath.Join(file, "c"), "cannot write checkpoint " + filepath.Join(file, "c") + ": directory " + file + ": not a directory"},
		{"a directory", dir, "cannot write checkpoint " + dir + ": it is a directory; set FitConfig.Checkpoint to a file path"},
		{"ends in a separator", dir + string(os.PathSeparator), "names a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := newMeanTrainer(3)
			stats, err := Fit(context.Background(), tr, fitData(), FitConfig{Epochs: 2, BatchSize: 8, Checkpoint: c.path})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
			if len(tr.epochs) != 0 || len(stats) != 0 {
				t.Errorf("%d steps and %d epochs ran before the error", len(tr.epochs), len(stats))
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the checks left files: %v", entries)
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
	if c, err := checkpoint.LoadCheckpoint(ckpt); err != nil || c.Meta["epoch"] != "1" {
		t.Errorf("checkpoint after cancel: %v", err)
	}
}

func TestFitConfigErrors(t *testing.T) {
	data := fitData()
	for _, c := range []struct {
		name string
		data *dataset.Dataset
		cfg  FitConfig
		cols int
		max  int // the trainer's MaxBatch, 0 for none
		want string
	}{
		{"batch size", data, FitConfig{Epochs: 1}, 3, 0, "batch size 0 is not positive"},
		{"columns", data, FitConfig{Epochs: 1, BatchSize: 4}, 5, 0, "data has 3 columns, model has 5 visible units"},
		{"empty", &dataset.Dataset{Cols: 3}, FitConfig{Epochs: 1, BatchSize: 4}, 3, 0, "empty data set"},
		{"short X", &dataset.Dataset{Rows: 2, Cols: 3, X: make([]float64, 5)}, FitConfig{Epochs: 1, BatchSize: 4}, 3, 0, "holds 5"},
		{"checkpoint dir", data, FitConfig{Epochs: 1, BatchSize: 4, Checkpoint: filepath.Join(t.TempDir(), "no", "such", "dir", "c")}, 3, 0, "no such file or directory"},
		{"loss factor under 1", data, FitConfig{Epochs: 1, BatchSize: 4, LossFactor: 0.5}, 3, 0,
			"FitConfig.LossFactor 0.5 is less than 1; use 0 for the default (1000), a factor of at least 1, or a negative value to turn the check off"},
		{"best epoch after the start", data, FitConfig{Epochs: 3, StartEpoch: 1, BestEpoch: 2, BatchSize: 4}, 3, 0,
			"best loss 0 of epoch 2 is not a finite loss of an epoch up to the start epoch 1"},
		{"infinite best loss", data, FitConfig{Epochs: 3, StartEpoch: 1, BestEpoch: 1, BestLoss: math.Inf(1), BatchSize: 4}, 3, 0,
			"best loss +Inf of epoch 1 is not a finite loss"},
		{"NaN loss factor", data, FitConfig{Epochs: 1, BatchSize: 4, LossFactor: math.NaN()}, 3, 0, "FitConfig.LossFactor is NaN; use 0 for the default (1000)"},
		{"NaN max param", data, FitConfig{Epochs: 1, BatchSize: 4, MaxParam: math.NaN()}, 3, 0,
			"FitConfig.MaxParam is NaN; use 0 for the default (10000), a positive bound, or a negative value to turn the check off"},
		{"batch over capacity", data, FitConfig{Epochs: 1, BatchSize: 8}, 3, 5,
			"batch size 8 is more than the 5 rows the trainer takes per step; use a FitConfig.BatchSize of at most 5 or build the trainer with a larger BatchSize"},
	} {
		var tr runtime.Trainer = newMeanTrainer(c.cols)
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
		d := &dataset.Dataset{Rows: c.rows, Cols: 3, X: data.X[:c.rows*3]}
		var tr runtime.Trainer = newMeanTrainer(3)
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
