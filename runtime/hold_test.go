package runtime

import (
	"fmt"
	"math"
	goruntime "runtime"
	"testing"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// bump adds 1 to every element of b, so that a product that reads b afresh
// gives a different result.
func bump(b []float64) {
	for i := range b {
		b[i]++
	}
}

// With B held, every product of TestWorkspaceGemm gives the product of the
// unheld workspace, on the first call (which packs B) and on the next (which
// reads the packed copy); a change to B is not seen until Release — which
// shows that the copy is what is read — and is seen after it.
func TestHoldGemm(t *testing.T) {
	ws := testWorkspaces(t)
	lv := levels()
	if testing.Short() {
		lv = lv[len(lv)-1:] // the kernels this CPU runs; the others in the full suite
	}
	precisions := []bool{false, true}
	if testing.Short() {
		precisions = precisions[:1] // float32 in the full suite
	}
	for _, f32 := range precisions {
		for _, l := range lv {
			if f32 && !has32(l) {
				continue
			}
			t.Run(fmt.Sprintf("%s/float32=%v", levelNames[l], f32), func(t *testing.T) {
				withLevel(l, func() {
					r := NewRNG(41, uint64(l))
					for _, w := range ws {
						w.SetFloat32(f32)
						for _, c := range gemmCases() {
							checkHeldGemm(t, w, &r, c, l)
						}
						w.SetFloat32(false)
					}
				})
			})
		}
	}
}

func checkHeldGemm(t *testing.T, w *Workspace, r *RNG, c gemmCase, l int) {
	t.Helper()
	tol := 1e-12
	if w.Float32() {
		tol = float64(1+c.k) * 0x1p-24
	}
	a, b, c0, lda, ldb, ldc := c.operands(r)
	name := fmt.Sprintf("threads=%d float32=%v %+v", w.Threads(), w.Float32(), c)
	product := func() []float64 {
		cm := append([]float64(nil), c0...)
		w.Gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
		return cm
	}
	check := func(what string, got []float64) {
		t.Helper()
		want, scale := naiveGemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, c0, ldc)
		checkClose(t, name+": "+what, got, want, scale, tol)
	}
	unheld := product()
	w.Hold(b)
	if w != nil && len(b) > 0 && !w.Held(b) {
		t.Fatalf("%s: b is not held after Hold", name)
	}
	first := product()
	second := product()
	check("held, first call", first)
	for i := range first {
		if first[i] != unheld[i] && !(math.IsNaN(first[i]) && math.IsNaN(unheld[i])) || second[i] != first[i] {
			t.Fatalf("%s: element %d: unheld %v, held %v then %v", name, i, unheld[i], first[i], second[i])
		}
	}
	bump(b)
	stale := product()
	packs := w != nil && c.m > 0 && c.n > 0 && c.k > 0 && c.alpha != 0
	if packs {
		for i := range stale {
			if stale[i] != first[i] {
				t.Fatalf("%s: element %d changed with B while B was held: the packed copy is not what is read", name, i)
			}
		}
	}
	w.Release()
	if w.Held(b) {
		t.Fatalf("%s: b is held after Release", name)
	}
	check("after Release", product())
}

// Gemv and AddRows with A held: in float32 they read the held copy (of Aᵀ
// for Gemv); all stay within their precision's bound of the exact product.
func TestHoldGemvAddRows(t *testing.T) {
	ws := testWorkspaces(t)
	shapes := [][2]int{{1, 1}, {1, 9}, {9, 1}, {5, 7}, {17, 33}, {64, 100}, {130, 257}, {784, 500}}
	for _, f32 := range []bool{false, true} {
		for _, l := range levels() {
			if f32 && !has32(l) {
				continue
			}
			withLevel(l, func() {
				r := NewRNG(42, uint64(l))
				for si, s := range shapes {
					for _, kind := range []int{opDense, opBinary, opFracZero} {
						for _, trans := range []bool{false, true} {
							for _, w := range ws {
								w.SetFloat32(f32)
								checkHeldGemv(t, w, &r, s[0], s[1], s[1]+si%3, kind, trans, l, si)
								w.SetFloat32(false)
							}
						}
					}
				}
			})
		}
	}
}

func checkHeldGemv(t *testing.T, w *Workspace, r *RNG, m, n, lda, kind int, trans bool, l, si int) {
	t.Helper()
	a := randSlice(r, m*lda)
	alpha, beta := []float64{1, -0.5, 2}[kind], []float64{0, 1, 0.25}[(si+kind)%3]
	xl, yl := n, m
	if trans {
		xl, yl = m, n
	}
	x, y0 := make([]float64, xl), randSlice(r, yl+2)
	fillOperand(r, x, kind)
	f32 := w.Float32()
	tol := 1e-12
	if f32 {
		tol = float64(1+xl) * 0x1p-24
	}
	name := fmt.Sprintf("%s threads=%d float32=%v trans=%v m=%d n=%d kind=%d", levelNames[l], w.Threads(), f32, trans, m, n, kind)
	gemv := func() []float64 {
		y := append([]float64(nil), y0...)
		w.Gemv(trans, m, n, alpha, a, lda, x, beta, y)
		return y
	}
	addRows := func() []float64 {
		y := append([]float64(nil), y0...)
		w.AddRows(y, x, a, m, n, lda, alpha)
		return y
	}
	exact := func(b float64) (want, scale []float64) {
		want, scale = append([]float64(nil), y0...), make([]float64, len(y0))
		for i := range yl {
			var s, abs float64
			for j := range xl {
				v := at(a, lda, trans, i, j) * x[j]
				s += v
				abs += math.Abs(v)
			}
			want[i], scale[i] = alpha*s+b*y0[i], math.Abs(alpha)*abs+math.Abs(b*y0[i])
		}
		return want, scale
	}
	// Which products read a held copy.
	gemvHeld := w != nil && f32
	addHeld := w != nil && f32
	w.Hold(a)
	for _, p := range []struct {
		what    string
		run     func() []float64
		b       float64
		reads   bool
		applies bool
	}{{"Gemv", gemv, beta, gemvHeld, true}, {"AddRows", addRows, 1, addHeld, trans}} {
		if !p.applies {
			continue
		}
		want, scale := exact(p.b)
		first, second := p.run(), p.run()
		checkClose(t, name+" "+p.what+" held", first, want, scale, tol)
		checkClose(t, name+" "+p.what+" held, again", second, want, scale, tol)
		if p.reads && m > 0 && n > 0 {
			bump(a)
			stale := p.run()
			for i := range stale {
				if stale[i] != second[i] {
					t.Fatalf("%s %s: element %d changed with A while A was held", name, p.what, i)
				}
			}
			for i := range a {
				a[i]--
			}
		}
	}
	w.Release()
	bump(a)
	want, scale := exact(beta)
	checkClose(t, name+" Gemv after Release", gemv(), want, scale, tol)
}

// Held products allocate nothing once warmed up, in float64 and float32.
func TestHoldAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := NewRNG(43, 0)
	const N, nv, nh = 100, 784, 500
	wt := randSlice(&r, nv*nh)
	v, h := make([]float64, N*nv), make([]float64, N*nh)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	av, ah := make([]float64, N*nv), make([]float64, N*nh)
	for _, f32 := range []bool{false, true} {
		w := NewWorkspace(2)
		defer w.Close()
		w.SetFloat32(f32)
		step := func() {
			w.Hold(wt)
			for range 3 {
				w.Gemm(false, false, N, nh, nv, 1, v, nv, wt, nh, 0, ah, nh)
				w.Gemm(false, true, N, nv, nh, 1, h, nh, wt, nh, 0, av, nv)
				w.Gemv(false, nv, nh, 1, wt, nh, h, 0, av)
				w.Gemv(true, nv, nh, 1, wt, nh, v, 0, ah)
			}
			w.Release()
		}
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("float32=%v: %v allocations per held run", f32, n)
		}
	}
}

// Holding the weights for a run of products over fixed parameters: the
// first product packs W, the others read the packed copy, until Release.
func ExampleWorkspace_Hold() {
	const N, nv, nh = 2, 3, 2
	v := []float64{1, 0, 1, 0, 1, 0}       // binary visible states, N×nv
	w := []float64{0.5, -1, 2, 0, 0.25, 1} // weights, nv×nh
	h := make([]float64, N*nh)
	ws := NewWorkspace(2)
	defer ws.Close()
	ws.Hold(w)
	for range 3 {
		ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, h, nh)
	}
	ws.Release()
	fmt.Println(h, ws.Held(w))
	// Output: [0.75 0 2 0] false
}

// A held product does not allocate when Gemm switches between its dense
// and sparse-row kernels (the density of op(A) crossing sparseMaxDensity),
// in either order: after the first held call with one kernel, the first
// call with the other allocates nothing.
func TestHoldAllocsKernelSwitch(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := NewRNG(44, 0)
	const N, nv, nh = 100, 784, 500
	wt := randSlice(&r, nv*nh)
	dense := map[bool][]float64{false: make([]float64, N*nv), true: make([]float64, N*nh)}
	sparse := map[bool][]float64{false: make([]float64, N*nv), true: make([]float64, N*nh)}
	for _, tb := range []bool{false, true} {
		fillOperand(&r, dense[tb], opDense)
		for i := range sparse[tb] {
			sparse[tb][i] = r.Bernoulli(0.1)
		}
	}
	out := make([]float64, N*nv)
	for _, threads := range []int{1, 2} {
		for _, f32 := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, denseFirst := range []bool{true, false} {
					m, n, k := N, nh, nv
					if tb {
						n, k = nv, nh
					}
					if !sparseEnough(kernels.Level, m, k, sparse[tb], k, sparseLimit(kernels.Level, f32)) || sparseEnough(kernels.Level, m, k, dense[tb], k, sparseLimit(kernels.Level, f32)) {
						t.Fatal("the operands do not select both kernels")
					}
					first, second := dense[tb], sparse[tb]
					if !denseFirst {
						first, second = second, first
					}
					measure := func() float64 {
						w := NewWorkspace(threads)
						defer w.Close()
						w.SetFloat32(f32)
						gemm := func(a []float64) { w.Gemm(false, tb, m, n, k, 1, a, k, wt, nh, 0, out, n) }
						w.Hold(wt)
						defer w.Release()
						warm := false
						return testing.AllocsPerRun(1, func() {
							if !warm {
								gemm(first) // the warm-up run: the first kernel only
								warm = true
								return
							}
							gemm(second)
							gemm(first)
						})
					}
					// AllocsPerRun counts the whole process's allocations, so
					// a cleanup of an earlier test's workspace running
					// meanwhile can add one. An allocation of the switch
					// itself happens on every fresh workspace: it fails all
					// three attempts, a stray one does not.
					allocs := measure()
					for try := 0; try < 2 && allocs != 0; try++ {
						goruntime.GC()
						allocs = measure()
					}
					if allocs != 0 {
						t.Errorf("threads=%d float32=%v transB=%v denseFirst=%v: %v allocations on switching kernels", threads, f32, tb, denseFirst, allocs)
					}
				}
			}
		}
	}
}
