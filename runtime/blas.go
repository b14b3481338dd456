package runtime

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// Gemm and Gemv, which generated code calls in its hot paths, use the
// runtime's own allocation-free kernels (dense.go). The other kernels, and
// GemmBLAS, forward to blas64.Implementation(): gonum's pure-Go BLAS unless
// the program has called blas64.Use with another implementation. Matrices
// are row-major with leading dimension lda ≥ columns. Dimension or length
// errors are programming errors and panic.

func transpose(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Gemm computes C = α·op(A)·op(B) + β·C where op(X) is X or Xᵀ, op(A) is
// m×k, op(B) is k×n and C is m×n, all row-major with leading dimensions
// lda, ldb and ldc. When β = 0, C need not be initialised.
//
// By default it runs the runtime's allocation-free kernel. A program that
// installs another BLAS with blas64.Use (a cgo OpenBLAS, say) gets that one
// instead, as gonum programs do; gonum's own pure-Go implementation is not
// used, because it allocates.
func Gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if impl := blas64.Implementation(); !isGonum(impl) {
		impl.Dgemm(transpose(transA), transpose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func isGonum(impl blas.Float64) bool {
	_, ok := impl.(gonum.Implementation)
	return ok
}

// GemmBLAS is Gemm through blas64.Implementation(), so that a program can
// use gonum's parallel Dgemm or a cgo BLAS installed with blas64.Use. It may
// allocate (gonum starts goroutines for large products).
func GemmBLAS(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	blas64.Implementation().Dgemm(transpose(transA), transpose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gemv computes y = α·op(A)·x + β·y where A is m×n (row-major, leading
// dimension lda) and op(A) is A (x has n elements, y has m) or Aᵀ (x has m
// elements, y has n).
func Gemv(trans bool, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	gemv(trans, m, n, alpha, a, lda, x, beta, y)
}

// Ger computes the rank-one update A += α·x·yᵀ, where A is m×n (row-major,
// leading dimension lda), x has m elements and y has n.
func Ger(m, n int, alpha float64, x, y []float64, a []float64, lda int) {
	blas64.Implementation().Dger(m, n, alpha, x, 1, y, 1, a, lda)
}

// Axpy computes y += α·x: generated fields add their biases with it. It
// runs the runtime's own kernel (AVX-512 where the CPU has it) unless the
// program has installed another BLAS with blas64.Use. It panics if
// len(x) != len(y).
func Axpy(alpha float64, x, y []float64) {
	if len(x) != len(y) {
		panic("runtime: Axpy: length mismatch")
	}
	if impl := blas64.Implementation(); !isGonum(impl) {
		impl.Daxpy(len(x), alpha, x, 1, y, 1)
		return
	}
	axpy(alpha, x, y)
}

// Dot returns xᵀy = Σᵢ xᵢyᵢ. It panics if len(x) != len(y).
func Dot(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("runtime: Dot: length mismatch")
	}
	return blas64.Implementation().Ddot(len(x), x, 1, y, 1)
}

// AddActiveRows computes y[j] += Σ_{i : x[i] ≠ 0} A[i·lda + j] for j < n,
// where A is m×n row-major: it adds the rows of the active units. For a
// binary x ∈ {0,1}ᵐ this equals y += Aᵀx (Gemv with trans = true, α = β = 1)
// but costs only additions, proportional to the number of active units.
// Any nonzero x[i] counts as 1. It panics if x has fewer than m elements, y
// fewer than n, or a is too short.
func AddActiveRows(y []float64, x []float64, a []float64, m, n, lda int) {
	if m == 0 || n == 0 {
		return
	}
	if lda < n {
		panic("runtime: AddActiveRows: lda < n")
	}
	x = x[:m]
	y = y[:n]
	_ = a[(m-1)*lda+n-1]
	for i, xi := range x {
		if xi != 0 {
			addTo(y, a[i*lda:i*lda+n])
		}
	}
}

// addTo sets y[j] += v[j] for j < len(y); len(v) ≥ len(y).
func addTo(y, v []float64) {
	v = v[:len(y)]
	j := 0
	for ; j+4 <= len(y); j += 4 { // unrolled: ~15% faster than a range loop
		y[j] += v[j]
		y[j+1] += v[j+1]
		y[j+2] += v[j+2]
		y[j+3] += v[j+3]
	}
	for ; j < len(y); j++ {
		y[j] += v[j]
	}
}
