package deep

import (
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	models "github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// centeringCase is a model with its parameters perturbed away from zero.
type centeringCase struct {
	name string
	m    runtime.Reflective
}

func centeringCases() []centeringCase {
	var out []centeringCase
	for _, c := range []centeringCase{
		{"TinyDBM", models.ZeroTinyDBM().Reflect()},
		{"TinyRBMSwapped", models.ZeroTinyRBMSwapped().Reflect()},
		{"Kinds (spin, softmax, a rank-3 coupling)", dbmtest.ZeroKinds().Reflect()},
		{"TinyDBM with +W2 and +c1", flipSigns{models.ZeroTinyDBM().Reflect(), []int{1, 3}}},
	} {
		modeltest.Perturb(c.m, 1, 3)
		out = append(out, c)
	}
	return out
}

// fillStates puts n rows of x at uniform numbers in [lo, hi), minus shift
// (per layer and unit) when shift is not nil.
func fillStates(x runtime.Chains, rng *runtime.RNG, lo, hi float64, shift [][]float64) {
	for l, t := range x.Layers() {
		size := len(t.Data) / x.Len()
		for k := range t.Data {
			t.Data[k] = lo + (hi-lo)*rng.Float64()
			if shift != nil {
				t.Data[k] -= shift[l][k%size]
			}
		}
	}
}

// energyWith writes E(x) of every chain with the model's parameters
// replaced by theta (restored afterwards).
func energyWith(m runtime.Reflective, theta []runtime.Tensor, x runtime.Chains) []float64 {
	params := m.Params()
	saved := make([][]float64, len(params))
	for k, p := range params {
		saved[k] = append([]float64(nil), p.Data...)
		copy(p.Data, theta[k].Data)
	}
	e := make([]float64, x.Len())
	m.Energy(x, e)
	for k, p := range params {
		copy(p.Data, saved[k])
	}
	return e
}

// TestCenteringIsTheCenteredStep checks Centering against its definition:
// the step it gives the normal parameters, ΔΘ = T(g) for the normal ascent
// direction g (data minus model statistics, from the model's own
// EnergyGrad), changes the energy exactly as the centered step Δθ̃ = g̃
// changes the centered energy, where g̃ is the same statistics at the
// shifted states x − μ: E(x; ΔΘ) − E(x − μ; Δθ̃) is the same for every x
// (E is linear in its parameters, so a step's effect on the energy is the
// energy at the step). Its control, the normal step ΔΘ = g, must not be.
func TestCenteringIsTheCenteredStep(t *testing.T) {
	for _, tc := range centeringCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			c, err := NewCentering(m, 0)
			if err != nil {
				t.Fatal(err)
			}
			rng := runtime.NewRNG(11, 0)
			for _, mu := range c.Offsets {
				for u := range mu {
					mu[u] = 0.1 + 0.8*rng.Float64()
				}
			}
			c.started[0] = 1
			const nd, nm = 5, 7
			data, model := m.NewChains(nd, 1), m.NewChains(nm, 2)
			fillStates(data, &rng, 0, 1, nil)
			fillStates(model, &rng, 0, 1, nil)
			g := runtime.ZerosLike(m.Params())
			m.EnergyGrad(data, -1.0/nd, g)
			m.EnergyGrad(model, 1.0/nm, g)
			gc := runtime.ZerosLike(m.Params()) // the centered statistics
			shift := func(x runtime.Chains) {
				for l, t := range x.Layers() {
					size := len(c.Offsets[l])
					for k := range t.Data {
						t.Data[k] -= c.Offsets[l][k%size]
					}
				}
			}
			shift(data)
			shift(model)
			m.EnergyGrad(data, -1.0/nd, gc)
			m.EnergyGrad(model, 1.0/nm, gc)

			plain := runtime.ZerosLike(m.Params())
			for k := range g {
				copy(plain[k].Data, g[k].Data)
			}
			c.Transform(g, 0)

			const probes = 8
			x, xs := m.NewChains(probes, 3), m.NewChains(probes, 4)
			seed := rng
			fillStates(x, &rng, -1, 2, nil)
			fillStates(xs, &seed, -1, 2, c.Offsets) // the same states, shifted
			spread := func(step []runtime.Tensor) float64 {
				e, ec := energyWith(m, step, x), energyWith(m, gc, xs)
				lo, hi := math.Inf(1), math.Inf(-1)
				for r := range e {
					d := e[r] - ec[r]
					lo, hi = min(lo, d), max(hi, d)
				}
				return hi - lo
			}
			if s := spread(g); s > 1e-12 {
				t.Errorf("E(x; T(g)) − E(x − μ; g̃) varies by %.3g over x; want a constant", s)
			}
			if s := spread(plain); s < 1e-3 {
				t.Errorf("control: the normal step matches the centered one (spread %.3g); the check cannot fail", s)
			}
		})
	}
}

// TestCenteringOffsetsFollowThePositivePhase checks the moving average:
// the first minibatch's means, then μ ← (1 − ν)·μ + ν·m.
func TestCenteringOffsetsFollowThePositivePhase(t *testing.T) {
	m := models.ZeroTinyDBM().Reflect()
	c, err := NewCentering(m, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	x := m.NewChains(2, 1)
	set := func(a, b float64) {
		for _, t := range x.Layers() {
			size := len(t.Data) / 2
			for k := range t.Data {
				t.Data[k] = a
				if k >= size {
					t.Data[k] = b
				}
			}
		}
	}
	set(1, 0) // means ½
	c.Observe(x.Layers(), x.Len())
	set(1, 1) // means 1
	c.Observe(x.Layers(), x.Len())
	for l, mu := range c.Offsets {
		for u, v := range mu {
			if want := 0.75*0.5 + 0.25*1; math.Abs(v-want) > 1e-15 {
				t.Fatalf("offset %d[%d] = %v, want %v", l, u, v, want)
			}
		}
	}
	if st := c.State(); len(st) != 1+len(c.Offsets) || st[0].Data[0] != 1 {
		t.Errorf("State() = %v, want the started flag set and one offset per layer", st)
	}
}

// TestCenteringRefuses checks the models centering cannot reparameterize.
func TestCenteringRefuses(t *testing.T) {
	grbm := gaussStub{}
	if _, err := NewCentering(grbm, 0); err == nil || !strings.Contains(err.Error(), "gaussian") {
		t.Errorf("a gaussian layer: err = %v", err)
	}
	if _, err := NewCentering(models.ZeroTinyDBM().Reflect(), 2); err == nil {
		t.Error("rate 2 accepted")
	}
}

// gaussStub is a model with one gaussian layer, known only by its layers.
type gaussStub struct{ runtime.Reflective }

func (gaussStub) ModelName() string { return "Gauss" }
func (gaussStub) Layers() []runtime.LayerInfo {
	return []runtime.LayerInfo{{Name: "v", Kind: "gaussian", Visible: true, Shape: []int{2}}}
}
func (gaussStub) Params() []runtime.Tensor { return nil }

// flipSigns is a model whose energy has the opposite sign on the terms of
// the parameters flip: E'(x; θ) = E(x; θ') with θ'_k = −θ_k for k in flip.
type flipSigns struct {
	runtime.Reflective
	flip []int
}

func (f flipSigns) negate(p []runtime.Tensor) {
	for _, k := range f.flip {
		for i := range p[k].Data {
			p[k].Data[i] = -p[k].Data[i]
		}
	}
}

func (f flipSigns) Energy(x runtime.Chains, dst []float64) {
	f.negate(f.Params())
	f.Reflective.Energy(x, dst)
	f.negate(f.Params())
}

func (f flipSigns) EnergyGrad(x runtime.Chains, scale float64, g []runtime.Tensor) {
	f.negate(g)
	f.Reflective.EnergyGrad(x, scale, g)
	f.negate(g)
}

// TestCenteringTrainsWithoutAllocating checks a generated trainer's step
// with Centering: no allocation once the first step has seen the batch.
func TestCenteringTrainsWithoutAllocating(t *testing.T) {
	m := dbmtest.NewSmall(1)
	c, err := NewCentering(m.Reflect(), 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := dbmtest.NewSmallTrainer(m, runtime.CDConfig{Persistent: true, BatchSize: 8, Chains: 8, Seed: 2,
		Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}, Transform: c})
	if err != nil {
		t.Fatal(err)
	}
	data := modeltest.RandomRows(m.Reflect(), 8, 3)
	tr.TrainStep(data.X, 8, 0)
	if a := testing.AllocsPerRun(5, func() { tr.TrainStep(data.X, 8, 0) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}
