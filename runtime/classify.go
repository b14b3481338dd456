package runtime

import (
	"fmt"
	"slices"
)

// ClassProbs returns p(y | x) for every row of d, where y is the visible
// softmax layer named label (one group of K categories) and the rows of d
// hold the other visible layers, concatenated in declaration order:
//
//	p(y = k | x) = exp(−F(x, e_k)) / Σ_j exp(−F(x, e_j))
//
// with F the free energy of the visible layers. The result is rows × K.
func ClassProbs(m Reflective, label string, d *Dataset) ([]float64, error) {
	fe := VisibleFreeEnergy(m)
	if fe < 0 {
		return nil, fmt.Errorf("runtime: classify with %s: no free energy of the visible layers", m.ModelName())
	}
	li, k := -1, 0
	width := 0
	for i, ly := range m.Layers() {
		if !ly.Visible {
			continue
		}
		if ly.Name == label {
			if ly.Kind != "softmax" || len(ly.Shape) != 1 {
				return nil, fmt.Errorf("runtime: classify with %s: layer %s is %s %v, not one softmax group", m.ModelName(), label, ly.Kind, ly.Shape)
			}
			li, k = i, ly.Shape[0]
			continue
		}
		width += product(ly.Shape)
	}
	if li < 0 {
		return nil, fmt.Errorf("runtime: classify with %s: no visible layer %s", m.ModelName(), label)
	}
	if d.Cols != width {
		return nil, fmt.Errorf("runtime: classify with %s: data has %d columns, the visible layers other than %s have %d units", m.ModelName(), d.Cols, label, width)
	}
	probs := make([]float64, d.Rows*k)
	x := m.NewChains(k, 1)
	f := make([]float64, k)
	for r := 0; r < d.Rows; r++ {
		row := d.Row(r)
		off := 0
		layers := x.Layers()
		for i, ly := range m.Layers() {
			if !ly.Visible {
				continue
			}
			size := product(ly.Shape)
			for c := 0; c < k; c++ {
				dst := layers[i].Data[c*size : (c+1)*size]
				if i == li {
					clear(dst)
					dst[c] = 1
				} else {
					copy(dst, row[off:off+size])
				}
			}
			if i != li {
				off += size
			}
		}
		m.FreeEnergy(x, fe, 1, f)
		out := probs[r*k : (r+1)*k]
		for c := range f {
			out[c] = -f[c]
		}
		Softmax(out, out)
	}
	return probs, nil
}

// Accuracy is the share of rows whose most probable class (probs is
// rows × K) is the label.
func Accuracy(probs []float64, labels []int) float64 {
	k := len(probs) / len(labels)
	right := 0
	for r, y := range labels {
		row := probs[r*k : (r+1)*k]
		if slices.Index(row, slices.Max(row)) == y {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}
