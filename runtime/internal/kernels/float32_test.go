package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// The AVX2 float32 kernels (Workspace.SetFloat32): the dense micro-kernel
// Gemm4x24s, the sparse-row kernel Gather64sx2, the row update Axpy8sx2
// and the narrowing Narrow4x2. The operands are small integers and α, β
// dyadic, so that every float32 product and sum is exact and the order of
// summation does not matter; the write-back, α·acc then β·C added with one
// fused rounding, is the references' too, so C must match to the bit.
// Each check returns an error, so that the negative controls can run it on
// a broken kernel and demand that it fails.

// avx2 skips the test unless the CPU runs the AVX2 kernels.
func avx2(t *testing.T) {
	if !Supported(LevelAVX2) {
		t.Skip("no AVX2 kernels on this CPU (or -tags purego)")
	}
}

// intFloat32s returns n random nonzero integers in [−4, 4] as float32.
func intFloat32s(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i, v := range intFloats(r, n) {
		x[i] = float32(v)
	}
	return x
}

// writeBack is the kernels' write-back of a float32 sum: α·acc, then β·C
// added with one rounding; C is not read when β = 0.
func writeBack(acc float32, alpha, beta, c float64) float64 {
	v := alpha * float64(acc)
	if beta != 0 {
		v = math.FMA(beta, c, v)
	}
	return v
}

// masks64 returns the AVX2 mask vectors of a row of n columns of which the
// first cols are in use.
func masks64(n, cols int) []int64 {
	m := make([]int64, n)
	for j := range cols {
		m[j] = -1
	}
	return m
}

// The dense kernel's tile.
const f32MR, f32NR = 4, 24

type gemm32Kernel func(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

// checkGemm4x24s runs kern on packed panels of depth k (A 4 values per step,
// B 24; their padding rows and columns hold values, which the row count and
// the masks must keep out) and C with ldc = 27 and a row past the tile (NaN
// inside the tile when β = 0, which must not come through), and compares
// every element of C, inside and outside the tile, with the reference.
func checkGemm4x24s(r *rand.Rand, kern gemm32Kernel, k, rows, cols int, alpha, beta float64) error {
	const mr, nr, ldc = f32MR, f32NR, 27
	a := intFloat32s(r, mr*k+1)
	b := intFloat32s(r, nr*k+1)
	c := randFloats(r, (mr+1)*ldc)
	if beta == 0 {
		for i := range rows {
			for j := range cols {
				c[i*ldc+j] = math.NaN()
			}
		}
	}
	want := slices.Clone(c)
	for i := range rows {
		for j := range cols {
			var acc float32
			for p := range k {
				acc += a[mr*p+i] * b[nr*p+j]
			}
			want[i*ldc+j] = writeBack(acc, alpha, beta, c[i*ldc+j])
		}
	}
	masks := masks64(nr, cols)
	kern(k, &a[0], &b[0], &c[0], ldc, alpha, beta, rows, &masks[0])
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("k=%d rows=%d cols=%d α=%g β=%g: C[%d,%d] = %g, want %g", k, rows, cols, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

// Depths 0 (C = β·C), 1, 2, 3 (the one-step loop alone), 17 (the
// four-step loop and a remainder) and 256 (a whole depth block, sums up to
// 4096); every row count 1…4 and column count 0…24, every α, β.
func TestGemm4x24s(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range []int{0, 1, 2, 3, 17, 256} {
		for rows := 1; rows <= f32MR; rows++ {
			for cols := 0; cols <= f32NR; cols++ {
				for _, ab := range alphaBetas {
					if err := checkGemm4x24s(r, Gemm4x24s, k, rows, cols, ab[0], ab[1]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

// Negative controls: the check fails on a kernel that is off by one ulp in
// one element, one that writes a masked-out column, one that writes a row
// past rows, and one that reads C when β = 0.
func TestGemm4x24sControl(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(23, 24))
	ulp := func(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		Gemm4x24s(k, a, b, c, ldc, alpha, beta, rows, masks)
		cs := unsafe.Slice(c, (rows-1)*ldc+6)
		cs[(rows-1)*ldc+5] = math.Nextafter(cs[(rows-1)*ldc+5], math.Inf(1))
	}
	unmasked := func(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		all := masks64(f32NR, f32NR)
		Gemm4x24s(k, a, b, c, ldc, alpha, beta, rows, &all[0])
	}
	extraRow := func(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		Gemm4x24s(k, a, b, c, ldc, alpha, beta, rows+1, masks)
	}
	readsC := func(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		if beta == 0 {
			beta = 0x1p-1000
		}
		Gemm4x24s(k, a, b, c, ldc, alpha, beta, rows, masks)
	}
	for name, kern := range map[string]gemm32Kernel{"ulp": ulp, "unmasked": unmasked, "extraRow": extraRow, "readsC": readsC} {
		cols := f32NR
		if name == "unmasked" {
			cols = 13
		}
		if err := checkGemm4x24s(r, kern, 9, 3, cols, 1.5, 0); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

type gather32Kernel func(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

// checkGather64sx2 lists, for m rows, the nonzeros of random 0/1 (unit) or
// integer rows of depth kb (about a third nonzero; row 1 empty) with the
// byte offsets of a float64 strip of 64 columns, as the driver does, and
// compares kern with the reference on a float32 strip; C has ldc = 67 and a
// row past the tile (NaN inside it when β = 0).
func checkGather64sx2(r *rand.Rand, kern gather32Kernel, m, kb, cols int, unit bool, alpha, beta float64) error {
	const w, ldc = 64, 67
	b := intFloat32s(r, kb*w+1)
	start := make([]int32, m+1)
	var idx []int32
	var vals []float32
	var rows [][]int // the depths listed in each row
	for i := range m {
		start[i] = int32(len(idx))
		var ps []int
		for p := range kb {
			if i == 1 || r.IntN(3) != 0 {
				continue
			}
			ps = append(ps, p)
			idx = append(idx, int32(p*w*8))
			if unit {
				vals = append(vals, 1)
			} else {
				vals = append(vals, intFloat32s(r, 1)[0])
			}
		}
		rows = append(rows, ps)
	}
	start[m] = int32(len(idx))
	idx = append(idx, 0)
	vals = append(vals, 0)
	c := randFloats(r, (m+1)*ldc)
	if beta == 0 {
		for i := range m {
			for j := range cols {
				c[i*ldc+j] = math.NaN()
			}
		}
	}
	want := slices.Clone(c)
	e := 0
	for i, ps := range rows {
		var acc [w]float32
		for _, p := range ps {
			for j := range acc {
				acc[j] += vals[e] * b[p*w+j]
			}
			e++
		}
		for j := range cols {
			want[i*ldc+j] = writeBack(acc[j], alpha, beta, c[i*ldc+j])
		}
	}
	u := 0
	if unit {
		u = 1
	}
	masks := masks64(w, cols)
	kern(m, &start[0], &idx[0], &vals[0], &b[0], &c[0], ldc, alpha, beta, &masks[0], u)
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("m=%d kb=%d cols=%d unit=%v α=%g β=%g: C[%d,%d] = %g, want %g", m, kb, cols, unit, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

// Rows 0 (nothing written), 1, 3 (one of them empty) and 5; depths around
// the one-entry loop and a whole block; column counts across the eight
// vectors and their halves; unit and valued lists; every α, β.
func TestGather64sx2(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(25, 26))
	for _, m := range []int{0, 1, 3, 5} {
		for _, kb := range []int{0, 1, 2, 3, 17, 256} {
			for _, cols := range []int{1, 3, 4, 5, 8, 15, 32, 33, 60, 63, 64} {
				for _, unit := range []bool{false, true} {
					for _, ab := range alphaBetas {
						if err := checkGather64sx2(r, Gather64sx2, m, kb, cols, unit, ab[0], ab[1]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
	}
}

// Negative controls: a kernel that reads the wrong row of B for one entry,
// one that takes the values as 1, one that writes the masked-out columns,
// and one that reads C when β = 0.
func TestGather64sx2Control(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(27, 28))
	wrongRow := func(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		first := *idx
		*idx = 0 // the first entry reads row 0 of B (or row 1 if it was row 0)
		if first == 0 {
			*idx = 64 * 8
		}
		Gather64sx2(m, start, idx, vals, b, c, ldc, alpha, beta, masks, unit)
		*idx = first
	}
	asUnit := func(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		Gather64sx2(m, start, idx, vals, b, c, ldc, alpha, beta, masks, 1)
	}
	unmasked := func(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		all := masks64(64, 64)
		Gather64sx2(m, start, idx, vals, b, c, ldc, alpha, beta, &all[0], unit)
	}
	readsC := func(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		if beta == 0 {
			beta = 0x1p-1000
		}
		Gather64sx2(m, start, idx, vals, b, c, ldc, alpha, beta, masks, unit)
	}
	for name, kern := range map[string]gather32Kernel{"wrongRow": wrongRow, "asUnit": asUnit, "unmasked": unmasked, "readsC": readsC} {
		if err := checkGather64sx2(r, kern, 3, 20, 50, false, 1, 0); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

type axpy32Kernel func(n int, y, a *float32, offs *int64, coef *float32)

// checkAxpy8sx2 adds eight rows of an integer matrix (rows may repeat; the
// last coefficient 0, a padding row as the driver's) to an integer y of n
// values and one past them, which must stay.
func checkAxpy8sx2(r *rand.Rand, kern axpy32Kernel, n int) error {
	const lda = 107
	a := intFloat32s(r, 10*lda)
	y := intFloat32s(r, n+1)
	offs := make([]int64, 8)
	coef := intFloat32s(r, 8)
	coef[7] = 0
	for t := range offs {
		offs[t] = int64(r.IntN(10)) * lda * 4
	}
	want := slices.Clone(y)
	for j := range n {
		for t := range 8 {
			want[j] += coef[t] * a[offs[t]/4+int64(j)]
		}
	}
	kern(n, &y[0], &a[0], &offs[0], &coef[0])
	for j := range y {
		if math.Float32bits(y[j]) != math.Float32bits(want[j]) {
			return fmt.Errorf("n=%d: y[%d] = %g, want %g", n, j, y[j], want[j])
		}
	}
	return nil
}

func TestAxpy8sx2(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(29, 30))
	for _, n := range []int{0, 8, 16, 24, 104} {
		if err := checkAxpy8sx2(r, Axpy8sx2, n); err != nil {
			t.Fatal(err)
		}
	}
}

// Negative controls: a kernel that skips the last eight values, and one
// that drops a row.
func TestAxpy8sx2Control(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(31, 32))
	short := func(n int, y, a *float32, offs *int64, coef *float32) { Axpy8sx2(n-8, y, a, offs, coef) }
	dropRow := func(n int, y, a *float32, offs *int64, coef *float32) {
		cs := unsafe.Slice(coef, 8)
		c0 := cs[0]
		cs[0] = 0
		Axpy8sx2(n, y, a, offs, coef)
		cs[0] = c0
	}
	for name, kern := range map[string]axpy32Kernel{"short": short, "dropRow": dropRow} {
		if err := checkAxpy8sx2(r, kern, 24); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// narrowCases returns 4·n values for Narrow4x2: random magnitudes across
// float32's range and past it (to ±Inf), values halfway between two
// float32 (rounded to even), float32 subnormals, zeros of both signs, ±Inf
// and NaN.
func narrowCases(r *rand.Rand, n int) []float64 {
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		1 + 0x1p-24, 1 + 3*0x1p-24, -(1 + 0x1p-24), 0x1p-140, -0x1p-149 * 1.5, math.MaxFloat32 * 1.5, 1e-50}
	x := make([]float64, 4*n)
	for i := range x {
		if i < len(special) {
			x[i] = special[i]
			continue
		}
		x[i] = (2*r.Float64() - 1) * math.Ldexp(1, r.IntN(300)-150)
	}
	return x
}

// checkNarrow compares dst (4·n values and a sentinel past them) with Go's
// conversions of src.
func checkNarrow(kern func(n int, src *float64, dst *float32), src []float64) error {
	n := len(src) / 4
	dst := make([]float32, len(src)+1)
	dst[len(src)] = 7
	kern(n, &src[0], &dst[0])
	for i, v := range src {
		if w := float32(v); math.Float32bits(dst[i]) != math.Float32bits(w) {
			return fmt.Errorf("n=%d: float32(%g) = %g, want %g", n, v, dst[i], w)
		}
	}
	if dst[len(src)] != 7 {
		return fmt.Errorf("n=%d: wrote past 4·n values", n)
	}
	return nil
}

// Groups of 4 below, at and past the 16-value loop (n = 4 is one pass of
// it, 5 and 7 add one and three groups of 4), and 40 passes.
func TestNarrow4x2(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(33, 34))
	for _, n := range []int{1, 2, 3, 4, 5, 7, 160} {
		if err := checkNarrow(Narrow4x2, narrowCases(r, n)); err != nil {
			t.Fatal(err)
		}
	}
}

// Negative controls: a kernel that leaves the last 4 values, one that
// truncates a value halfway between two float32 instead of rounding it to
// even, and one that writes past the 4·n values.
func TestNarrow4x2Control(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(35, 36))
	short := func(n int, src *float64, dst *float32) { Narrow4x2(n-1, src, dst) }
	truncates := func(n int, src *float64, dst *float32) {
		Narrow4x2(n, src, dst)
		*(*float32)(unsafe.Add(unsafe.Pointer(dst), 4*6)) = 1 // float32(1 + 3·2⁻²⁴) is 1 + 2⁻²², not 1
	}
	over := func(n int, src *float64, dst *float32) {
		Narrow4x2(n, src, dst)
		*(*float32)(unsafe.Add(unsafe.Pointer(dst), 4*4*n)) = 0
	}
	for name, kern := range map[string]func(int, *float64, *float32){"short": short, "truncates": truncates, "over": over} {
		if err := checkNarrow(kern, narrowCases(r, 5)); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// The float32 packing kernels: PackT4x4s (a transposing pack of 4 rows)
// and NarrowRows4 (rows narrowed into a panel). Both read a matrix with
// ld = 4·w + 3 (values past the panel must stay unread) filled with
// narrowCases, and write into a panel with ds = 4·w + 5, pre-filled with 7
// (a value narrowCases never yields), whose every element, written or not,
// is compared with the reference.

type pack32Kernel func(rows, n4 int, src *float64, ld int, dst *float32, ds int)

// packT4x4s adapts PackT4x4s to the shape of NarrowRows4: n4 groups of 4
// depths of 4 rows.
func packT4x4s(rows, n4 int, src *float64, ld int, dst *float32, ds int) {
	PackT4x4s(4*n4, src, ld, dst, ds)
}

// checkPack32 runs kern on a rows×(4·n4) panel and compares dst with
// dst[r·ds + j] = float32(src[r·ld + j]) (trans false, NarrowRows4) or
// dst[p·ds + i] = float32(src[i·ld + p]) for p < 4·n4, i < 4 (trans true,
// PackT4x4s, rows = 4).
func checkPack32(r *rand.Rand, kern pack32Kernel, trans bool, rows, n4 int) error {
	w := 4 * n4
	ld, ds := w+3, w+5
	outRows, outCols := rows, w
	if trans {
		outRows, outCols, ds = w, 4, 9
	}
	src := narrowCases(r, max(1, (rows*ld+3)/4))
	dst := make([]float32, (outRows+1)*ds)
	for i := range dst {
		dst[i] = 7
	}
	want := slices.Clone(dst)
	for i := range outRows {
		for j := range outCols {
			var v float64
			if trans {
				v = src[j*ld+i]
			} else {
				v = src[i*ld+j]
			}
			want[i*ds+j] = float32(v)
		}
	}
	kern(rows, n4, &src[0], ld, &dst[0], ds)
	for i := range dst {
		if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
			return fmt.Errorf("rows=%d n4=%d trans=%v: dst[%d,%d] = %g, want %g", rows, n4, trans, i/ds, i%ds, dst[i], want[i])
		}
	}
	return nil
}

// One and several groups of 4, one and several rows (NarrowRows4), and
// none (nothing written).
func TestPack32(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(37, 38))
	for _, n4 := range []int{0, 1, 2, 6, 25} {
		if err := checkPack32(r, packT4x4s, true, 4, n4); err != nil {
			t.Error(err)
		}
		for _, rows := range []int{0, 1, 3, 17} {
			if err := checkPack32(r, NarrowRows4, false, rows, n4); err != nil {
				t.Error(err)
			}
		}
	}
}

// Negative controls: a PackT4x4s that leaves the last group of depths, one
// that packs without transposing, a NarrowRows4 that leaves the last row,
// one that writes a value past its row.
func TestPack32Control(t *testing.T) {
	avx2(t)
	r := rand.New(rand.NewPCG(39, 40))
	for _, c := range []struct {
		name  string
		kern  pack32Kernel
		trans bool
	}{
		{"short depth", func(rows, n4 int, src *float64, ld int, dst *float32, ds int) {
			PackT4x4s(4*n4-4, src, ld, dst, ds)
		}, true},
		{"untransposed", NarrowRows4, true},
		{"short rows", func(rows, n4 int, src *float64, ld int, dst *float32, ds int) {
			NarrowRows4(rows-1, n4, src, ld, dst, ds)
		}, false},
		{"over", func(rows, n4 int, src *float64, ld int, dst *float32, ds int) {
			NarrowRows4(rows, n4, src, ld, dst, ds)
			*(*float32)(unsafe.Add(unsafe.Pointer(dst), 4*(4*n4))) = 0
		}, false},
	} {
		if err := checkPack32(r, c.kern, c.trans, 4, 3); err == nil {
			t.Errorf("%s: a broken kernel passed the check", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// BenchmarkGather64sx2 times the AVX2 float32 sparse-row kernel on a
// product as W1's Gibbs sweep makes it: 100 rows of C, one depth block of
// 96 (the AVX2 gkc) with half the entries 1, one strip of 64 columns (24 KB,
// in L1), β = 1. ns/nz is the time per listed nonzero: 8 loads and adds of
// 8 float32 each.
func BenchmarkGather64sx2(b *testing.B) {
	if !Supported(LevelAVX2) {
		b.Skip("no AVX2 kernels on this CPU (or -tags purego)")
	}
	const m, kb, w, ldc = 100, 96, 64, 512
	r := rand.New(rand.NewPCG(1, 2))
	bs := make([]float32, kb*w+64)
	for i := range bs {
		bs[i] = r.Float32()
	}
	start := make([]int32, m+1)
	var idx []int32
	for i := range m {
		start[i] = int32(len(idx))
		for p := range kb {
			if r.IntN(2) == 0 {
				idx = append(idx, int32(p*w*8))
			}
		}
	}
	start[m] = int32(len(idx))
	nnz := len(idx)
	idx = append(idx, 0)
	vals := make([]float32, len(idx))
	c := make([]float64, m*ldc)
	masks := masks64(w, w)
	b.ResetTimer()
	for range b.N {
		Gather64sx2(m, &start[0], &idx[0], &vals[0], &bs[0], &c[0], ldc, 1, 1, &masks[0], 1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nnz), "ns/nz")
}
