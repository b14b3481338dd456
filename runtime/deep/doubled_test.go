package deep

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
)

// DoubledUp's guess on the 16-12-8 machine is, written out in loops,
// μ₁ = σ(2·vW₁ + c₁) and μ₂ = σ(μ₁W₂ + c₂) (to 1e-12), with v left
// exactly as it was; the control, the pass without the doubling, differs
// by more than 10⁻³. As a trainer's guide it allocates nothing per step,
// and mean field started from it reaches the same fixed point as from zero
// (to 1e-6) on a machine with weights of scale 1.
func TestDoubledUp(t *testing.T) {
	const rows = 7
	m, data := strongDBM(t, 1, rows)
	d, err := NewDoubledUp(m.Reflect())
	if err != nil {
		t.Fatal(err)
	}
	x := dbmtest.NewSmallChains(rows, 3)
	x.Randomize() // stale hidden states, which the guess must not read
	copy(x.V, data.X)
	d.Guess(x)
	for i, v := range x.V[:rows*16] {
		if v != data.X[i] {
			t.Fatalf("v[%d] = %v after the guess, was %v", i, v, data.X[i])
		}
	}
	sigma := func(a float64) float64 { return 1 / (1 + math.Exp(-a)) }
	pass := func(double float64) (mu1, mu2 []float64) {
		mu1, mu2 = make([]float64, rows*12), make([]float64, rows*8)
		for r := range rows {
			for j := range 12 {
				a := 0.0
				for i := range 16 {
					a += data.X[r*16+i] * m.W1[i*12+j]
				}
				mu1[r*12+j] = sigma(double*a + m.C1[j])
			}
			for k := range 8 {
				a := m.C2[k]
				for j := range 12 {
					a += mu1[r*12+j] * m.W2[j*8+k]
				}
				mu2[r*8+k] = sigma(a)
			}
		}
		return mu1, mu2
	}
	gap := func(mu1, mu2 []float64) float64 {
		g := 0.0
		for i := range mu1 {
			g = math.Max(g, math.Abs(mu1[i]-x.H1[i]))
		}
		for i := range mu2 {
			g = math.Max(g, math.Abs(mu2[i]-x.H2[i]))
		}
		return g
	}
	if g := gap(pass(2)); g > 1e-12 {
		t.Errorf("the guess differs from σ(2vW₁ + c₁), σ(μ₁W₂ + c₂) by %.3g", g)
	}
	if g := gap(pass(1)); g < 1e-3 {
		t.Errorf("control: the guess is within %.3g of the pass without doubling", g)
	}

	// Mean field from the guess and from zero meet.
	m.MeanFieldFrom(x, 500, 1e-12, 0)
	z := dbmtest.NewSmallChains(rows, 4)
	copy(z.V, data.X)
	m.MeanField(z, 500, 1e-12, 0)
	for i := range x.H1[:rows*12] {
		if math.Abs(x.H1[i]-z.H1[i]) > 1e-6 {
			t.Fatalf("h1[%d]: mean field from the guess reaches %v, from zero %v", i, x.H1[i], z.H1[i])
		}
	}

	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 1, Persistent: true, BatchSize: rows, Seed: 1,
		Optimizer: runtime.SGD{LearningRate: 0.01}, MeanFieldGuide: d})
	if err != nil {
		t.Fatal(err)
	}
	tr.TrainStep(data.X, rows, 0) // the first step reads the chains' views
	if a := testing.AllocsPerRun(5, func() { tr.TrainStep(data.X, rows, 0) }); a != 0 {
		t.Errorf("a guided step allocates %v times", a)
	}
}

// NewDoubledUp refuses a model that is not one chain of layers: Kinds has
// two visible layers.
func TestDoubledUpRefuses(t *testing.T) {
	if _, err := NewDoubledUp(dbmtest.NewKinds(1).Reflect()); err == nil {
		t.Error("a machine with two visible layers was accepted")
	}
}
