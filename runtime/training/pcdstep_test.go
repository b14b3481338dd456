package training_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// A generated PCD step of a model with a free energy F of its visible
// layers, with rate 1 and no momentum, moves θ by exactly
//
//	−(1/n)·Σ_data ∂F/∂θ + (1/N)·Σ_chains ∂F/∂θ
//
// (to 1e-12), the chains being those the step left: for a full and then a
// short minibatch (n below the batch size, N ≠ n), the second step's
// gradient buffers holding the first's values. Negative control: the
// chains' term weighted 1/n instead of 1/N misses the step by more than
// 10⁻³.
func TestPCDStepIsDataMinusModel(t *testing.T) {
	const batch, chains = 10, 40
	for _, g := range generated {
		m := g.new(3)
		fe := estimators.VisibleFreeEnergy(m)
		if fe < 0 {
			continue // no hidden layers: no free energy to stack
		}
		t.Run(g.name, func(t *testing.T) {
			tr, err := m.NewTrainer(runtime.CDConfig{K: 2, Persistent: true, Chains: chains, BatchSize: batch, Seed: 5,
				Optimizer: runtime.SGD{LearningRate: 1}})
			if err != nil {
				t.Fatal(err)
			}
			for step, rows := range []int{batch, batch - 3} {
				data := modeltest.RandomRows(m, rows, uint64(7+step))
				before := snapshot(m.Params())
				tr.TrainStep(data.X, rows, 0)
				moved := snapshot(m.Params())
				restore(m.Params(), before) // the terms at the parameters the step saw

				x := m.NewChains(rows, 0)
				layout.PutRows(m, x, data.X, data.Cols)
				dataTerm := zeros(m.Params())
				m.FreeEnergyGrad(x, fe, -1/float64(rows), dataTerm)

				y := m.NewChains(chains, 0)
				for _, s := range tr.State() {
					for _, ly := range y.Layers() {
						if s.Name == "chain."+ly.Name {
							copy(ly.Data, s.Data)
						}
					}
				}
				model, wrong := zeros(m.Params()), zeros(m.Params())
				m.FreeEnergyGrad(y, fe, 1/float64(chains), model)
				m.FreeEnergyGrad(y, fe, 1/float64(rows), wrong)

				gap := func(term []runtime.Tensor) float64 {
					worst := 0.0
					for i, p := range moved {
						for j, th := range p {
							want := before[i][j] + dataTerm[i].Data[j] + term[i].Data[j]
							worst = math.Max(worst, math.Abs(th-want))
						}
					}
					return worst
				}
				if d := gap(model); d > 1e-12 {
					t.Errorf("step %d (%d rows): θ differs from data − model terms by %.3g", step, rows, d)
				}
				if d := gap(wrong); d < 1e-3 {
					t.Errorf("step %d, control: the chains' term weighted 1/n is within %.3g of the step", step, d)
				}
				restore(m.Params(), moved)
			}
		})
	}
}

// zeros returns zero tensors shaped like ts.
func zeros(ts []runtime.Tensor) []runtime.Tensor { return runtime.ZerosLike(ts) }
