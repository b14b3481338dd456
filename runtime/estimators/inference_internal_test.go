package estimators

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

// A unit at a tie keeps a valid value; an invalid one goes to the mode.
func TestICMModeTiesAndInvalidValues(t *testing.T) {
	ber := runtime.LayerInfo{Kind: "bernoulli", Shape: []int{4}}
	x := []float64{1, 0, 0.5, 1}
	a := []float64{0, 0, 0, -3}
	changed := 0
	for u := range x {
		changed += icmMode(ber, x, a, nil, 1, 4, u, 1)
	}
	if want := []float64{1, 0, 0, 0}; changed != 2 || !slices.Equal(x, want) {
		t.Errorf("bernoulli: %v with %d changes, want %v with 2", x, changed, want)
	}
	sm := runtime.LayerInfo{Kind: "softmax", Shape: []int{1, 3}}
	g := []float64{0, 1, 0}
	if c := icmMode(sm, g, []float64{2, 2, 1}, nil, 1, 3, 0, 3); c != 0 || !slices.Equal(g, []float64{0, 1, 0}) {
		t.Errorf("softmax tie: %v with %d changes", g, c)
	}
	if c := icmMode(sm, g, []float64{2, 3, 4}, nil, 1, 3, 0, 3); c != 1 || !slices.Equal(g, []float64{0, 0, 1}) {
		t.Errorf("softmax: %v with %d changes", g, c)
	}
}
