package ir

import (
	"math"
	"testing"
)

// checkKind compares a kind's Mean, Second and LogPartition with sums over
// its values (binary kinds) or a trapezoid integral (gaussian) of
// exp(β·(a·x − ½·P·x²)), and returns the first disagreement.
func checkKind(info *KindInfo, a, prec, beta float64) (what string, got, want float64) {
	var z, m1, m2 float64
	if info.Two != nil {
		for _, v := range info.Two {
			w := math.Exp(beta * a * v)
			z, m1, m2 = z+w, m1+w*v, m2+w*v*v
		}
	} else {
		mean, sd := a/prec, 1/math.Sqrt(beta*prec)
		const n = 20000
		lo, step := mean-12*sd, 24*sd/n
		for s := 0; s <= n; s++ {
			x := lo + float64(s)*step
			w := step * math.Exp(beta*(a*x-0.5*prec*x*x))
			if s == 0 || s == n {
				w /= 2
			}
			z, m1, m2 = z+w, m1+w*x, m2+w*x*x
		}
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"log partition", info.LogPartition(a, prec, beta), math.Log(z)},
		{"mean", info.Mean(a, prec, beta), m1 / z},
		{"second moment", info.Second(a, prec, beta), m2 / z},
	} {
		if math.Abs(c.got-c.want) > 1e-8*math.Max(1, math.Abs(c.want)) {
			return c.what, c.got, c.want
		}
	}
	return "", 0, 0
}

// Every kind's per-unit maths matches its definition, its name reads back,
// and a table entry with a wrong mean (spin's tanh(βa) replaced by
// bernoulli's σ(βa)) is caught.
func TestKindTable(t *testing.T) {
	for k := range kinds {
		info := Kind(k).Info()
		if got, ok := kindNamed(info.Name); !ok || got != Kind(k) || Kind(k).String() != info.Name {
			t.Errorf("kind %d: name %q reads back as %v, %v", k, info.Name, got, ok)
		}
		if info.Mean == nil {
			continue // softmax: per group
		}
		for _, c := range [][3]float64{{0.3, 1, 1}, {-2, 0.5, 0.7}, {4, 2, 0.1}} {
			if what, got, want := checkKind(info, c[0], c[1], c[2]); what != "" {
				t.Errorf("%s at a=%g P=%g β=%g: %s %.12g, by definition %.12g", info.Name, c[0], c[1], c[2], what, got, want)
			}
		}
	}
	broken := *Spin.Info()
	broken.Mean = Bernoulli.Info().Mean
	if what, _, _ := checkKind(&broken, 0.3, 1, 1); what != "mean" {
		t.Errorf("a spin kind with the bernoulli mean passed the check (%q)", what)
	}
}

// checkProx compares a kind's proximal operator with a grid search for
// argmin_x ½(x − z)² + t·|x| and returns the largest difference.
func checkProx(prox func(z, t float64) float64) float64 {
	worst := 0.0
	for _, z := range []float64{-3, -0.7, -0.2, 0, 0.15, 0.5, 2.5} {
		for _, t := range []float64{0, 0.1, 0.3, 1} {
			best, bestF := 0.0, math.Inf(1)
			for k := -400000; k <= 400000; k++ {
				x := float64(k) * 1e-5
				if f := 0.5*(x-z)*(x-z) + t*math.Abs(x); f < bestF {
					best, bestF = x, f
				}
			}
			worst = math.Max(worst, math.Abs(prox(z, t)-best))
		}
	}
	return worst
}

// The laplace kind's proximal operator is the argmin it claims to be (to
// the grid's 1e-5); negative control: soft thresholding at twice the
// threshold is caught. Kinds without an L1 term have none.
func TestKindProx(t *testing.T) {
	for k := range kinds {
		info := Kind(k).Info()
		if (info.Prox != nil) != (Kind(k) == Laplace) || (info.GoProx != "") != (info.Prox != nil) {
			t.Errorf("%s: Prox %v, GoProx %q", info.Name, info.Prox != nil, info.GoProx)
		}
		if info.Prox == nil {
			continue
		}
		if d := checkProx(info.Prox); d > 1e-5 {
			t.Errorf("%s: prox off the argmin by %g", info.Name, d)
		}
	}
	if d := checkProx(func(z, t float64) float64 { return SoftThreshold(z, 2*t) }); d < 0.01 {
		t.Errorf("a prox with twice the threshold passed (%g)", d)
	}
}
