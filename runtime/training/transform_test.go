package training_test

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// spyTransform records what a generated trainer shows a
// runtime.GradientTransform, and zeroes the gradient.
type spyTransform struct {
	visible  [][]float64 // the layers' rows Observe saw, in Layers order
	rows     int
	observed bool
	gradNorm float64 // Σ|g| Transform received
	calls    []float64
}

func (s *spyTransform) Observe(layers []runtime.Tensor, rows int) {
	s.rows, s.observed = rows, true
	s.visible = nil
	for _, t := range layers {
		s.visible = append(s.visible, slices.Clone(t.Data[:rows*len(t.Data)/t.Shape[0]]))
	}
}

func (s *spyTransform) Transform(g []runtime.Tensor, epoch int) {
	if !s.observed {
		panic("Transform before Observe")
	}
	for _, t := range g {
		for i, v := range t.Data {
			s.gradNorm += max(v, -v)
			t.Data[i] = 0
		}
	}
	s.calls[0]++
}

func (s *spyTransform) State() []runtime.Tensor {
	return []runtime.Tensor{{Name: "spy.calls", Shape: []int{1}, Data: s.calls}}
}

// TestTransformRewritesTheStep checks CDConfig.Transform in every kind of
// generated trainer (a free energy of the visible layers, none, mean field
// for a deep Boltzmann machine; CD and PCD): Observe sees the minibatch's
// rows in the visible layers and means in [0, 1] in the hidden ones,
// Transform gets the step's nonzero gradient, and what it leaves is what
// the update applies — zeroed, with rate 1 and no momentum or decay, the
// parameters do not move. Its state is the trainer's.
func TestTransformRewritesTheStep(t *testing.T) {
	models := append(generated[:len(generated):len(generated)], struct {
		name string
		new  func(seed uint64) runtime.Reflective
	}{"dbm (mean field)", func(s uint64) runtime.Reflective { return dbmtest.NewSmall(s).Reflect() }})
	for _, g := range models {
		for _, persistent := range []bool{false, true} {
			m := g.new(3)
			name := g.name + "/CD"
			if persistent {
				name = g.name + "/PCD"
			}
			t.Run(name, func(t *testing.T) {
				spy := &spyTransform{calls: []float64{0}}
				tr, err := m.NewTrainer(runtime.CDConfig{K: 1, Persistent: persistent, BatchSize: 6, Seed: 5,
					Optimizer: runtime.SGD{LearningRate: 1}, Transform: spy})
				if err != nil {
					t.Fatal(err)
				}
				const rows = 4
				data := modeltest.RandomRows(m, rows, 9)
				before := snapshot(m.Params())
				tr.TrainStep(data.X, rows, 0)
				if spy.calls[0] != 1 || spy.rows != rows {
					t.Fatalf("Transform called %v times, Observe saw %d rows; want once, %d", spy.calls[0], spy.rows, rows)
				}
				if spy.gradNorm == 0 {
					t.Error("Transform received a zero gradient")
				}
				for k, p := range m.Params() {
					if !slices.Equal(p.Data, before[k]) {
						t.Errorf("%s moved though Transform zeroed its gradient", p.Name)
					}
				}
				want := m.NewChains(rows, 0)
				layout.PutRows(m, want, data.X, data.Cols)
				for l, ly := range m.Layers() {
					got := spy.visible[l]
					if ly.Visible {
						if !slices.Equal(got, want.Layers()[l].Data) {
							t.Errorf("layer %s: Observe saw %v, not the minibatch's rows", ly.Name, got)
						}
						continue
					}
					for _, v := range got {
						if !(v >= 0 && v <= 1) {
							t.Errorf("hidden layer %s: Observe saw %v, not a mean", ly.Name, v)
							break
						}
					}
				}
				st := tr.State()
				if last := st[len(st)-1]; last.Name != "spy.calls" {
					t.Errorf("the trainer's state ends with %s, not the transform's", last.Name)
				}
			})
		}
	}
}
