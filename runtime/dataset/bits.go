package dataset

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
)

// Source is a data set Fit can train on: its shape, and a way to copy rows
// into a float64 buffer. *Dataset and *BitDataset are Sources.
type Source interface {
	// Shape returns the number of rows and of values per row.
	Shape() (rows, cols int)
	// Gather copies rows idx[0], idx[1], … into consecutive rows of dst.
	Gather(dst []float64, idx []int)
}

// Shape returns Rows and Cols (0, 0 for a nil Dataset).
func (d *Dataset) Shape() (rows, cols int) {
	if d == nil {
		return 0, 0
	}
	return d.Rows, d.Cols
}

// BitDataset holds binary data — every value 0 or 1, as binarized images
// are — one bit per value, 64 times smaller than a Dataset: the 60,000
// Fashion-MNIST training images take 5.9 MB instead of 376 MB. Row r holds
// words[r·stride : (r+1)·stride], value c in bit c mod 64 of word c/64.
type BitDataset struct {
	Rows, Cols int
	stride     int
	words      []uint64
}

// NewBitDataset returns an empty BitDataset of the given shape.
func NewBitDataset(rows, cols int) *BitDataset {
	stride := (cols + 63) / 64
	return &BitDataset{Rows: rows, Cols: cols, stride: stride, words: make([]uint64, rows*stride)}
}

// Binarized returns the rows of d as bits: 1 where the value exceeds
// threshold, 0 elsewhere.
func Binarized(d *Dataset, threshold float64) *BitDataset {
	b := NewBitDataset(d.Rows, d.Cols)
	for r := range d.Rows {
		b.setRow(r, d.Row(r), threshold)
	}
	return b
}

// setRow stores row r from values, 1 where a value exceeds threshold.
func (b *BitDataset) setRow(r int, values []float64, threshold float64) {
	w := b.words[r*b.stride : (r+1)*b.stride]
	clear(w)
	for c, v := range values {
		if v > threshold {
			w[c/64] |= 1 << (c % 64)
		}
	}
}

// Shape returns Rows and Cols (0, 0 for a nil BitDataset).
func (b *BitDataset) Shape() (rows, cols int) {
	if b == nil {
		return 0, 0
	}
	return b.Rows, b.Cols
}

// Row writes row i as 0s and 1s into dst (len ≥ Cols). It panics if i is
// out of range.
func (b *BitDataset) Row(i int, dst []float64) {
	if i < 0 || i >= b.Rows {
		panic("runtime: BitDataset.Row: index out of range")
	}
	dst = dst[:b.Cols]
	clear(dst)
	for k, w := range b.words[i*b.stride : (i+1)*b.stride] {
		for w != 0 {
			dst[k*64+bits.TrailingZeros64(w)] = 1
			w &= w - 1
		}
	}
}

// Gather copies rows idx[0], idx[1], … into consecutive rows of dst, which
// must hold at least len(idx)·Cols values. It does not allocate.
func (b *BitDataset) Gather(dst []float64, idx []int) {
	c := b.Cols
	if len(dst) < len(idx)*c {
		panic("runtime: BitDataset.Gather: dst too short")
	}
	for k, i := range idx {
		b.Row(i, dst[k*c:(k+1)*c])
	}
}

// Split returns the first n rows and the remaining Rows − n rows as two
// data sets that share b's storage. n is clamped to [0, Rows].
func (b *BitDataset) Split(n int) (head, tail *BitDataset) {
	n = max(0, min(n, b.Rows))
	k := n * b.stride
	head = &BitDataset{Rows: n, Cols: b.Cols, stride: b.stride, words: b.words[:k:k]}
	tail = &BitDataset{Rows: b.Rows - n, Cols: b.Cols, stride: b.stride, words: b.words[k : b.Rows*b.stride]}
	return head, tail
}

// Dense returns the rows as a Dataset of 0s and 1s.
func (b *BitDataset) Dense() *Dataset {
	d := &Dataset{Rows: b.Rows, Cols: b.Cols, X: make([]float64, b.Rows*b.Cols)}
	for r := range b.Rows {
		b.Row(r, d.X[r*b.Cols:])
	}
	return d
}

// LoadIDXBits reads an IDX image file (see ReadIDX), plain or
// gzip-compressed, binarized as x/255 > threshold, into bits. It reads one
// image at a time, so the images never exist as float64 (or as one block of
// bytes) in memory.
func LoadIDXBits(path string, threshold float64) (*BitDataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: load IDX: %w", err)
	}
	defer f.Close()
	return ReadIDXBits(f, path, threshold)
}

// ReadIDXBits is LoadIDXBits from a stream; name is used in error messages.
func ReadIDXBits(r io.Reader, name string, threshold float64) (*BitDataset, error) {
	b, err := readIDXBits(r, threshold)
	if err != nil {
		return nil, fmt.Errorf("runtime: read IDX %s: %w", name, err)
	}
	return b, nil
}

func readIDXBits(r io.Reader, threshold float64) (*BitDataset, error) {
	br, dims, total, _, closeFn, err := idxHeader(r)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if len(dims) < 2 {
		return nil, fmt.Errorf("dimensions %v: a one-dimensional file holds labels, not images", dims)
	}
	rows := dims[0]
	b := NewBitDataset(0, total/rows) // grown as rows arrive, not trusting the header
	buf := make([]byte, b.Cols)
	for row := range rows {
		if n, err := io.ReadFull(br, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("truncated: dimensions %v need %d bytes of data, got %d", dims, total, row*b.Cols+n)
			}
			return nil, fmt.Errorf("reading data: %w", err)
		}
		b.words = append(b.words, make([]uint64, b.stride)...)
		b.Rows++
		w := b.words[row*b.stride : (row+1)*b.stride]
		for c, v := range buf {
			if float64(v)/255 > threshold {
				w[c/64] |= 1 << (c % 64)
			}
		}
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, fmt.Errorf("trailing data after the %d bytes declared by dimensions %v", total, dims)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	return b, nil
}
