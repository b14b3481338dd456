package dataset

import "fmt"

// Labelled is a Source whose row r is row r of X followed by the one-hot
// encoding of Labels[r] over Classes columns,
//
//	(x_r, e_{Labels[r]}),  e_k the k-th unit vector of length Classes,
//
// the rows a model with a visible softmax label layer after its inputs
// trains on. The rows exist only when Gather writes them, so a labelled
// copy of a data set costs its labels alone.
type Labelled struct {
	X       Source
	Labels  []int
	Classes int
}

// NewLabelled checks that labels hold one class in 0…classes−1 per row of
// x and returns the labelled rows. With classes = 0 labels must be nil and
// the rows are those of x.
func NewLabelled(x Source, labels []int, classes int) (*Labelled, error) {
	if x == nil {
		return nil, fmt.Errorf("runtime: labelled data: no data")
	}
	rows, _ := x.Shape()
	switch {
	case classes < 0:
		return nil, fmt.Errorf("runtime: labelled data: %d classes", classes)
	case classes == 0 && labels != nil:
		return nil, fmt.Errorf("runtime: labelled data: labels given for 0 classes")
	case classes > 0 && len(labels) != rows:
		return nil, fmt.Errorf("runtime: labelled data: %d labels for %d rows", len(labels), rows)
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("runtime: labelled data: label %d of row %d is outside 0…%d", l, i, classes-1)
		}
	}
	return &Labelled{X: x, Labels: labels, Classes: classes}, nil
}

// Shape returns the rows of X and its columns plus Classes.
func (l *Labelled) Shape() (rows, cols int) {
	rows, cols = l.X.Shape()
	return rows, cols + l.Classes
}

// Gather copies the labelled rows idx[0], idx[1], … into consecutive rows
// of dst, which must hold at least len(idx)·(cols of X + Classes) values.
// It does not allocate (if X's Gather does not).
func (l *Labelled) Gather(dst []float64, idx []int) {
	_, c := l.X.Shape()
	w := c + l.Classes
	if len(dst) < len(idx)*w {
		panic("runtime: Labelled.Gather: dst too short")
	}
	l.X.Gather(dst[:len(idx)*c], idx)
	if l.Classes == 0 {
		return
	}
	// Spread the rows to width w, the last first: row k moves from k·c to
	// k·w ≥ k·c, past every row not yet moved.
	for k := len(idx) - 1; k >= 0; k-- {
		row := dst[k*w : (k+1)*w]
		copy(row[:c], dst[k*c:(k+1)*c])
		y := row[c:]
		clear(y)
		y[l.Labels[idx[k]]] = 1
	}
}
