package deep_test

import (
	"context"
	"math"
	"testing"

	dbmmodels "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
)

// With Float32, pretraining the 784-500-1000 DBM of examples/dbm runs its
// products in float32 and lands where float64 lands: the parameters'
// change over two steps per RBM differs from float64's by float32 rounding
// (and the few draws it flips), far less than the change itself. Negative
// control: not the same bits, or nothing ran in float32.
func TestPretrainFloat32(t *testing.T) {
	if testing.Short() {
		t.Skip("a second of 784-500-1000 pretraining")
	}
	const rows = 200
	rng := runtime.NewRNG(9, 0)
	x := &dataset.Dataset{Rows: rows, Cols: dbmmodels.DBMNV, X: make([]float64, rows*dbmmodels.DBMNV)}
	for i := range x.X {
		x.X[i] = rng.Bernoulli(0.3)
	}
	pretrain := func(f32 bool) (before, after []float64, err error) {
		m := dbmmodels.NewDBM(4).Reflect()
		for _, p := range m.Params() {
			before = append(before, p.Data...)
		}
		_, err = deep.PretrainDBM(context.Background(), m, x, deep.PretrainConfig{Epochs: 1, BatchSize: 100, K: 1, Seed: 6, Float32: f32,
			Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5, WeightDecay: 0.0005}})
		for _, p := range m.Params() {
			after = append(after, p.Data...)
		}
		return before, after, err
	}
	if !runtime.HasFloat32() {
		if _, _, err := pretrain(true); err == nil {
			t.Error("Float32 without the kernels: no error")
		}
		t.Skip("no float32 kernels on this CPU")
	}
	p0, p64, err := pretrain(false)
	if err != nil {
		t.Fatal(err)
	}
	_, p32, err := pretrain(true)
	if err != nil {
		t.Fatal(err)
	}
	checkFloat32Step(t, p0, p64, p32)
}

// checkFloat32Step checks that float32 products moved the parameters from
// p0 to p32 where float64's moved them to p64, up to float32 rounding and
// the few Bernoulli draws it flips: ‖Δ32 − Δ64‖ ≤ 1e-3·‖Δ64‖ (rounding
// alone gives about 1e-6; a flipped draw moves one row's share, 1/100, of
// a few gradient entries). Negative control: the same bits as float64's
// fail, since then nothing ran in float32.
func checkFloat32Step(t *testing.T, p0, p64, p32 []float64) {
	t.Helper()
	var moved, apart float64
	same := true
	for i := range p0 {
		d64, d32 := p64[i]-p0[i], p32[i]-p0[i]
		moved += d64 * d64
		apart += (d32 - d64) * (d32 - d64)
		same = same && p32[i] == p64[i]
	}
	if same {
		t.Fatal("float32 and float64 gave the same bits: the products did not run in float32")
	}
	if r := math.Sqrt(apart / moved); !(r < 1e-3) {
		t.Errorf("‖Δ32 − Δ64‖ / ‖Δ64‖ = %.3g, want < 1e-3", r)
	} else {
		t.Logf("‖Δ32 − Δ64‖ / ‖Δ64‖ = %.3g", r)
	}
}
