package estimators_test

import (
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime/estimators"
)

// TestTrackerStep: after the parameters of the 6×3 RBM grow by 10%,
// one observation's bridge-sampling estimate of log Z_1 − log Z_0 (1000
// chains, after 50 sweeps of burn-in and 20 per observation) is within 4
// of its standard errors of the exact change, plainly, through a
// tempering ladder, and by one-sided importance sampling (OneSided); the
// tracked log Z and its σ add up from the start.
// Negative control: the same estimate is far from the exact change of the
// opposite move.
func TestTrackerStep(t *testing.T) {
	for _, c := range []struct {
		betas    []float64
		oneSided bool
	}{{nil, false}, {estimators.GeometricLadder(4, 0.3), false}, {nil, true}} {
		betas := c.betas
		m := strongRBM()
		z0, err := m.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0 - 0.03, High: z0 + 0.03},
			estimators.TrackConfig{Chains: 1000, Sweeps: 20, Burn: 50, Seed: 4, Betas: betas, OneSided: c.oneSided})
		if err != nil {
			t.Fatal(err)
		}
		saved := make([][]float64, 0)
		for _, p := range m.Params() {
			saved = append(saved, append([]float64(nil), p.Data...))
		}
		for _, p := range m.Params() {
			for k := range p.Data {
				p.Data[k] *= 1.1
			}
		}
		z1, _ := m.LogZ(0)
		tr.Observe()
		d, se := tr.Last()
		t.Logf("ladder %v, one-sided %v: exact change %.4f, estimate %.4f ± %.4f (se), swap rates %.2f", betas, c.oneSided, z1-z0, d, se, tr.SwapRates())
		if math.Abs(d-(z1-z0)) > 4*se {
			t.Errorf("ladder %v: estimated change %.4f ± %.4f, exact %.4f", betas, d, se, z1-z0)
		}
		z, sd := tr.LogZ()
		if z != z0+d || math.Abs(sd-math.Sqrt(0.01*0.01+se*se)) > 1e-12 || tr.Steps() != 1 {
			t.Errorf("tracked %.6f ± %.6f after one step, want %.6f ± %.6f", z, sd, z0+d, math.Sqrt(0.01*0.01+se*se))
		}
		if e := tr.Estimate(); e.LogZ != z || math.Abs(e.High-e.Low-6*sd) > 1e-9 {
			t.Errorf("Estimate %+v", e)
		}
		// The opposite move.
		for i, p := range m.Params() {
			for k := range p.Data {
				p.Data[k] = 2*saved[i][k] - p.Data[k]
			}
		}
		zm, _ := m.LogZ(0)
		if math.Abs(d-(zm-z0)) <= 4*se {
			t.Errorf("control: the estimate %.4f ± %.4f also fits the opposite move's change %.4f", d, se, zm-z0)
		}
		if betas != nil && len(tr.SwapRates()) != len(betas)-1 {
			t.Errorf("swap rates %v", tr.SwapRates())
		}
	}
}

// NewTracker and Reset refuse what cannot start tracking.
func TestTrackerRefuses(t *testing.T) {
	m := strongRBM()
	ok := &estimators.Estimate{LogZ: 1, Low: 1, High: 1}
	for _, c := range []struct {
		start *estimators.Estimate
		cfg   estimators.TrackConfig
		want  string
	}{
		{nil, estimators.TrackConfig{}, "no starting estimate"},
		{&estimators.Estimate{LogZ: math.NaN()}, estimators.TrackConfig{}, "starting log Z is NaN"},
		{&estimators.Estimate{LogZ: 1, Low: math.Inf(-1), High: 2}, estimators.TrackConfig{}, "not finite"},
		{ok, estimators.TrackConfig{Chains: -1}, "must not be negative"},
		{ok, estimators.TrackConfig{Betas: []float64{0.9, 0.5}}, "must start at β = 1"},
		{ok, estimators.TrackConfig{Betas: []float64{1, 1}}, "must decrease"},
	} {
		if _, err := estimators.NewTracker(m, c.start, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewTracker(%+v, %+v): %v, want %q", c.start, c.cfg, err, c.want)
		}
	}
	tr, err := estimators.NewTracker(m, ok, estimators.TrackConfig{Chains: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Reset(&estimators.Estimate{LogZ: 2, Low: math.Inf(-1), High: 3}); err == nil {
		t.Error("Reset took an interval without a lower end")
	}
	if err := tr.Reset(&estimators.Estimate{LogZ: 2, Low: 1.7, High: 2.3}); err != nil {
		t.Fatal(err)
	}
	if z, sd := tr.LogZ(); z != 2 || math.Abs(sd-0.1) > 1e-12 {
		t.Errorf("after Reset: %g ± %g", z, sd)
	}
}

// Observe allocates nothing.
func TestTrackerObserveAllocs(t *testing.T) {
	m := strongRBM()
	tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: 1, Low: 1, High: 1}, estimators.TrackConfig{Chains: 8})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, tr.Observe); a != 0 {
		t.Errorf("Observe allocates %v times", a)
	}
	tr, err = estimators.NewTracker(m, &estimators.Estimate{LogZ: 1, Low: 1, High: 1}, estimators.TrackConfig{Chains: 8, Betas: []float64{1, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, tr.Observe); a != 0 {
		t.Errorf("Observe with a ladder allocates %v times", a)
	}
}
