package training_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
)

// largestColumnNorm is the largest norm of a column of a row-major matrix
// with cols columns: of the weights into one unit.
func largestColumnNorm(w []float64, cols int) float64 {
	top := 0.0
	for j := range cols {
		s := 0.0
		for r := j; r < len(w); r += cols {
			s += w[r] * w[r]
		}
		top = max(top, math.Sqrt(s))
	}
	return top
}

// TestMaxNormBoundsIncomingWeights trains the small generated DBM by
// variational SML at a rate that makes its weights grow, and checks after
// every step that no hidden unit's incoming weights (a column of W1 or
// W2) have a norm above SGD.MaxNorm, and that the bound is reached, so the
// constraint acted. The control trains without it: the norms pass c.
func TestMaxNormBoundsIncomingWeights(t *testing.T) {
	const c = 0.8
	run := func(maxNorm float64) (largest float64) {
		m := dbmtest.NewSmall(3)
		tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, Chains: 20, BatchSize: 20, Seed: 3,
			Optimizer: runtime.SGD{LearningRate: 0.5, Momentum: 0.5, MaxNorm: maxNorm}})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		batch := make([]float64, 20*16)
		for step := range 60 {
			for i := range batch {
				// Two patterns with noise: data the weights grow to fit.
				batch[i] = float64((i/16)%2 ^ (i%16)/8)
				if r.Float64() < 0.05 {
					batch[i] = 1 - batch[i]
				}
			}
			tr.TrainStep(batch, 20, step/20)
			n := max(largestColumnNorm(m.W1, 12), largestColumnNorm(m.W2, 8))
			if maxNorm > 0 && n > c*(1+1e-12) {
				t.Fatalf("step %d: a unit's incoming weights have norm %v > MaxNorm %v", step, n, c)
			}
			largest = max(largest, n)
		}
		return largest
	}
	if got := run(c); got < c*(1-1e-12) {
		t.Errorf("with MaxNorm %v the largest norm was %v: the constraint never acted, the test shows nothing", c, got)
	}
	if got := run(0); got <= c {
		t.Errorf("control: without MaxNorm the largest norm was %v, not above %v", got, c)
	}
}
