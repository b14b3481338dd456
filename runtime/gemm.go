package runtime

import (
	"unsafe"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// kernelShape describes the blocking of a level's GEMM kernels: the dense
// micro-tile is mr×nr over a packed depth of at most kc, rows of A are
// blocked by mc and columns of B by nc; the sparse-row kernel works on
// strips of gw columns over a packed depth of at most gkc. In float32
// (shapes32), a sparse strip of at most tail64 columns stays float64.
type kernelShape struct {
	mr, nr, kc, mc, nc int
	gw, gkc            int
	tail64             int
}

// shapes holds the blocking of each level, tuned on a Xeon (Emerald Rapids,
// 48 KB L1d, 2 MB L2): the dense B micro-panel (kc×nr) and the sparse strip
// (gkc×gw) fit in L1. The Go level packs as the others do, for its Go
// kernels (kernels.GemmGo's 2×3 tiles, kernels.GatherGo). NEON runs the kernels of the AVX2 level (the
// same contracts: 4×12 dense tiles, 32-column sparse strips) with its
// blocking, not tuned: no arm64 machine was at hand.
var shapes = [...]kernelShape{
	kernels.LevelGo:     {mr: kernels.GemmMR, nr: kernels.GemmNR, kc: 256, mc: 96, nc: 2048, gw: 8, gkc: 512},
	kernels.LevelAVX2:   {mr: 4, nr: 12, kc: 256, mc: 96, nc: 3072, gw: 32, gkc: 96},
	kernels.LevelAVX512: {mr: 8, nr: 24, kc: 256, mc: 120, nc: 3072, gw: 64, gkc: 64},
	kernels.LevelNEON:   {mr: 4, nr: 12, kc: 256, mc: 96, nc: 3072, gw: 32, gkc: 96},
}

func shapeOf(lv int) kernelShape { return shapes[lv] }

// shapes32 holds the blocking of the float32 products (Workspace.SetFloat32)
// of the levels that have float32 kernels, zero for the others. AVX-512:
// 8×32 dense tiles (Gemm8x32s), 64-column sparse strips (Gather64s), the
// last strip of a matrix kept float64 when it has at most 32 columns (it
// runs Gather32). AVX2, tuned on an AMD EPYC (Zen 3, 32 KB L1d, 512 KB
// L2): 4×24 dense tiles (Gemm4x24s: a 24-column B micro-panel of depth 256
// is 24 KB), 64-column sparse strips (Gather64sx2, masked to any width,
// so no strip stays float64) of depth 96 (24 KB).
var shapes32 = [...]kernelShape{
	kernels.LevelGo:     {},
	kernels.LevelAVX2:   {mr: 4, nr: 24, kc: 256, mc: 96, nc: 3072, gw: 64, gkc: 96},
	kernels.LevelAVX512: {mr: 8, nr: 32, kc: 256, mc: 120, nc: 3072, gw: 64, gkc: 64, tail64: 32},
	kernels.LevelNEON:   {},
}

// has32 reports whether level lv has float32 kernels.
func has32(lv int) bool { return shapes32[lv].mr != 0 }

// shapeFor returns the blocking of level lv's products, those of its
// float32 kernels with f32.
func shapeFor(lv int, f32 bool) kernelShape {
	if f32 && has32(lv) {
		return shapes32[lv]
	}
	return shapes[lv]
}

// alignedFloats returns a 64-byte aligned slice of n float64 backed by *buf,
// growing *buf only when it is too small.
func alignedFloats(buf *[]float64, n int) []float64 {
	if cap(*buf) < n+8 {
		*buf = make([]float64, n+8)
	}
	s := (*buf)[:cap(*buf)]
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 8
	if off != 0 {
		off = 8 - off
	}
	return s[off : off+n]
}

// alignedFloat32s is alignedFloats for float32.
func alignedFloat32s(buf *[]float32, n int) []float32 {
	if cap(*buf) < n+16 {
		*buf = make([]float32, n+16)
	}
	s := (*buf)[:cap(*buf)]
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n]
}

// narrow sets dst[i] = float32(src[i]), rounding to nearest (len(dst) ≥ len(src)).
func narrow(lv int, dst []float32, src []float64) {
	n := 0
	switch {
	case lv == kernels.LevelAVX512 && len(src) >= 16:
		n = len(src) / 16 * 16
		_ = dst[n-1]
		kernels.Narrow16(n/16, &src[0], &dst[0])
	case lv == kernels.LevelAVX2 && len(src) >= 4:
		n = len(src) / 4 * 4
		_ = dst[n-1]
		kernels.Narrow4x2(n/4, &src[0], &dst[0])
	}
	for i := n; i < len(src); i++ {
		dst[i] = float32(src[i])
	}
}

func growFloat32(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

func growInt32(buf *[]int32, n int) []int32 {
	if cap(*buf) < n {
		*buf = make([]int32, n)
	}
	return (*buf)[:n]
}

// gemmScratch is the packing memory of one thread.
type gemmScratch struct {
	apack, bpack []float64
	vals         []float64
	idx, start   []int32

	// f32: the products read their operands rounded to float32 and sum in
	// float32 (Workspace.SetFloat32), packed into these buffers.
	f32                     bool
	apack32, bpack32, val32 []float32

	// hold is the workspace's held matrices (Workspace.Hold) and packs
	// this thread's packed copies of them; y32 holds the sums of the
	// float32 Gemv and AddRows that read those copies.
	hold  *holdState
	packs []packCache
	y32   []float32

	// rl is the list of nonzeros of the thread's rows of a sparse op(A);
	// shared, when set, are the lists of every thread, which a product
	// whose threads split the columns of C reads instead of listing all of
	// op(A) on each thread; own is the single list otherwise.
	rl     rowLists
	shared []*rowLists
	own    [1]*rowLists
	// used marks the rows of a depth block of op(B) that the listed
	// nonzeros select: the only rows gemmSparse packs.
	used []bool
}

// lanesMask16 returns the AVX-512 lane masks of the 8-lane vectors
// v0, v0+1, … of a row of cols columns.
func lanesMask16(m []uint16, cols, v0 int) {
	for v := range m {
		l := min(8, max(0, cols-8*(v0+v)))
		m[v] = uint16(1)<<l - 1
	}
}

// lanesMask64 fills 4-lane AVX2 mask vectors (−1 for lanes in use) for a row
// of cols columns.
func lanesMask64(m []int64, cols int) {
	for i := range m {
		if i < cols {
			m[i] = -1
		} else {
			m[i] = 0
		}
	}
}

// gemmSerial computes C = α·op(A)·op(B) + β·C on one thread, for m, n, k ≥ 1
// and α ≠ 0, with a, b and c starting at the block's first element. With
// sparse it uses the sparse-row kernel, which skips the zeros of op(A);
// otherwise the packed register-blocked kernel.
func (s *gemmScratch) gemmSerial(lv int, sparse, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if sparse {
		s.gemmSparse(lv, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if s.f32 && has32(lv) {
		s.gemmDense32(lv, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sh := shapeOf(lv)
	mr, nr := sh.mr, sh.nr
	var m16 [3]uint16
	var m64 [12]int64
	// A held B is packed once, block after block, into the thread's copy.
	pc, packed := s.cached(packKey{kind: packDenseB, lv: lv, trans: transB, rows: k, cols: n, ld: ldb, depth: sh.kc, strip: nr, nc: sh.nc}, b, bExtent(transB, k, n, ldb))
	var whole []float64
	if pc != nil {
		whole = alignedFloats(&pc.f64, (n+nr-1)/nr*nr*k)
	}
	off := 0
	for j0 := 0; j0 < n; j0 += sh.nc {
		nb := min(sh.nc, n-j0)
		nstrips := (nb + nr - 1) / nr
		for p0 := 0; p0 < k; p0 += sh.kc {
			kb := min(sh.kc, k-p0)
			be := beta
			if p0 > 0 {
				be = 1
			}
			var bp []float64
			if pc != nil {
				bp = whole[off : off+nstrips*kb*nr]
			} else {
				bp = alignedFloats(&s.bpack, nstrips*kb*nr)
			}
			off += nstrips * kb * nr
			for js := range nstrips {
				if !packed {
					packB(lv, transB, b, ldb, p0, kb, j0+js*nr, min(nr, nb-js*nr), nr, nr, bp[js*kb*nr:(js+1)*kb*nr])
				}
			}
			for i0 := 0; i0 < m; i0 += sh.mc {
				mb := min(sh.mc, m-i0)
				npan := (mb + mr - 1) / mr
				ap := alignedFloats(&s.apack, npan*kb*mr)
				for ip := range npan {
					packA(lv, transA, a, lda, i0+ip*mr, min(mr, mb-ip*mr), p0, kb, mr, ap[ip*kb*mr:(ip+1)*kb*mr])
				}
				for js := range nstrips {
					cols := min(nr, nb-js*nr)
					if lv == kernels.LevelAVX512 {
						lanesMask16(m16[:], cols, 0)
					} else {
						lanesMask64(m64[:], cols)
					}
					bs := bp[js*kb*nr:]
					for ip := range npan {
						rows := min(mr, mb-ip*mr)
						ci := (i0+ip*mr)*ldc + j0 + js*nr
						as := ap[ip*kb*mr:]
						switch lv {
						case kernels.LevelGo:
							kernels.GemmGo(kb, as, bs, c[ci:], ldc, alpha, be, rows, cols)
						case kernels.LevelAVX512:
							kernels.Gemm8x24(kb, &as[0], &bs[0], &c[ci], ldc, alpha, be, rows, &m16[0])
						default:
							kernels.Gemm4x12(kb, &as[0], &bs[0], &c[ci], ldc, alpha, be, rows, &m64[0])
						}
					}
				}
			}
		}
	}
}

// gemmDense32 is the packed dense product of gemmSerial with the panels
// packed as float32 and the float32 kernels of level lv (shapes32):
// kernels.Gemm8x32s (AVX-512) or kernels.Gemm4x24s (AVX2), sums in
// float32, α and β applied in float64. Each strip of op(B) is packed when
// the first block of rows of A first needs it, while it is still in L1.
func (s *gemmScratch) gemmDense32(lv int, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	sh := shapes32[lv]
	mr, nr := sh.mr, sh.nr
	kc, mc := sh.kc, sh.mc
	var m16 [4]uint16
	var m64 [24]int64
	pc, packed := s.cached(packKey{kind: packDenseB, lv: lv, trans: transB, f32: true, rows: k, cols: n, ld: ldb, depth: kc, strip: nr, nc: sh.nc}, b, bExtent(transB, k, n, ldb))
	var whole []float32
	if pc != nil {
		whole = alignedFloat32s(&pc.f32, (n+nr-1)/nr*nr*k)
	}
	off := 0
	for j0 := 0; j0 < n; j0 += sh.nc {
		nb := min(sh.nc, n-j0)
		nstrips := (nb + nr - 1) / nr
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			be := beta
			if p0 > 0 {
				be = 1
			}
			var bp32 []float32
			if pc != nil {
				bp32 = whole[off : off+nstrips*kb*nr]
			} else {
				bp32 = alignedFloat32s(&s.bpack32, nstrips*kb*nr)
			}
			off += nstrips * kb * nr
			for i0 := 0; i0 < m; i0 += mc {
				mb := min(mc, m-i0)
				npan := (mb + mr - 1) / mr
				ap32 := alignedFloat32s(&s.apack32, npan*kb*mr)
				for ip := range npan {
					s.packA32(lv, transA, a, lda, i0+ip*mr, min(mr, mb-ip*mr), p0, kb, mr, ap32[ip*kb*mr:(ip+1)*kb*mr])
				}
				for js := range nstrips {
					cols := min(nr, nb-js*nr)
					bs := bp32[js*kb*nr : (js+1)*kb*nr]
					if i0 == 0 && !packed {
						s.packB32(lv, transB, b, ldb, p0, kb, j0+js*nr, cols, nr, bs)
					}
					if lv == kernels.LevelAVX512 {
						lanesMask16(m16[:], cols, 0)
					} else {
						lanesMask64(m64[:nr], cols)
					}
					for ip := range npan {
						rows := min(mr, mb-ip*mr)
						ci := (i0+ip*mr)*ldc + j0 + js*nr
						switch lv {
						case kernels.LevelAVX512:
							kernels.Gemm8x32s(kb, &ap32[ip*kb*mr], &bs[0], &c[ci], ldc, alpha, be, rows, &m16[0])
						case kernels.LevelAVX2:
							kernels.Gemm4x24s(kb, &ap32[ip*kb*mr], &bs[0], &c[ci], ldc, alpha, be, rows, &m64[0])
						}
					}
				}
			}
		}
	}
}

// packA32 is packA into float32: dst holds op(A)[i0+i, p0+p] rounded to
// float32 at p·mr + i (zero for i ≥ rows). AVX2 packs straight from A
// (kernels.PackT4x4s, kernels.NarrowRows4), the other levels pack in
// float64 and narrow.
func (s *gemmScratch) packA32(lv int, transA bool, a []float64, lda, i0, rows, p0, kb, mr int, dst []float32) {
	dst = dst[:kb*mr]
	if lv != kernels.LevelAVX2 || mr != 4 || rows != 4 {
		ap := alignedFloats(&s.apack, kb*mr)
		packA(lv, transA, a, lda, i0, rows, p0, kb, mr, ap)
		narrow(lv, dst, ap)
		return
	}
	if transA {
		// op(A)[i, p] = a[p·lda + i]: runs of 4 values, lda apart.
		_ = a[(p0+kb-1)*lda+i0+3]
		kernels.NarrowRows4(kb, 1, &a[p0*lda+i0], lda, &dst[0], mr)
		return
	}
	packTrans4s(kb, a[i0*lda+p0:], lda, dst, mr)
}

// packB32 is packB into float32 for one strip of w columns (columns past
// cols zero): AVX2 packs straight from B (kernels.NarrowRows4,
// kernels.PackT4x4s), the other levels narrow rows of B, or pack Bᵀ in
// float64 and narrow.
func (s *gemmScratch) packB32(lv int, transB bool, b []float64, ldb, p0, kb, j0, cols, w int, dst []float32) {
	dst = dst[:kb*w]
	if !transB {
		c4 := 0
		if lv == kernels.LevelAVX2 {
			c4 = cols &^ 3
			if c4 > 0 {
				_ = b[(p0+kb-1)*ldb+j0+c4-1]
				kernels.NarrowRows4(kb, c4/4, &b[p0*ldb+j0], ldb, &dst[0], w)
			}
		}
		if c4 == w {
			return
		}
		for p := range kb {
			row := dst[p*w : p*w+w]
			src := b[(p0+p)*ldb+j0:]
			narrow(lv, row[c4:cols], src[c4:cols])
			clear(row[cols:])
		}
		return
	}
	if lv != kernels.LevelAVX2 {
		bp := alignedFloats(&s.bpack, kb*w)
		packB(lv, transB, b, ldb, p0, kb, j0, cols, w, w, bp)
		narrow(lv, dst, bp)
		return
	}
	// op(B)[p, j] = b[j·ldb + p]: a transposing copy, 4 columns at a time.
	g := 0
	for ; g+4 <= cols; g += 4 {
		packTrans4s(kb, b[(j0+g)*ldb+p0:], ldb, dst[g:], w)
	}
	for j := g; j < cols; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range src {
			dst[p*w+j] = float32(v)
		}
	}
	if cols < w {
		for p := range kb {
			clear(dst[p*w+cols : p*w+w])
		}
	}
}

// packTrans4s sets dst[p·ds + i] = float32(src[i·ld + p]) for p < kc and
// i < 4 (AVX2): whole 4×4 blocks in kernels.PackT4x4s, the rest in Go.
func packTrans4s(kc int, src []float64, ld int, dst []float32, ds int) {
	_ = src[3*ld+kc-1]
	_ = dst[(kc-1)*ds+3]
	k4 := kc &^ 3
	if k4 > 0 {
		kernels.PackT4x4s(k4, &src[0], ld, &dst[0], ds)
	}
	for p := k4; p < kc; p++ {
		for i := range 4 {
			dst[p*ds+i] = float32(src[i*ld+p])
		}
	}
}

// bExtent returns how many elements of b, from its start, op(B) (k×n) spans.
func bExtent(transB bool, k, n, ldb int) int {
	if transB {
		return (n-1)*ldb + k
	}
	return (k-1)*ldb + n
}

// packB copies rows p0…p0+kb−1 and columns j0…j0+cols−1 of op(B) into dst
// as kb rows of w values (columns past cols are zero), pitch apart.
func packB(lv int, transB bool, b []float64, ldb, p0, kb, j0, cols, w, pitch int, dst []float64) {
	dst = dst[:(kb-1)*pitch+w]
	if !transB {
		for p := range kb {
			row := dst[p*pitch : p*pitch+w]
			src := b[(p0+p)*ldb+j0:]
			copy(row[:cols], src[:cols])
			clear(row[cols:])
		}
		return
	}
	// op(B)[p, j] = b[j·ldb + p]: a transposing copy.
	g := 0
	switch {
	case lv == kernels.LevelAVX512 && w%8 == 0:
		for ; g < w; g += 8 {
			rows := min(8, cols-g)
			if rows <= 0 {
				break
			}
			packTrans8(kb, b[(j0+g)*ldb+p0:], ldb, rows, dst[g:], pitch)
		}
	case lv == kernels.LevelAVX2 && kb >= 4:
		for ; g+4 <= cols; g += 4 {
			packTrans4(kb, b[(j0+g)*ldb+p0:], ldb, dst[g:], pitch)
		}
	}
	for j := g; j < cols; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range src {
			dst[p*pitch+j] = v
		}
	}
	// The columns past cols are zeroed a row at a time: zeroing them a
	// column at a time touches a cache line per value.
	if lo := max(g, cols); lo < w {
		for p := range kb {
			clear(dst[p*pitch+lo : p*pitch+w])
		}
	}
}

// packA copies rows i0…i0+rows−1 and columns p0…p0+kb−1 of op(A) into dst
// as kb groups of mr values (rows past rows are zero).
func packA(lv int, transA bool, a []float64, lda, i0, rows, p0, kb, mr int, dst []float64) {
	dst = dst[:kb*mr]
	if transA {
		// op(A)[i, p] = a[p·lda + i]: contiguous runs of rows values.
		for p := range kb {
			d := dst[p*mr : p*mr+mr]
			src := a[(p0+p)*lda+i0:]
			copy(d[:rows], src[:rows])
			clear(d[rows:])
		}
		return
	}
	switch {
	case lv == kernels.LevelAVX512 && mr == 8:
		packTrans8(kb, a[i0*lda+p0:], lda, rows, dst, mr)
		return
	case lv == kernels.LevelAVX2 && mr == 4 && rows == 4 && kb >= 4:
		packTrans4(kb, a[i0*lda+p0:], lda, dst, mr)
		return
	}
	for i := range mr {
		if i >= rows {
			for p := range kb {
				dst[p*mr+i] = 0
			}
			continue
		}
		src := a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kb]
		for p, v := range src {
			dst[p*mr+i] = v
		}
	}
}

// packTrans4 sets dst[p·ds + i] = src[i·ld + p] for p < kc and i < 4
// (AVX2): whole 4×4 blocks are transposed in registers, the rest copied.
func packTrans4(kc int, src []float64, ld int, dst []float64, ds int) {
	_ = src[3*ld+kc-1]
	_ = dst[(kc-1)*ds+3]
	k4 := kc &^ 3
	kernels.PackT4x4(k4, &src[0], ld, &dst[0], ds)
	for p := k4; p < kc; p++ {
		for i := range 4 {
			dst[p*ds+i] = src[i*ld+p]
		}
	}
}

// packTrans8 sets dst[p·ds + i] = src[i·ld + p] for p < kc and i < rows ≤ 8
// (zero for rows ≤ i < 8), AVX-512 only: whole 8×8 blocks are transposed in
// registers, the rest gathered.
func packTrans8(kc int, src []float64, ld, rows int, dst []float64, ds int) {
	_ = src[(rows-1)*ld+kc-1]
	_ = dst[(kc-1)*ds+7]
	k8 := 0
	if rows == 8 {
		k8 = kc &^ 7
		if k8 > 0 {
			kernels.PackT8x8(k8, &src[0], ld, &dst[0], ds)
		}
	}
	if k8 < kc {
		kernels.PackT8(kc-k8, &src[k8], ld, rows, &dst[k8*ds], ds)
	}
}

// gemmSparse is gemmSerial with the sparse-row kernel: for each block of
// depth gkc it lists, for every row r of op(A), the nonzero op(A)[r, p] and
// (as byte offsets) the rows p of op(B) they select, then accumulates
// C[r, strip] += α·Σ op(A)[r,p]·op(B)[p, strip] over the listed rows only,
// strip by strip, each strip of op(B) (kept in L1) serving all rows of C.
func (s *gemmScratch) gemmSparse(lv int, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	f32 := s.f32 && has32(lv)
	sh := shapeFor(lv, f32)
	kc, w := sparseDepth(sh, k), sh.gw
	nkb := (k + kc - 1) / kc
	// With B, each depth block of B is packed whole, its rows read from end
	// to end, and the strips follow, the lists of one block at a time; with
	// Bᵀ, each strip is packed for the whole depth (rows of the stored
	// matrix read from end to end), which needs the lists of all blocks at
	// once (listRows), and threads that split the columns of C share them.
	// With f32 the strips are packed as float32 and multiplied in float32,
	// except a strip of at most tail64 columns (on AVX-512: the last strip
	// of a matrix, 32 columns or fewer), which stays float64 and is then the
	// only float64 strip: it is kept apart, at offset 0 of the float64
	// buffer.
	nstrips := (n + w - 1) / w
	in32 := func(js int) bool { return f32 && min(w, n-js*w) > sh.tail64 }
	strips64 := nstrips // float64 strips, in the buffer's order
	if f32 {
		strips64 = 0
		if !in32(nstrips - 1) {
			strips64 = 1
		}
	}
	// slot64 returns the place of strip js among the float64 strips.
	slot64 := func(js int) int {
		if f32 {
			return 0
		}
		return js
	}
	// A held B is packed once into the thread's copy, whole, and read
	// from there on later calls.
	pc, packed := s.cached(packKey{kind: packSparseB, lv: lv, trans: transB, f32: f32, rows: k, cols: n, ld: ldb, depth: kc, strip: w}, b, bExtent(transB, k, n, ldb))
	var whole []float64
	var whole32 []float32
	if pc != nil {
		whole = alignedFloats(&pc.f64, strips64*k*w)
		if f32 {
			whole32 = alignedFloat32s(&pc.f32, nstrips*k*w)
		}
	}
	var bp32 []float32
	if !transB {
		for q := range nkb {
			p0, kb := q*kc, min(kc, k-q*kc)
			be := beta
			if q > 0 {
				be = 1
			}
			rl := s.listRows(lv, transA, a, lda, 0, m, k, q, q+1, f32)
			nnz := int(rl.start[m])
			if nnz == 0 && (pc == nil || packed) {
				// No nonzero in this block of op(A) (the rows of
				// chains held at 0): nothing to pack or add (a held B's
				// copy is still packed whole on the first call).
				if q == 0 {
					scaleRows(m, n, beta, c, ldc)
				}
				continue
			}
			// Unless B is held (packed whole, once, for later calls),
			// only the rows of the block that a nonzero selects are
			// packed: the lists never read the others.
			var used []bool
			if pc == nil && nnz < m*kb {
				used = s.usedRows(lv, rl, nnz, kb, w)
			}
			var bp []float64
			if pc != nil {
				bp = whole[strips64*p0*w:][:strips64*kb*w]
				if f32 {
					bp32 = whole32[nstrips*p0*w:][:nstrips*kb*w]
				}
			} else {
				bp = alignedFloats(&s.bpack, strips64*kb*w)
				if f32 {
					// Strips the float32 kernel takes are narrowed straight from B.
					bp32 = alignedFloat32s(&s.bpack32, nstrips*kb*w)
				}
			}
			if !packed {
				for p := range kb {
					if used != nil && !used[p] {
						continue
					}
					src := b[(p0+p)*ldb : (p0+p)*ldb+n]
					for js := range nstrips {
						cols := min(w, n-js*w)
						if in32(js) {
							d := bp32[(js*kb+p)*w:][:w]
							narrow(lv, d, src[js*w:js*w+cols])
							clear(d[cols:])
							continue
						}
						d := bp[(slot64(js)*kb+p)*w:][:w]
						copy(d, src[js*w:js*w+cols])
						clear(d[cols:])
					}
				}
			}
			for js := range nstrips {
				off := slot64(js) * kb * w
				if in32(js) {
					off = js * kb * w
				}
				rl.kernel(lv, f32, rl.start, bp, bp32, off, c[js*w:], ldc, min(w, n-js*w), alpha, be)
			}
		}
		return
	}
	parts := s.shared
	if parts == nil {
		s.own[0] = s.listRows(lv, transA, a, lda, 0, m, k, 0, nkb, f32)
		parts = s.own[:]
	}
	nnz := 0
	for _, rl := range parts {
		if rl.rows > 0 {
			nnz += int(rl.start[nkb*(rl.rows+1)-1])
		}
	}
	if nnz == 0 && (pc == nil || packed) {
		// op(A) is 0: packing the strips of Bᵀ would be for nothing (a
		// held B's copy is still packed on the first call).
		scaleRows(m, n, beta, c, ldc)
		return
	}
	for js := range nstrips {
		j0, cols := js*w, min(w, n-js*w)
		var bp []float64
		switch {
		case pc == nil && in32(js):
			bp32 = alignedFloat32s(&s.bpack32, k*w)
			s.packB32(lv, transB, b, ldb, 0, k, j0, cols, w, bp32)
		case pc == nil:
			bp = alignedFloats(&s.bpack, k*w)
			packB(lv, transB, b, ldb, 0, k, j0, cols, w, w, bp)
		case in32(js):
			bp32 = whole32[js*k*w:][:k*w]
			if !packed {
				s.packB32(lv, transB, b, ldb, 0, k, j0, cols, w, bp32)
			}
		default:
			bp = whole[slot64(js)*k*w:][:k*w]
			if !packed {
				packB(lv, transB, b, ldb, 0, k, j0, cols, w, w, bp)
			}
		}
		for _, rl := range parts {
			if rl.rows == 0 {
				continue
			}
			cr := c[rl.r0*ldc:]
			for q := range nkb {
				be := beta
				if q > 0 {
					be = 1
				}
				rl.kernel(lv, f32, rl.blockStart(q), bp, bp32, q*kc*w, cr[j0:], ldc, cols, alpha, be)
			}
		}
	}
}

// usedRows returns the marks of the rows p < kb of a depth block of op(B)
// that the nnz nonzeros listed in rl (one block, strips of width w) select.
func (s *gemmScratch) usedRows(lv int, rl *rowLists, nnz, kb, w int) []bool {
	if cap(s.used) < kb {
		s.used = make([]bool, kb)
	}
	used := s.used[:kb]
	clear(used)
	scale := int32(w * 8) // listRows's byte offsets
	if lv == kernels.LevelGo {
		scale = int32(w)
	}
	for _, off := range rl.idx[:nnz] {
		used[off/scale] = true
	}
	return used
}

// blockStart returns the row starts of the q-th depth block listed in rl.
func (rl *rowLists) blockStart(q int) []int32 { return rl.start[q*(rl.rows+1):] }

// rowLists lists the nonzeros of rows r0…r0+rows−1 of op(A) for depth
// blocks of the sparse kernel: for the q-th block listed, row r's nonzeros
// op(A)[r, p] are vals[e] (val32[e] narrowed) for e in start[q·(rows+1)+r] up to the next
// start, and idx[e] the offset of row p of the block's packed strip, in
// bytes (in elements at the Go level).
// unit is 1 when every listed value is 1 (binary states: vals are not read).
type rowLists struct {
	r0, rows   int
	start, idx []int32
	vals       []float64
	val32      []float32
	unit       int
}

// sparseDepth returns the depth of the sparse kernel's blocks of shape sh
// for an inner dimension k.
func sparseDepth(sh kernelShape, k int) int {
	kc := sh.gkc
	if k <= kc+kc/2 {
		kc = k
	}
	return kc
}

// listRows lists the nonzeros of rows r0…r0+rows−1 of op(A) (inner
// dimension k) for the depth blocks q0…q1−1, in the thread's buffers,
// narrowing the values when f32 and they are not all 1 (the blocking then
// that of the float32 kernels).
func (s *gemmScratch) listRows(lv int, transA bool, a []float64, lda, r0, rows, k, q0, q1 int, f32 bool) *rowLists {
	sh := shapeFor(lv, f32)
	kc, w := sparseDepth(sh, k), sh.gw
	scale := w * 8 // byte offsets for the assembly
	if lv == kernels.LevelGo {
		scale = w
	}
	nkb := q1 - q0
	rl := &s.rl
	*rl = rowLists{r0: r0, rows: rows, unit: 1,
		start: growInt32(&s.start, nkb*(rows+1)),
		idx:   growInt32(&s.idx, nkb*rows*kc+16),
		vals:  alignedFloats(&s.vals, nkb*rows*kc+16)}
	e := 0
	for q := range nkb {
		p0, kb := (q0+q)*kc, min(kc, k-(q0+q)*kc)
		st := rl.start[q*(rows+1):][:rows+1]
		for i := range rows {
			r := r0 + i
			st[i] = int32(e)
			var cnt int
			var nonunit bool
			if transA {
				cnt, nonunit = compressList(lv, kb, a, p0*lda+r, lda, scale, rl.idx[e:], rl.vals[e:])
			} else {
				cnt, nonunit = compressList(lv, kb, a, r*lda+p0, 1, scale, rl.idx[e:], rl.vals[e:])
			}
			if nonunit {
				rl.unit = 0
			}
			e += cnt
		}
		st[rows] = int32(e)
	}
	if f32 {
		// Sized as vals, for any op(A): a held product's warm-up runs on zeros.
		rl.val32 = growFloat32(&s.val32, nkb*rows*kc+16)
		if rl.unit == 0 { // unit values are not read
			narrow(lv, rl.val32, rl.vals[:e])
		}
	}
	return rl
}

// kernel accumulates C[r, 0:cols] += α·Σ op(A)[r,p]·op(B)[p, 0:cols] for
// the rows of rl, over the listed nonzeros of one depth block (row starts
// st) and one strip of op(B) (bs, or bs32 in float32, from element off), C
// scaled by be first. In float32 AVX2 takes any strip in Gather64sx2,
// AVX-512 strips of more than 32 columns in Gather64s.
func (rl *rowLists) kernel(lv int, f32 bool, st []int32, bs []float64, bs32 []float32, off int, c []float64, ldc, cols int, alpha, be float64) {
	var m16 [4]uint16
	var m64 [64]int64
	switch {
	case lv == kernels.LevelGo:
		kernels.GatherGo(rl.rows, st, rl.idx, rl.vals, bs[off:], c, ldc, alpha, be, cols, rl.unit != 0)
	case f32 && lv == kernels.LevelAVX2:
		lanesMask64(m64[:], cols)
		kernels.Gather64sx2(rl.rows, &st[0], &rl.idx[0], &rl.val32[0], &bs32[off], &c[0], ldc, alpha, be, &m64[0], rl.unit)
	case f32 && lv == kernels.LevelAVX512 && cols > 32:
		lanesMask16(m16[:], cols, 4)
		kernels.Gather64s(rl.rows, &st[0], &rl.idx[0], &rl.val32[0], &bs32[off], &c[0], ldc, alpha, be, &m16[0], rl.unit)
	case lv == kernels.LevelAVX512 && cols > 32:
		lanesMask16(m16[:], cols, 4)
		kernels.Gather64(rl.rows, &st[0], &rl.idx[0], &rl.vals[0], &bs[off], &c[0], ldc, alpha, be, &m16[0], rl.unit)
	case lv == kernels.LevelAVX512:
		lanesMask16(m16[:], cols, 0)
		kernels.Gather32(rl.rows, &st[0], &rl.idx[0], &rl.vals[0], &bs[off], &c[0], ldc, alpha, be, &m16[0], rl.unit)
	default:
		lanesMask64(m64[:32], cols)
		kernels.Gather32x2(rl.rows, &st[0], &rl.idx[0], &rl.vals[0], &bs[off], &c[0], ldc, alpha, be, &m64[0], rl.unit)
	}
}

// compressList writes the nonzero x[off + p·stride] for p < n, in order, to
// vals and p·scale to idx, and returns their number and whether one of them
// is not 1. idx and vals need room for n+8 elements.
func compressList(lv int, n int, x []float64, off, stride, scale int, idx []int32, vals []float64) (int, bool) {
	if n <= 0 {
		return 0, false
	}
	_ = x[off+(n-1)*stride]
	switch lv {
	case kernels.LevelAVX512:
		_ = idx[n+7]
		_ = vals[n+7]
		cnt, nu := kernels.CompressNZ(n, &x[off], stride, scale, &idx[0], &vals[0])
		return cnt, nu != 0
	case kernels.LevelAVX2:
		_ = idx[n+7]
		_ = vals[n+7]
		cnt, nu := kernels.CompressNZx2(n, &x[off], stride, scale, &idx[0], &vals[0])
		return cnt, nu != 0
	}
	idx = idx[:n]
	vals = vals[:n]
	x = x[off : off+(n-1)*stride+1]
	cnt, nonunit := 0, 0
	for p := range n {
		v := x[p*stride]
		idx[cnt] = int32(p * scale)
		vals[cnt] = v
		// No branches: zeros are random in sampled states.
		nz := b2i(v != 0)
		nonunit |= nz & b2i(v != 1)
		cnt += nz
	}
	return cnt, nonunit != 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// countNonzero returns the number of nonzero elements (NaN counts) of the
// rows×cols matrix x with leading dimension ld.
func countNonzero(lv, rows, cols int, x []float64, ld int) int {
	nz := 0
	for r := range rows {
		row := x[r*ld : r*ld+cols]
		switch lv {
		case kernels.LevelAVX512:
			nz += kernels.CountNZ(cols, &row[0])
			continue
		case kernels.LevelAVX2:
			nz += kernels.CountNZx2(cols, &row[0])
			continue
		}
		for _, v := range row {
			if v != 0 {
				nz++
			}
		}
	}
	return nz
}

// addRows8 computes y[j] += Σ_{t<8} coef[t]·a[offs[t]/8 + j] for j < n:
// eight scaled rows of a (offs in bytes) added to y in one pass.
func addRows8(lv, n int, y, a []float64, offs *[8]int64, coef *[8]float64) {
	switch lv {
	case kernels.LevelAVX512:
		kernels.Axpy8(n, &y[0], &a[0], &offs[0], &coef[0])
		return
	case kernels.LevelAVX2, kernels.LevelNEON:
		n4 := n &^ 3
		if n4 > 0 {
			kernels.Axpy8x2(n4, &y[0], &a[0], &offs[0], &coef[0])
		}
		for t := range 8 {
			r := a[offs[t]/8:]
			for j := n4; j < n; j++ {
				y[j] += coef[t] * r[j]
			}
		}
		return
	}
	// Four rows a pass: a load and a store of y per four multiply-adds.
	y = y[:n]
	for t := 0; t < 8; t += 4 {
		c0, c1, c2, c3 := coef[t], coef[t+1], coef[t+2], coef[t+3]
		r0 := a[offs[t]/8:][:n]
		r1 := a[offs[t+1]/8:][:n]
		r2 := a[offs[t+2]/8:][:n]
		r3 := a[offs[t+3]/8:][:n]
		for j := range y {
			y[j] += (c0*r0[j] + c1*r1[j]) + (c2*r2[j] + c3*r3[j])
		}
	}
}

// addRowsList computes y[0:n] += α·Σ_e vals[e]·A[idx[e], 0:n] for the cnt
// listed rows of A (leading dimension lda), eight rows per pass.
func addRowsList(lv, n int, y, a []float64, lda int, idx []int32, vals []float64, cnt int, alpha float64) {
	var offs [8]int64
	var coef [8]float64
	for e := 0; e < cnt; e += 8 {
		g := min(8, cnt-e)
		for t := range 8 {
			if t < g {
				offs[t] = int64(idx[e+t]) * int64(lda) * 8
				coef[t] = alpha * vals[e+t]
			} else {
				offs[t] = offs[0]
				coef[t] = 0
			}
		}
		addRows8(lv, n, y, a, &offs, &coef)
	}
}

// addRowsChunked computes y[0:n] += α·Σ_{i<m, x[i]≠0} x[i]·A[i, 0:n], listing
// the nonzeros of x 64 at a time in stack buffers (no allocation).
func addRowsChunked(lv, m, n int, y, x, a []float64, lda int, alpha float64) {
	var idx [72]int32
	var vals [72]float64
	for i0 := 0; i0 < m; i0 += 64 {
		cnt := min(64, m-i0)
		cnt, _ = compressList(lv, cnt, x, i0, 1, 1, idx[:], vals[:])
		if cnt == 0 {
			continue
		}
		addRowsList(lv, n, y, a[i0*lda:], lda, idx[:], vals[:], cnt, alpha)
	}
}

// gemvRows computes y[i] = α·Σ_j A[i,j]·x[j] + β·y[i] for i < m, four rows
// at a time (y not read when β = 0).
func gemvRows(lv, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	if n == 0 || alpha == 0 {
		scaleRows(m, 1, beta, y, 1)
		return
	}
	var out [4]float64
	i := 0
	for ; i+4 <= m; i += 4 {
		kernels.DotRows4(lv, n, a[i*lda:], lda, x, &out)
		for t := range 4 {
			if beta == 0 {
				y[i+t] = alpha * out[t]
			} else {
				y[i+t] = alpha*out[t] + beta*y[i+t]
			}
		}
	}
	for ; i < m; i++ {
		s := kernels.Dot(x[:n], a[i*lda:i*lda+n])
		if beta == 0 {
			y[i] = alpha * s
		} else {
			y[i] = alpha*s + beta*y[i]
		}
	}
}

// scaleRows sets C = β·C on an m×n block (C = 0 when β = 0, whatever C held).
func scaleRows(m, n int, beta float64, c []float64, ldc int) {
	for r := range m {
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
}
