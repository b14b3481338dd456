package dataset_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime/dataset"
)

// idxBytes returns an IDX file with the given type code, dimensions and data.
func idxBytes(code byte, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, code, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	images := idxBytes(8, []uint32{2, 2, 3}, []byte{0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 1})
	labels := idxBytes(8, []uint32{3}, []byte{7, 0, 9})
	for _, c := range []struct {
		name       string
		content    []byte
		rows, cols int
		want       []float64
	}{
		{"images.idx", images, 2, 6, []float64{0, 0.2, 0.4, 0.6, 0.8, 1, 1, 0, 0, 0, 0, 1.0 / 255}},
		{"images.idx.gz", gzipBytes(images), 2, 6, []float64{0, 0.2, 0.4, 0.6, 0.8, 1, 1, 0, 0, 0, 0, 1.0 / 255}},
		{"labels.idx", labels, 3, 1, []float64{7, 0, 9}},
		{"labels-gz-without-suffix", gzipBytes(labels), 3, 1, []float64{7, 0, 9}},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := dataset.LoadIDX(path)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Rows != c.rows || d.Cols != c.cols {
			t.Errorf("%s: %d×%d, want %d×%d", c.name, d.Rows, d.Cols, c.rows, c.cols)
		}
		closeSlices(t, c.name, d.X, c.want, 1e-15)
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(8, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	gz := gzipBytes(good)
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "truncated: expected 4 bytes of magic number, got 0"},
		{"short magic", []byte{0, 0}, "truncated: expected 4 bytes of magic number, got 2"},
		{"wrong magic", []byte{0x12, 0x34, 8, 3, 0, 0, 0, 1}, "bad magic number 0x12340803"},
		{"unsupported type", idxBytes(0x0d, []uint32{1}, make([]byte, 4)), "unsupported type code 0x0d (float)"},
		{"zero ndim", []byte{0, 0, 8, 0}, "zero dimensions"},
		{"truncated dims", good[:9], "truncated: expected 8 bytes of dimensions, got 5"},
		{"zero dim", idxBytes(8, []uint32{2, 0}, nil), "dimension 1 is zero"},
		{"truncated data", good[:len(good)-2], "truncated: dimensions [2 3] need 6 bytes of data, got 4"},
		{"trailing data", append(append([]byte(nil), good...), 9), "trailing data after the 6 bytes declared by dimensions [2 3]"},
		{"huge dims", idxBytes(8, []uint32{1 << 31, 1 << 31}, nil), "declare more than"},
		{"gz garbage", []byte{0x1f, 0x8b, 1, 2, 3, 4, 5}, "gzip:"},
		{"gz truncated", gz[:len(gz)-12], "unexpected EOF"},
	} {
		_, err := dataset.ReadIDX(bytes.NewReader(c.content), "test.idx")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "runtime: read IDX test.idx: ") {
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
	}
	if _, err := dataset.LoadIDX(filepath.Join(t.TempDir(), "missing.idx")); err == nil || !strings.Contains(err.Error(), "missing.idx") {
		t.Errorf("missing file: error %v", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(8, []uint32{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes(8, []uint32{3}, []byte{1, 2, 3}))
	f.Add(gzipBytes(idxBytes(8, []uint32{1, 2, 2}, []byte{1, 2, 3, 4})))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte{0, 0, 8, 4, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := dataset.ReadIDX(bytes.NewReader(b), "fuzz")
		if err == nil && (d.Rows <= 0 || d.Cols <= 0 || len(d.X) != d.Rows*d.Cols) {
			t.Fatalf("inconsistent dataset %d×%d with %d values", d.Rows, d.Cols, len(d.X))
		}
	})
}

func TestWriteIDXRoundTrip(t *testing.T) {
	d := &dataset.Dataset{Rows: 3, Cols: 4, X: []float64{0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 128.0 / 255}}
	for _, name := range []string{"plain.idx", "packed.idx.gz"} {
		path := filepath.Join(t.TempDir(), name)
		if err := dataset.SaveIDX(path, d, []int{3, 2, 2}); err != nil {
			t.Fatal(err)
		}
		got, err := dataset.LoadIDX(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != 3 || got.Cols != 4 || !slices.Equal(got.X, d.X) {
			t.Errorf("%s: read back %d×%d %v, want %v", name, got.Rows, got.Cols, got.X, d.X)
		}
	}
	for _, c := range []struct {
		name string
		d    *dataset.Dataset
		dims []int
		want string
	}{
		{"rows differ", d, []int{2, 6}, "do not start with the 3 rows"},
		{"sizes differ", d, []int{3, 5}, "hold 15 values"},
		{"one dimension", d, []int{3}, "do not start"},
		{"out of range", &dataset.Dataset{Rows: 1, Cols: 2, X: []float64{0, 2}}, []int{1, 2}, "outside [0, 1]"},
		{"NaN", &dataset.Dataset{Rows: 1, Cols: 2, X: []float64{math.NaN(), 0}}, []int{1, 2}, "outside [0, 1]"},
	} {
		err := dataset.WriteIDX(io.Discard, c.d, c.dims)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// LoadIDX refuses dimensions that declare more data than the file can
// hold — its size raw, 1032 times its size gzipped — before it reads or
// allocates: a tiny gzip whose header declares gigabytes is an error.
func TestLoadIDXDeclaredBeyondFile(t *testing.T) {
	dir := t.TempDir()
	header := []byte{0, 0, 8, 3, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 1, 0} // 4096 × 256 × 256 bytes
	raw := filepath.Join(dir, "raw.idx")
	if err := os.WriteFile(raw, append(header, make([]byte, 1000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(header)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	packed := filepath.Join(dir, "bomb.idx.gz")
	if err := os.WriteFile(packed, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{raw: "more than the file's 1016 bytes", packed: "compressed bytes can expand to"} {
		_, err := dataset.LoadIDX(path)
		if err == nil || !strings.Contains(err.Error(), "declare 268435456 bytes of data") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want the declared size and %q", filepath.Base(path), err, want)
		}
	}
}
