package runtime_test

import (
	"reflect"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/grbm"
	"github.com/ebmc/ebmc/runtime"
)

// Terms gives the normalized energy's structure: the fully visible
// machine's couplings v[i]·J[i,k]·v[k] (i ≠ k) are a lateral term of layer
// v, its diagonal joins the bias (v² = v for bernoulli units); the
// gaussian RBM's ½·(v − b)²/σ² gives a square of v, a linear term in v
// and a constant, all through z (σ = exp z).
func TestTerms(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []runtime.TermInfo
		want []runtime.TermInfo
	}{
		{"fvbm", fvbm.ZeroFVBM().Reflect().Terms(), []runtime.TermInfo{
			{Params: []int{0, 1}, Layers: []int{0}, Powers: []int{1}},
			{Params: []int{0}, Layers: []int{0, 0}, Powers: []int{1, 1}},
		}},
		{"grbm", grbm.ZeroGRBM().Reflect().Terms(), []runtime.TermInfo{
			{Params: []int{3}, Layers: []int{0}, Powers: []int{2}},
			{Params: []int{1, 3}, Layers: []int{0}, Powers: []int{1}},
			{Params: []int{1, 3}, Layers: []int{}, Powers: []int{}},
			{Params: []int{0, 3}, Layers: []int{0, 1}, Powers: []int{1, 1}},
			{Params: []int{2}, Layers: []int{1}, Powers: []int{1}},
		}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: terms %+v, want %+v", c.name, c.got, c.want)
		}
	}
}
