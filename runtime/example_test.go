package runtime_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/training"
)

func ExampleNewRNG() {
	// One stream per Markov chain, all from the run's seed.
	chains := make([]runtime.RNG, 3)
	for i := range chains {
		chains[i] = runtime.NewRNG(42, uint64(i))
	}
	r := &chains[0]
	u := r.Float64()
	fmt.Println(u >= 0 && u < 1, r.Bernoulli(1), r.Bernoulli(0))

	// State captures everything: restoring it replays the sequence.
	s := r.State()
	a := r.Normal()
	r.SetState(s)
	fmt.Println(r.Normal() == a)
	// Output:
	// true 1 0
	// true
}

func ExampleSigmoid() {
	fmt.Printf("%.4f %.4f %.4f\n", runtime.Sigmoid(-2), runtime.Sigmoid(0), runtime.Sigmoid(1000))
	fmt.Printf("%.4f %.1f\n", runtime.Softplus(0), runtime.Softplus(1000))
	// Output:
	// 0.1192 0.5000 1.0000
	// 0.6931 1000.0
}

func ExampleLogSumExp() {
	// log(e¹⁰⁰⁰ + e¹⁰⁰⁰) without overflow.
	fmt.Printf("%.6f\n", runtime.LogSumExp([]float64{1000, 1000}))
	p := []float64{1000, 1000, 999}
	runtime.Softmax(p, p)
	fmt.Printf("%.4f\n", p)
	// Output:
	// 1000.693147
	// [0.4223 0.4223 0.1554]
}

func ExampleGemm() {
	// C = A·Bᵀ for A 2×3 and B 2×3.
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{1, 0, 0, 0, 1, 1}
	c := make([]float64, 4)
	runtime.Gemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output:
	// [1 5 4 11]
}

func ExampleAddActiveRows() {
	// Hidden input from binary visible units: y = Wᵀv without multiplying.
	w := []float64{ // 3 visible × 2 hidden
		1, 2,
		10, 20,
		100, 200,
	}
	v := []float64{1, 0, 1}
	y := make([]float64, 2)
	runtime.AddActiveRows(y, v, w, 3, 2, 2)
	fmt.Println(y)
	// Output:
	// [101 202]
}

func ExampleSGD_Update() {
	opt := runtime.SGD{LearningRate: 0.1, Momentum: 0.5, Schedule: runtime.ExponentialDecay(0.5)}
	theta := []float64{0}
	velocity := []float64{0}
	grad := []float64{1} // ascent direction
	opt.Update(theta, grad, velocity, 0)
	opt.Update(theta, grad, velocity, 1) // learning rate halved
	fmt.Printf("%.3f %.3f\n", theta[0], velocity[0])
	// Output:
	// 0.200 0.100
}

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

func ExampleCheckpoint_Restore() {
	m := &averager{mu: []float64{1, 2, 3}}
	c := checkpoint.CheckpointOf(m, nil, nil, nil)
	small := &averager{mu: make([]float64, 2)}
	fmt.Println(c.Restore(small, nil))
	// Output:
	// runtime: restore Averager: param mu: checkpoint shape [3], model shape [2]
}

func ExampleLoadIDX() {
	dir, _ := os.MkdirTemp("", "ebmc-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "labels.idx")
	// Magic 0x00000801 (unsigned bytes, one dimension), 3 labels.
	os.WriteFile(path, []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1}, 0o644)
	d, err := dataset.LoadIDX(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Rows, d.Cols, d.X)
	// Output:
	// 3 1 [7 2 1]
}

func ExampleTileImage() {
	// Two 2×2 images side by side with 1-pixel separators.
	img := imaging.TileImage([]float64{0, 1, 1, 0, 1, 1, 1, 1}, 2, 2, 2, 2, false)
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), img.GrayAt(1, 1).Y, img.GrayAt(2, 1).Y)
	// Output:
	// 7 4 0 255
}
