package estimators

import (
	"math"
	"testing"
)

// TestDistinct: a state is new once, whatever the zero's sign; states that
// differ in one value, or split into parts differently, are told apart.
func TestDistinct(t *testing.T) {
	var d distinct
	for _, c := range []struct {
		parts [][]float64
		isNew bool
	}{
		{[][]float64{{0, 1}, {1}}, true},
		{[][]float64{{0, 1}, {1}}, false},
		{[][]float64{{math.Copysign(0, -1), 1}, {1}}, false}, // −0 is 0
		{[][]float64{{0, 1}, {0}}, true},
		{[][]float64{{1, 1}, {1}}, true},
		{[][]float64{{-1, 1}, {1}}, true},
	} {
		if got := d.add(c.parts...); got != c.isNew {
			t.Errorf("add(%v) = %v, want %v", c.parts, got, c.isNew)
		}
	}
}
