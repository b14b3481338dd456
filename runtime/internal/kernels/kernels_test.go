package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// The kernels shared by the AVX2 and NEON levels (Gemm4x12, Gather32x2,
// Axpy8x2, dot4x2) against Go references that perform the same floating
// point operations in the same order (fused multiply-adds, math.FMA), so
// that all but dot4x2 must agree to the bit; dot4x2 sums in a different
// order per architecture and is held to the rounding bound of a sum of n
// products. Each check returns an error rather than failing, so that the
// negative controls can run it on a deliberately broken kernel and demand
// that it fails.

// vectorLevel returns the level of the CPU whose assembly has the shared
// kernels, or skips the test.
func vectorLevel(t *testing.T) int {
	for _, l := range []int{LevelNEON, LevelAVX2} {
		if Supported(l) {
			return l
		}
	}
	t.Skip("no assembly kernels on this CPU (or -tags purego)")
	return LevelGo
}

// The alpha, beta pairs every kernel is run with: β = 0 (C not read), 1,
// and general values, with α = 1 and α ≠ 1.
var alphaBetas = [][2]float64{{1, 0}, {-0.75, 0}, {1, 1}, {2.5, -1.25}, {-1, 0.5}}

func randFloats(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	return x
}

// sameBits reports whether x and y hold the same values, NaNs included.
func sameBits(x, y []float64) (int, bool) {
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return i, false
		}
	}
	return -1, true
}

// gemm4x12Ref is Gemm4x12 in Go, with the assembly's operations:
// acc = fma(a, b, acc) in order of p, then C = fma(β, C, α·acc).
func gemm4x12Ref(k int, a, b, c []float64, ldc int, alpha, beta float64, rows int, masks []int64) {
	for i := range rows {
		for j := range 12 {
			if masks[j] == 0 {
				continue
			}
			acc := 0.0
			for p := range k {
				acc = math.FMA(a[4*p+i], b[12*p+j], acc)
			}
			v := alpha * acc
			if beta != 0 {
				v = math.FMA(beta, c[i*ldc+j], v)
			}
			c[i*ldc+j] = v
		}
	}
}

type gemmKernel func(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

// checkGemm4x12 runs kern and the reference on packed panels of depth k
// (the panels' padding rows and columns hold values, as the driver's do
// not, which the masks must keep out), C with ldc = 15 and a row past the
// tile (C is NaN where β = 0 must not read it): every element of C, inside
// and outside the tile, must match to the bit.
func checkGemm4x12(r *rand.Rand, kern gemmKernel, k, rows, cols int, alpha, beta float64) error {
	const ldc = 15
	a := randFloats(r, 4*k+1)
	b := randFloats(r, 12*k+1)
	c := randFloats(r, 5*ldc)
	if beta == 0 {
		for i := range rows {
			for j := range cols {
				c[i*ldc+j] = math.NaN()
			}
		}
	}
	want := slices.Clone(c)
	masks := make([]int64, 12)
	for j := range cols {
		masks[j] = -1
	}
	gemm4x12Ref(k, a, b, want, ldc, alpha, beta, rows, masks)
	kern(k, &a[0], &b[0], &c[0], ldc, alpha, beta, rows, &masks[0])
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("k=%d rows=%d cols=%d α=%g β=%g: C[%d,%d] = %g, want %g", k, rows, cols, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

// The edge shapes: k = 0 (C = β·C), 1, odd and even depths around the
// kernel's unrolling; every row count 1…4 and column count 0…12 (0: no
// column written), with every α, β.
func TestGemm4x12(t *testing.T) {
	vectorLevel(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{0, 1, 2, 3, 4, 5, 17, 256} {
		for rows := 1; rows <= 4; rows++ {
			for cols := 0; cols <= 12; cols++ {
				for _, ab := range alphaBetas {
					if err := checkGemm4x12(r, Gemm4x12, k, rows, cols, ab[0], ab[1]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

// Negative controls: the check fails on a kernel that is off by one ulp in
// one element, on one that writes a masked-out column, and on one that
// reads C when β = 0 (the NaNs come through).
func TestGemm4x12Control(t *testing.T) {
	vectorLevel(t)
	r := rand.New(rand.NewPCG(3, 4))
	ulp := func(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		Gemm4x12(k, a, b, c, ldc, alpha, beta, rows, masks)
		cs := unsafe.Slice(c, (rows-1)*ldc+6)
		cs[(rows-1)*ldc+5] = math.Nextafter(cs[(rows-1)*ldc+5], math.Inf(1))
	}
	unmasked := func(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		all := make([]int64, 12)
		for j := range all {
			all[j] = -1
		}
		Gemm4x12(k, a, b, c, ldc, alpha, beta, rows, &all[0])
	}
	readsC := func(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
		if beta == 0 {
			beta = 1e-300
		}
		Gemm4x12(k, a, b, c, ldc, alpha, beta, rows, masks)
	}
	for name, kern := range map[string]gemmKernel{"ulp": ulp, "unmasked": unmasked, "readsC": readsC} {
		cols := 12
		if name == "unmasked" {
			cols = 7
		}
		if err := checkGemm4x12(r, kern, 9, 3, cols, 1.5, 0); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// gather32Ref is Gather32x2 in Go with the assembly's operations.
func gather32Ref(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, masks []int64, unit int) {
	for r := range m {
		var acc [32]float64
		for e := start[r]; e < start[r+1]; e++ {
			row := b[idx[e]/8:][:32]
			for j := range acc {
				if unit != 0 {
					acc[j] += row[j]
				} else {
					acc[j] = math.FMA(vals[e], row[j], acc[j])
				}
			}
		}
		for j := range acc {
			if masks[j] == 0 {
				continue
			}
			v := alpha * acc[j]
			if beta != 0 {
				v = math.FMA(beta, c[r*ldc+j], v)
			}
			c[r*ldc+j] = v
		}
	}
}

type gatherKernel func(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

// checkGather32 lists, for m rows, the nonzeros of a random 0/1 (unit) or
// fractional row of depth kb (about a third nonzero, and an empty row
// among them), and compares kern with the reference on a strip of 32
// columns; C has ldc = 37 and a row past the tile.
func checkGather32(r *rand.Rand, kern gatherKernel, m, kb, cols int, unit bool, alpha, beta float64) error {
	const ldc = 37
	b := randFloats(r, kb*32)
	start := make([]int32, m+1)
	var idx []int32
	var vals []float64
	for i := range m {
		start[i] = int32(len(idx))
		for p := range kb {
			if i == 1 || r.IntN(3) != 0 {
				continue // row 1 empty
			}
			idx = append(idx, int32(p*32*8))
			if unit {
				vals = append(vals, 1)
			} else {
				vals = append(vals, 2*r.Float64()-1)
			}
		}
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
	masks := make([]int64, 32)
	for j := range cols {
		masks[j] = -1
	}
	u := 0
	if unit {
		u = 1
	}
	want := slices.Clone(c)
	gather32Ref(m, start, idx, vals, b, want, ldc, alpha, beta, masks, u)
	kern(m, &start[0], &idx[0], &vals[0], &b[0], &c[0], ldc, alpha, beta, &masks[0], u)
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("m=%d kb=%d cols=%d unit=%v α=%g β=%g: C[%d,%d] = %g, want %g", m, kb, cols, unit, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

func TestGather32x2(t *testing.T) {
	vectorLevel(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{0, 1, 3} {
		for _, kb := range []int{1, 5, 96} {
			for _, cols := range []int{1, 2, 15, 31, 32} {
				for _, unit := range []bool{false, true} {
					for _, ab := range alphaBetas {
						if err := checkGather32(r, Gather32x2, m, kb, cols, unit, ab[0], ab[1]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
	}
}

// Negative controls: a kernel that reads the wrong row of B for one entry,
// and one that takes the values as 1 when they are not.
func TestGather32x2Control(t *testing.T) {
	vectorLevel(t)
	r := rand.New(rand.NewPCG(7, 8))
	wrongRow := func(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		first := *idx
		*idx = 0 // the first entry reads row 0 of B (or row 1 if it was row 0)
		if first == 0 {
			*idx = 32 * 8
		}
		Gather32x2(m, start, idx, vals, b, c, ldc, alpha, beta, masks, unit)
		*idx = first
	}
	asUnit := func(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
		Gather32x2(m, start, idx, vals, b, c, ldc, alpha, beta, masks, 1)
	}
	for name, kern := range map[string]gatherKernel{"wrongRow": wrongRow, "asUnit": asUnit} {
		if err := checkGather32(r, kern, 3, 20, 32, false, 1, 0.5); err == nil {
			t.Errorf("%s: a broken kernel passed the check", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// axpy8x2Ref is Axpy8x2 in Go with the assembly's operations: rows 0, 2, 4,
// 6 in one chain, y and rows 1, 3, 5, 7 in another, summed at the end.
func axpy8x2Ref(n int, y, a []float64, offs []int64, coef []float64) {
	for j := range n {
		r := func(t int) float64 { return a[offs[t]/8+int64(j)] }
		s1 := r(0) * coef[0]
		s0 := math.FMA(r(1), coef[1], y[j])
		for t := 2; t < 8; t += 2 {
			s1 = math.FMA(r(t), coef[t], s1)
			s0 = math.FMA(r(t+1), coef[t+1], s0)
		}
		y[j] = s0 + s1
	}
}

func TestAxpy8x2(t *testing.T) {
	vectorLevel(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 4, 8, 12, 100} {
		const lda = 103
		a := randFloats(r, 10*lda)
		y := randFloats(r, n+3)
		offs := make([]int64, 8)
		coef := randFloats(r, 8)
		for t := range offs {
			offs[t] = int64(r.IntN(10)) * lda * 8 // rows may repeat
		}
		coef[7] = 0 // a padding row, as the driver's
		want := slices.Clone(y)
		axpy8x2Ref(n, want, a, offs, coef)
		Axpy8x2(n, &y[0], &a[0], &offs[0], &coef[0])
		if i, ok := sameBits(y, want); !ok {
			t.Fatalf("n=%d: y[%d] = %g, want %g", n, i, y[i], want[i])
		}
	}
}

// DotRows4 on every level against the sum in float64 of exactly rounded
// products, within the bound n·2⁻⁵³·Σ|a·x| (γ_n) of a sum of n products in
// any order; n runs over lengths that are not multiples of 4 or 8.
func TestDotRows4(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, lv := range Levels() {
		for _, n := range []int{1, 3, 4, 5, 8, 13, 64, 257} {
			lda := n + 3
			a := randFloats(r, 4*lda)
			x := randFloats(r, n)
			var out [4]float64
			DotRows4(lv, n, a, lda, x, &out)
			if err := checkDots(n, a, lda, x, out); err != nil {
				t.Fatalf("level %d, n=%d: %v", lv, n, err)
			}
		}
	}
}

// checkDots compares out with the dot products of the four rows of a and x
// computed in Kahan–Babuška (Neumaier) summation.
func checkDots(n int, a []float64, lda int, x []float64, out [4]float64) error {
	for q := range 4 {
		var s, comp, abs float64
		for j := range n {
			p := a[q*lda+j] * x[j]
			abs += math.Abs(p)
			ts := s + p
			if math.Abs(s) >= math.Abs(p) {
				comp += (s - ts) + p
			} else {
				comp += (p - ts) + s
			}
			s = ts
		}
		want := s + comp
		if tol := float64(n+1) * 0x1p-53 * abs; math.Abs(out[q]-want) > tol {
			return fmt.Errorf("row %d: %g, want %g ± %g", q, out[q], want, tol)
		}
	}
	return nil
}

// Negative control: the bound of TestDotRows4 rejects a result moved by
// 1e-12 of the row's Σ|a·x| (at n = 257 the bound is about 3e-14 of it).
func TestDotRows4Control(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const n, lda = 257, 260
	a := randFloats(r, 4*lda)
	x := randFloats(r, n)
	var out [4]float64
	DotRows4(Level, n, a, lda, x, &out)
	if err := checkDots(n, a, lda, x, out); err != nil {
		t.Fatal(err)
	}
	abs := 0.0
	for j := range n {
		abs += math.Abs(a[2*lda+j] * x[j])
	}
	out[2] += 1e-12 * abs
	if checkDots(n, a, lda, x, out) == nil {
		t.Fatal("a perturbed dot product passed the check")
	}
}
