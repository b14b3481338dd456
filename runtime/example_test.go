package runtime_test

import (
	"fmt"

	"github.com/ebmc/ebmc/runtime"
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

func ExampleStreamState() {
	// The streams of two chains, mirrored as the trainer state "rng".
	chains := []runtime.RNG{runtime.NewRNG(7, 0), runtime.NewRNG(7, 1)}
	st := runtime.NewStreamState(chains, 8)
	want := chains[1].Float64()

	// A checkpoint written now, and read into another trainer's state.
	saved := append([]float64(nil), st.Tensor().Data...)
	other := []runtime.RNG{runtime.NewRNG(1, 0), runtime.NewRNG(1, 1)}
	resumed := runtime.NewStreamState(other, 8)
	copy(resumed.Tensor().Data, saved)
	resumed.Load()

	fmt.Println(st.Tensor().Shape, other[1].Float64() == want)
	// Output: [16] true
}
