package training_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/training"
)

func ExampleBatches() {
	b := training.NewBatches(5, 2, false, runtime.NewRNG(1, 0))
	for {
		idx, ok := b.Next()
		if !ok {
			break
		}
		fmt.Println(idx)
	}
	// Output:
	// [0 1]
	// [2 3]
	// [4]
}

// averager is a minimal Trainer: its parameter moves towards each batch mean.
type averager struct{ mu []float64 }

func (a *averager) ModelName() string { return "Averager" }
func (a *averager) Params() []runtime.Tensor {
	return []runtime.Tensor{{Name: "mu", Shape: []int{len(a.mu)}, Data: a.mu}}
}
func (a *averager) VisibleSize() int        { return len(a.mu) }
func (a *averager) State() []runtime.Tensor { return nil }
func (a *averager) TrainStep(batch []float64, rows, epoch int) float64 {
	var recon float64
	mean := make([]float64, len(a.mu))
	for i := range rows {
		for j, v := range batch[i*len(a.mu) : (i+1)*len(a.mu)] {
			recon += (v - a.mu[j]) * (v - a.mu[j])
			mean[j] += v / float64(rows)
		}
	}
	for j := range a.mu {
		a.mu[j] += 0.5 * (mean[j] - a.mu[j])
	}
	return recon
}

func ExampleFit() {
	data := &dataset.Dataset{Rows: 4, Cols: 2, X: []float64{1, 0, 1, 0, 1, 1, 1, 1}}
	model := &averager{mu: make([]float64, 2)}
	dir, _ := os.MkdirTemp("", "ebmc-example")
	defer os.RemoveAll(dir)
	ckpt := filepath.Join(dir, "averager.safetensors")

	stats, err := training.Fit(context.Background(), model, data, training.FitConfig{
		Epochs: 20, BatchSize: 4, Shuffle: true, Seed: 1, Checkpoint: ckpt,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d epochs, mu ≈ [%.2f %.2f]\n", len(stats), model.mu[0], model.mu[1])

	// Resume later: load the checkpoint into a fresh model.
	c, err := checkpoint.LoadCheckpoint(ckpt)
	if err != nil {
		log.Fatal(err)
	}
	fresh := &averager{mu: make([]float64, 2)}
	if err := c.Restore(fresh, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Model, c.Meta["epoch"], fresh.mu[0] == model.mu[0])
	// Output:
	// 20 epochs, mu ≈ [1.00 0.50]
	// Averager 20 true
}

// A method is a value of its own type, with the settings it reads; the
// options are what every method shares. Here pseudo-likelihood trains a
// fully visible Boltzmann machine on rows whose first unit is always on and
// the others off: the biases move to match.
func ExampleNewTrainer() {
	m := fvbm.ZeroFVBM()
	data := &dataset.Dataset{Rows: 200, Cols: 5, X: make([]float64, 200*5)}
	for r := range data.Rows {
		data.X[r*5] = 1
	}
	t, err := training.NewTrainer(m.Reflect(), training.PL{}, training.Options{
		BatchSize: 50, Optimizer: runtime.SGD{LearningRate: 0.5}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := training.Fit(context.Background(), t, data, training.FitConfig{Epochs: 20, BatchSize: 50}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.(*training.ObjectiveTrainer).LossName(), m.B[0] > 0, m.B[1] < 0)
	// Output: pl loss true true
}
