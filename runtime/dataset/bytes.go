package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// ByteDataset holds values in [0, 1] as bytes, value = b/255, as the grey
// levels of IDX images are stored: 8 times smaller than a Dataset (the
// 60,000 Fashion-MNIST training images take 47 MB instead of 376 MB) and
// expanded row by row by Gather to exactly the values LoadIDX gives.
type ByteDataset struct {
	Rows, Cols int
	b          []byte
}

// NewByteDataset returns the rows×cols values b[r·cols + c]/255; b must
// hold rows·cols bytes and is not copied.
func NewByteDataset(rows, cols int, b []byte) (*ByteDataset, error) {
	if rows < 0 || cols < 0 || len(b) != rows*cols {
		return nil, fmt.Errorf("runtime: byte data set of %d×%d values from %d bytes", rows, cols, len(b))
	}
	return &ByteDataset{Rows: rows, Cols: cols, b: b}, nil
}

// Shape returns Rows and Cols (0, 0 for a nil ByteDataset).
func (d *ByteDataset) Shape() (rows, cols int) {
	if d == nil {
		return 0, 0
	}
	return d.Rows, d.Cols
}

// Row writes row i, b/255 per value, into dst (len ≥ Cols). It panics if i
// is out of range.
func (d *ByteDataset) Row(i int, dst []float64) {
	if i < 0 || i >= d.Rows {
		panic("runtime: ByteDataset.Row: index out of range")
	}
	for c, v := range d.b[i*d.Cols : (i+1)*d.Cols] {
		dst[c] = float64(v) / 255
	}
}

// Gather copies rows idx[0], idx[1], … into consecutive rows of dst, which
// must hold at least len(idx)·Cols values. It does not allocate.
func (d *ByteDataset) Gather(dst []float64, idx []int) {
	c := d.Cols
	if len(dst) < len(idx)*c {
		panic("runtime: ByteDataset.Gather: dst too short")
	}
	for k, i := range idx {
		d.Row(i, dst[k*c:(k+1)*c])
	}
}

// Split returns the first n rows and the remaining Rows − n rows as two
// data sets that share d's storage. n is clamped to [0, Rows].
func (d *ByteDataset) Split(n int) (head, tail *ByteDataset) {
	n = max(0, min(n, d.Rows))
	k := n * d.Cols
	return &ByteDataset{Rows: n, Cols: d.Cols, b: d.b[:k:k]}, &ByteDataset{Rows: d.Rows - n, Cols: d.Cols, b: d.b[k : d.Rows*d.Cols]}
}

// Binarized returns the rows as bits: 1 where b/255 > threshold, as
// Dataset.Binarize and LoadIDXBits decide.
func (d *ByteDataset) Binarized(threshold float64) *BitDataset {
	out := NewBitDataset(d.Rows, d.Cols)
	for r := range d.Rows {
		w := out.words[r*out.stride : (r+1)*out.stride]
		for c, v := range d.b[r*d.Cols : (r+1)*d.Cols] {
			if float64(v)/255 > threshold {
				w[c/64] |= 1 << (c % 64)
			}
		}
	}
	return out
}

// LoadIDXBytes reads an IDX image file (see ReadIDX), plain or
// gzip-compressed, keeping its bytes: the values are those LoadIDX gives,
// x/255, held in an eighth of the memory.
func LoadIDXBytes(path string) (*ByteDataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: load IDX: %w", err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	d, err := readIDXBytes(f, size)
	if err != nil {
		return nil, fmt.Errorf("runtime: read IDX %s: %w", path, err)
	}
	return d, nil
}

// ReadIDXBytes is LoadIDXBytes from a stream; name is used in error
// messages.
func ReadIDXBytes(r io.Reader, name string) (*ByteDataset, error) {
	d, err := readIDXBytes(r, -1)
	if err != nil {
		return nil, fmt.Errorf("runtime: read IDX %s: %w", name, err)
	}
	return d, nil
}

func readIDXBytes(r io.Reader, size int64) (*ByteDataset, error) {
	br, dims, total, gzipped, closeFn, err := idxHeader(r)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if len(dims) < 2 {
		return nil, fmt.Errorf("dimensions %v: a one-dimensional file holds labels, not images", dims)
	}
	if err := checkIDXSize(dims, total, size, gzipped); err != nil {
		return nil, err
	}
	// From a file whose size bounds the data, the buffer is allocated at
	// its final size up to 64 MiB, so that a data set of images is not
	// copied as it grows; a header claiming more, or a stream of unknown
	// size, is trusted only as far as data arrive.
	capacity := min(total, 1<<20)
	if size >= 0 {
		capacity = min(total, 1<<26)
	}
	data := make([]byte, 0, capacity)
	for len(data) < total {
		n := min(total-len(data), 1<<20)
		data = slices.Grow(data, n)
		k, err := io.ReadFull(br, data[len(data):len(data)+n])
		data = data[:len(data)+k]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated: dimensions %v need %d bytes of data, got %d", dims, total, len(data))
		}
		if err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, fmt.Errorf("trailing data after the %d bytes declared by dimensions %v", total, dims)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	return &ByteDataset{Rows: dims[0], Cols: total / dims[0], b: data}, nil
}
