package runtime

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// recordingBLAS counts the Dgemm calls that reach it.
type recordingBLAS struct {
	gonum.Implementation
	calls int
}

func (r *recordingBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	r.calls++
	r.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// A BLAS installed with blas64.Use takes over Gemm, as in gonum programs.
func TestGemmHonoursBlas64Use(t *testing.T) {
	rec := &recordingBLAS{}
	blas64.Use(rec)
	defer blas64.Use(gonum.Implementation{})
	c := make([]float64, 4)
	Gemm(false, false, 2, 2, 2, 1, []float64{1, 2, 3, 4}, 2, []float64{1, 0, 0, 1}, 2, 0, c, 2)
	if rec.calls != 1 || c[0] != 1 || c[3] != 4 {
		t.Fatalf("calls %d, C = %v", rec.calls, c)
	}
}

func TestEnumerateLogSum(t *testing.T) {
	for _, n := range []int{1, 7, 256, 1000, 4097} {
		got := EnumerateLogSum(n, 64, func() func(int, int, []float64) {
			return func(k0, count int, out []float64) {
				for i := range out {
					out[i] = float64(k0+i) * 0.01
				}
			}
		})
		want := math.Inf(-1)
		for k := 0; k < n; k++ {
			want = LogAddExp(want, float64(k)*0.01)
		}
		if math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("n=%d: %.12g, want %.12g", n, got, want)
		}
	}
}
