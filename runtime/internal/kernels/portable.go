package kernels

// The portable level's GEMM kernels, in Go, for every architecture: the
// dense micro-kernel over packed panels (GemmGo) and the sparse-row kernel
// (GatherGo), with the contracts of Gemm4x12 and Gather32x2 except that
// the columns in use are a count, not masks. Without vector instructions
// their gain over row updates (y += c·row, a load and a store of y per
// multiply-add) is keeping a tile of C in registers for the whole depth:
// each value of C is loaded and stored once per call.

// GemmMR and GemmNR are the shape of GemmGo's tile and packed panels: A in
// groups of GemmMR rows, B in strips of GemmNR columns. Six accumulators,
// the two values of A and the products fit the 15 vector registers Go
// leaves free on amd64 (a 2×4 tile spills an accumulator there, which then
// waits on a store and a reload every step).
const GemmMR, GemmNR = 2, 3

// GemmGo sets C[i, j] = α·Σ_{p<k} a[2p+i]·b[3p+j] + β·C[i, j] for i < rows
// ≤ 2 and j < cols ≤ 3, with C row-major (leading dimension ldc) and not
// read when β = 0: a is a packed 2×k panel of op(A) (column p at a[2p:]),
// b a packed k×3 strip of op(B) (row p at b[3p:]). The sums run in order
// of p in six accumulators, then C = α·acc + β·C.
func GemmGo(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
	c00, c01, c02, c10, c11, c12 := tile2x3(a[:2*k], b[:3*k])
	storeRow4(c, cols, alpha, beta, c00, c01, c02, 0)
	if rows > 1 {
		storeRow4(c[ldc:], cols, alpha, beta, c10, c11, c12, 0)
	}
}

// tile2x3 returns c_ij = Σ_p a[2p+i]·b[3p+j] for i < 2, j < 3, in order of p.
func tile2x3(a, b []float64) (c00, c01, c02, c10, c11, c12 float64) {
	for p, q := 0, 0; p+2 <= len(a) && q+3 <= len(b); p, q = p+2, q+3 {
		x := a[p : p+2 : p+2]
		y := b[q : q+3 : q+3]
		a0, a1 := x[0], x[1]
		b0 := y[0]
		c00 += a0 * b0
		c10 += a1 * b0
		b1 := y[1]
		c01 += a0 * b1
		c11 += a1 * b1
		b2 := y[2]
		c02 += a0 * b2
		c12 += a1 * b2
	}
	return
}

// storeRow4 sets c[j] = α·s_j + β·c[j] for j < cols ≤ 4 (c not read when β = 0).
func storeRow4(c []float64, cols int, alpha, beta float64, s0, s1, s2, s3 float64) {
	s := [4]float64{s0, s1, s2, s3}
	c = c[:cols]
	for j := range c {
		if beta == 0 {
			c[j] = alpha * s[j]
		} else {
			c[j] = alpha*s[j] + beta*c[j]
		}
	}
}

// storeRow8 sets c[j] = α·s_j + β·c[j] for j < 8 (c not read when β = 0).
func storeRow8(c []float64, alpha, beta float64, s0, s1, s2, s3, s4, s5, s6, s7 float64) {
	c = c[:8:8]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		c[4], c[5], c[6], c[7] = alpha*s4, alpha*s5, alpha*s6, alpha*s7
		return
	}
	c[0], c[1], c[2], c[3] = alpha*s0+beta*c[0], alpha*s1+beta*c[1], alpha*s2+beta*c[2], alpha*s3+beta*c[3]
	c[4], c[5], c[6], c[7] = alpha*s4+beta*c[4], alpha*s5+beta*c[5], alpha*s6+beta*c[6], alpha*s7+beta*c[7]
}

// GatherGo is the sparse-row kernel: for each row r < m it sets
//
//	C[r, j] = α·Σ_e vals[e]·b[idx[e] + j] + β·C[r, j],  j < cols,
//
// over the entries e from start[r] to start[r+1] (idx[e] the offset, in
// elements, of a row of the packed strip b), summed in the order listed;
// with unit the values are 1 and not read. C is row-major (leading
// dimension ldc) and not read when β = 0. The strip is taken eight columns
// at a time (four with values), held in registers over the row's whole
// list; b must have eight readable values from each listed offset plus
// every multiple of 8 below cols (a packed strip of a multiple of 8
// columns, zero past cols, does).
func GatherGo(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
	for r := range m {
		e0, e1 := start[r], start[r+1]
		list := idx[e0:e1]
		cr := c[r*ldc:]
		if unit {
			for j0 := 0; j0 < cols; j0 += 8 {
				s0, s1, s2, s3, s4, s5, s6, s7 := sumRows8(list, b[j0:])
				if n := cols - j0; n >= 8 {
					storeRow8(cr[j0:j0+8:j0+8], alpha, beta, s0, s1, s2, s3, s4, s5, s6, s7)
				} else {
					storeRow4(cr[j0:], min(4, n), alpha, beta, s0, s1, s2, s3)
					if n > 4 {
						storeRow4(cr[j0+4:], n-4, alpha, beta, s4, s5, s6, s7)
					}
				}
			}
			continue
		}
		v := vals[e0:e1]
		for j0 := 0; j0 < cols; j0 += 4 {
			s0, s1, s2, s3 := sumScaledRows4(list, v, b[j0:])
			storeRow4(cr[j0:], min(4, cols-j0), alpha, beta, s0, s1, s2, s3)
		}
	}
}

// sumRows8 returns s_j = Σ_e b[list[e] + j] for j < 8, in order of e (two
// entries a step).
func sumRows8(list []int32, b []float64) (s0, s1, s2, s3, s4, s5, s6, s7 float64) {
	e := 0
	for ; e+2 <= len(list); e += 2 {
		l := list[e : e+2 : e+2]
		q, r := int(l[0]), int(l[1])
		x := b[q : q+8 : q+8]
		y := b[r : r+8 : r+8]
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		s4 += x[4]
		s5 += x[5]
		s6 += x[6]
		s7 += x[7]
		s0 += y[0]
		s1 += y[1]
		s2 += y[2]
		s3 += y[3]
		s4 += y[4]
		s5 += y[5]
		s6 += y[6]
		s7 += y[7]
	}
	if e < len(list) {
		q := int(list[e])
		x := b[q : q+8 : q+8]
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		s4 += x[4]
		s5 += x[5]
		s6 += x[6]
		s7 += x[7]
	}
	return
}

// sumScaledRows4 returns s_j = Σ_e vals[e]·b[list[e] + j] for j < 4, in
// order of e.
func sumScaledRows4(list []int32, vals, b []float64) (s0, s1, s2, s3 float64) {
	vals = vals[:len(list)]
	for e, o := range list {
		q := int(o)
		x := b[q : q+4 : q+4]
		v := vals[e]
		s0 += v * x[0]
		s1 += v * x[1]
		s2 += v * x[2]
		s3 += v * x[3]
	}
	return
}

// SumRowsList8 returns s_t = Σ_e a[t·lda + idx[e]] for t < 8, in order of
// e: eight rows of a, each summed over the listed columns (the product of
// the rows with a 0/1 vector whose ones idx lists), eight accumulators in
// registers.
func SumRowsList8(a []float64, lda int, idx []int32) (s0, s1, s2, s3, s4, s5, s6, s7 float64) {
	if len(idx) == 0 {
		return
	}
	n := int(idx[len(idx)-1]) + 1 // idx ascending
	r0, r1, r2, r3 := a[:n], a[lda:lda+n], a[2*lda:2*lda+n], a[3*lda:3*lda+n]
	r4, r5, r6, r7 := a[4*lda:4*lda+n], a[5*lda:5*lda+n], a[6*lda:6*lda+n], a[7*lda:7*lda+n]
	for _, o := range idx {
		j := int(o)
		s0 += r0[j]
		s1 += r1[j]
		s2 += r2[j]
		s3 += r3[j]
		s4 += r4[j]
		s5 += r5[j]
		s6 += r6[j]
		s7 += r7[j]
	}
	return
}

// DotRowsList4 returns s_t = Σ_e vals[e]·a[t·lda + idx[e]] for t < 4, in
// order of e: four rows of a times a vector whose nonzeros are listed
// (values vals, ascending columns idx).
func DotRowsList4(a []float64, lda int, idx []int32, vals []float64) (s0, s1, s2, s3 float64) {
	if len(idx) == 0 {
		return
	}
	vals = vals[:len(idx)]
	n := int(idx[len(idx)-1]) + 1
	r0, r1, r2, r3 := a[:n], a[lda:lda+n], a[2*lda:2*lda+n], a[3*lda:3*lda+n]
	for e, o := range idx {
		j, v := int(o), vals[e]
		s0 += v * r0[j]
		s1 += v * r1[j]
		s2 += v * r2[j]
		s3 += v * r3[j]
	}
	return
}
