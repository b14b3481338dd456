package deep

import (
	"math"
	"testing"

	tiny "github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
)

// upDownRun returns the parameters of the tiny labelled DBN after three
// up-down steps on a fixed minibatch, with the generative gradient of the
// bottom layer from the reconstruction's means (means) or from the model's
// FreeEnergyGrad; broken, if not nil, runs after each step's scratch is made.
func upDownRun(t *testing.T, means bool, broken func(*dbnUpDownScratch)) []float64 {
	t.Helper()
	l1, l2, top, r1, r2 := tiny.ZeroTiny1(), tiny.ZeroTiny2(), tiny.ZeroTinyTop(), tiny.ZeroTiny1(), tiny.ZeroTiny2()
	randomized(1, 11, l1, l2, top)
	d, err := NewDBN(l1.Reflect(), l2.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Untie(r1.Reflect(), r2.Reflect()); err != nil {
		t.Fatal(err)
	}
	tr, err := d.UpDown(DBNUpDownConfig{K: 2, MeanVisible: true, Seed: 3, Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.meansOK {
		t.Fatal("the tiny bottom layer is bernoulli with a bilinear energy, yet its visible layer is not found affine")
	}
	tr.meansOK = means
	const rows = 6
	rng := runtime.NewRNG(12, 0)
	width := tr.VisibleSize()
	batch := make([]float64, rows*width)
	for r := range rows {
		for i := range d.VisibleSize() {
			batch[r*width+i] = rng.Bernoulli(0.5)
		}
		batch[r*width+d.VisibleSize()+rng.Intn(d.Classes())] = 1
	}
	for range 3 {
		if broken != nil {
			broken(tr.scratchFor(rows))
		}
		tr.TrainStep(batch, rows, 0)
	}
	var out []float64
	for _, p := range tr.Params() {
		out = append(out, p.Data...)
	}
	return out
}

// The up-down step's bottom generative gradient from the means that the
// reconstruction error computes is the one FreeEnergyGrad computes, bit
// for bit (the same products on the same operands, in the same order), and
// so is every parameter after three steps. Negative control: the means
// chains' hidden layer scrambled before each step, where the step copies
// h_1 over it — unless the copy were missing, which must show.
func TestUpDownMeansSameBits(t *testing.T) {
	want := upDownRun(t, false, nil)
	got := upDownRun(t, true, nil)
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("parameter %d: %v from the reconstruction's means, %v from FreeEnergyGrad", i, got[i], want[i])
		}
	}
	// The control: hide h_1 from the means chains by making the step's
	// copy land in a layer nobody reads (the broken scratch points the
	// view elsewhere), so they keep stale states.
	stale := upDownRun(t, true, func(s *dbnUpDownScratch) {
		h := s.meansL[len(s.meansL)-1]
		s.meansL[len(s.meansL)-1] = runtime.Tensor{Name: h.Name, Shape: h.Shape, Data: make([]float64, len(h.Data))}
	})
	same := true
	for i := range want {
		same = same && stale[i] == want[i]
	}
	if same {
		t.Error("with stale hidden states in the means chains the parameters are unchanged; the comparison cannot fail")
	}
}
