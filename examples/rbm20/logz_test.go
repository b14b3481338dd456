package rbm20_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/rbm20"
	"github.com/ebmc/ebmc/runtime"
)

// With W = 0 the visible and hidden units are independent, so
// log Z = Σ softplus(b) + Σ softplus(c): a closed form for the full
// 2²⁰-term enumeration at 784×20.
func TestExactLogZ784x20(t *testing.T) {
	if testing.Short() {
		t.Skip("enumerates 2²⁰ hidden configurations: in the full suite")
	}
	m := rbm20.ZeroRBM()
	rng := runtime.NewRNG(1, 0)
	want := 0.0
	for i := range m.B {
		m.B[i] = rng.Normal()
		want += runtime.Softplus(m.B[i])
	}
	for j := range m.C {
		m.C[j] = rng.Normal()
		want += runtime.Softplus(m.C[j])
	}
	got, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Fatalf("log Z = %.10f, closed form %.10f", got, want)
	}
	if _, err := m.LogZ(1 << 10); err == nil {
		t.Fatal("LogZ with a limit of 2^10 configurations did not refuse 2^20")
	}
}

// BenchmarkLogZ784x20 times the exact enumeration of 2²⁰ hidden configurations.
func BenchmarkLogZ784x20(b *testing.B) {
	m := rbm20.NewRBM(1)
	for b.Loop() {
		if _, err := m.LogZ(0); err != nil {
			b.Fatal(err)
		}
	}
}
