package runtime

import (
	"unsafe"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// Hold declares that the contents of the matrix b will not change until the
// next Release. Until then the products of the workspace whose operand is b
// (or a part of it) — op(B) of Gemm, A of Gemv and AddRows — keep the packed
// copy of b they make on first use and reuse it on every later call, instead
// of packing b again each time: with float32 products (SetFloat32) the copy
// is also narrowed, and Gemv and AddRows then read it in float32 too (the
// error bound of SetFloat32); Gemv with op(A) = A keeps Aᵀ, so that it adds
// the rows of Aᵀ that x selects, skipping its zeros, as AddRows does.
//
// Long runs over fixed parameters — many Gibbs sweeps, annealed importance
// sampling — hold their weight matrices (generated models do so in Sweeps
// and HoldParams). Writing to a held matrix before Release leaves the
// products reading the old values. Holding a nil Workspace does nothing; the
// copies are made in buffers kept from one hold to the next, so a warmed-up
// hold does not allocate, whichever of its kernels each Gemm takes (see
// warmHeldGemm).
func (w *Workspace) Hold(b []float64) {
	if w == nil || w.pool == nil || len(b) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(&b[0]))
	r := addrRange{lo, lo + uintptr(len(b))*8}
	for _, h := range w.hold.ranges {
		if h == r {
			return
		}
	}
	w.hold.ranges = append(w.hold.ranges, r)
}

// Release ends every Hold: products read their operands afresh.
func (w *Workspace) Release() {
	if w == nil || w.pool == nil {
		return
	}
	w.hold.ranges = w.hold.ranges[:0]
	w.hold.gen++
}

// Held reports whether b lies within a held matrix.
func (w *Workspace) Held(b []float64) bool {
	return w != nil && w.pool != nil && w.hold.covers(b, len(b))
}

// addrRange is the byte range [lo, hi) of a held matrix.
type addrRange struct{ lo, hi uintptr }

// holdState is the workspace's held matrices. gen counts the Releases:
// packed copies made under an older gen are stale. It is written by the
// workspace's goroutine between products and read by the threads during
// them.
type holdState struct {
	ranges []addrRange
	gen    uint64

	// gemms are the held products of Gemm whose other kernel has been run
	// (warmHeldGemm), c their scratch C; both are kept from one hold to the
	// next.
	gemms []heldGemm
	c     []float64
	zeros []float64 // op(A) of the sparse kernel's warm-up run
}

// heldGemm identifies a Gemm with a held op(B): its operand and every
// argument on which the division among threads, and so the threads'
// packed copies, depend.
type heldGemm struct {
	addr           uintptr
	transA, transB bool
	m, n, k, ldb   int
	gen            uint64
}

// warmHeldGemm makes a held Gemm allocation-free whichever kernel it takes.
// Gemm picks the dense or the sparse-row kernel on every call from the
// density of op(A), and each kernel keeps its own packed copy of a held B
// (and its own scratch), which its first call under the hold makes. So
// that a later switch of kernel — the unit states of a sweep crossing
// sparseMaxDensity — does not allocate in the middle of a held run, the
// first call of each held product under a hold also runs the kernel it did
// not pick (sparse reports which it picked), into a scratch C (the sparse
// kernel on a zero op(A), which costs only its packing): both copies
// are then packed, and every buffer either kernel needs is sized, before
// the run is warmed up.
func (w *Workspace) warmHeldGemm(lv int, sparse, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int) {
	h := &w.hold
	if !h.covers(b, bExtent(transB, k, n, ldb)) {
		return
	}
	key := heldGemm{uintptr(unsafe.Pointer(&b[0])), transA, transB, m, n, k, ldb, h.gen}
	free := -1
	for i, g := range h.gemms {
		if g == key {
			return
		}
		if free < 0 && g.gen != h.gen {
			free = i
		}
	}
	if free < 0 {
		h.gemms = append(h.gemms, key)
	} else {
		h.gemms[free] = key
	}
	if cap(h.c) < m*n {
		h.c = make([]float64, m*n)
	}
	if !sparse {
		// The sparse-row kernel's work is proportional to the nonzeros of
		// op(A), its packing and buffers are not: run on zeros, it packs
		// and sizes everything at the cost of the packing alone (a dense
		// op(A), means say, would cost more than the product itself).
		ext := aExtent(transA, m, k, lda)
		if cap(h.zeros) < ext {
			h.zeros = make([]float64, ext)
		}
		a = h.zeros[:ext]
	}
	w.gemmKernel(lv, !sparse, transA, transB, m, n, k, alpha, a, lda, b, ldb, 0, h.c[:m*n], n)
}

// aExtent is the number of elements of A that Gemm reads: op(A) is m×k.
func aExtent(transA bool, m, k, lda int) int {
	if transA {
		return (k-1)*lda + m
	}
	return (m-1)*lda + k
}

// covers reports whether the first n elements of b lie within a held matrix.
func (h *holdState) covers(b []float64, n int) bool {
	if h == nil || len(h.ranges) == 0 || n <= 0 || len(b) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(&b[0]))
	hi := lo + uintptr(n)*8
	for _, r := range h.ranges {
		if r.lo <= lo && hi <= r.hi {
			return true
		}
	}
	return false
}

// What a packed copy holds.
const (
	packSparseB = iota // op(B) of the sparse-row kernel
	packDenseB         // op(B) of the dense kernel
	packRows32         // the rows of A of AddRows, narrowed
	packGemvT          // Aᵀ of Gemv, narrowed
)

// packKey identifies the packed copy of one operand: where it starts, its
// shape and leading dimension, and how it was packed.
type packKey struct {
	addr             uintptr
	kind, lv         int
	trans, f32       bool
	rows, cols, ld   int
	depth, strip, nc int // blocking of Gemm's copies
}

// packCache is one thread's packed copy of a held operand.
type packCache struct {
	key packKey
	gen uint64
	f64 []float64
	f32 []float32
}

// cached returns this thread's packed copy of the operand b (of extent n
// elements) described by key, and whether it is already packed under the
// current hold; it returns nil when b is not held. A stale or unused entry
// is reused for a new key, so the number of entries stays that of the
// operands in use.
func (s *gemmScratch) cached(key packKey, b []float64, n int) (*packCache, bool) {
	if !s.hold.covers(b, n) {
		return nil, false
	}
	key.addr = uintptr(unsafe.Pointer(&b[0]))
	gen := s.hold.gen
	var free *packCache
	for i := range s.packs {
		pc := &s.packs[i]
		if pc.key == key {
			if pc.gen == gen {
				return pc, true
			}
			pc.gen = gen
			return pc, false
		}
		if free == nil && pc.gen != gen {
			free = pc
		}
	}
	if free == nil {
		s.packs = append(s.packs, packCache{})
		free = &s.packs[len(s.packs)-1]
	}
	free.key, free.gen = key, gen
	return free, false
}

// addRowsHeld computes y[0:n] += α·Σ_e vals[e]·A[idx[e], 0:n] as
// addRowsList, from the thread's float32 copy of A (m×n, leading dimension
// lda), which it makes when it is not yet packed: the rows are summed in
// float32, eight per pass, and added to y in float64.
func (s *gemmScratch) addRowsHeld(lv int, pc *packCache, packed bool, m, n int, y, a []float64, lda int, idx []int32, vals []float64, cnt int, alpha float64) {
	ld := (n + 15) &^ 15
	a32 := alignedFloat32s(&pc.f32, m*ld)
	if !packed {
		for i := range m {
			narrow(lv, a32[i*ld:i*ld+n], a[i*lda:i*lda+n])
		}
	}
	y32 := alignedFloat32s(&s.y32, ld)
	clear(y32)
	addRowsList32(lv, n, y32, a32, ld, idx, vals, cnt)
	y = y[:n]
	for j := range y {
		y[j] += alpha * float64(y32[j])
	}
}

// addRowsList32 computes y[0:n] += Σ_e vals[e]·A[idx[e], 0:n] in float32,
// eight rows per pass: kernels.Axpy8s (AVX-512) or kernels.Axpy8sx2 (AVX2)
// on the first n &^ 7 columns and Go on the rest.
func addRowsList32(lv, n int, y, a []float32, lda int, idx []int32, vals []float64, cnt int) {
	var offs [8]int64
	var coef [8]float32
	_ = y[n-1]
	n8 := n &^ 7
	for e := 0; e < cnt; e += 8 {
		g := min(8, cnt-e)
		for t := range 8 {
			if t < g {
				offs[t] = int64(idx[e+t]) * int64(lda) * 4
				_ = a[int(idx[e+t])*lda+n-1]
				coef[t] = float32(vals[e+t])
			} else {
				offs[t] = offs[0]
				coef[t] = 0
			}
		}
		switch lv {
		case kernels.LevelAVX512:
			kernels.Axpy8s(n, &y[0], &a[0], &offs[0], &coef[0])
		case kernels.LevelAVX2:
			if n8 > 0 {
				kernels.Axpy8sx2(n8, &y[0], &a[0], &offs[0], &coef[0])
			}
			for t := range 8 {
				r := a[offs[t]/4:]
				for j := n8; j < n; j++ {
					y[j] += coef[t] * r[j]
				}
			}
		}
	}
}

// gemvPart computes y = α·A·x + β·y for the m×n block a as the package
// function gemvRows does or, when A is held and the products run in float32,
// as y = α·Σ_{j: x[j]≠0} x[j]·Aᵀ[j,:] + β·y in float32 from the thread's
// narrowed copy of Aᵀ, skipping the zeros of x and reading each selected row
// of Aᵀ from end to end. (A float64 copy of Aᵀ does not pay: beside A, which
// AddRows reads, it no longer fits in the core's L2.)
func (s *gemmScratch) gemvPart(lv, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	if lv == kernels.LevelGo && n > 0 && alpha != 0 {
		s.gemvGo(m, n, alpha, a, lda, x, beta, y)
		return
	}
	if !s.f32 || !has32(lv) || n == 0 || alpha == 0 {
		gemvRows(lv, m, n, alpha, a, lda, x, beta, y)
		return
	}
	pc, packed := s.cached(packKey{kind: packGemvT, lv: lv, f32: true, rows: m, cols: n, ld: lda}, a, (m-1)*lda+n)
	if pc == nil {
		gemvRows(lv, m, n, alpha, a, lda, x, beta, y)
		return
	}
	idx := growInt32(&s.idx, n+16)
	vals := alignedFloats(&s.vals, n+16)
	cnt, _ := compressList(lv, n, x, 0, 1, 1, idx, vals)
	ld := (m + 15) &^ 15
	t32 := alignedFloat32s(&pc.f32, n*ld)
	if !packed {
		transposeInto(m, n, a, lda, t32, ld)
	}
	y32 := alignedFloat32s(&s.y32, ld)
	clear(y32)
	if cnt > 0 {
		addRowsList32(lv, m, y32, t32, ld, idx, vals, cnt)
	}
	y = y[:m]
	for i := range y {
		if beta == 0 {
			y[i] = alpha * float64(y32[i])
		} else {
			y[i] = alpha*float64(y32[i]) + beta*y[i]
		}
	}
}

// gemvGo is gemvPart at the Go level: when x is a 0/1 vector or at most
// sparseMaxDensity nonzero, its nonzeros are listed and each y[i] sums
// A[i, j] (times x[j]) over the listed j only, eight rows of A at a time
// (four with values); otherwise y takes dot products, as gemvRows.
func (s *gemmScratch) gemvGo(m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	idx := growInt32(&s.idx, n+16)
	vals := alignedFloats(&s.vals, n+16)
	cnt, nonunit := compressList(kernels.LevelGo, n, x, 0, 1, 1, idx, vals)
	if nonunit && float64(cnt) > sparseMaxDensity*float64(n) {
		gemvRows(kernels.LevelGo, m, n, alpha, a, lda, x, beta, y)
		return
	}
	idx, vals = idx[:cnt], vals[:cnt]
	y = y[:m]
	set := func(i int, s float64) {
		if beta == 0 {
			y[i] = alpha * s
		} else {
			y[i] = alpha*s + beta*y[i]
		}
	}
	i := 0
	if !nonunit {
		for ; i+8 <= m; i += 8 {
			s0, s1, s2, s3, s4, s5, s6, s7 := kernels.SumRowsList8(a[i*lda:], lda, idx)
			set(i, s0)
			set(i+1, s1)
			set(i+2, s2)
			set(i+3, s3)
			set(i+4, s4)
			set(i+5, s5)
			set(i+6, s6)
			set(i+7, s7)
		}
	}
	for ; i+4 <= m; i += 4 {
		s0, s1, s2, s3 := kernels.DotRowsList4(a[i*lda:], lda, idx, vals)
		set(i, s0)
		set(i+1, s1)
		set(i+2, s2)
		set(i+3, s3)
	}
	for ; i < m; i++ {
		row := a[i*lda : i*lda+n]
		sum := 0.0
		for e, j := range idx {
			sum += vals[e] * row[j]
		}
		set(i, sum)
	}
}

// transposeInto sets t[j·ldt + i] = float32(a[i·lda + j]) for i < m, j < n,
// in blocks of 32×32 so that both sides stay in cache.
func transposeInto(m, n int, a []float64, lda int, t []float32, ldt int) {
	const bs = 32
	for i0 := 0; i0 < m; i0 += bs {
		for j0 := 0; j0 < n; j0 += bs {
			for i := i0; i < min(i0+bs, m); i++ {
				row := a[i*lda : i*lda+n]
				for j := j0; j < min(j0+bs, n); j++ {
					t[j*ldt+i] = float32(row[j])
				}
			}
		}
	}
}
