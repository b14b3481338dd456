package main

import (
	"fmt"

	"github.com/ebmc/ebmc/examples/mnist/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// swapRBM writes into dst the RBM src with its layers swapped: dst.W =
// src.Wᵀ, dst.b = src.c and dst.c = src.b. The energy
// E(v, h) = −vᵀWh − bᵀv − cᵀh of src at (v, h) is dst's at (h, v), so
// both have the same Z; AIS on dst anneals over src's hidden units and
// sums out its visible ones.
func swapRBM(src, dst runtime.Reflective) error {
	sp, dp := src.Params(), dst.Params()
	if len(sp) != 3 || len(dp) != 3 {
		return fmt.Errorf("swapRBM: %s and %s are not both RBMs with W, b, c", src.ModelName(), dst.ModelName())
	}
	sw, sb, sc := sp[0], sp[1], sp[2]
	dw, db, dc := dp[0], dp[1], dp[2]
	nv, nh := sw.Shape[0], sw.Shape[1]
	if len(dw.Shape) != 2 || dw.Shape[0] != nh || dw.Shape[1] != nv || len(sb.Data) != nv || len(sc.Data) != nh || len(db.Data) != nh || len(dc.Data) != nv {
		return fmt.Errorf("swapRBM: %s's W is %v, want %d × %d", dst.ModelName(), dw.Shape, nh, nv)
	}
	for i := range nv {
		for j := range nh {
			dw.Data[j*nv+i] = sw.Data[i*nh+j]
		}
	}
	copy(db.Data, sc.Data)
	copy(dc.Data, sb.Data)
	return nil
}

// hiddenMeans is a Source of the conditional means E[h | v] of an RBM's
// hidden layer for the rows of another Source, which holds its visible
// units: the data mapped up one more layer, a batch at a time.
type hiddenMeans struct {
	m        runtime.Reflective
	in       dataset.Source
	x        runtime.Chains
	vis, hid int // the layers' indices
	nv, nh   int // their sizes
	buf, out []float64
}

// hiddenMeansBatch is the rows hiddenMeans maps up at once.
const hiddenMeansBatch = 500

func newHiddenMeans(m runtime.Reflective, in dataset.Source, seed uint64) (*hiddenMeans, error) {
	u := &hiddenMeans{m: m, in: in, vis: -1, hid: -1}
	for i, ly := range m.Layers() {
		switch {
		case ly.Visible && u.vis < 0:
			u.vis, u.nv = i, ly.Units()
		case !ly.Visible && u.hid < 0:
			u.hid, u.nh = i, ly.Units()
		default:
			return nil, fmt.Errorf("hidden means: %s has more than one visible and one hidden layer", m.ModelName())
		}
	}
	if _, cols := in.Shape(); u.vis < 0 || u.hid < 0 || cols != u.nv {
		return nil, fmt.Errorf("hidden means: %s needs rows of %d visible units, the data has %d", m.ModelName(), u.nv, cols)
	}
	u.x = m.NewChains(hiddenMeansBatch, seed)
	u.buf, u.out = make([]float64, hiddenMeansBatch*u.nv), make([]float64, hiddenMeansBatch*u.nh)
	return u, nil
}

// Shape returns the input's rows and the hidden units.
func (u *hiddenMeans) Shape() (rows, cols int) {
	rows, _ = u.in.Shape()
	return rows, u.nh
}

// Gather writes E[h | v] for input rows idx[0], idx[1], … into consecutive
// rows of dst.
func (u *hiddenMeans) Gather(dst []float64, idx []int) {
	for a := 0; a < len(idx); a += hiddenMeansBatch {
		b := min(len(idx), a+hiddenMeansBatch)
		n := b - a
		u.in.Gather(u.buf[:n*u.nv], idx[a:b])
		copy(u.x.Layers()[u.vis].Data, u.buf[:n*u.nv]) // rows past n keep the last batch's
		u.m.Mean(u.x, u.hid, 1, u.out)
		copy(dst[a*u.nh:b*u.nh], u.out[:n*u.nh])
	}
}

// swappedTop returns the DBN's top RBM with its layers swapped (swapRBM)
// and the base model of AIS over its visible layer, the top's h₂: base
// rates of the training data mapped up, h₁ by the recognition means
// (TopSource) and then E[h₂ | h₁]. That path anneals over the 2000 units of
// h₂ where TopLogZ's anneals over the 500 of h₁, so it misses other modes,
// if any: where the two forward estimates agree, neither has missed much.
func (e *env) swappedTop(d *deep.DBN) (runtime.Reflective, *estimators.Base, error) {
	top := d.Generative(d.Len() - 1)
	swapped := models.NewTop2000Swapped(e.o.seed).Reflect()
	if err := swapRBM(top, swapped); err != nil {
		return nil, nil, err
	}
	up, err := d.TopSource(e.train, nil)
	if err != nil {
		return nil, nil, err
	}
	h2, err := newHiddenMeans(top, up, e.o.seed)
	if err != nil {
		return nil, nil, err
	}
	rows, _ := h2.Shape()
	base, err := estimators.BaseRate(swapped, h2, float64(rows)/20)
	if err != nil {
		return nil, nil, err
	}
	return swapped, base, nil
}
