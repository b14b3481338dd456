package grbm_test

import (
	"context"
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/grbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/training"
)

// A Gaussian–Bernoulli RBM trains stably on standardized real-valued data:
// pixel intensities made of two prototypes plus noise, with the log
// standard deviations z learned at a tenth of the rate. Nothing becomes NaN,
// the reconstruction error falls, z moves, and a rate of 0 freezes z.
func TestGRBMTrainsOnStandardizedData(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a second: in the full suite")
	}
	const rows = 100
	rng := runtime.NewRNG(3, 0)
	d := &dataset.Dataset{Rows: rows, Cols: grbm.GRBMNV}
	for r := 0; r < rows; r++ {
		for i := 0; i < grbm.GRBMNV; i++ {
			v := 0.2 * rng.Normal()
			if (i/28)%2 == r%2 { // two prototypes: even or odd rows of the image lit
				v += 1
			}
			d.X = append(d.X, v)
		}
	}
	d.Standardize()

	for _, zRate := range []float64{0.1, 0} {
		m := grbm.NewGRBM(1)
		z0 := append([]float64(nil), m.Z...)
		tr, err := grbm.NewGRBMTrainer(m, runtime.CDConfig{K: 1, BatchSize: 50, Seed: 2, MeanVisible: true,
			Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.5}, Rates: map[string]float64{"z": zRate}})
		if err != nil {
			t.Fatal(err)
		}
		stats, err := training.Fit(context.Background(), tr, d, training.FitConfig{Epochs: 6, BatchSize: 50, Shuffle: true, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		first, last := stats[0].Recon, stats[len(stats)-1].Recon
		moved := 0.0
		for i := range m.Z {
			moved = math.Max(moved, math.Abs(m.Z[i]-z0[i]))
		}
		t.Logf("z rate %g: reconstruction %.1f → %.1f, largest change of z %.4f", zRate, first, last, moved)
		if !(last < first) {
			t.Errorf("z rate %g: reconstruction error did not fall: %.2f → %.2f", zRate, first, last)
		}
		if (zRate == 0) != (moved == 0) {
			t.Errorf("z rate %g: z moved by %g", zRate, moved)
		}
	}
	if _, err := grbm.NewGRBMTrainer(grbm.NewGRBM(1), runtime.CDConfig{BatchSize: 10, Rates: map[string]float64{"sigma": 1}}); err == nil {
		t.Error("a rate for an unknown parameter was accepted")
	}
}
