package labelled

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime/dataset"
)

// writeFashion writes four IDX files of n images of 28×28 pixels (pixel i
// of image r is (r + i) mod 256) with labels r mod 10 into dir, the test
// labels shortened by cut.
func writeFashion(t *testing.T, dir string, n, cut int) {
	t.Helper()
	images := &dataset.Dataset{Rows: n, Cols: 784, X: make([]float64, n*784)}
	labels := &dataset.Dataset{Rows: n, Cols: 1, X: make([]float64, n)}
	for r := range n {
		for i := range 784 {
			images.X[r*784+i] = float64((r+i)%256) / 255
		}
		labels.X[r] = float64(r % 10)
	}
	for _, i := range []int{0, 2} {
		if err := dataset.SaveIDX(filepath.Join(dir, FashionFiles[i]), images, []int{n, 28, 28}); err != nil {
			t.Fatal(err)
		}
	}
	for i, rows := range map[int]int{1: n, 3: n - cut} {
		b := []byte{0, 0, 8, 1, 0, 0, byte(rows >> 8), byte(rows)} // unsigned bytes, one dimension
		for r := range rows {
			b = append(b, byte(labels.X[r]))
		}
		if err := os.WriteFile(filepath.Join(dir, FashionFiles[i]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// LoadFashion and LoadFashionBits read the same images (as bytes, and
// binarized) and labels as LoadIDX; a missing file is os.ErrNotExist, and
// labels that do not match the images are refused.
func TestLoadFashion(t *testing.T) {
	dir := t.TempDir()
	writeFashion(t, dir, 12, 0)
	f, err := LoadFashion(dir)
	if err != nil {
		t.Fatal(err)
	}
	dense, err := dataset.LoadIDX(filepath.Join(dir, FashionFiles[0]))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 12*784)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	f.Train.Gather(got, idx)
	if !slices.Equal(got, dense.X) {
		t.Error("the images as bytes differ from LoadIDX's")
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}; !slices.Equal(f.TrainLabels, want) || !slices.Equal(f.TestLabels, want) {
		t.Errorf("labels %v and %v, want %v", f.TrainLabels, f.TestLabels, want)
	}
	b, err := LoadFashionBits(dir, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	dense.Binarize(0.5)
	if !slices.Equal(b.Test.Dense().X, dense.X) {
		t.Error("the images as bits differ from LoadIDX then Binarize")
	}
	if _, err := LoadFashion(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty directory: %v, want os.ErrNotExist", err)
	}
	bad := t.TempDir()
	writeFashion(t, bad, 12, 1)
	if _, err := LoadFashionBits(bad, 0.5); err == nil || errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "images and labels do not match") {
		t.Errorf("11 test labels for 12 images: %v", err)
	}
}
