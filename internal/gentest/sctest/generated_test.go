package sctest

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/runtime"
)

// generated is the method set of the generated code for a laplace layer.
type generated interface {
	runtime.Model
	VisibleSize() int
	CodeSize() int
	Hessian(v, dst []float64)
	Linear(v, dst []float64) float64
	Thresholds(dst []float64)
	Prox(x, lam []float64, t float64)
	Energy(v, x []float64) float64
	EnergyGrad(v, x []float64, scale float64, g []runtime.Tensor)
}

// disagreement compares the generated code of file with the interpreter
// at the generated model's parameters, on random rows and codes: Q, b, c,
// λ, the energy, its parameter gradient and the proximal step. It returns
// the largest absolute difference.
func disagreement(t *testing.T, file string, g generated) float64 {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ir.Compile(file, src, ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewParams()
	for i, tensor := range g.Params() {
		copy(p[i], tensor.Data)
	}
	h := m.Sparse.Layer
	n := h.Size
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	diff := func(a, b float64) { worst = math.Max(worst, math.Abs(a-b)) }
	for trial := 0; trial < 10; trial++ {
		x := m.NewState()
		m.RandomState(x, r)
		var row []float64
		for _, ly := range m.Layers {
			if ly.Visible {
				row = append(row, x[ly.Index]...)
			}
		}
		code := x[h.Index]
		q, b, c := m.Quadratic(p, x)
		gq, gb := make([]float64, n*n), make([]float64, n)
		g.Hessian(row, gq)
		gc := g.Linear(row, gb)
		for i := range q {
			diff(q[i], gq[i])
		}
		for i := range b {
			diff(b[i], gb[i])
		}
		diff(c, gc)
		lam, glam := m.Thresholds(p), make([]float64, n)
		g.Thresholds(glam)
		for i := range lam {
			diff(lam[i], glam[i])
		}
		diff(m.Energy(p, x), g.Energy(row, code))
		want := m.EnergyGrad(p, x)
		grad := g.Params()
		for i := range grad {
			grad[i].Data = make([]float64, len(grad[i].Data))
		}
		g.EnergyGrad(row, code, 0.5, grad)
		for i, q := range m.Params {
			if q.Fixed {
				continue
			}
			for k := range want[i] {
				diff(0.5*want[i][k], grad[i].Data[k])
			}
		}
		z := append([]float64(nil), code...)
		g.Prox(z, glam, 0.7)
		for k := range z {
			diff(ir.SoftThreshold(code[k], 0.7*lam[k]), z[k])
		}
	}
	return worst
}

// The generated code of both test models agrees with the interpreter
// (itself checked against the energy by ir's tests). Negative control: a
// Hessian with one entry dropped disagrees.
func TestGeneratedMatchesInterpreter(t *testing.T) {
	sc, w := NewSC(4), NewWeighted(5)
	for _, c := range []struct {
		file string
		m    generated
	}{{"sc.ebm", sc}, {"weighted.ebm", w}} {
		if d := disagreement(t, c.file, c.m); d > 1e-9 {
			t.Errorf("%s: generated code off the interpreter by %.3g", c.file, d)
		}
	}
	// disagreement reads the parameters from the model it checks, so break
	// the code, not the values: a Hessian missing one entry.
	if d := disagreement(t, "sc.ebm", missingEntry{NewSC(4)}); d < 1e-6 {
		t.Errorf("a Hessian with one entry dropped passed (%.3g)", d)
	}
}

// missingEntry drops Q[0, 1] from the generated Hessian.
type missingEntry struct{ *SC }

func (m missingEntry) Hessian(v, dst []float64) {
	m.SC.Hessian(v, dst)
	dst[1] = 0
}
