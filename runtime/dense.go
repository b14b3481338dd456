package runtime

import "github.com/ebmc/ebmc/runtime/internal/kernels"

// Allocation-free dense kernels of the package-level Gemm, Gemv and AddRows
// (the nil-Workspace path). They run on the caller's goroutine without
// packing: rows of op(B) are combined eight at a time with vectorised
// multiply-adds (AVX-512 or AVX2 when the CPU has them, gemm.go), skipping
// the zero entries of the left operand, which makes products with binary
// unit states (mostly zeros) cheap. See Workspace for the packed,
// multi-threaded versions.

// blockRows bounds the rows of B kept hot in cache while the rows of A stream past.
const blockRows = 64

// gemm computes C = α·op(A)·op(B) + β·C (row-major), see Gemm.
func gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	gemmUnpacked(kernels.Level, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmUnpacked is gemm for m, n ≥ 1 on checked arguments, with the kernels
// of level lv.
func gemmUnpacked(lv int, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	scaleRows(m, n, beta, c, ldc)
	if alpha == 0 || k == 0 {
		return
	}
	if !transB {
		// C[r,:] += α·Σ_p op(A)[r,p]·B[p,:] over the nonzero op(A)[r,p]:
		// rows of B, a block at a time.
		var idx [blockRows + 8]int32
		var vals [blockRows + 8]float64
		for p0 := 0; p0 < k; p0 += blockRows {
			kb := min(k, p0+blockRows) - p0
			for r := range m {
				var cnt int
				if transA {
					cnt, _ = compressList(lv, kb, a, p0*lda+r, lda, 1, idx[:], vals[:])
				} else {
					cnt, _ = compressList(lv, kb, a, r*lda+p0, 1, 1, idx[:], vals[:])
				}
				if cnt > 0 {
					addRowsList(lv, n, c[r*ldc:], b[p0*ldb:], ldb, idx[:], vals[:], cnt, alpha)
				}
			}
		}
		return
	}
	// C[r,j] += α·Σ_p op(A)[r,p]·B[j,p]: dot products with rows of B, a
	// block of them at a time.
	var out [4]float64
	for j0 := 0; j0 < n; j0 += blockRows {
		j1 := min(n, j0+blockRows)
		for r := range m {
			crow := c[r*ldc : r*ldc+n]
			if transA {
				for j := j0; j < j1; j++ {
					brow := b[j*ldb : j*ldb+k]
					s := 0.0
					for p := range brow {
						s += a[p*lda+r] * brow[p]
					}
					crow[j] += alpha * s
				}
				continue
			}
			arow := a[r*lda : r*lda+k]
			j := j0
			for ; j+4 <= j1; j += 4 {
				kernels.DotRows4(lv, k, b[j*ldb:], ldb, arow, &out)
				crow[j] += alpha * out[0]
				crow[j+1] += alpha * out[1]
				crow[j+2] += alpha * out[2]
				crow[j+3] += alpha * out[3]
			}
			for ; j < j1; j++ {
				crow[j] += alpha * kernels.Dot(arow, b[j*ldb:j*ldb+k])
			}
		}
	}
}

// axpy computes y += α·x with len(y) ≥ len(x), with fused multiply-adds
// eight lanes wide where the CPU has AVX-512.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	if kernels.Level == kernels.LevelAVX512 && len(x) > 0 {
		kernels.AxpyUnitary(len(x), alpha, &x[0], &y[0])
		return
	}
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// AddRowDots adds α·(a_c·x) to y[c] for every c < len(y), where a_c is the
// first len(x) values of row c of the row-major matrix a with leading
// dimension lda ≥ len(x): y += α·A·x with A of len(y) rows. The dot products
// are taken by the vector kernels, four rows per pass. It panics if a is too
// short.
func AddRowDots(y []float64, alpha float64, a []float64, lda int, x []float64) {
	n := len(x)
	c := 0
	var out [4]float64
	for ; c+4 <= len(y); c += 4 {
		kernels.DotRows4(kernels.Level, n, a[c*lda:], lda, x, &out)
		for q, s := range out {
			y[c+q] += alpha * s
		}
	}
	for ; c < len(y); c++ {
		y[c] += alpha * kernels.Dot(x, a[c*lda:c*lda+n])
	}
}

// AddRows computes y[j] += α·Σ_{i : x[i] ≠ 0} x[i]·A[i·lda + j] for j < n,
// where A is m×n row-major: y += α·Aᵀx, skipping the zeros of x. Unlike
// AddActiveRows it multiplies, so x may hold means as well as binary states.
// It panics if x has fewer than m elements, y fewer than n, or a is too
// short. (*Workspace).AddRows is the multi-threaded version.
func AddRows(y, x, a []float64, m, n, lda int, alpha float64) {
	checkAddRows(y, x, a, m, n, lda)
	if m == 0 || n == 0 || alpha == 0 {
		return
	}
	addRowsChunked(kernels.Level, m, n, y, x, a, lda, alpha)
}

// gemv computes y = α·op(A)·x + β·y, see Gemv.
func gemv(trans bool, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	checkGemv(trans, m, n, a, lda, x, y)
	if !trans {
		gemvRows(kernels.Level, m, n, alpha, a, lda, x, beta, y[:m])
		return
	}
	y = y[:n]
	scaleRows(1, n, beta, y, n)
	if alpha != 0 && m > 0 && n > 0 {
		addRowsChunked(kernels.Level, m, n, y, x, a, lda, alpha)
	}
}
