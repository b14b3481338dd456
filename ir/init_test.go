package ir_test

import (
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/ir"
)

// TestInitNearOverflow: initializers close to the float64 range, but within
// what the checker accepts, compile and draw only finite values.
func TestInitNearOverflow(t *testing.T) {
	for _, init := range []string{
		"uniform(-8e307, 8e307)",
		"uniform(1e308, 1.7e308)",
		"normal(0, 8e306)",
		"normal(-1.5e308, 1e306)",
		"-1.7e308",
	} {
		t.Run(init, func(t *testing.T) {
			src := "model M\nvisible v[50] bernoulli\nhidden h[40] bernoulli\nparam W[50, 40] = " + init + "\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n"
			m, err := ir.Compile("ok.ebm", []byte(src), ir.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := m.NewParams()
			m.InitParams(p, 1)
			for _, x := range p[0] {
				if math.IsInf(x, 0) || math.IsNaN(x) {
					t.Fatalf("initial value %v", x)
				}
			}
		})
	}
}

// A model whose parameters exceed Options.MaxBytes is refused at its name
// with the size, the largest tensor and the limit; a negative limit lifts
// the bound, and the default allows 16 GiB.
func TestMaxBytes(t *testing.T) {
	src := []byte("model Big\nvisible v[4096] bernoulli\nhidden h[4096] bernoulli\nparam W[4096, 4096]\nparam b[4096]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i]\n")
	_, err := ir.Compile("big.ebm", src, ir.Options{MaxBytes: 64 << 20})
	want := "big.ebm:1:7: model Big: its 2 parameter tensors take 128.0 MiB (the largest, W, 128.0 MiB), more than the limit of 64.0 MiB"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("64 MiB limit: %v, want %q", err, want)
	}
	for _, limit := range []int64{0, -1, 256 << 20} {
		m, err := ir.Compile("big.ebm", src, ir.Options{MaxBytes: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if got := m.ParamBytes(); got != 8*(4096*4096+4096) {
			t.Errorf("ParamBytes = %d", got)
		}
	}
}

// A model whose energy is NaN at its initial parameters is refused at the
// parameter that causes it; one whose energy is a number there is not.
func TestFiniteAtInit(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"model L\nvisible v[2] bernoulli\nparam s[2]\nenergy = -sum(i) log(s[i]) * v[i]\n",
			"l.ebm:3:1: param s: the energy is NaN at its initial values (to 0)"},
		{"model L\nvisible v[2] bernoulli\nparam s[2] = -1\nparam w[2]\nenergy = -sum(i) sqrt(s[i]) * v[i] - sum(i) w[i] * v[i]\n",
			"l.ebm:3:1: param s:"},
		{"model L\nvisible v[2] bernoulli\nparam s[2] = 0.5\nenergy = -sum(i) log(s[i]) * v[i]\n", ""},
	} {
		_, err := ir.Compile("l.ebm", []byte(tc.src), ir.Options{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.src, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}
