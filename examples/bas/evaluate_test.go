package bas_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/bas"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// With W = 0 every visible unit is independent with p(v_i = 1) = σ(b_i), so
// the evaluation functions have closed forms.
func TestEvaluationClosedForms(t *testing.T) {
	m := bas.ZeroRBM()
	rng := runtime.NewRNG(4, 0)
	for i := range m.B {
		m.B[i] = rng.Normal()
	}
	for j := range m.C {
		m.C[j] = rng.Normal()
	}
	r := m.Reflect()
	d := &dataset.Dataset{Rows: 50, Cols: 16}
	for k := 0; k < d.Rows*d.Cols; k++ {
		d.X = append(d.X, rng.Bernoulli(0.4))
	}
	logp := func(i int, v float64) float64 { // log p(v_i = v)
		return -runtime.Softplus(-(2*v - 1) * m.B[i])
	}
	wantLL, wantRecon := 0.0, 0.0
	for row := 0; row < d.Rows; row++ {
		for i, v := range d.Row(row) {
			wantLL += logp(i, v)
			s := runtime.Sigmoid(m.B[i])
			wantRecon += (v - s) * (v - s)
		}
	}
	wantLL /= float64(d.Rows)
	wantRecon /= float64(d.Rows)

	logZ, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := estimators.LogLikelihood(r, d, logZ)
	if err != nil || math.Abs(ll-wantLL) > 1e-9 {
		t.Errorf("LogLikelihood = %.10f (%v), want %.10f", ll, err, wantLL)
	}
	// Independent units: the pseudo-likelihood is the likelihood.
	pl, err := estimators.Pseudo(r, d, 1)
	if err != nil || math.Abs(pl.Total-wantLL) > 1e-9 || math.Abs(pl.PerUnit-wantLL/16) > 1e-9 {
		t.Errorf("Pseudo = %+v (%v), want total %.10f", pl, err, wantLL)
	}
	recon, err := estimators.Reconstruction(r, d)
	if err != nil || math.Abs(recon-wantRecon) > 1e-9 {
		t.Errorf("Reconstruction = %.10f (%v), want %.10f", recon, err, wantRecon)
	}
	if gap, err := estimators.FreeEnergyGap(r, d, d); err != nil || gap != 0 {
		t.Errorf("FreeEnergyGap(d, d) = %g (%v), want 0", gap, err)
	}
	// All units equal and a row of ones: the one-unit estimate is exact.
	for i := range m.B {
		m.B[i] = 0.3
	}
	ones := &dataset.Dataset{Rows: 3, Cols: 16, X: make([]float64, 48)}
	for k := range ones.X {
		ones.X[k] = 1
	}
	sampled, err := estimators.SampledPseudoLikelihood(r, ones, 7)
	if want := 16 * logp(0, 1); err != nil || math.Abs(sampled-want) > 1e-9 {
		t.Errorf("SampledPseudoLikelihood = %.10f (%v), want %.10f", sampled, err, want)
	}
	name, v := estimators.LogLikelihoodProxy(r, estimators.Uniform(r), ones, 10, 5)()
	if math.IsNaN(v) || name == "" {
		t.Errorf("LogLikelihoodProxy = %q %g", name, v)
	}
}
