package codegen_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/ir"
)

// gaussianParams draws every trained parameter of m from N(0, sd²).
func gaussianParams(m *ir.Model, sd float64, seed uint64) ir.Params {
	r := rand.New(rand.NewPCG(seed, 3))
	p := m.NewParams()
	for i := range p {
		for k := range p[i] {
			p[i][k] = sd * r.NormFloat64()
		}
	}
	return p
}

// checkEstimates holds AIS within 0.1 nats of the exact log Z with the
// exact value inside its interval, importance sampling worse, and the
// two-sided estimates consistent with the exact value.
func checkEstimates(t *testing.T, name string, r harness.Response) {
	t.Helper()
	est := r.Estimates
	exact := est["exact"].LogZ
	ais, is, bridged := est["ais"], est["is"], est["bridged"]
	t.Logf("%s: exact %.4f; AIS %.4f [%.4f, %.4f]; IS %.4f [%.4f, %.4f]; bridged AIS %.4f [%.4f, %.4f]",
		name, exact, ais.LogZ, ais.Low, ais.High, is.LogZ, is.Low, is.High, bridged.LogZ, bridged.Low, bridged.High)
	if math.Abs(ais.LogZ-exact) > 0.1 {
		t.Errorf("%s: AIS log Z %.4f is %.3f nats from the exact %.4f", name, ais.LogZ, ais.LogZ-exact, exact)
	}
	if exact < ais.Low || exact > ais.High {
		t.Errorf("%s: AIS interval [%.4f, %.4f] misses the exact %.4f", name, ais.Low, ais.High, exact)
	}
	if math.Abs(is.LogZ-exact) <= math.Abs(ais.LogZ-exact) {
		t.Errorf("%s: importance sampling without annealing (error %.4f) was not worse than AIS (error %.4f)", name, is.LogZ-exact, ais.LogZ-exact)
	}
	if exact < bridged.Low || exact > bridged.High {
		t.Errorf("%s: bridged AIS interval [%.4f, %.4f] misses the exact %.4f", name, bridged.Low, bridged.High, exact)
	}
	if b, ok := est["bridge"]; ok {
		diff := est["exact2"].LogZ - exact
		t.Logf("%s: bridge sampling log Z1−log Z0 = %.4f [%.4f, %.4f], exact %.4f", name, b.LogZ, b.Low, b.High, diff)
		if diff < b.Low || diff > b.High {
			t.Errorf("%s: bridge sampling interval [%.4f, %.4f] misses the exact difference %.4f", name, b.Low, b.High, diff)
		}
	}
}

func TestEstimatorsOnRandomRBMs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 2²⁰-term exact log Z and 1000-temperature AIS of two 100×20 RBMs; TestEstimatorsOnTrainedRBM checks the estimators")
	}
	d := startDriver(t)
	m := d.models["rbm.ebm/100x20"]
	for seed := uint64(1); seed <= 2; seed++ {
		p := gaussianParams(m, 0.3, seed)
		p2 := p.Clone()
		r := rand.New(rand.NewPCG(seed, 9))
		for i := range p2 {
			for k := range p2[i] {
				p2[i][k] += 0.02 * r.NormFloat64()
			}
		}
		resp := d.call(t, harness.Request{Model: "rbm.ebm/100x20", Op: "logz", Params: p, Seed: seed,
			LogZ: &harness.LogZ{Temperatures: 1000, Runs: 100, Burn: 200, Params2: p2}})
		checkEstimates(t, "random 100×20 RBM", resp)
	}
}

// AIS, importance sampling and the bridged estimates with the samplers of
// float32 code (ebmc gen -float32) still find the exact log Z.
func TestEstimatorsFloat32(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1000-temperature AIS of a 100×20 RBM; TestFloat32MatchesInterpreter checks the float32 code")
	}
	d := startDriver(t)
	const name = "rbm.ebm/100x20/float32"
	p := gaussianParams(d.models[name], 0.3, 1)
	resp := d.call(t, harness.Request{Model: name, Op: "logz", Params: p, Seed: 1,
		LogZ: &harness.LogZ{Temperatures: 1000, Runs: 100, Burn: 200}})
	checkEstimates(t, "random 100×20 RBM, float32 products", resp)
}

func TestEstimatorsOnTrainedRBM(t *testing.T) {
	if testing.Short() {
		t.Skip("2000 epochs of training: in the full suite")
	}
	d := startDriver(t)
	m := d.models["rbm.ebm/bas"]
	data := barsAndStripes()
	p0 := m.NewParams()
	m.InitParams(p0, 1)
	tr := d.call(t, harness.Request{Model: "rbm.ebm/bas", Op: "train", Params: p0, Seed: 7, Train: &harness.Train{
		Data: data, Epochs: 2000, Batch: 30, K: 10, LR: 0.1, Momentum: 0.5}})
	resp := d.call(t, harness.Request{Model: "rbm.ebm/bas", Op: "logz", Params: tr.Params, Seed: 3,
		LogZ: &harness.LogZ{Data: data, Temperatures: 1000, Runs: 100, Burn: 200}})
	checkEstimates(t, "bars-and-stripes RBM", resp)
}

// AIS works on every model whose tempered conditionals the IR derives:
// deep models (summing out one hidden block), lateral couplings (the path
// over the energy), softmax and gaussian visible layers.
func TestAISOnEveryModel(t *testing.T) {
	d := startDriver(t)
	if testing.Short() {
		t.Log("-short: dbm.ebm only")
	}
	for _, c := range cases(t) {
		if shortSkips(c.Name, "dbm.ebm") {
			continue
		}
		m := d.models[c.Name]
		p := randomParams(m, 5)
		if _, err := m.LogZ(p, 1, 1<<16); err != nil {
			t.Logf("%s: no exact log Z (%v), skipped", c.Name, err)
			continue
		}
		r := d.call(t, harness.Request{Model: c.Name, Op: "logz", Params: p, Seed: 11,
			LogZ: &harness.LogZ{Temperatures: 1000, Runs: 200, Burn: 100}})
		exact, _ := m.LogZ(p, 1, 1<<16)
		if got := r.Estimates["exact"].LogZ; math.Abs(got-exact) > 1e-9*math.Max(1, math.Abs(exact)) {
			t.Errorf("%s: generated exact log Z %.10f, interpreter %.10f", c.Name, got, exact)
		}
		ais := r.Estimates["ais"]
		t.Logf("%s: exact %.4f, AIS %.4f [%.4f, %.4f]", c.Name, exact, ais.LogZ, ais.Low, ais.High)
		if math.Abs(ais.LogZ-exact) > 0.1 || exact < ais.Low || exact > ais.High {
			t.Errorf("%s: AIS %.4f [%.4f, %.4f], exact %.4f", c.Name, ais.LogZ, ais.Low, ais.High, exact)
		}
	}
}
