package estimators_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// The evaluations read a data set in batches of 1000 rows, from a Dataset
// in place or from bits expanded into one buffer: on 2500 rows (two full
// batches and a part) both give the same numbers, and the free energies
// equal F(v) = −b·v − Σ_j softplus(c_j + Σ_i v_i W_ij) computed here row by
// row, so that a row read from the wrong batch would show.
func TestEvaluationsReadBitsAsFloats(t *testing.T) {
	m := rbm.NewRBM(3)
	rng := runtime.NewRNG(4, 0)
	for _, p := range [][]float64{m.W, m.B, m.C} {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	const rows = 2500
	nv, nh := len(m.B), len(m.C)
	dense := &dataset.Dataset{Rows: rows, Cols: nv, X: make([]float64, rows*nv)}
	for i := range dense.X {
		if rng.Float64() < 0.4 {
			dense.X[i] = 1
		}
	}
	bits := dataset.Binarized(dense, 0.5)
	r := m.Reflect()

	fd, err := estimators.FreeEnergies(r, dense)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := estimators.FreeEnergies(r, bits)
	if err != nil {
		t.Fatal(err)
	}
	for row := range rows {
		v := dense.Row(row)
		want := 0.0
		for i := range nv {
			want -= m.B[i] * v[i]
		}
		for j := range nh {
			a := m.C[j]
			for i := range nv {
				a += v[i] * m.W[i*nh+j]
			}
			want -= runtime.Softplus(a)
		}
		if !within(fd[row], want, 1e-12) || fb[row] != fd[row] {
			t.Fatalf("row %d: F from floats %.15g, from bits %.15g, by hand %.15g", row, fd[row], fb[row], want)
		}
	}

	for _, c := range []struct {
		name string
		eval func(dataset.Source) (float64, error)
	}{
		{"reconstruction", func(d dataset.Source) (float64, error) { return estimators.Reconstruction(r, d) }},
		{"sampled pseudo-likelihood", func(d dataset.Source) (float64, error) { return estimators.SampledPseudoLikelihood(r, d, 7) }},
		{"pseudo-likelihood", func(d dataset.Source) (float64, error) {
			pl, err := estimators.Pseudo(r, d, 7)
			if err != nil {
				return 0, err
			}
			return pl.Total, nil
		}},
		{"base rate", func(d dataset.Source) (float64, error) {
			b, err := estimators.BaseRate(r, d, 1)
			if err != nil {
				return 0, err
			}
			s := 0.0
			for _, f := range b.Field {
				for _, x := range f {
					s += x
				}
			}
			return s, nil
		}},
	} {
		a, err := c.eval(dense)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.eval(bits)
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("%s: %.15g from floats, %.15g from bits", c.name, a, b)
		}
	}
}

func within(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol*max(1, a, -a)
}

// TestLogMass: over every state of a 3-unit RBM, the exact log p(v) sums
// to probability one (log mass 0 to 1e-12) and a repeated row counts once;
// with log Z taken 2 too low (the control), the mass is 2 — the amount
// log Z is short by.
func TestLogMass(t *testing.T) {
	m := dbn.NewTinyRBM(1)
	rng := runtime.NewRNG(2, 0)
	for _, p := range [][]float64{m.W, m.B, m.C} {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	r := m.Reflect()
	z, err := r.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	d := &dataset.Dataset{Rows: 9, Cols: 3}
	for s := range 8 {
		for i := range 3 {
			d.X = append(d.X, float64(s>>i&1))
		}
	}
	d.X = append(d.X, d.X[3:6]...) // state 1 again
	for _, c := range []struct {
		logZ, want float64
	}{{z, 0}, {z - 2, 2}} {
		fe, err := estimators.FreeEnergies(r, d)
		if err != nil {
			t.Fatal(err)
		}
		logp := make([]float64, d.Rows)
		for i, f := range fe {
			logp[i] = -f - c.logZ
		}
		got, err := estimators.LogMass(d, logp)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("log Z %.6f: log mass %.15g (%v), want %g", c.logZ, got, err, c.want)
		}
	}
	if _, err := estimators.LogMass(d, make([]float64, 3)); err == nil {
		t.Error("3 values for 9 rows accepted")
	}
}
