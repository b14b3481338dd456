package dataset_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

func TestReadCSV(t *testing.T) {
	for _, c := range []struct {
		name, in   string
		rows, cols int
		want       []float64
	}{
		{"plain", "1,2,3\n4,5,6\n", 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"header", "a,b\n1,2\n3,4\n", 2, 2, []float64{1, 2, 3, 4}},
		{"quoted header, spaces, CRLF", "\"x 1\", \"y\"\r\n 1.5 , -2e3\r\n\r\n0,.25\r\n", 2, 2, []float64{1.5, -2000, 0, 0.25}},
		{"no trailing newline", "7", 1, 1, []float64{7}},
	} {
		d, err := dataset.ReadCSV(strings.NewReader(c.in), "t.csv")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Rows != c.rows || d.Cols != c.cols {
			t.Errorf("%s: %d×%d, want %d×%d", c.name, d.Rows, d.Cols, c.rows, c.cols)
		}
		closeSlices(t, c.name, d.X, c.want, 0)
	}
}

func TestReadCSVErrors(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"bad cell", "a,b,c\n1,2,3\n4,abc,6\n", `runtime: t.csv:3:3: cell "abc" is not a number`},
		{"bad cell in first row with numbers", "1,x\n", `t.csv:1:3: cell "x" is not a number`},
		{"empty cell", "1,2\n3,\n", `t.csv:2:3: cell "" is not a number`},
		{"NaN", "1,NaN\n", `t.csv:1:3: cell "NaN" is not a finite number`},
		{"ragged", "1,2,3\n4,5,6\n7,8\n", "t.csv:3: row has 2 fields, want 3"},
		{"bad quote", "1,\"2\n", "t.csv:"},
		{"empty", "", "no data rows"},
		{"header only", "a,b\n", "no data rows"},
	} {
		_, err := dataset.ReadCSV(strings.NewReader(c.in), "t.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestLoadCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte("v1,v2\n0,1\n1,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := dataset.LoadCSV(path)
	if err != nil || d.Rows != 2 || d.Cols != 2 {
		t.Fatalf("LoadCSV = %+v, %v", d, err)
	}
	if _, err := dataset.LoadCSV(path + ".missing"); err == nil || !strings.Contains(err.Error(), "d.csv.missing") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("a,b\n1,2\n3,4\n")
	f.Add("1,2\n3\n")
	f.Add("\"1\",2e-3\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := dataset.ReadCSV(strings.NewReader(s), "fuzz.csv")
		if err == nil && (d.Rows <= 0 || d.Cols <= 0 || len(d.X) != d.Rows*d.Cols || !runtime.IsFinite(d.X)) {
			t.Fatalf("inconsistent dataset %d×%d with %d values", d.Rows, d.Cols, len(d.X))
		}
	})
}
