package deep_test

import (
	"fmt"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
)

// A DBM trained with the centered gradient: the trainer shows the
// transform every positive phase, and the offsets start at the first
// minibatch's means — here the visible units' mean 1/3.
func ExampleNewCentering() {
	m := dbmtest.NewSmall(1)
	c, err := deep.NewCentering(m.Reflect(), 0.01)
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, BatchSize: 3, Seed: 1,
		Optimizer: runtime.SGD{LearningRate: 0.01}, Transform: c})
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := make([]float64, 3*16)
	for r := range 3 {
		for i := range 16 {
			batch[r*16+i] = float64((r + i) % 3 / 2) // one row in three on
		}
	}
	tr.TrainStep(batch, 3, 0)
	fmt.Printf("layers %d, visible offset %.4f\n", len(c.Offsets), c.Offsets[0][0])
	// Output:
	// layers 3, visible offset 0.3333
}
