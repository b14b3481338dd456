package deep

import (
	"errors"
	"fmt"

	"github.com/ebmc/ebmc/runtime/dataset"
)

// The data path of a DBN: rows of any dataset.Source (dense, bits, bytes)
// mapped up the recognition conditionals a batch at a time, so that no
// level of a data set need exist in memory as a whole.

// checkData checks that data has rows and as many columns as the input of
// model level (0: the bottom, the data itself).
func (d *DBN) checkData(data dataset.Source, level int) error {
	if data == nil {
		return errors.New("empty data set")
	}
	rows, cols := data.Shape()
	lv := d.recog(level)
	if level == len(d.gen)-1 {
		lv = d.top()
	}
	switch {
	case rows <= 0:
		return errors.New("empty data set")
	case cols != lv.nin:
		if level == 0 {
			return fmt.Errorf("data has %d columns, the bottom model %s has %d visible units", cols, lv.m.ModelName(), lv.nin)
		}
		return fmt.Errorf("data has %d columns, model %d (%s) has %d visible units", cols, level, lv.m.ModelName(), lv.nin)
	}
	if ds, ok := data.(*dataset.Dataset); ok && len(ds.X) < ds.Rows*ds.Cols {
		return fmt.Errorf("data set declares %d×%d values, holds %d", ds.Rows, ds.Cols, len(ds.X))
	}
	return nil
}

// dbnUpSource is the Source of the rows of h_hi that the recognition
// conditionals give the rows of data, which are rows of h_lo (0 ≤ lo < hi
// ≤ L−1; h_0 = v): the means μ_{k+1} = E_q[h_{k+1} | h_k = μ_k], or with
// sample a draw from q(h_{lo+1} | h_lo)·q(h_{lo+2} | h_{lo+1})⋯ — each
// level a model whose hidden layer is drawn given its input layer (the
// top model too, for upSourceLevels). Its rows are computed when gathered,
// up to dbnBatch at a time through chains cached by batch length, so a
// pass allocates nothing once every batch length has been seen; each
// level k draws from its own chains, seeded by (seed, k). It is not safe
// for concurrent use.
type dbnUpSource struct {
	data    dataset.Source
	levels  []*dbnLevel
	sample  bool
	caches  []*dbnChains // level i's chains
	in      []float64    // gathered rows of data
	buf     [][]float64  // level i's means
	rows, w int          // shape
}

// upSource returns the rows of h_hi of data (rows of h_lo); see dbnUpSource.
func (d *DBN) upSource(data dataset.Source, lo, hi int, sample bool, seed uint64) *dbnUpSource {
	levels := make([]*dbnLevel, 0, hi-lo)
	for k := lo; k < hi; k++ {
		levels = append(levels, d.recog(k))
	}
	return upSourceLevels(data, levels, lo, sample, seed)
}

// upSourceLevels returns the rows of data mapped up through levels in
// turn; the first level's chains are seeded as level first's.
func upSourceLevels(data dataset.Source, levels []*dbnLevel, first int, sample bool, seed uint64) *dbnUpSource {
	rows, cols := data.Shape()
	u := &dbnUpSource{data: data, levels: levels, sample: sample, rows: rows, w: levels[len(levels)-1].nhid,
		in: make([]float64, min(dbnBatch, rows)*cols)}
	for i, lv := range levels {
		u.caches = append(u.caches, dbnNewChains(lv.m, seed, uint64(first+i)))
		u.buf = append(u.buf, make([]float64, min(dbnBatch, rows)*lv.nhid))
	}
	return u
}

// Shape returns the rows of data and the units of h_hi.
func (u *dbnUpSource) Shape() (rows, cols int) { return u.rows, u.w }

// Gather writes the rows of h_hi for data rows idx[0], idx[1], … into
// consecutive rows of dst.
func (u *dbnUpSource) Gather(dst []float64, idx []int) {
	if len(dst) < len(idx)*u.w {
		panic("runtime: DBN up-pass: dst too short")
	}
	for a := 0; a < len(idx); a += dbnBatch {
		b := min(len(idx), a+dbnBatch)
		u.batch(idx[a:b], dst[a*u.w:b*u.w])
	}
}

// batch maps the data rows idx (at most dbnBatch) up to h_hi, into dst.
func (u *dbnUpSource) batch(idx []int, dst []float64) {
	n := len(idx)
	_, cols := u.data.Shape()
	u.data.Gather(u.in[:n*cols], idx)
	cur, stride := u.in, cols
	for i, lv := range u.levels {
		x := u.caches[i].get(n)
		dbnPut(x, lv.in, cur, n, lv.nin, stride)
		if u.sample {
			lv.m.Sample(x, lv.hid, 1)
			cur = x.Layers()[lv.hid].Data
		} else {
			lv.m.Mean(x, lv.hid, 1, u.buf[i][:n*lv.nhid])
			cur = u.buf[i]
		}
		stride = lv.nhid
	}
	copy(dst[:n*u.w], cur[:n*u.w])
}

// materialize returns the rows of src as a dense Dataset, gathered in
// order, dbnBatch rows at a time.
func (d *DBN) materialize(src dataset.Source) *dataset.Dataset {
	rows, cols := src.Shape()
	out := &dataset.Dataset{Rows: rows, Cols: cols, X: make([]float64, rows*cols)}
	idx := make([]int, 0, dbnBatch)
	for lo := 0; lo < rows; lo += dbnBatch {
		idx = idx[:0]
		for r := lo; r < min(rows, lo+dbnBatch); r++ {
			idx = append(idx, r)
		}
		src.Gather(out.X[lo*cols:], idx)
	}
	return out
}

// Propagate returns the rows of h_level, 1 ≤ level ≤ Len()−1, that the
// recognition conditionals give the rows of data (the bottom visible
// layer): the deterministic up-pass μ_{k+1} = E_q[h_{k+1} | h_k = μ_k] from
// μ_0 = v, or with sample a draw h_1, …, h_level from
// q(h_1 | v)·q(h_2 | h_1)⋯, seeded by seed. The result is dense, rows ×
// units of h_level; data is read a batch at a time.
func (d *DBN) Propagate(data dataset.Source, level int, sample bool, seed uint64) (*dataset.Dataset, error) {
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN propagate: %w", err)
	}
	if level < 1 || level >= len(d.gen) {
		return nil, fmt.Errorf("runtime: DBN propagate: level %d is outside 1…%d", level, len(d.gen)-1)
	}
	return d.materialize(d.upSource(data, 0, level, sample, seed)), nil
}

// WithLabels returns the rows of data followed by the one-hot encoding of
// their labels in the top model's label layer: the rows the up-down trainer
// (DBNUpDown) and the backpropagation trainer (DBNBackprop) take. The
// labelled rows are written only when gathered, so they cost no copy of
// data.
func (d *DBN) WithLabels(data dataset.Source, labels []int) (*dataset.Labelled, error) {
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN with labels: %w", err)
	}
	rows, _ := data.Shape()
	if err := d.checkLabels(labels, rows); err != nil {
		return nil, fmt.Errorf("runtime: DBN with labels: %w", err)
	}
	return &dataset.Labelled{X: data, Labels: labels, Classes: d.top().classes}, nil
}

// TopSource returns the rows the top model is trained on: the deterministic
// up-pass of data through the recognition conditionals,
//
//	μ_0 = v,  μ_{k+1} = E_q[h_{k+1} | h_k = μ_k],  k = 0 … L−2,
//
// one row of μ_{L−1} per row of data, followed, when the top model has a
// label layer, by the one-hot encoding of the row's label (labels must then
// hold one class per row, and be nil otherwise). The columns are the top
// model's visible layers in order, as Pretrain builds them with means and as
// a trainer of the top model alone (its NewTrainer, or training.NewTrainer) or the
// package-level ClassProbs with the label dropped expects them. The rows are
// computed when gathered (an up-pass per gather, nothing held); TopData
// returns them as a dense Dataset. The Source is not safe for concurrent use.
func (d *DBN) TopSource(data dataset.Source, labels []int) (dataset.Source, error) {
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN top data: %w", err)
	}
	rows, _ := data.Shape()
	if err := d.checkLabels(labels, rows); err != nil {
		return nil, fmt.Errorf("runtime: DBN top data: %w", err)
	}
	return d.topSource(data, labels), nil
}

// topSource is TopSource without the checks.
func (d *DBN) topSource(data dataset.Source, labels []int) dataset.Source {
	var src dataset.Source = d.upSource(data, 0, len(d.gen)-1, false, 0)
	if k := d.top().classes; k > 0 {
		src = &dataset.Labelled{X: src, Labels: labels, Classes: k}
	}
	return src
}

// TopData returns the rows of TopSource as a dense Dataset, rows × the top
// model's visible units.
func (d *DBN) TopData(data dataset.Source, labels []int) (*dataset.Dataset, error) {
	src, err := d.TopSource(data, labels)
	if err != nil {
		return nil, err
	}
	return d.materialize(src), nil
}
