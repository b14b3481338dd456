package runtime

import (
	"slices"
	"testing"
)

// ZerosLike keeps names and shapes, sizes Data as the source's with
// zeros, and shares no storage with it.
func TestZerosLike(t *testing.T) {
	src := []Tensor{{Name: "W", Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5, 6}}, {Name: "b", Shape: []int{2}, Data: []float64{7, 8}}}
	z := ZerosLike(src)
	if len(z) != len(src) {
		t.Fatalf("%d tensors, want %d", len(z), len(src))
	}
	for i, g := range z {
		if g.Name != src[i].Name || !slices.Equal(g.Shape, src[i].Shape) || len(g.Data) != len(src[i].Data) || slices.ContainsFunc(g.Data, func(v float64) bool { return v != 0 }) {
			t.Errorf("tensor %d = %+v, want zeros like %+v", i, g, src[i])
		}
		g.Data[0] = 9
		if src[i].Data[0] == 9 {
			t.Errorf("tensor %d shares storage with its source", i)
		}
	}
}
