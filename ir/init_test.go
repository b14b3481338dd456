package ir_test

import (
	"math"
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
