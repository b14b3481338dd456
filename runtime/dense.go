package runtime

// Allocation-free dense kernels. They are plain Go, cache-blocked, and skip
// zero entries of the left operand, which makes products with binary unit
// states (mostly zeros) cheap. They never start goroutines.

// blockRows bounds the rows of B kept hot in cache while the rows of A stream past.
const blockRows = 64

// gemm computes C = α·op(A)·op(B) + β·C (row-major), see Gemm.
func gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for r := 0; r < m; r++ {
		row := c[r*ldc : r*ldc+n]
		switch beta {
		case 1:
		case 0:
			clear(row)
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if alpha == 0 || k == 0 || m == 0 || n == 0 {
		return
	}
	at := func(r, p int) float64 {
		if transA {
			return a[p*lda+r]
		}
		return a[r*lda+p]
	}
	if !transB {
		// C[r,:] += α·Σ_p A[r,p]·B[p,:]: rows of B, a block at a time.
		for p0 := 0; p0 < k; p0 += blockRows {
			p1 := min(k, p0+blockRows)
			for r := 0; r < m; r++ {
				crow := c[r*ldc : r*ldc+n]
				for p := p0; p < p1; p++ {
					if av := at(r, p); av != 0 {
						axpy(alpha*av, b[p*ldb:p*ldb+n], crow)
					}
				}
			}
		}
		return
	}
	// C[r,j] += α·Σ_p A[r,p]·B[j,p]: dot products with rows of B, a block of them at a time.
	var arow []float64
	if transA {
		arow = nil
	}
	for j0 := 0; j0 < n; j0 += blockRows {
		j1 := min(n, j0+blockRows)
		for r := 0; r < m; r++ {
			if !transA {
				arow = a[r*lda : r*lda+k]
			}
			crow := c[r*ldc : r*ldc+n]
			for j := j0; j < j1; j++ {
				brow := b[j*ldb : j*ldb+k]
				if transA {
					s := 0.0
					for p := range brow {
						s += a[p*lda+r] * brow[p]
					}
					crow[j] += alpha * s
					continue
				}
				crow[j] += alpha * dot(arow, brow)
			}
		}
	}
}

// axpy computes y += α·x with len(y) ≥ len(x).
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
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

// dot returns Σ x[i]·y[i] with len(y) ≥ len(x).
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// AddRows computes y[j] += α·Σ_{i : x[i] ≠ 0} x[i]·A[i·lda + j] for j < n,
// where A is m×n row-major: y += α·Aᵀx, skipping the zeros of x. Unlike
// AddActiveRows it multiplies, so x may hold means as well as binary states.
func AddRows(y, x, a []float64, m, n, lda int, alpha float64) {
	for i, xi := range x[:m] {
		if xi != 0 {
			axpy(alpha*xi, a[i*lda:i*lda+n], y[:n])
		}
	}
}

// gemv computes y = α·op(A)·x + β·y, see Gemv.
func gemv(trans bool, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	ylen := m
	if trans {
		ylen = n
	}
	y = y[:ylen]
	switch beta {
	case 1:
	case 0:
		clear(y)
	default:
		for i := range y {
			y[i] *= beta
		}
	}
	if trans {
		AddRows(y, x, a, m, n, lda, alpha)
		return
	}
	for i := range y {
		y[i] += alpha * dot(a[i*lda:i*lda+n], x)
	}
}
