package deep

import (
	"math"
	"slices"
	"testing"

	dbnmodels "github.com/ebmc/ebmc/examples/dbn/models"
	tiny "github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
)

// backpropCase is a labelled DBN and a minibatch of its rows.
type backpropCase struct {
	name  string
	d     *DBN
	batch []float64
	rows  int
}

// randomized sets every parameter of the models to N(0, std²).
func randomized(std float64, seed uint64, ms ...runtime.Model) {
	rng := runtime.NewRNG(seed, 1)
	for _, m := range ms {
		for _, p := range m.Params() {
			for i := range p.Data {
				p.Data[i] = std * rng.Normal()
			}
		}
	}
}

// backpropCases are the tiny labelled DBN (untied) and the DBN of
// examples/dbn, with random parameters and rows of grey levels.
func backpropCases(t *testing.T) []backpropCase {
	t.Helper()
	l1, l2, top, r1, r2 := tiny.ZeroTiny1(), tiny.ZeroTiny2(), tiny.ZeroTinyTop(), tiny.ZeroTiny1(), tiny.ZeroTiny2()
	randomized(1, 5, l1, l2, top)
	small, err := NewDBN(l1.Reflect(), l2.Reflect(), top.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	if err := small.Untie(r1.Reflect(), r2.Reflect()); err != nil {
		t.Fatal(err)
	}
	randomized(1, 6, r1, r2)
	b1, b2 := dbnmodels.ZeroRBM(), dbnmodels.ZeroTopRBM()
	randomized(0.05, 7, b1, b2)
	big, err := NewDBN(b1.Reflect(), b2.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	var cases []backpropCase
	for _, c := range []struct {
		name string
		d    *DBN
		rows int
	}{{"tiny", small, 9}, {"examples/dbn", big, 20}} {
		rng := runtime.NewRNG(8, 0)
		nv, classes := c.d.VisibleSize(), c.d.Classes()
		batch := make([]float64, c.rows*(nv+classes))
		for r := range c.rows {
			row := batch[r*(nv+classes) : (r+1)*(nv+classes)]
			for i := range nv {
				row[i] = rng.Float64()
			}
			row[nv+rng.Intn(classes)] = 1
		}
		cases = append(cases, backpropCase{c.name, c.d, batch, c.rows})
	}
	return cases
}

// backpropGradient returns the loss and −∂L/∂θ of one step on c's batch,
// by the shared path or with every label copy its own chain (split false,
// which also takes the lower layers' second gradient), and the trainer.
// broken, if not nil, is applied to the scratch before the step.
func backpropGradient(t *testing.T, c backpropCase, split bool, broken func(*dbnBackpropScratch)) (float64, [][]float64) {
	t.Helper()
	tr, err := c.d.Backprop(DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	if !split {
		tr.split = false
		for k := range tr.lowHid {
			tr.lowHid[k] = nil
		}
	} else if !tr.split {
		t.Fatalf("%s: the top model's label copies cannot share their input", c.name)
	}
	if broken != nil {
		broken(tr.scratchFor(c.rows))
	}
	loss := tr.gradient(c.batch, c.rows)
	var g [][]float64
	for _, x := range tr.grads {
		g = append(g, slices.Clone(x.Data))
	}
	return loss, g
}

// gradientGap returns the largest |a − b| over the elements of each
// tensor, relative to 1 + the tensor's largest |b|.
func gradientGap(a, b [][]float64) float64 {
	worst := 0.0
	for i := range b {
		scale := 0.0
		for _, v := range b[i] {
			scale = max(scale, math.Abs(v))
		}
		for j := range b[i] {
			worst = max(worst, math.Abs(a[i][j]-b[i][j])/(1+scale))
		}
	}
	return worst
}

// The shared path of the backpropagation step (topGradientSplit, and the
// lower layers without their second gradient) gives the loss and the
// gradient of the path where every label copy is a chain of its own, to
// rounding: the sums run in another order (the fields as a1 + a2 − a0, the
// gradient over n + C + 2 chains), so each element may differ by a few
// units in the last place of the tensor's largest terms; the tolerance is
// 1e-12 relative. A gradient chain left with the wrong label (the
// negative control) is off by O(1).
func TestBackpropSplitMatchesCopies(t *testing.T) {
	const tol = 1e-12
	for _, c := range backpropCases(t) {
		lossC, gC := backpropGradient(t, c, false, nil)
		lossS, gS := backpropGradient(t, c, true, nil)
		gap := gradientGap(gS, gC)
		t.Logf("%s: loss %.15g (copies) %.15g (shared), gradient gap %.2g", c.name, lossC, lossS, gap)
		if math.Abs(lossS-lossC) > tol*(1+math.Abs(lossC)) {
			t.Errorf("%s: loss %.15g on the shared path, %.15g with copies", c.name, lossS, lossC)
		}
		if gap > tol {
			t.Errorf("%s: gradients differ by %.3g relative, more than %g", c.name, gap, tol)
		}
		// Negative control: the last gradient chain, (0, 0, Σ_c q_c), with
		// label e_0 instead of 0.
		_, gB := backpropGradient(t, c, true, func(s *dbnBackpropScratch) {
			top := c.d.top()
			y := s.gbL[top.label].Data
			y[(c.rows+top.classes)*top.classes] = 1
		})
		if g := gradientGap(gB, gC); g < 1e-3 {
			t.Errorf("%s: a broken gradient chain is within %.3g of the copies' gradient; the comparison cannot fail", c.name, g)
		}
	}
}
