package chains

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// startChains starts the persistent chains of a fresh trainer of
// dbmtest.Small at the rows of d and returns its visible chains.
func startChains(t *testing.T, d dataset.Source) []float64 {
	t.Helper()
	m := dbmtest.NewSmall(1).Reflect()
	tr, err := m.NewTrainer(runtime.CDConfig{K: 1, Persistent: true, Chains: 30, BatchSize: 10, Seed: 2, Optimizer: runtime.SGD{LearningRate: 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	StartAtData(m, tr, d, 3)
	for _, s := range tr.State() {
		if s.Name == "chain.v" {
			return slices.Clone(s.Data)
		}
	}
	t.Fatal("the trainer has no chain.v")
	return nil
}

// StartAtData puts the same rows into the chains from a dense Dataset and
// from the same images as bits; from images with one bit flipped in every
// row, other rows (the negative control).
func TestStartAtDataSources(t *testing.T) {
	rng := runtime.NewRNG(4, 0)
	dense := &dataset.Dataset{Rows: 50, Cols: 16, X: make([]float64, 50*16)}
	for i := range dense.X {
		if rng.Float64() < 0.4 {
			dense.X[i] = 1
		}
	}
	flipped := &dataset.Dataset{Rows: 50, Cols: 16, X: slices.Clone(dense.X)}
	for r := range flipped.Rows {
		flipped.X[r*16+r%16] = 1 - flipped.X[r*16+r%16]
	}
	want := startChains(t, dense)
	for _, c := range []struct {
		name string
		data dataset.Source
		same bool
	}{
		{"bits", dataset.Binarized(dense, 0.5), true},
		{"flipped bits", dataset.Binarized(flipped, 0.5), false},
	} {
		if got := startChains(t, c.data); slices.Equal(got, want) != c.same {
			t.Errorf("%s: chains equal to the dense data's: %v, want %v", c.name, !c.same, c.same)
		}
	}
	if !slices.ContainsFunc(want, func(v float64) bool { return v == 1 }) {
		t.Error("no visible unit of the chains is on: the rows were not copied")
	}
}
