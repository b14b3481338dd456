package sampler

import (
	"math"
	"testing"
)

// A sweep keeps every unit binary and changes the state.
func TestSweep(t *testing.T) {
	m := NewDigits(1)
	x := NewDigitsChains(10, 2)
	before := append([]float64(nil), x.V...)
	m.Sweep(x, 1)
	changed := false
	for k, v := range x.V {
		if v != 0 && v != 1 {
			t.Fatalf("unit %d is %g after a sweep, want 0 or 1", k, v)
		}
		changed = changed || v != before[k]
	}
	if !changed {
		t.Fatal("a sweep changed nothing")
	}
}

// The free energy satisfies F(v) = −log Σ_h exp(−E(v, h)); with every
// parameter zero that is −NH·log 2.
func TestFreeEnergyOfZeroModel(t *testing.T) {
	m := ZeroDigits()
	x := NewDigitsChains(1, 1)
	f := make([]float64, 1)
	m.FreeEnergy(x, 1, f)
	if want := -DigitsNH * math.Ln2; math.Abs(f[0]-want) > 1e-12 {
		t.Fatalf("F = %g, want %g", f[0], want)
	}
}

func BenchmarkSweep10(b *testing.B) {
	m := NewDigits(1)
	x := NewDigitsChains(10, 2)
	b.ReportAllocs()
	for b.Loop() {
		m.Sweep(x, 1)
	}
}
