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

// A ByteDataset gathers exactly the values LoadIDX gives and binarizes as
// Binarize does; the negative control changes one byte of the file, after
// which the values must differ.
func TestByteDataset(t *testing.T) {
	r := runtime.NewRNG(5, 0)
	pixels := make([]byte, 4*130) // 130: rows straddle three words of bits
	for i := range pixels {
		pixels[i] = byte(r.Intn(256))
	}
	load := func(p []byte) (*dataset.ByteDataset, *dataset.Dataset) {
		path := filepath.Join(t.TempDir(), "images.idx.gz")
		if err := os.WriteFile(path, gzipBytes(idxBytes(8, []uint32{4, 10, 13}, p)), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := dataset.LoadIDXBytes(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dataset.LoadIDX(path)
		if err != nil {
			t.Fatal(err)
		}
		return b, d
	}
	b, dense := load(pixels)
	if rows, cols := b.Shape(); rows != 4 || cols != 130 {
		t.Fatalf("shape %d×%d, want 4×130", rows, cols)
	}
	idx := []int{3, 0, 2, 2, 1}
	got, want := make([]float64, len(idx)*130), make([]float64, len(idx)*130)
	b.Gather(got, idx)
	dense.Gather(want, idx)
	if !slices.Equal(got, want) {
		t.Error("Gather differs from LoadIDX's values")
	}
	if a := testing.AllocsPerRun(10, func() { b.Gather(got, idx) }); a != 0 {
		t.Errorf("Gather allocates %v times", a)
	}
	bin := &dataset.Dataset{Rows: dense.Rows, Cols: dense.Cols, X: slices.Clone(dense.X)}
	bin.Binarize(0.5)
	if !slices.Equal(b.Binarized(0.5).Dense().X, bin.X) {
		t.Error("Binarized differs from LoadIDX then Binarize")
	}
	_, tail := b.Split(2)
	tail.Row(1, got[:130])
	if !slices.Equal(got[:130], dense.Row(3)) {
		t.Error("row 1 of the tail is not row 3")
	}
	other := slices.Clone(pixels)
	other[131]++
	if b2, _ := load(other); func() bool { b2.Gather(got, idx); return slices.Equal(got, want) }() {
		t.Error("negative control: a changed byte gathers the same values")
	}

	if _, err := dataset.ReadIDXBytes(bytes.NewReader(idxBytes(8, []uint32{3}, []byte{1, 2, 3})), "labels.idx"); err == nil || !strings.Contains(err.Error(), "holds labels, not images") {
		t.Errorf("a label file: error %v", err)
	}
	good := idxBytes(8, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	if _, err := dataset.ReadIDXBytes(bytes.NewReader(good[:len(good)-1]), "cut.idx"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("a truncated file: error %v", err)
	}
	if _, err := dataset.NewByteDataset(2, 3, make([]byte, 5)); err == nil {
		t.Error("NewByteDataset accepted 5 bytes for 2×3 values")
	}
}

// Labelled gathers each row followed by its one-hot label, in any order and
// with repeats, without allocating; NewLabelled refuses labels that do not
// fit. The negative control gathers with one label changed.
func TestLabelled(t *testing.T) {
	x := &dataset.Dataset{Rows: 3, Cols: 2, X: []float64{1, 2, 3, 4, 5, 6}}
	l, err := dataset.NewLabelled(x, []int{2, 0, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rows, cols := l.Shape(); rows != 3 || cols != 5 {
		t.Fatalf("shape %d×%d, want 3×5", rows, cols)
	}
	idx := []int{2, 0, 2}
	want := []float64{5, 6, 0, 1, 0, 1, 2, 0, 0, 1, 5, 6, 0, 1, 0}
	got := make([]float64, 15)
	for i := range got {
		got[i] = 9 // every value must be written
	}
	l.Gather(got, idx)
	if !slices.Equal(got, want) {
		t.Errorf("Gather = %v, want %v", got, want)
	}
	if a := testing.AllocsPerRun(10, func() { l.Gather(got, idx) }); a != 0 {
		t.Errorf("Gather allocates %v times", a)
	}
	l.Labels[2] = 0
	if l.Gather(got, idx); slices.Equal(got, want) {
		t.Error("negative control: another label gathers the same rows")
	}
	for _, c := range []struct {
		name    string
		labels  []int
		classes int
		want    string
	}{
		{"too few", []int{0, 1}, 2, "2 labels for 3 rows"},
		{"out of range", []int{0, 2, 1}, 2, "label 2 of row 1 is outside 0…1"},
		{"negative", []int{0, -1, 1}, 2, "label -1 of row 1"},
		{"labels without classes", []int{0, 0, 0}, 0, "labels given for 0 classes"},
	} {
		if _, err := dataset.NewLabelled(x, c.labels, c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	plain, err := dataset.NewLabelled(x, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	plain.Gather(got[:6], []int{1, 0, 2})
	if !slices.Equal(got[:6], []float64{3, 4, 1, 2, 5, 6}) {
		t.Errorf("without classes: %v", got[:6])
	}
}

// ReadIDXBytes refuses what ReadIDXBits refuses, with the same messages.
func TestReadIDXBytesErrors(t *testing.T) {
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
		_, err := dataset.ReadIDXBytes(bytes.NewReader(c.content), "test.idx")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "runtime: read IDX test.idx: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if d, err := dataset.ReadIDXBytes(bytes.NewReader(good), "good.idx"); err != nil || d.Rows != 2 || d.Cols != 3 {
		t.Errorf("the good file: %v, %v", d, err)
	}
}
