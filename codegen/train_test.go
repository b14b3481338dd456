package codegen_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/ir"
)

// barsAndStripes returns the 30 distinct 4×4 patterns whose rows are all
// equal (bars) or whose columns are all equal (stripes).
func barsAndStripes() [][]float64 {
	seen := map[[16]float64]bool{}
	var out [][]float64
	for mask := 0; mask < 16; mask++ {
		for _, rows := range []bool{true, false} {
			var x [16]float64
			for r := 0; r < 4; r++ {
				for c := 0; c < 4; c++ {
					bit := c
					if rows {
						bit = r
					}
					if mask>>bit&1 == 1 {
						x[r*4+c] = 1
					}
				}
			}
			if !seen[x] {
				seen[x] = true
				out = append(out, append([]float64(nil), x[:]...))
			}
		}
	}
	return out
}

// avgLogLikelihood is (1/N) Σ log p(v) = −(1/N) Σ F(v) − log Z, exactly.
func avgLogLikelihood(t *testing.T, m *ir.Model, p ir.Params, data [][]float64) float64 {
	t.Helper()
	logZ, err := m.LogZ(p, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	fe := m.FreeEnergies[0]
	if fe.Keep[0].Name != "v" {
		fe = m.FreeEnergies[1]
	}
	x := m.NewState()
	s := 0.0
	for _, row := range data {
		copy(x[0], row)
		s -= m.FreeEnergy(fe, p, x, 1)
	}
	return s/float64(len(data)) - logZ
}

func TestTrainingRaisesLikelihood(t *testing.T) {
	d := startDriver(t)
	m := d.models["rbm.ebm/bas"]
	data := barsAndStripes()
	if len(data) != 30 {
		t.Fatalf("bars and stripes: %d patterns, want 30", len(data))
	}
	p0 := m.NewParams()
	m.InitParams(p0, 1)
	start := avgLogLikelihood(t, m, p0, data)
	t.Logf("initial average log-likelihood %.3f (ceiling −log 30 = %.3f)", start, -math.Log(30))
	for _, tc := range []struct {
		name       string
		k          int
		persistent bool
		lr         float64
		epochs     int
		want       float64
	}{
		{"CD-1", 1, false, 0.1, 4000, -5.5},
		{"CD-10", 10, false, 0.1, 4000, -4.5},
		{"PCD-1", 1, true, 0.02, 5000, -5.5},
	} {
		if shortSkips(tc.name, "CD-1") {
			continue
		}
		r := d.call(t, harness.Request{Model: "rbm.ebm/bas", Op: "train", Params: p0, Seed: 7, Train: &harness.Train{
			Data: data, Epochs: tc.epochs, Batch: 30, K: tc.k, Persistent: tc.persistent, LR: tc.lr, Momentum: 0.5,
		}})
		got := avgLogLikelihood(t, m, r.Params, data)
		t.Logf("%s: average log-likelihood %.3f after %d epochs", tc.name, got, tc.epochs)
		if got < tc.want {
			t.Errorf("%s: average log-likelihood %.3f, want better than %.1f", tc.name, got, tc.want)
		}
	}
	if testing.Short() {
		t.Log("-short: CD-1 only; CD-10, PCD-1 and CD-1 with float32 products are left out")
		return
	}
	// The same CD-1 with float32 products (ebmc gen -float32): the
	// reconstructions are conditional means, dense, so the float32 packed
	// kernel computes their fields and the gradients.
	r := d.call(t, harness.Request{Model: "rbm.ebm/bas/float32", Op: "train", Params: p0, Seed: 7, Train: &harness.Train{
		Data: data, Epochs: 4000, Batch: 30, K: 1, LR: 0.1, Momentum: 0.5,
	}})
	got := avgLogLikelihood(t, m, r.Params, data)
	t.Logf("CD-1, float32 products: average log-likelihood %.3f after 4000 epochs", got)
	if got < -5.5 {
		t.Errorf("CD-1 with float32 products: average log-likelihood %.3f, want better than -5.5", got)
	}
}
