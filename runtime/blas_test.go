package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

func randSlice(r *RNG, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	return x
}

// at returns op(X)[i][j] for row-major X with leading dimension ld.
func at(x []float64, ld int, trans bool, i, j int) float64 {
	if trans {
		return x[j*ld+i]
	}
	return x[i*ld+j]
}

func closeSlices(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: element %d = %.17g, want %.17g", name, i, got[i], want[i])
		}
	}
}

func TestGemm(t *testing.T) {
	r := NewRNG(10, 0)
	type tc struct {
		m, n, k        int
		ta, tb         bool
		padA, padB, pc int // lda, ldb, ldc exceed the row length by these
		alpha, beta    float64
	}
	cases := []tc{
		{1, 1, 1, false, false, 0, 0, 0, 1, 0},
		{3, 4, 5, false, false, 0, 0, 0, 1, 0},
		{3, 4, 5, true, false, 2, 0, 1, 0.5, 2},
		{3, 4, 5, false, true, 0, 3, 0, -1, 1},
		{7, 2, 9, true, true, 1, 1, 5, 2, -0.5},
		{17, 33, 65, false, false, 7, 0, 0, 1, 1},
		{64, 70, 80, true, false, 0, 2, 3, 1, 0},
	}
	for range 10 { // random sizes and flags
		cases = append(cases, tc{1 + r.Intn(40), 1 + r.Intn(40), 1 + r.Intn(40),
			r.Intn(2) == 1, r.Intn(2) == 1, r.Intn(4), r.Intn(4), r.Intn(4), 2*r.Float64() - 1, 2*r.Float64() - 1})
	}
	for _, c := range cases {
		name := fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v", c.m, c.n, c.k, c.ta, c.tb)
		ar, ac := c.m, c.k // stored shape of A
		if c.ta {
			ar, ac = c.k, c.m
		}
		br, bc := c.k, c.n
		if c.tb {
			br, bc = c.n, c.k
		}
		lda, ldb, ldc := ac+c.padA, bc+c.padB, c.n+c.pc
		a, b, cm := randSlice(&r, ar*lda), randSlice(&r, br*ldb), randSlice(&r, c.m*ldc)
		want := append([]float64(nil), cm...)
		for i := range c.m {
			for j := range c.n {
				var s float64
				for l := range c.k {
					s += at(a, lda, c.ta, i, l) * at(b, ldb, c.tb, l, j)
				}
				want[i*ldc+j] = c.alpha*s + c.beta*cm[i*ldc+j]
			}
		}
		Gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
		closeSlices(t, name, cm, want, 1e-12) // includes the untouched padding
	}
}

func TestGemvGer(t *testing.T) {
	r := NewRNG(11, 0)
	for _, c := range []struct {
		m, n, pad   int
		trans       bool
		alpha, beta float64
	}{
		{1, 1, 0, false, 1, 0}, {4, 3, 0, false, 2, 1}, {4, 3, 2, true, -1, 0.5},
		{50, 17, 5, false, 0.3, 0}, {17, 50, 1, true, 1, 1}, {33, 33, 0, true, 1, -2},
	} {
		name := fmt.Sprintf("m=%d n=%d lda=n+%d trans=%v", c.m, c.n, c.pad, c.trans)
		lda := c.n + c.pad
		a := randSlice(&r, c.m*lda)
		xn, yn := c.n, c.m
		if c.trans {
			xn, yn = c.m, c.n
		}
		x, y := randSlice(&r, xn), randSlice(&r, yn)
		want := make([]float64, yn)
		for i := range yn {
			var s float64
			for j := range xn {
				s += at(a, lda, c.trans, i, j) * x[j]
			}
			want[i] = c.alpha*s + c.beta*y[i]
		}
		Gemv(c.trans, c.m, c.n, c.alpha, a, lda, x, c.beta, y)
		closeSlices(t, "Gemv "+name, y, want, 1e-13)

		// Ger: A += α·u·vᵀ, padding untouched.
		u, v := randSlice(&r, c.m), randSlice(&r, c.n)
		wantA := append([]float64(nil), a...)
		for i := range c.m {
			for j := range c.n {
				wantA[i*lda+j] += c.alpha * u[i] * v[j]
			}
		}
		Ger(c.m, c.n, c.alpha, u, v, a, lda)
		closeSlices(t, "Ger "+name, a, wantA, 1e-14)
	}
}

func TestAxpyDot(t *testing.T) {
	r := NewRNG(12, 0)
	for _, n := range []int{0, 1, 3, 8, 101} {
		x, y := randSlice(&r, n), randSlice(&r, n)
		var want float64
		for i := range x {
			want += x[i] * y[i]
		}
		if got := Dot(x, y); math.Abs(got-want) > 1e-13 {
			t.Errorf("Dot(n=%d) = %v, want %v", n, got, want)
		}
		wantY := make([]float64, n)
		for i := range y {
			wantY[i] = y[i] + 0.7*x[i]
		}
		Axpy(0.7, x, y)
		closeSlices(t, fmt.Sprintf("Axpy n=%d", n), y, wantY, 1e-15)
	}
	defer func() {
		if recover() == nil {
			t.Error("Dot with different lengths did not panic")
		}
	}()
	Dot(make([]float64, 2), make([]float64, 3))
}

func TestAddActiveRows(t *testing.T) {
	r := NewRNG(13, 0)
	for _, c := range []struct {
		m, n, pad int
		p         float64 // fraction of active units
	}{
		{1, 1, 0, 1}, {5, 3, 0, 0.5}, {10, 7, 3, 0.3}, {64, 129, 1, 0.5}, {30, 4, 0, 0}, {30, 4, 0, 1},
	} {
		lda := c.n + c.pad
		a := randSlice(&r, c.m*lda)
		x := make([]float64, c.m)
		for i := range x {
			x[i] = r.Bernoulli(c.p)
		}
		y := randSlice(&r, c.n)
		want := append([]float64(nil), y...)
		Gemv(true, c.m, c.n, 1, a, lda, x, 1, want)
		AddActiveRows(y, x, a, c.m, c.n, lda)
		closeSlices(t, fmt.Sprintf("AddActiveRows m=%d n=%d lda=%d", c.m, c.n, lda), y, want, 1e-13)
	}
}

func BenchmarkGemm100x784x500(b *testing.B) {
	// A minibatch of 100 MNIST images times a 784×500 weight matrix.
	r := NewRNG(1, 0)
	const m, k, n = 100, 784, 500
	a, w, c := randSlice(&r, m*k), randSlice(&r, k*n), make([]float64, m*n)
	b.ReportAllocs()
	for b.Loop() {
		Gemm(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
	}
	b.ReportMetric(2*m*k*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemmBLAS100x784x500(b *testing.B) {
	r := NewRNG(1, 0)
	const m, k, n = 100, 784, 500
	a, w, c := randSlice(&r, m*k), randSlice(&r, k*n), make([]float64, m*n)
	b.ReportAllocs()
	for b.Loop() {
		GemmBLAS(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
	}
	b.ReportMetric(2*m*k*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemmBinary100x784x500(b *testing.B) {
	// The same product with a binary left operand (13% ones), as when
	// computing hidden inputs from sampled visible states.
	r := NewRNG(1, 0)
	const m, k, n = 100, 784, 500
	a, w, c := make([]float64, m*k), randSlice(&r, k*n), make([]float64, m*n)
	for i := range a {
		a[i] = r.Bernoulli(0.13)
	}
	b.ReportAllocs()
	for b.Loop() {
		Gemm(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
	}
}

func benchVisible(r *RNG) []float64 {
	x := make([]float64, 784)
	for i := range x {
		x[i] = r.Bernoulli(0.13) // about the density of binarised MNIST
	}
	return x
}

func BenchmarkAddActiveRows784x500(b *testing.B) {
	r := NewRNG(1, 0)
	a, y := randSlice(&r, 784*500), make([]float64, 500)
	x := benchVisible(&r)
	b.ReportAllocs()
	for b.Loop() {
		AddActiveRows(y, x, a, 784, 500, 500)
	}
}

func BenchmarkGemv784x500(b *testing.B) {
	// The same product as BenchmarkAddActiveRows784x500 through BLAS.
	r := NewRNG(1, 0)
	a, y := randSlice(&r, 784*500), make([]float64, 500)
	x := benchVisible(&r)
	b.ReportAllocs()
	for b.Loop() {
		Gemv(true, 784, 500, 1, a, 500, x, 1, y)
	}
}

// TestCompressList compares compressList and countNonzero at each level
// with the Go loop (LevelGo) on rows and columns of states with zeros of
// both signs, ones, other values and NaN. Negative control: a wrong last
// index must make the lists differ.
func TestCompressList(t *testing.T) {
	r := NewRNG(3, 0)
	const rows, cols = 7, 37
	x := make([]float64, rows*cols)
	idx, vals := make([]int32, cols+8), make([]float64, cols+8)
	want, wantVals := make([]int32, cols+8), make([]float64, cols+8)
	same := func(cnt int) bool {
		for i := range cnt {
			if idx[i] != want[i] || math.Float64bits(vals[i]) != math.Float64bits(wantVals[i]) {
				return false
			}
		}
		return true
	}
	for _, l := range kernels.Levels() {
		for _, p := range []float64{0, 0.1, 0.5, 1} {
			for i := range x {
				x[i] = r.Bernoulli(p)
				switch {
				case x[i] != 0 && r.Uint64()%8 == 0:
					x[i] = []float64{-1, 0.5, math.NaN(), math.Inf(1)}[r.Uint64()%4]
				case x[i] == 0 && r.Uint64()%2 == 0:
					x[i] = math.Copysign(0, -1)
				}
			}
			// Rows (stride 1) and columns (stride cols), at several scales.
			for _, c := range []struct{ n, off, stride, scale int }{
				{cols, 0, 1, 1}, {cols, 3 * cols, 1, 64}, {cols - 5, 2*cols + 5, 1, 8},
				{rows, 0, cols, 1}, {rows, 4, cols, 96}, {rows - 1, cols + 36, cols, 8},
			} {
				cnt, nu := compressList(l, c.n, x, c.off, c.stride, c.scale, idx, vals)
				wcnt, wnu := compressList(kernels.LevelGo, c.n, x, c.off, c.stride, c.scale, want, wantVals)
				if cnt != wcnt || nu != wnu || !same(cnt) {
					t.Fatalf("%s p=%g %+v: cnt, nonunit = %d, %t, want %d, %t (or the lists differ)", levelNames[l], p, c, cnt, nu, wcnt, wnu)
				}
				if cnt > 0 {
					idx[cnt-1]++
					if same(cnt) {
						t.Fatalf("%s: the comparison missed a wrong index", levelNames[l])
					}
				}
			}
			// The 5×34 block at row 1, column 2.
			nz := 0
			for i := 1; i < 6; i++ {
				for _, v := range x[i*cols+2 : i*cols+36] {
					if v != 0 {
						nz++
					}
				}
			}
			if got := countNonzero(l, 5, 34, x[cols+2:], cols); got != nz {
				t.Fatalf("%s p=%g: countNonzero = %d, want %d", levelNames[l], p, got, nz)
			}
		}
		if a := testing.AllocsPerRun(10, func() { compressList(l, cols, x, 0, 1, 8, idx, vals) }); a != 0 {
			t.Errorf("%s: compressList allocates %v times", levelNames[l], a)
		}
	}
}

// BenchmarkCompressList100x500 lists the nonzeros of a 100×500 binary state
// (a minibatch of hidden states) by rows (stride 1) and by columns (stride
// 500, as for op(A) = Aᵀ) at each level, with 50% and 10% ones.
func BenchmarkCompressList100x500(b *testing.B) {
	const rows, cols = 100, 500
	r := NewRNG(1, 0)
	x := make([]float64, rows*cols)
	idx, vals := make([]int32, cols+8), make([]float64, cols+8)
	for _, p := range []float64{0.5, 0.1} {
		for i := range x {
			x[i] = r.Bernoulli(p)
		}
		for _, l := range kernels.Levels() {
			b.Run(fmt.Sprintf("%s/p=%g/rows", levelNames[l], p), func(b *testing.B) {
				for b.Loop() {
					for i := range rows {
						compressList(l, cols, x, i*cols, 1, 8, idx, vals)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/p=%g/cols", levelNames[l], p), func(b *testing.B) {
				for b.Loop() {
					for j := range cols {
						compressList(l, rows, x, j, cols, 8, idx, vals)
					}
				}
			})
		}
	}
}

// The float32 packing of the float32 products (packA32, packB32: the dense
// kernel's panels and strips, the sparse kernel's strips of Bᵀ), at every
// level with float32 kernels, against packA and packB at the Go level
// narrowed by Go's conversions: the same panels to the bit, padding zeros
// included, for every transposition, partial tile and depth (multiples of
// 4 and not). The panels are pre-filled with NaN, which padding left
// unwritten would keep; a panel with a value changed must fail the
// comparison (negative control).
func TestPack32(t *testing.T) {
	r := NewRNG(15, 0)
	const ld = 73
	a := randSlice(&r, 80*ld)
	same := func(x, y []float32) int {
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return i
			}
		}
		return -1
	}
	for _, l := range levels() {
		if !has32(l) {
			continue
		}
		sh := shapes32[l]
		mr, nr := sh.mr, sh.nr
		var s gemmScratch
		for _, trans := range []bool{false, true} {
			for _, kb := range []int{1, 3, 4, 7, 16, 33} {
				p0 := 2
				ref := make([]float64, kb*mr)
				for rows := 1; rows <= mr; rows++ {
					got := make([]float32, kb*mr)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					s.packA32(l, trans, a, ld, 3, rows, p0, kb, mr, got)
					packA(kernels.LevelGo, trans, a, ld, 3, rows, p0, kb, mr, ref)
					want := make([]float32, kb*mr)
					for i := range want {
						want[i] = float32(ref[i])
					}
					if i := same(got, want); i >= 0 {
						t.Fatalf("%s packA32 trans=%v kb=%d rows=%d: [%d] = %g, want %g", levelNames[l], trans, kb, rows, i, got[i], want[i])
					}
					want[kb*mr/2] += 1
					if same(got, want) < 0 {
						t.Fatalf("%s: the comparison missed a changed value", levelNames[l])
					}
				}
				// Strips of the dense kernel (nr) and of the sparse one (gw).
				for _, w := range []int{nr, sh.gw} {
					for _, cols := range []int{1, 3, 4, 5, 9, 20, w - 1, w} {
						got := make([]float32, kb*w)
						for i := range got {
							got[i] = float32(math.NaN())
						}
						s.packB32(l, trans, a, ld, p0, kb, 5, cols, w, got)
						ref := make([]float64, kb*w)
						packB(kernels.LevelGo, trans, a, ld, p0, kb, 5, cols, w, w, ref)
						want := make([]float32, kb*w)
						for i := range want {
							want[i] = float32(ref[i])
						}
						if i := same(got, want); i >= 0 {
							t.Fatalf("%s packB32 trans=%v kb=%d w=%d cols=%d: [%d] = %g, want %g", levelNames[l], trans, kb, w, cols, i, got[i], want[i])
						}
					}
				}
			}
		}
		var s2 gemmScratch
		dst := make([]float32, 33*nr)
		s2.packA32(l, true, a, ld, 3, mr, 2, 33, mr, dst[:33*mr])
		s2.packB32(l, true, a, ld, 2, 33, 5, nr, nr, dst)
		if n := testing.AllocsPerRun(10, func() {
			s2.packA32(l, false, a, ld, 3, mr, 2, 33, mr, dst[:33*mr])
			s2.packB32(l, false, a, ld, 2, 33, 5, nr, nr, dst)
			s2.packB32(l, true, a, ld, 2, 33, 5, nr, nr, dst)
		}); n != 0 {
			t.Errorf("%s: packA32 and packB32 allocate %v times", levelNames[l], n)
		}
	}
}
