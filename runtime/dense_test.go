package runtime

import (
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
