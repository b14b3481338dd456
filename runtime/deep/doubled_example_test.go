package deep_test

import (
	"fmt"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
)

// The doubled-up pass guides a DBM trainer's mean field: no training, the
// model's own parameters, and the trainer counts the sweeps it then takes.
func ExampleNewDoubledUp() {
	m := dbmtest.NewSmall(1)
	guide, err := deep.NewDoubledUp(m.Reflect())
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, BatchSize: 4, Seed: 1,
		Optimizer: runtime.SGD{LearningRate: 0.01}, MeanFieldGuide: guide})
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := make([]float64, 4*16)
	for i := range batch {
		batch[i] = float64(i % 3 % 2)
	}
	tr.TrainStep(batch, 4, 0)
	sweeps, steps := tr.MeanFieldSweeps()
	fmt.Println("steps:", steps, "sweeps at most the cap of 25:", sweeps <= 25)
	// Output:
	// steps: 1 sweeps at most the cap of 25: true
}
