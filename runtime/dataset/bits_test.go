package dataset_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Bits hold exactly what Binarize leaves in a Dataset, row by row and
// through Gather, Split and Dense; images read straight into bits equal the
// binarized float images.
func TestBitDataset(t *testing.T) {
	r := runtime.NewRNG(3, 0)
	d := &dataset.Dataset{Rows: 7, Cols: 130, X: make([]float64, 7*130)} // 130: rows straddle three words
	for i := range d.X {
		d.X[i] = r.Float64()
	}
	b := dataset.Binarized(d, 0.3)
	want := &dataset.Dataset{Rows: d.Rows, Cols: d.Cols, X: slices.Clone(d.X)}
	want.Binarize(0.3)
	if got := b.Dense(); !slices.Equal(got.X, want.X) {
		t.Fatal("Dense of Binarized differs from Binarize")
	}
	idx := []int{6, 0, 3, 3}
	got, exp := make([]float64, len(idx)*d.Cols), make([]float64, len(idx)*d.Cols)
	for i := range got {
		got[i] = 9 // Gather must overwrite every value
	}
	b.Gather(got, idx)
	want.Gather(exp, idx)
	if !slices.Equal(got, exp) {
		t.Error("Gather differs from the Dataset's")
	}
	head, tail := b.Split(3)
	if rows, _ := head.Shape(); rows != 3 {
		t.Errorf("head has %d rows", rows)
	}
	tail.Row(0, got[:d.Cols])
	if !slices.Equal(got[:d.Cols], want.Row(3)) {
		t.Error("row 0 of the tail is not row 3")
	}
	if a := testing.AllocsPerRun(10, func() { b.Gather(got, idx) }); a != 0 {
		t.Errorf("Gather allocates %v times", a)
	}

	images := idxBytes(8, []uint32{3, 10, 13}, func() []byte {
		p := make([]byte, 3*130)
		for i := range p {
			p[i] = byte(r.Intn(256))
		}
		return p
	}())
	path := filepath.Join(t.TempDir(), "images.idx.gz")
	if err := os.WriteFile(path, gzipBytes(images), 0o644); err != nil {
		t.Fatal(err)
	}
	bits, err := dataset.LoadIDXBits(path, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	dense, err := dataset.LoadIDX(path)
	if err != nil {
		t.Fatal(err)
	}
	dense.Binarize(0.5)
	if rows, cols := bits.Shape(); rows != 3 || cols != 130 {
		t.Fatalf("shape %d×%d, want 3×130", rows, cols)
	}
	if !slices.Equal(bits.Dense().X, dense.X) {
		t.Error("LoadIDXBits differs from LoadIDX then Binarize")
	}
}

func TestReadIDXBitsErrors(t *testing.T) {
	good := idxBytes(8, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"labels", idxBytes(8, []uint32{3}, []byte{1, 2, 3}), "holds labels, not images"},
		{"wrong magic", []byte{0x12, 0x34, 8, 3, 0, 0, 0, 1}, "bad magic number 0x12340803"},
		{"truncated data", good[:len(good)-2], "truncated: dimensions [2 3] need 6 bytes of data, got 4"},
		{"trailing data", append(slices.Clone(good), 9), "trailing data after the 6 bytes declared by dimensions [2 3]"},
		{"huge header, no data", idxBytes(8, []uint32{1 << 16, 1 << 15}, nil), "need 2147483648 bytes of data, got 0"},
	} {
		_, err := dataset.ReadIDXBits(bytes.NewReader(c.content), "test.idx", 0.5)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "runtime: read IDX test.idx: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
