package training_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/training"
)

// largestFanIn is the largest norm of the weights into one unit: of a
// column of a parameter of rank ≥ 2, its last index the unit's.
func largestFanIn(params []runtime.Tensor) float64 {
	top := 0.0
	for _, p := range params {
		if len(p.Shape) < 2 {
			continue
		}
		cols := p.Shape[len(p.Shape)-1]
		for j := range cols {
			s := 0.0
			for r := j; r < len(p.Data); r += cols {
				s += p.Data[r] * p.Data[r]
			}
			top = max(top, math.Sqrt(s))
		}
	}
	return top
}

// TestMaxNormBoundsIncomingWeights trains with a rate that makes the
// weights grow — a generated trainer (variational SML of the small DBM)
// and a runtime objective trainer (pseudo-likelihood of the 6×3 RBM) — and
// checks after every step that no unit's incoming weights have a norm
// above SGD.MaxNorm, and that the bound is reached, so the constraint
// acted. The control trains without it: the norms pass c.
func TestMaxNormBoundsIncomingWeights(t *testing.T) {
	const c = 0.8
	for _, tc := range []struct {
		name  string
		cols  int
		new   func(opt runtime.SGD) (runtime.Trainer, error)
		steps int
	}{
		{"generated DBM, variational SML", 16, func(opt runtime.SGD) (runtime.Trainer, error) {
			m := dbmtest.NewSmall(3)
			return dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, Chains: 20, BatchSize: 20, Seed: 3, Optimizer: opt})
		}, 60},
		{"RBM, pseudo-likelihood", 6, func(opt runtime.SGD) (runtime.Trainer, error) {
			return training.NewTrainer(rbm.NewRBM(3).Reflect(), training.PL{}, training.Options{BatchSize: 20, Optimizer: opt, Seed: 3})
		}, 200},
	} {
		run := func(maxNorm float64) (largest float64) {
			tr, err := tc.new(runtime.SGD{LearningRate: 0.5, Momentum: 0.5, MaxNorm: maxNorm})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			batch := make([]float64, 20*tc.cols)
			for step := range tc.steps {
				for i := range batch {
					// Two patterns with noise: data the weights grow to fit.
					batch[i] = float64((i/tc.cols)%2 ^ (2*(i%tc.cols))/tc.cols)
					if r.Float64() < 0.05 {
						batch[i] = 1 - batch[i]
					}
				}
				tr.TrainStep(batch, 20, step/20)
				n := largestFanIn(tr.Params())
				if maxNorm > 0 && n > c*(1+1e-12) {
					t.Fatalf("%s, step %d: a unit's incoming weights have norm %v > MaxNorm %v", tc.name, step, n, c)
				}
				largest = max(largest, n)
			}
			return largest
		}
		if got := run(c); got < c*(1-1e-12) {
			t.Errorf("%s: with MaxNorm %v the largest norm was %v: the constraint never acted, the test shows nothing", tc.name, c, got)
		}
		if got := run(0); got <= c {
			t.Errorf("%s: control: without MaxNorm the largest norm was %v, not above %v", tc.name, got, c)
		}
	}
}
