package deep_test

import (
	"context"
	"fmt"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
)

// A recognition model learns to guess mean field's fixed points, and mean
// field started from its guesses reaches the same tolerance sooner.
func ExampleTrainRecognition() {
	m := dbmtest.NewSmall(1)
	for _, p := range m.Params() { // strong weights: mean field takes many sweeps
		for i := range p.Data {
			p.Data[i] *= 15
		}
	}
	x := dbmtest.NewSmallChains(1000, 2)
	m.Sweeps(x, 1, 100) // data drawn from the model
	data := &dataset.Dataset{Rows: 1000, Cols: 16, X: x.V}

	r, err := deep.NewRecognition(m.Reflect(), 100, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	if _, err := deep.TrainRecognition(context.Background(), m.Reflect(), r, data, deep.RecognitionConfig{Epochs: 20, Rate: 0.5, Momentum: 0.9}); err != nil {
		fmt.Println(err)
		return
	}
	c, err := deep.CompareMeanField(m.Reflect(), r, data, 500, 1e-4, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("fewer sweeps from the guesses:", c.SweepsFromGuess < c.SweepsFromZero)
	// Output: fewer sweeps from the guesses: true
}
