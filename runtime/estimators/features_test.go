package estimators_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// Transform gives E[h | v] = σ(c + Wᵀv) of every row, computed here by
// hand; Sample gives binary rows whose means follow the model's marginals
// (here a model with no weights, whose visible units are independent with
// p = σ(b)), within 5 standard errors.
func TestTransformAndSample(t *testing.T) {
	m := rbm.NewRBM(3)
	rng := runtime.NewRNG(1, 0)
	for i := range m.W {
		m.W[i] = rng.Normal()
	}
	for i := range m.C {
		m.C[i] = rng.Normal()
	}
	nv, nh := len(m.B), len(m.C)
	d := &dataset.Dataset{Rows: 1500, Cols: nv, X: make([]float64, 1500*nv)}
	for i := range d.X {
		if rng.Float64() < 0.5 {
			d.X[i] = 1
		}
	}
	h, err := estimators.Transform(m.Reflect(), d)
	if err != nil {
		t.Fatal(err)
	}
	if h.Rows != d.Rows || h.Cols != nh {
		t.Fatalf("features %d×%d, want %d×%d", h.Rows, h.Cols, d.Rows, nh)
	}
	for r := 0; r < d.Rows; r += 97 {
		for j := range nh {
			a := m.C[j]
			for i := range nv {
				a += d.X[r*nv+i] * m.W[i*nh+j]
			}
			if got := h.X[r*nh+j]; math.Abs(got-runtime.Sigmoid(a)) > 1e-12 {
				t.Fatalf("row %d unit %d: %v, want σ(%v) = %v", r, j, got, a, runtime.Sigmoid(a))
			}
		}
	}
	if _, err := estimators.Transform(m.Reflect(), &dataset.Dataset{Rows: 1, Cols: nv + 1, X: make([]float64, nv+1)}); err == nil {
		t.Error("Transform accepted rows of the wrong width")
	}

	z := rbm.ZeroRBM()
	for i := range z.B {
		z.B[i] = float64(i%3) - 1
	}
	const n = 2000
	s, err := estimators.Sample(z.Reflect(), n, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range nv {
		sum := 0.0
		for r := range n {
			v := s.X[r*nv+i]
			if v != 0 && v != 1 {
				t.Fatalf("sample %d unit %d = %v", r, i, v)
			}
			sum += v
		}
		p := runtime.Sigmoid(z.B[i])
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(sum/n-p) > 5*se {
			t.Errorf("unit %d: mean %.4f, want %.4f ± %.4f", i, sum/n, p, 5*se)
		}
	}
}
