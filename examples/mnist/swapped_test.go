package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/examples/mnist/models"
	"github.com/ebmc/ebmc/runtime"
)

// TestSwapRBM checks that the swapped top has the top's energy at every
// state with the layers exchanged — so the same Z — on random parameters
// and states, with a control whose W is copied without transposing.
func TestSwapRBM(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	top := models.NewTop2000(1).Reflect()
	for _, p := range top.Params() {
		for i := range p.Data {
			p.Data[i] = rng.NormFloat64() * 0.1
		}
	}
	const n = 4
	x := top.NewChains(n, 2)
	layers := x.Layers()
	for _, ly := range layers {
		for i := range ly.Data {
			ly.Data[i] = float64(rng.IntN(2))
		}
	}
	want := make([]float64, n)
	top.Energy(x, want)

	energies := func(swapped runtime.Reflective) []float64 {
		y := swapped.NewChains(n, 3)
		copy(y.Layers()[0].Data, layers[1].Data)
		copy(y.Layers()[1].Data, layers[0].Data)
		got := make([]float64, n)
		swapped.Energy(y, got)
		return got
	}
	swapped := models.NewTop2000Swapped(4).Reflect()
	if err := swapRBM(top, swapped); err != nil {
		t.Fatal(err)
	}
	for c, e := range energies(swapped) {
		if math.Abs(e-want[c]) > 1e-9*math.Abs(want[c]) {
			t.Errorf("chain %d: swapped energy %.12g, want the top's %.12g", c, e, want[c])
		}
	}
	copy(swapped.Params()[0].Data, top.Params()[0].Data) // control: W not transposed
	if got := energies(swapped); math.Abs(got[0]-want[0]) < 1e-3 {
		t.Errorf("control: with W copied untransposed the energy %.12g still matches %.12g", got[0], want[0])
	}
	if err := swapRBM(top, top); err == nil {
		t.Error("swapRBM into a model of the same shape (not swapped): no error")
	}
}
