package deep_test

import (
	"testing"

	dbnmodels "github.com/ebmc/ebmc/examples/dbn/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
)

// exampleDBN returns the untied 784-500-(500+10)-2000 DBN of examples/dbn
// (N(0, 0.01²) weights, zero biases) and a minibatch of rows labelled
// rows: binary pixels on with probability 0.4 (grey levels uniform on
// [0, 1] with grey), each followed by a one-hot label.
func exampleDBN(tb testing.TB, rows int, grey bool) (*deep.DBN, []float64) {
	d, err := deep.NewDBN(dbnmodels.NewRBM(1).Reflect(), dbnmodels.NewTopRBM(2).Reflect())
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Untie(dbnmodels.ZeroRBM().Reflect()); err != nil {
		tb.Fatal(err)
	}
	rng := runtime.NewRNG(3, 0)
	nv, classes := d.VisibleSize(), d.Classes()
	batch := make([]float64, rows*(nv+classes))
	for r := range rows {
		row := batch[r*(nv+classes) : (r+1)*(nv+classes)]
		for i := range nv {
			if grey {
				row[i] = rng.Float64()
			} else {
				row[i] = rng.Bernoulli(0.4)
			}
		}
		row[nv+rng.Intn(classes)] = 1
	}
	return d, batch
}

// One up-down step (CD-3 in the top RBM) of examples/dbn on a minibatch of
// 100: go test -run X -bench DBNUpDownStep -cpuprofile p.prof ./runtime/deep
func BenchmarkDBNUpDownStep(b *testing.B) {
	d, batch := exampleDBN(b, 100, false)
	t, err := d.UpDown(deep.DBNUpDownConfig{K: 3, MeanVisible: true, Seed: 4,
		Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.5, WeightDecay: 0.0002}})
	if err != nil {
		b.Fatal(err)
	}
	t.TrainStep(batch, 100, 0)
	b.ResetTimer()
	for range b.N {
		t.TrainStep(batch, 100, 0)
	}
}

// One backpropagation step of examples/dbn on a minibatch of 100 grey-level
// images: go test -run X -bench DBNBackpropStep -cpuprofile p.prof ./runtime/deep
func BenchmarkDBNBackpropStep(b *testing.B) {
	d, batch := exampleDBN(b, 100, true)
	t, err := d.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: 0.005, Momentum: 0.9}})
	if err != nil {
		b.Fatal(err)
	}
	t.TrainStep(batch, 100, 0)
	b.ResetTimer()
	for range b.N {
		t.TrainStep(batch, 100, 0)
	}
}
