package figures

import (
	"math"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	f := &File{Figures: map[string]Figure{
		"bound":    {Value: -10, Tol: 0.5},
		"accuracy": {Value: 0.75, Tol: 0.25},
	}}
	for _, tc := range []struct {
		name string
		got  map[string]float64
		want string // a part of the error, "" for none
	}{
		{"inside", map[string]float64{"bound": -10.4, "accuracy": 0.8}, ""},
		{"at the edge", map[string]float64{"bound": -9.5, "accuracy": 0.5}, ""},
		{"bound moved", map[string]float64{"bound": -11, "accuracy": 0.75}, "bound = -11"},
		{"NaN", map[string]float64{"bound": math.NaN(), "accuracy": 0.75}, "bound = NaN"},
		{"missing", map[string]float64{"bound": -10}, "accuracy: not measured"},
		{"extra", map[string]float64{"bound": -10, "accuracy": 0.75, "new": 1}, "new: measured but not stored"},
	} {
		err := f.Compare(tc.got)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestStddev(t *testing.T) {
	if s := stddev([]float64{1, 2, 3, 4}); math.Abs(s-math.Sqrt(5.0/3)) > 1e-15 {
		t.Errorf("stddev = %v", s)
	}
	if s := stddev([]float64{7}); s != 0 {
		t.Errorf("stddev of one value = %v", s)
	}
}
