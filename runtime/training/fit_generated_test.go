package training_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// generated are small generated models, each built from a seed.
var generated = []struct {
	name string
	new  func(seed uint64) runtime.Reflective
}{
	{"rbm", func(s uint64) runtime.Reflective { return rbm.NewRBM(s).Reflect() }},
	{"grbm", func(s uint64) runtime.Reflective { return grbm.NewGRBM(s).Reflect() }},
	{"classrbm", func(s uint64) runtime.Reflective { return classrbm.NewClassRBM(s).Reflect() }},
	{"fvbm", func(s uint64) runtime.Reflective { return fvbm.NewFVBM(s).Reflect() }},
}

// sameBits reports where two tensor lists first differ bit for bit.
func sameBits(a, b []runtime.Tensor) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d tensors, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Data) != len(b[i].Data) {
			return fmt.Errorf("tensor %d is %s[%d], want %s[%d]", i, a[i].Name, len(a[i].Data), b[i].Name, len(b[i].Data))
		}
		for k, v := range a[i].Data {
			if math.Float64bits(v) != math.Float64bits(b[i].Data[k]) {
				return fmt.Errorf("%s[%d] = %v, want %v", a[i].Name, k, v, b[i].Data[k])
			}
		}
	}
	return nil
}

// TestFitResumeGeneratedIsExact: a generated CD or PCD trainer run for six
// epochs ends bit for bit where one run for three epochs, checkpointed by
// Fit, restored into a new model and trainer and run for three more does —
// parameters, state and the reported losses. With the centered gradient
// (CDConfig.Transform, deep.Centering) its offsets resume too; the models
// it refuses (a gaussian layer, lateral couplings) skip that method only.
func TestFitResumeGeneratedIsExact(t *testing.T) {
	opt := runtime.SGD{LearningRate: 0.02, Momentum: 0.5, WeightDecay: 1e-4}
	methods := []struct {
		name     string
		cfg      runtime.CDConfig
		centered bool
	}{
		{"cd1", runtime.CDConfig{K: 1, BatchSize: 4, Optimizer: opt, Seed: 5}, false},
		{"cd3-mean", runtime.CDConfig{K: 3, BatchSize: 4, MeanVisible: true, Optimizer: opt, Seed: 6}, false},
		{"pcd1", runtime.CDConfig{K: 1, Persistent: true, BatchSize: 4, Optimizer: opt, Seed: 7}, false},
		{"pcd2-chains", runtime.CDConfig{K: 2, Persistent: true, Chains: 7, BatchSize: 4, Optimizer: opt, Seed: 8}, false},
		{"pcd1-centered", runtime.CDConfig{K: 1, Persistent: true, BatchSize: 4, Optimizer: opt, Seed: 9}, true},
	}
	for _, g := range generated {
		for _, mt := range methods {
			t.Run(g.name+"/"+mt.name, func(t *testing.T) {
				data := modeltest.RandomRows(g.new(1), 18, 3) // 5 batches, the last of 2 rows
				fit := training.FitConfig{Epochs: 6, BatchSize: 4, Shuffle: true, Seed: 11}
				train := func(m runtime.Reflective, fc training.FitConfig, ckpt string) (runtime.Trainer, []training.EpochStats) {
					t.Helper()
					cfg := mt.cfg
					if mt.centered {
						c, err := deep.NewCentering(m, 0.1)
						if err != nil {
							if g.name == "rbm" || g.name == "classrbm" || !strings.Contains(err.Error(), "gaussian") && !strings.Contains(err.Error(), "coupled to itself") {
								t.Fatal(err)
							}
							t.Skip(err)
						}
						cfg.Transform = c
					}
					tr, err := m.NewTrainer(cfg)
					if err != nil {
						t.Fatal(err)
					}
					if ckpt != "" && fc.StartEpoch > 0 {
						c, err := checkpoint.LoadCheckpoint(ckpt)
						if err != nil {
							t.Fatal(err)
						}
						if err := c.Restore(tr, tr.State()); err != nil {
							t.Fatal(err)
						}
					}
					stats, err := training.Fit(context.Background(), tr, data, fc)
					if err != nil {
						t.Fatal(err)
					}
					return tr, stats
				}
				straight, all := train(g.new(1), fit, "")

				ckpt := filepath.Join(t.TempDir(), "c.safetensors")
				first := fit
				first.Epochs, first.Checkpoint = 3, ckpt
				train(g.new(1), first, ckpt)
				rest := fit
				rest.StartEpoch = 3
				// Another seed: everything must come from the checkpoint.
				resumed, tail := train(g.new(2), rest, ckpt)

				if err := sameBits(resumed.Params(), straight.Params()); err != nil {
					t.Errorf("params after resuming: %v", err)
				}
				if err := sameBits(resumed.State(), straight.State()); err != nil {
					t.Errorf("state after resuming: %v", err)
				}
				for i, st := range tail {
					if want := all[3+i]; st.Epoch != want.Epoch || math.Float64bits(st.Recon) != math.Float64bits(want.Recon) {
						t.Errorf("resumed epoch %d recon %v, straight epoch %d recon %v", st.Epoch, st.Recon, want.Epoch, want.Recon)
					}
				}
			})
		}
	}
}

// TestFitBatchOverCapacity: Fit refuses minibatches larger than a
// generated or objective trainer takes per step, naming both sizes, before
// any step changes the parameters.
func TestFitBatchOverCapacity(t *testing.T) {
	opt := runtime.SGD{LearningRate: 0.1}
	for _, c := range []struct {
		name string
		new  func(m runtime.Reflective) (runtime.Trainer, error)
	}{
		{"cd", func(m runtime.Reflective) (runtime.Trainer, error) {
			return m.NewTrainer(runtime.CDConfig{BatchSize: 4, Optimizer: opt})
		}},
		{"pcd", func(m runtime.Reflective) (runtime.Trainer, error) {
			return m.NewTrainer(runtime.CDConfig{Persistent: true, Chains: 10, BatchSize: 4, Optimizer: opt})
		}},
		{"pl", func(m runtime.Reflective) (runtime.Trainer, error) {
			return training.NewTrainer(m, training.PL{}, training.Options{BatchSize: 4, Optimizer: opt})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := rbm.NewRBM(1).Reflect()
			tr, err := c.new(m)
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(tr.Params())
			_, err = training.Fit(context.Background(), tr, modeltest.RandomRows(m, 20, 3), training.FitConfig{Epochs: 1, BatchSize: 6})
			want := "batch size 6 is more than the 4 rows the trainer takes per step"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", err, want)
			}
			for i, p := range tr.Params() {
				if !slices.Equal(p.Data, before[i]) {
					t.Errorf("the refused fit changed %s", p.Name)
				}
			}
		})
	}
}

// TestFitHugeLearningRate: CD-1 at a learning rate far too high drives the
// weights of a generated RBM to about the rate in its first epoch while
// every value stays finite and the reconstruction error stays at chance;
// Fit stops once they pass FitConfig.MaxParam (10³ by default for a model
// of binary units, which the generated trainer's Reflect tells it), names
// the parameter and restores the initial ones. At a sound rate it trains on.
func TestFitHugeLearningRate(t *testing.T) {
	for _, c := range []struct {
		lr       float64
		maxParam float64
		want     string // in the error, "" for none
	}{
		{1e5, 0, "beyond FitConfig.MaxParam 1000 in magnitude"},
		{1000, 0, "beyond FitConfig.MaxParam 1000 in magnitude"}, // the defaults catch lr = 1000 on binary units
		{1000, 100, "beyond FitConfig.MaxParam 100 in magnitude"},
		{0.1, 100, ""},
	} {
		t.Run(fmt.Sprint(c.lr, "/", c.maxParam), func(t *testing.T) {
			m := rbm.NewRBM(1)
			before := snapshot(m.Params())
			tr, err := rbm.NewRBMTrainer(m, runtime.CDConfig{K: 1, BatchSize: 6, Seed: 1,
				Optimizer: runtime.SGD{LearningRate: c.lr, Momentum: 0.5}})
			if err != nil {
				t.Fatal(err)
			}
			stats, err := training.Fit(context.Background(), tr, modeltest.RandomRows(m.Reflect(), 18, 3),
				training.FitConfig{Epochs: 5, BatchSize: 6, Shuffle: true, Seed: 1, MaxParam: c.maxParam})
			if c.want == "" {
				if err != nil || len(stats) != 5 {
					t.Fatalf("%d epochs, error %v", len(stats), err)
				}
				return
			}
			if !errors.Is(err, training.ErrDiverged) || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), "training diverged at epoch 1 (param W holds ") ||
				!strings.Contains(err.Error(), "initial parameters were restored") {
				t.Fatalf("error %v, want ErrDiverged with %q", err, c.want)
			}
			for i, p := range m.Params() {
				if !slices.Equal(p.Data, before[i]) {
					t.Errorf("%s was not restored", p.Name)
				}
			}
		})
	}
}
