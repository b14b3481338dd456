package training_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
)

// A generated DBM trainer takes the model's statistics with v and h2
// summed out given the chains' h1 (FreeEnergyGradH1, the free energy that
// sums out the most units: Rao–Blackwellized), not at the chains' states.
// With rate 1 and no momentum or decay one PCD step moves θ by exactly
// the data term (mean field on the minibatch, by hand) plus that term at
// the chains the step left (to 1e-12). Negative control: the same sum
// with the model term taken at the chains' states (EnergyGrad) misses the
// step by more than 10⁻³ — the test sees which statistics the step used.
func TestDBMTrainerRaoBlackwellizes(t *testing.T) {
	const (
		rows, chains = 10, 40
		iters, tol   = 200, 1e-12
	)
	m := dbmtest.NewSmall(3)
	for _, p := range m.Params() { // weights strong enough that the two statistics differ clearly
		for i := range p.Data {
			p.Data[i] *= 8
		}
	}
	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{K: 2, Persistent: true, Chains: chains, BatchSize: rows, Seed: 5,
		Optimizer: runtime.SGD{LearningRate: 1}, MeanFieldIters: iters, MeanFieldTol: tol})
	if err != nil {
		t.Fatal(err)
	}
	rng := runtime.NewRNG(9, 0)
	batch := make([]float64, rows*16)
	for i := range batch {
		if rng.Float64() < 0.4 {
			batch[i] = 1
		}
	}
	before := dbmtest.ZeroSmall()
	copyParams(before, m)

	// The data term −(1/rows)·Σ ∂E/∂θ at the mean-field posterior.
	x := dbmtest.NewSmallChains(rows, 0)
	x.N = rows
	copy(x.V, batch)
	m.MeanField(x, iters, tol, 0)
	data := dbmtest.ZeroSmall()
	m.EnergyGrad(x, -1/float64(rows), data)

	tr.TrainStep(batch, rows, 0)
	moved := dbmtest.ZeroSmall()
	copyParams(moved, m)
	copyParams(m, before) // the model terms at the parameters the step saw

	y, mo := dbmtest.NewSmallChains(chains, 0), dbmtest.NewSmallChains(chains, 0)
	y.N = chains
	for _, s := range tr.State() {
		switch s.Name {
		case "chain.v":
			copy(y.V, s.Data)
		case "chain.h1":
			copy(y.H1, s.Data)
		case "chain.h2":
			copy(y.H2, s.Data)
		}
	}
	rb, states := dbmtest.ZeroSmall(), dbmtest.ZeroSmall()
	m.FreeEnergyGradH1(y, mo, 1/float64(chains), rb)
	m.EnergyGrad(y, 1/float64(chains), states)

	gap := func(model *dbmtest.Small) float64 {
		worst := 0.0
		for i, p := range moved.Params() {
			for j, th := range p.Data {
				want := before.Params()[i].Data[j] + data.Params()[i].Data[j] + model.Params()[i].Data[j]
				worst = math.Max(worst, math.Abs(th-want))
			}
		}
		return worst
	}
	if g := gap(rb); g > 1e-12 {
		t.Errorf("the step differs from data + Rao–Blackwellized model term by %.3g", g)
	}
	if g := gap(states); g < 1e-3 {
		t.Errorf("control: the step is within %.3g of the model term at the states; the test cannot tell them apart", g)
	}
}

// copyParams copies the parameters of src into dst.
func copyParams(dst, src *dbmtest.Small) {
	for i, p := range src.Params() {
		copy(dst.Params()[i].Data, p.Data)
	}
}
