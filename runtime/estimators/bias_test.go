package estimators_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/internal/gentest/emtest"
	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// TestSetBiases sets the visible biases from a random base field and checks
// that, with every other unit zero, the visible fields are the base's, that
// the parameters set are the biases (not a hidden bias of the same size,
// as c of ClassRBM next to its 3-way label y), and that nothing else moved.
func TestSetBiases(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    runtime.Reflective
		want []string
	}{
		{"rbm", rbm.NewRBM(1).Reflect(), []string{"b"}},
		{"classrbm", classrbm.NewClassRBM(2).Reflect(), []string{"b", "d"}},
		{"fvbm, the field holds J's diagonal", fvbm.NewFVBM(3).Reflect(), []string{"b"}},
		{"odd, the visible layer has no bias", emtest.NewOdd(4).Reflect(), nil},
		{"mix", emtest.NewMix(5).Reflect(), []string{"b"}},
		{"classrbm, hidden bias c probed before d", reversedParams{classrbm.NewClassRBM(6).Reflect()}, []string{"b", "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := runtime.NewRNG(9, 0)
			base := estimators.Uniform(tc.m)
			for _, f := range base.Field {
				for u := range f {
					f[u] = 4*rng.Float64() - 2
				}
			}
			before := map[string][]float64{}
			for _, p := range tc.m.Params() {
				before[p.Name] = slices.Clone(p.Data)
			}
			got, err := base.SetBiases(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("set %v, want %v", got, tc.want)
			}
			for _, p := range tc.m.Params() {
				if !slices.Contains(got, p.Name) && !slices.Equal(p.Data, before[p.Name]) {
					t.Errorf("%s changed", p.Name)
				}
			}
			x := tc.m.NewChains(1, 0)
			for _, l := range x.Layers() {
				clear(l.Data)
			}
			for i, ly := range tc.m.Layers() {
				if !ly.Visible || len(tc.want) == 0 {
					continue
				}
				n := len(base.Field[i])
				a, prec := make([]float64, n), make([]float64, n)
				tc.m.Field(x, i, a, prec)
				for u := range a {
					if math.Abs(a[u]-base.Field[i][u]) > 1e-12 {
						t.Fatalf("layer %s unit %d: field %v, base %v", ly.Name, u, a[u], base.Field[i][u])
					}
				}
			}
		})
	}
}

// reversedParams lists a model's parameters in reverse order, so that a
// probe that took the first parameter of the right size would pick a wrong
// one.
type reversedParams struct{ runtime.Reflective }

func (r reversedParams) Params() []runtime.Tensor {
	p := r.Reflective.Params()
	slices.Reverse(p)
	return p
}
