package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/examples/mnist/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
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

// TestHiddenMeans checks E[h | v] = σ(c + vᵀW) of the top RBM, written out
// in loops, for rows gathered in an order that crosses a batch boundary.
func TestHiddenMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	top := models.NewTop2000(1).Reflect()
	for _, p := range top.Params() {
		for i := range p.Data {
			p.Data[i] = rng.NormFloat64() * 0.05
		}
	}
	w, c := top.Params()[0], top.Params()[2].Data
	nv, nh := w.Shape[0], w.Shape[1]
	rows := hiddenMeansBatch + 3
	data := &dataset.Dataset{Rows: rows, Cols: nv, X: make([]float64, rows*nv)}
	for i := range data.X {
		data.X[i] = rng.Float64()
	}
	u, err := newHiddenMeans(top, data, 9)
	if err != nil {
		t.Fatal(err)
	}
	if r, cols := u.Shape(); r != rows || cols != nh {
		t.Fatalf("Shape %d × %d, want %d × %d", r, cols, rows, nh)
	}
	idx := []int{rows - 1, 0, 5}
	for i := range hiddenMeansBatch {
		idx = append(idx, (i*7)%rows)
	}
	got := make([]float64, len(idx)*nh)
	u.Gather(got, idx)
	worst := 0.0
	for a, r := range idx {
		v := data.Row(r)
		for j := range nh {
			s := c[j]
			for i := range nv {
				s += v[i] * w.Data[i*nh+j]
			}
			worst = max(worst, math.Abs(got[a*nh+j]-1/(1+math.Exp(-s))))
		}
	}
	if worst > 1e-12 {
		t.Errorf("largest difference from σ(c + vᵀW): %.3g", worst)
	}
	if _, err := newHiddenMeans(top, &dataset.Dataset{Rows: 1, Cols: nv + 1, X: make([]float64, nv+1)}, 9); err == nil {
		t.Error("rows of the wrong width: no error")
	}
}
