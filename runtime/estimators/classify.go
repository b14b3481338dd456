package estimators

import (
	"fmt"
	"slices"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// ClassProbs returns p(y | x) for every row of d, where y is the visible
// softmax layer named label (one group of K categories) and the rows of d
// hold the other visible layers, concatenated in declaration order:
//
//	p(y = k | x) = exp(−F(x, e_k)) / Σ_j exp(−F(x, e_j))
//
// with F the free energy of the visible layers. The result is rows × K.
// The rows of d are gathered a batch at a time.
func ClassProbs(m runtime.Reflective, label string, d dataset.Source) ([]float64, error) {
	if d == nil {
		return nil, fmt.Errorf("runtime: classify with %s: no data", m.ModelName())
	}
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
			if ly.Kind != runtime.KindSoftmax || len(ly.Shape) != 1 {
				return nil, fmt.Errorf("runtime: classify with %s: layer %s is %s %v, not one softmax group", m.ModelName(), label, ly.Kind, ly.Shape)
			}
			li, k = i, ly.Shape[0]
			continue
		}
		width += layout.Product(ly.Shape)
	}
	if li < 0 {
		return nil, fmt.Errorf("runtime: classify with %s: no visible layer %s", m.ModelName(), label)
	}
	rows, cols := d.Shape()
	if cols != width {
		return nil, fmt.Errorf("runtime: classify with %s: data has %d columns, the visible layers other than %s have %d units", m.ModelName(), cols, label, width)
	}
	// Many rows at once: row r's copy with class c is chain r·K + c.
	per := max(1, classifyBatch/k)
	probs := make([]float64, rows*k)
	f := make([]float64, per*k)
	buf, idx := make([]float64, min(per, rows)*cols), make([]int, min(per, rows))
	chains := map[int]runtime.Chains{}
	for lo := 0; lo < rows; lo += per {
		n := min(per, rows-lo)
		for r := range n {
			idx[r] = lo + r
		}
		d.Gather(buf[:n*cols], idx[:n])
		x, ok := chains[n]
		if !ok {
			x = m.NewChains(n*k, 1)
			chains[n] = x
		}
		layers := x.Layers()
		for r := range n {
			row := buf[r*cols : (r+1)*cols]
			off := 0
			for i, ly := range m.Layers() {
				if !ly.Visible {
					continue
				}
				size := layout.Product(ly.Shape)
				for c := range k {
					dst := layers[i].Data[(r*k+c)*size : (r*k+c+1)*size]
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
		}
		m.FreeEnergy(x, fe, 1, f[:n*k])
		out := probs[lo*k : (lo+n)*k]
		for i := range out {
			out[i] = -f[i]
		}
		for r := range n {
			runtime.Softmax(out[r*k:(r+1)*k], out[r*k:(r+1)*k])
		}
	}
	return probs, nil
}

// classifyBatch bounds the chains ClassProbs evaluates at once: rows ×
// classes. Each row's free energies are computed alone (a chain's are the
// same whichever chains share its batch, from 4 up), so the bound sets only
// the memory of a call and the size of its products: 256 chains of the
// 510 × 2000 top RBM of examples/dbn take about 15 MB.
const classifyBatch = 256

// Accuracy is the share of rows whose most probable class (probs is
// rows × K, as ClassProbs returns it) is the label; a row holding a NaN
// counts as wrong. It fails when there are no labels, when len(probs) is
// not a multiple of len(labels) of at least one class per row, or when a
// label is not a class 0 … K−1.
func Accuracy(probs []float64, labels []int) (float64, error) {
	if len(labels) == 0 {
		return 0, fmt.Errorf("runtime: accuracy: no labels; pass one label per row of probs")
	}
	if len(probs) == 0 || len(probs)%len(labels) != 0 {
		return 0, fmt.Errorf("runtime: accuracy: %d probabilities do not make %d rows of the same number of classes; pass rows × K probabilities for %d labels",
			len(probs), len(labels), len(labels))
	}
	k := len(probs) / len(labels)
	right := 0
	for r, y := range labels {
		if y < 0 || y >= k {
			return 0, fmt.Errorf("runtime: accuracy: label %d of row %d is not one of the %d classes 0 … %d", y, r, k, k-1)
		}
		row := probs[r*k : (r+1)*k]
		if slices.Index(row, slices.Max(row)) == y {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}
