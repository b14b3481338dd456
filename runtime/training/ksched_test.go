package training_test

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
)

// TestKScheduleSetsGibbsSteps checks that a generated trainer runs the
// number of Gibbs sweeps CDConfig.KSchedule gives for the epoch: a step of
// epoch e with the ramp 1, 2, 3, … equals bit for bit a step with K = e+1
// from the same start and seed, and (the control) differs from K = 1 past
// the first epoch.
func TestKScheduleSetsGibbsSteps(t *testing.T) {
	batch := make([]float64, 10*6)
	for i := range batch {
		batch[i] = float64((i * 7) % 3 % 2)
	}
	after := func(cfg runtime.CDConfig, epoch int) []float64 {
		m := rbm.NewRBM(4)
		cfg.BatchSize, cfg.Seed, cfg.Optimizer = 10, 4, runtime.SGD{LearningRate: 0.1}
		tr, err := rbm.NewRBMTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.TrainStep(batch, 10, epoch)
		return slices.Concat(m.W, m.B, m.C)
	}
	ramp := runtime.StepRamp(1, 3, 1)
	for _, persistent := range []bool{false, true} {
		for epoch := range 4 {
			got := after(runtime.CDConfig{KSchedule: ramp, Persistent: persistent}, epoch)
			if want := after(runtime.CDConfig{K: min(epoch+1, 3), Persistent: persistent}, epoch); !slices.Equal(got, want) {
				t.Errorf("persistent %v, epoch %d: the ramp's step differs from CD-%d's", persistent, epoch, min(epoch+1, 3))
			}
			if one := after(runtime.CDConfig{K: 1, Persistent: persistent}, epoch); epoch > 0 && slices.Equal(got, one) {
				t.Errorf("control: persistent %v, epoch %d: the ramp's step equals CD-1's", persistent, epoch)
			}
		}
	}
}
