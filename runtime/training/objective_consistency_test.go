package training_test

import (
	"context"
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/fvbm"
	"github.com/ebmc/ebmc/internal/gentest/gauss"
	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// fvbmEffective returns the identifiable parameters of a fully visible
// Boltzmann machine: the couplings J[i,k] + J[k,i] (i < k) and the biases
// b[i] + J[i,i] (v² = v for binary units).
func fvbmEffective(m *fvbm.FVBM) []float64 {
	n := len(m.B)
	var out []float64
	for i := range n {
		out = append(out, m.B[i]+m.J[i*n+i])
		for k := i + 1; k < n; k++ {
			out = append(out, m.J[i*n+k]+m.J[k*n+i])
		}
	}
	return out
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// fitFull trains by full-batch steps until the parameters stop moving.
func fitFull(t *testing.T, m runtime.Reflective, how training.Method, opt runtime.SGD, data *dataset.Dataset, steps int) {
	t.Helper()
	tr, err := training.NewTrainer(m, how, training.Options{BatchSize: data.Rows, Optimizer: opt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Fit(context.Background(), tr, data, training.FitConfig{Epochs: steps, BatchSize: data.Rows}); err != nil {
		t.Fatal(err)
	}
}

// TestPseudoLikelihoodAndRatioMatchingConsistent trains a fully visible
// Boltzmann machine by pseudo-likelihood, generalized pseudo-likelihood
// (blocks of 2) and ratio matching on samples of
// a known one: all are consistent, so the error in the identifiable
// parameters shrinks as the data grow (about as 1/√N: 16 times the data,
// a quarter of the error; maximum likelihood's own error on these samples
// is 0.32 and 0.041).
func TestPseudoLikelihoodAndRatioMatchingConsistent(t *testing.T) {
	teacher := fvbm.NewFVBM(1)
	rng := runtime.NewRNG(2, 0)
	for i := range teacher.J {
		teacher.J[i] = 0.4 * rng.Normal()
	}
	want := fvbmEffective(teacher)
	if testing.Short() {
		t.Skip("fits at two data sizes per method: in the full suite")
	}
	for _, how := range []training.Method{training.PL{}, training.GPL{Block: 2}, training.Ratio{}} {
		method := how.Name()
		var errs []float64
		for _, n := range []int{1000, 16000} {
			data := modeltest.ExactSample(t, teacher.Reflect(), n, uint64(n))
			student := fvbm.ZeroFVBM()
			fitFull(t, student.Reflect(), how, runtime.SGD{LearningRate: 0.5, Momentum: 0.9}, data, 150)
			errs = append(errs, maxDiff(fvbmEffective(student), want))
		}
		t.Logf("%s: max parameter error %.4f with 1000 rows, %.4f with 16000", method, errs[0], errs[1])
		if errs[1] > 0.1 || errs[1] > 0.5*errs[0] {
			t.Errorf("%s is not recovering the parameters: error %.4f with 1000 rows, %.4f with 16000", method, errs[0], errs[1])
		}
	}
}

// TestScoreMatchingGaussianClosedForm: for a Gaussian p(v) ∝ exp(−½vᵀAv + bᵀv)
// score matching's minimizer is known in closed form (Hyvärinen 2005): the
// precision is the inverse of the sample covariance and the mean the sample
// mean, the maximum-likelihood estimates.
func TestScoreMatchingGaussianClosedForm(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 2000 rows; score matching's gradients are checked in TestObjectiveGradients")
	}
	const n, dim = 2000, 3
	rng := runtime.NewRNG(3, 0)
	mix := [dim][dim]float64{{1, 0, 0}, {0.5, 0.8, 0}, {-0.3, 0.4, 0.6}}
	mu := [dim]float64{0.5, -1, 2}
	data := &dataset.Dataset{Rows: n, Cols: dim, X: make([]float64, n*dim)}
	for r := range n {
		var z [dim]float64
		for i := range z {
			z[i] = rng.Normal()
		}
		for i := range dim {
			v := mu[i]
			for k := range dim {
				v += mix[i][k] * z[k]
			}
			data.X[r*dim+i] = v
		}
	}
	var mean [dim]float64
	for r := range n {
		for i := range dim {
			mean[i] += data.X[r*dim+i] / n
		}
	}
	var cov [dim][dim]float64
	for r := range n {
		for i := range dim {
			for k := range dim {
				cov[i][k] += (data.X[r*dim+i] - mean[i]) * (data.X[r*dim+k] - mean[k]) / n
			}
		}
	}
	prec := invert3(cov)
	for _, how := range []training.Method{training.Score{}} {
		method := how.Name()
		m := gauss.NewGauss(1)
		for i := range dim {
			m.A[i*dim+i] = 1
		}
		fitFull(t, m.Reflect(), how, runtime.SGD{LearningRate: 0.05, Momentum: 0.9}, data, 3000)
		var got [dim][dim]float64
		for i := range dim {
			for k := range dim {
				got[i][k] = (m.A[i*dim+k] + m.A[k*dim+i]) / 2
			}
		}
		gotMean := solve3(got, m.B)
		for i := range dim {
			if math.Abs(gotMean[i]-mean[i]) > 1e-4 {
				t.Errorf("%s: mean[%d] = %.6f, sample mean %.6f", method, i, gotMean[i], mean[i])
			}
			for k := range dim {
				if math.Abs(got[i][k]-prec[i][k]) > 1e-4 {
					t.Errorf("%s: precision[%d,%d] = %.6f, inverse sample covariance %.6f", method, i, k, got[i][k], prec[i][k])
				}
			}
		}
		t.Logf("%s: precision %v (closed form %v)", method, got, prec)
	}
}

func invert3(a [3][3]float64) [3][3]float64 {
	var inv [3][3]float64
	det := a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	for i := range 3 {
		for k := range 3 {
			r0, r1 := (k+1)%3, (k+2)%3
			c0, c1 := (i+1)%3, (i+2)%3
			inv[i][k] = (a[r0][c0]*a[r1][c1] - a[r0][c1]*a[r1][c0]) / det
		}
	}
	return inv
}

func solve3(a [3][3]float64, b []float64) []float64 {
	inv := invert3(a)
	out := make([]float64, 3)
	for i := range 3 {
		for k := range 3 {
			out[i] += inv[i][k] * b[k]
		}
	}
	return out
}

// TestNCELearnsLogZ trains a 6×3 RBM by noise-contrastive estimation on
// samples of another and compares the learned normalizer c with the exact
// log Z of the trained model.
func TestNCELearnsLogZ(t *testing.T) {
	teacher := rbm.NewRBM(1)
	modeltest.Perturb(teacher.Reflect(), 1, 2)
	data := modeltest.ExactSample(t, teacher.Reflect(), 4000, 3)
	student := rbm.NewRBM(4)
	m := student.Reflect()
	noise, err := estimators.BaseRate(m, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.NewTrainer(m, training.NCE{Noise: noise, Ratio: 10}, training.Options{BatchSize: 100, Seed: 5,
		Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5, Schedule: runtime.LinearDecay(60, 0.1)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Fit(context.Background(), tr, data, training.FitConfig{Epochs: 60, BatchSize: 100, Shuffle: true, Seed: 6}); err != nil {
		t.Fatal(err)
	}
	c, _ := tr.(*training.ObjectiveTrainer).LearnedLogZ()
	logZ, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := estimators.LogLikelihood(m, data, logZ)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NCE: learned log Z %.4f, exact %.4f; train log-likelihood %.4f", c, logZ, ll)
	if math.Abs(c-logZ) > 0.1 {
		t.Errorf("NCE's learned log Z %.4f is %.3f nats from the exact %.4f", c, c-logZ, logZ)
	}
}
