package deep

import (
	"github.com/ebmc/ebmc/runtime"
	"math"
	"testing"
)

func TestELBOEntropyOfEachKind(t *testing.T) {
	for _, c := range []struct {
		kind  runtime.UnitKind
		shape []int
		mu    []float64
		want  float64
	}{
		{"bernoulli", []int{2}, []float64{0.5, 0.5}, 2 * math.Ln2},
		{"bernoulli", []int{2}, []float64{0, 1}, 0},
		{"bernoulli", []int{1}, []float64{0.2}, -0.2*math.Log(0.2) - 0.8*math.Log(0.8)},
		{"spin", []int{2}, []float64{0, -1}, math.Ln2},
		{"spin", []int{1}, []float64{0.6}, -0.8*math.Log(0.8) - 0.2*math.Log(0.2)},
		{"softmax", []int{2, 3}, []float64{1. / 3, 1. / 3, 1. / 3, 0, 1, 0}, math.Log(3)},
	} {
		got, err := elboEntropy(runtime.LayerInfo{Name: "h", Kind: c.kind, Shape: c.shape}, c.mu)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s %v: entropy %v, %v; want %v", c.kind, c.mu, got, err, c.want)
		}
	}
	for _, c := range []struct {
		kind runtime.UnitKind
		mu   float64
	}{{"bernoulli", 1.5}, {"spin", -1.01}, {"softmax", math.NaN()}, {"gaussian", 0}} {
		if _, err := elboEntropy(runtime.LayerInfo{Name: "h", Kind: c.kind, Shape: []int{1}}, []float64{c.mu}); err == nil {
			t.Errorf("%s mean %v was accepted", c.kind, c.mu)
		}
	}
}

func TestDBMMeanSE(t *testing.T) {
	m, se := dbmMeanSE([]float64{1, 2, 3, 4})
	// sd = √(5/3), se = sd/2
	if m != 2.5 || math.Abs(se-math.Sqrt(5.0/3)/2) > 1e-15 {
		t.Errorf("mean %v, se %v", m, se)
	}
	if m, se := dbmMeanSE([]float64{7}); m != 7 || se != 0 {
		t.Errorf("one value: mean %v, se %v", m, se)
	}
}

// The samplers of the pretraining RBMs draw from the distributions whose
// means dbmMeans computes: each empirical mean of n draws in [−1, 1] is
// within √(2·ln(2·10⁶)/n) of it except with probability 10⁻⁶ (Hoeffding).
func TestDBMSamplesHaveTheirMeans(t *testing.T) {
	const n = 20000
	tol := math.Sqrt(2 * math.Log(2e6) / n)
	rng := runtime.NewRNG(1, 0)
	a := []float64{-1.5, 0.3, 2, -0.2, 0.7, 0}
	for _, ly := range []runtime.LayerInfo{
		{Kind: "bernoulli", Shape: []int{6}},
		{Kind: "spin", Shape: []int{6}},
		{Kind: "softmax", Shape: []int{2, 3}},
	} {
		want := make([]float64, len(a))
		dbmMeans(ly, a, nil, want)
		sum := make([]float64, len(a))
		x := make([]float64, len(a))
		for s := 0; s < n; s++ {
			dbmSample(ly, a, nil, x, &rng)
			for i, v := range x {
				sum[i] += v / n
			}
		}
		for i := range sum {
			if math.Abs(sum[i]-want[i]) > tol {
				t.Errorf("%s unit %d: empirical mean %.4f, exact %.4f (tolerance %.4f)", ly.Kind, i, sum[i], want[i], tol)
			}
		}
		resampled := make([]float64, len(a))
		for s := 0; s < n; s++ {
			copy(x, want)
			dbmSampleMeans(ly, x, &rng)
			for i, v := range x {
				resampled[i] += v / n
			}
		}
		for i := range sum {
			if math.Abs(resampled[i]-want[i]) > tol {
				t.Errorf("%s unit %d: mean of samples of the means %.4f, want %.4f (tolerance %.4f)", ly.Kind, i, resampled[i], want[i], tol)
			}
		}
	}
}
