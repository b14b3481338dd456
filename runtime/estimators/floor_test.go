package estimators_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// smallDBM returns the enumerable 16-12-8 DBM with weights and biases
// drawn so that the h1 = 0 mode holds a visible share of the mass.
func smallDBM(seed uint64) (*dbmtest.Small, runtime.Reflective) {
	m := dbmtest.NewSmall(seed)
	rng := runtime.NewRNG(seed, 99)
	for _, p := range [][]float64{m.W1, m.W2} {
		for i := range p {
			p[i] = 0.5 * rng.Normal()
		}
	}
	for _, p := range [][]float64{m.B, m.C1, m.C2} {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	return m, m.Reflect()
}

// h1FreeEnergy is the index of the free energy that keeps h1 alone.
func h1FreeEnergy(t *testing.T, r runtime.Reflective) int {
	for i, fe := range r.FreeEnergies() {
		if len(fe.Keep) == 1 && fe.Keep[0] == "h1" {
			return i
		}
	}
	t.Fatal("no free energy keeps h1 alone")
	return -1
}

func softplusSum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
	}
	return s
}

// TestLogZFloor checks LogZFloor against sums written out by hand: the
// state h1 = 0 gives Σ softplus(b) + Σ softplus(c2); every h1 state gives
// the exact log Z by enumeration; a state held by several chains counts
// once; any subset lies below log Z. The negative control replaces one
// state of the enumeration by a copy of another, which must then fall
// short of log Z.
func TestLogZFloor(t *testing.T) {
	m, r := smallDBM(3)
	fe := h1FreeEnergy(t, r)
	exact, err := r.LogZ(1e7)
	if err != nil {
		t.Fatal(err)
	}
	const n1 = 12
	all := r.NewChains(1<<n1, 1)
	h1 := all.Layers()[1].Data
	for s := 0; s < 1<<n1; s++ {
		for j := 0; j < n1; j++ {
			h1[s*n1+j] = float64(s >> j & 1)
		}
	}
	full, err := estimators.LogZFloor(r, fe, all)
	if err != nil {
		t.Fatal(err)
	}
	off := r.NewChains(3, 1) // three chains, all at h1 = 0
	clear(off.Layers()[1].Data)
	zero, err := estimators.LogZFloor(r, fe, off)
	if err != nil {
		t.Fatal(err)
	}
	want := softplusSum(m.B) + softplusSum(m.C2)
	cases := []struct {
		name      string
		got, want float64
	}{
		{"every h1 state: exact log Z", full, exact},
		{"h1 = 0 thrice: Σ softplus(b) + Σ softplus(c2), once", zero, want},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: got %.12f, want %.12f", c.name, c.got, c.want)
		}
	}
	if zero > exact {
		t.Errorf("h1 = 0: floor %.6f above log Z %.6f", zero, exact)
	}
	// Negative control: the enumeration with its heaviest state replaced
	// by a copy of another (one state missing, one duplicated) must miss
	// the exact log Z by more than the tolerance, the duplicate counting once.
	f := make([]float64, 1<<n1)
	r.FreeEnergy(all, fe, 1, f)
	heavy := 0
	for s, v := range f {
		if v < f[heavy] {
			heavy = s
		}
	}
	other := (heavy + 1) % (1 << n1)
	copy(h1[heavy*n1:(heavy+1)*n1], h1[other*n1:(other+1)*n1])
	short, err := estimators.LogZFloor(r, fe, all)
	if err != nil {
		t.Fatal(err)
	}
	if exact-short < 1e-6 {
		t.Errorf("control: a missing state leaves the floor at %.12f, log Z %.12f", short, exact)
	}
	if _, err := estimators.LogZFloor(r, 7, off); err == nil {
		t.Error("free energy 7 of 2: no error")
	}
}
