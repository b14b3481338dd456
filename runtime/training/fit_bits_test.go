package training

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Fit on a BitDataset trains exactly as on the same 0/1 values in a Dataset.
func TestFitOnBits(t *testing.T) {
	r := runtime.NewRNG(4, 0)
	d := &dataset.Dataset{Rows: 50, Cols: 70, X: make([]float64, 50*70)}
	for i := range d.X {
		d.X[i] = r.Float64()
	}
	d.Binarize(0.6)
	cfg := FitConfig{Epochs: 3, BatchSize: 8, Shuffle: true, Seed: 2}
	dense, bits := newMeanTrainer(70), newMeanTrainer(70)
	if _, err := Fit(context.Background(), dense, d, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), bits, dataset.Binarized(d, 0.5), cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dense.mu, bits.mu) {
		t.Error("training on bits ended elsewhere than training on the same values as float64")
	}
	var none *dataset.BitDataset
	if _, err := Fit(context.Background(), newMeanTrainer(70), none, cfg); err == nil || !strings.Contains(err.Error(), "empty data set") {
		t.Errorf("nil BitDataset: error %v", err)
	}
}
