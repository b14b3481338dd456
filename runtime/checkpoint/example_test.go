package checkpoint_test

import (
	"fmt"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
)

// averager is a minimal Model: one parameter vector, mu.
type averager struct{ mu []float64 }

func (a *averager) ModelName() string { return "Averager" }
func (a *averager) Params() []runtime.Tensor {
	return []runtime.Tensor{{Name: "mu", Shape: []int{len(a.mu)}, Data: a.mu}}
}

func ExampleCheckpoint_Restore() {
	m := &averager{mu: []float64{1, 2, 3}}
	c := checkpoint.CheckpointOf(m, nil, nil, nil)
	small := &averager{mu: make([]float64, 2)}
	fmt.Println(c.Restore(small, nil))
	// Output:
	// runtime: restore Averager: param mu: checkpoint shape [3], model shape [2]
}
