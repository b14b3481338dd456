package models_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/classrbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// p(y | x) from free energies equals the ratio of joint probabilities
// computed by brute force over the hidden units of a tiny slice of the
// model: with only U and d nonzero (W = 0, b = 0, c = 0) the image does not
// matter and p(y = k) ∝ exp(d_k) · Π_j (1 + exp(U_kj)).
func TestClassProbs(t *testing.T) {
	m := models.ZeroClassRBM()
	rng := runtime.NewRNG(2, 0)
	for k := range m.D {
		m.D[k] = rng.Normal()
	}
	for k := range m.U {
		m.U[k] = 0.01 * rng.Normal()
	}
	d := &dataset.Dataset{Rows: 2, Cols: models.ClassRBMNV, X: make([]float64, 2*models.ClassRBMNV)}
	probs, err := estimators.ClassProbs(m.Reflect(), "y", d)
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float64, models.ClassRBMNY)
	for k := range logits {
		logits[k] = m.D[k]
		for j := 0; j < models.ClassRBMNH; j++ {
			logits[k] += runtime.Softplus(m.U[k*models.ClassRBMNH+j])
		}
	}
	want := make([]float64, len(logits))
	runtime.Softmax(want, logits)
	for r := 0; r < 2; r++ {
		for k, w := range want {
			if got := probs[r*len(want)+k]; math.Abs(got-w) > 1e-12 {
				t.Fatalf("p(y=%d | x) = %g, want %g", k, got, w)
			}
		}
	}
	if acc, err := estimators.Accuracy(probs, []int{argmax(want), argmax(want)}); err != nil || acc != 1 {
		t.Fatalf("accuracy %g (%v), want 1", acc, err)
	}
	if _, err := estimators.ClassProbs(m.Reflect(), "v", d); err == nil {
		t.Fatal("classifying with a bernoulli layer as the label succeeded")
	}
}

func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
