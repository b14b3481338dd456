package runtime

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// levels returns the kernel levels this machine can run, portable Go first.
func levels() []int { return kernels.Levels() }

var levelNames = []string{
	kernels.LevelGo:     "go",
	kernels.LevelAVX2:   "avx2",
	kernels.LevelAVX512: "avx512",
	kernels.LevelNEON:   "neon",
}

// withLevel runs f with the kernels of level l.
func withLevel(l int, f func()) {
	old := kernels.SetLevel(l)
	defer kernels.SetLevel(old)
	f()
}

// testWorkspaces returns nil and workspaces of 1, 2 and 3 threads.
func testWorkspaces(t testing.TB) []*Workspace {
	ws := []*Workspace{nil, NewWorkspace(1), NewWorkspace(2), NewWorkspace(3)}
	t.Cleanup(func() {
		for _, w := range ws {
			w.Close()
		}
	})
	return ws
}

// operand kinds: how the left operand of a product is filled.
const (
	opDense    = iota // uniform in [−1, 1)
	opBinary          // 0/1 with half zeros
	opFracZero        // fractional with 60% zeros
)

func fillOperand(r *RNG, x []float64, kind int) {
	for i := range x {
		switch kind {
		case opDense:
			x[i] = 2*r.Float64() - 1
		case opBinary:
			x[i] = r.Bernoulli(0.5)
		case opFracZero:
			if r.Float64() < 0.6 {
				x[i] = 0
			} else {
				x[i] = r.Float64()
			}
		}
	}
}

// naiveGemm returns α·op(A)·op(B) + β·C (C ignored when β = 0) and, per
// element, |α|·Σ|op(A)||op(B)| + |β·C|, the scale of its rounding error.
func naiveGemm(ta, tb bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) (want, scale []float64) {
	want = append([]float64(nil), c...)
	scale = make([]float64, len(c))
	for i := range m {
		for j := range n {
			var s, abs float64
			for l := range k {
				x, y := at(a, lda, ta, i, l), at(b, ldb, tb, l, j)
				s += x * y
				abs += math.Abs(x * y)
			}
			v, e := alpha*s, math.Abs(alpha)*abs
			if beta != 0 {
				v += beta * c[i*ldc+j]
				e += math.Abs(beta * c[i*ldc+j])
			}
			want[i*ldc+j], scale[i*ldc+j] = v, e
		}
	}
	return want, scale
}

// checkClose fails unless |got−want| ≤ tol·(scale+|want|) everywhere (so
// elements outside the product, where scale = 0 and want = C, must be
// untouched).
func checkClose(t *testing.T, name string, got, want, scale []float64, tol float64) {
	t.Helper()
	for i := range got {
		if got[i] == want[i] {
			continue
		}
		if !(math.Abs(got[i]-want[i]) <= tol*(scale[i]+math.Abs(want[i]))) {
			t.Fatalf("%s: element %d = %.17g, want %.17g", name, i, got[i], want[i])
		}
	}
}

type gemmCase struct {
	m, n, k        int
	ta, tb         bool
	padA, padB, pc int
	alpha, beta    float64
	kind           int
}

func gemmCases() []gemmCase {
	r := NewRNG(11, 0)
	var cs []gemmCase
	shapes := [][3]int{
		{1, 1, 1}, {1, 1, 0}, {3, 4, 0}, {0, 3, 2}, {2, 0, 3}, {1, 7, 1}, {7, 1, 9},
		{3, 5, 7}, {8, 24, 16}, {9, 25, 17}, {7, 23, 300}, {17, 33, 65}, {5, 64, 64},
		{13, 65, 129}, {33, 31, 97}, {40, 50, 40}, {64, 70, 80}, {41, 100, 260},
		{130, 70, 33}, {300, 40, 50}, {121, 97, 520}, {2, 300, 200},
	}
	betas := []float64{0, 1, -0.5, 2}
	alphas := []float64{1, -1, 0.75, 0}
	for si, s := range shapes {
		for f := range 4 {
			ta, tb := f&1 == 1, f&2 == 2
			kind := (si + f) % 3
			cs = append(cs, gemmCase{s[0], s[1], s[2], ta, tb, r.Intn(3), r.Intn(3), r.Intn(3),
				alphas[(si+f)%4], betas[(si+2*f)%4], kind})
		}
	}
	return cs
}

// operands returns random operands of the case, op(A) filled as its kind
// says, with their leading dimensions.
func (c gemmCase) operands(r *RNG) (a, b, cm []float64, lda, ldb, ldc int) {
	ar, ac := c.m, c.k
	if c.ta {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.tb {
		br, bc = c.n, c.k
	}
	lda, ldb, ldc = max(1, ac+c.padA), max(1, bc+c.padB), max(1, c.n+c.pc)
	a, b, cm = make([]float64, ar*lda), randSlice(r, br*ldb), randSlice(r, c.m*ldc)
	fillOperand(r, a, c.kind)
	return a, b, cm, lda, ldb, ldc
}

func runGemmCase(t *testing.T, w *Workspace, r *RNG, c gemmCase) {
	t.Helper()
	runGemmCaseTol(t, w, r, c, 1e-12)
}

// runGemmCaseTol checks one product against naiveGemm within tol of its
// error scale.
func runGemmCaseTol(t *testing.T, w *Workspace, r *RNG, c gemmCase, tol float64) {
	t.Helper()
	a, b, cm, lda, ldb, ldc := c.operands(r)
	if c.beta == 0 {
		for i := range c.m { // garbage that β = 0 must ignore
			for j := range c.n {
				cm[i*ldc+j] = math.NaN()
			}
		}
	}
	want, scale := naiveGemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
	w.Gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
	name := fmt.Sprintf("threads=%d float32=%v %+v", w.Threads(), w.Float32(), c)
	checkClose(t, name, cm, want, scale, tol)
}

func TestWorkspaceGemm(t *testing.T) {
	ws := testWorkspaces(t)
	for _, l := range levels() {
		t.Run(levelNames[l], func(t *testing.T) {
			withLevel(l, func() {
				r := NewRNG(12, uint64(l))
				for _, c := range gemmCases() {
					for _, w := range ws {
						runGemmCase(t, w, &r, c)
					}
				}
			})
		})
	}
}

// With SetFloat32 every product stays within the float32 bound of
// SetFloat32's doc, 2⁻²⁴·(1 + k)·(Σ|op(A)·op(B)| + |β·C|), on every case of
// TestWorkspaceGemm; on the W1 sizes with binary states the float32 kernel
// and, on a dense operand, the packed float32 kernel are seen to run (the
// results differ from float64's in the last bits) and to stay within
// 2⁻²⁴·(1 + nonzeros).
func TestWorkspaceGemmFloat32(t *testing.T) {
	if !has32(kernels.CPULevel) {
		t.Skip("no float32 kernels on this CPU (they need AVX2 and FMA, or AVX-512)")
	}
	ws := testWorkspaces(t)[1:]
	for _, w := range ws {
		if !w.SetFloat32(true) || !w.Float32() {
			t.Fatalf("SetFloat32(true) not in effect at level %s", levelNames[kernels.CPULevel])
		}
	}
	r := NewRNG(14, 0)
	for _, c := range gemmCases() {
		for _, w := range ws {
			runGemmCaseTol(t, w, &r, c, float64(1+c.k)*0x1p-24)
		}
	}
	const N, nv, nh = 100, 784, 500
	v, h, wt := make([]float64, N*nv), make([]float64, N*nh), randSlice(&r, nv*nh)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	vd := make([]float64, N*nv) // dense: the packed float32 kernel
	fillOperand(&r, vd, opDense)
	for _, p := range []struct {
		name       string
		tb         bool
		a          []float64
		m, n, k, l int
		nz         float64 // nonzeros per row of op(A)
	}{{"V·W", false, v, N, nh, nv, nh, nv / 2}, {"H·Wᵀ", true, h, N, nv, nh, nh, nh / 2}, {"dense V·W", false, vd, N, nh, nv, nh, nv}} {
		want, scale := naiveGemm(false, p.tb, p.m, p.n, p.k, 1, p.a, p.k, wt, p.l, 0, make([]float64, p.m*p.n), p.n)
		got64, got32 := make([]float64, p.m*p.n), make([]float64, p.m*p.n)
		NewWorkspace(2).Gemm(false, p.tb, p.m, p.n, p.k, 1, p.a, p.k, wt, p.l, 0, got64, p.n)
		ws[1].Gemm(false, p.tb, p.m, p.n, p.k, 1, p.a, p.k, wt, p.l, 0, got32, p.n)
		worst, differ := 0.0, 0
		for i := range want {
			if got32[i] != got64[i] {
				differ++
			}
			worst = max(worst, math.Abs(got32[i]-want[i])/scale[i])
		}
		nz := p.nz
		t.Logf("%s: %d of %d entries differ from float64, worst error %.2g of Σ|terms| (bound %.2g)", p.name, differ, len(want), worst, (1+nz)*0x1p-24)
		if differ < len(want)/2 {
			t.Errorf("%s: only %d of %d entries differ from the float64 product: is the float32 kernel running?", p.name, differ, len(want))
		}
		if worst > 1.2*(1+nz)*0x1p-24 {
			t.Errorf("%s: error %.3g of Σ|terms| exceeds the float32 bound", p.name, worst)
		}
	}
	var nilW *Workspace
	if nilW.SetFloat32(true) || nilW.Float32() {
		t.Error("a nil Workspace claims float32 products")
	}
}

// The sizes of the W1 benchmark, all three products, dense and binary.
func TestWorkspaceGemmRBMSizes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow reference")
	}
	ws := testWorkspaces(t)
	for _, l := range levels() {
		withLevel(l, func() {
			r := NewRNG(13, uint64(l))
			for _, kind := range []int{opDense, opBinary} {
				for _, c := range []gemmCase{
					{m: 100, n: 500, k: 784, kind: kind, alpha: 1, beta: 0},
					{m: 100, n: 784, k: 500, tb: true, kind: kind, alpha: 1, beta: 1},
					{m: 784, n: 500, k: 100, ta: true, kind: kind, alpha: -0.01, beta: 1},
				} {
					runGemmCase(t, ws[2+l%2], &r, c)
				}
			}
		})
	}
}

func TestWorkspaceGemvAddRows(t *testing.T) {
	ws := testWorkspaces(t)
	shapes := [][2]int{{1, 1}, {1, 9}, {9, 1}, {4, 4}, {5, 7}, {8, 16}, {17, 33}, {64, 100}, {130, 257}, {784, 500}, {0, 3}, {3, 0}}
	for _, l := range levels() {
		t.Run(levelNames[l], func(t *testing.T) {
			withLevel(l, func() {
				r := NewRNG(14, uint64(l))
				for si, s := range shapes {
					m, n := s[0], s[1]
					lda := n + si%3
					a := randSlice(&r, max(1, m*lda))
					for _, kind := range []int{opDense, opBinary, opFracZero} {
						for _, w := range ws {
							for _, trans := range []bool{false, true} {
								alpha, beta := []float64{1, -0.5, 2}[kind], []float64{0, 1, 0.25}[(si+kind)%3]
								xl, yl := n, m
								if trans {
									xl, yl = m, n
								}
								x, y := make([]float64, xl), randSlice(&r, yl+2)
								fillOperand(&r, x, kind)
								if beta == 0 {
									for i := range yl {
										y[i] = math.NaN()
									}
								}
								want, scale := append([]float64(nil), y...), make([]float64, len(y))
								for i := range yl {
									var s, abs float64
									for j := range xl {
										v := at(a, lda, trans, i, j) * x[j]
										s += v
										abs += math.Abs(v)
									}
									want[i], scale[i] = alpha*s, math.Abs(alpha)*abs
									if beta != 0 {
										want[i] += beta * y[i]
										scale[i] += math.Abs(beta * y[i])
									}
								}
								name := fmt.Sprintf("Gemv threads=%d trans=%v m=%d n=%d kind=%d", w.Threads(), trans, m, n, kind)
								w.Gemv(trans, m, n, alpha, a, lda, x, beta, y)
								checkClose(t, name, y, want, scale, 1e-12)

								if !trans {
									continue
								}
								// AddRows is Gemv(trans) with β = 1.
								y2 := randSlice(&r, n+1)
								want, scale = append([]float64(nil), y2...), make([]float64, len(y2))
								for j := range n {
									for i := range m {
										v := alpha * x[i] * a[i*lda+j]
										want[j] += v
										scale[j] += math.Abs(v)
									}
									scale[j] += math.Abs(y2[j])
								}
								w.AddRows(y2, x, a, m, n, lda, alpha)
								checkClose(t, "AddRows "+name, y2, want, scale, 1e-12)
							}
						}
					}
				}
			})
		})
	}
}

// The package-level functions are the nil-Workspace path.
func TestWorkspacePackageLevel(t *testing.T) {
	r := NewRNG(15, 0)
	const m, n, k = 13, 29, 70
	a, b := make([]float64, m*k), randSlice(&r, k*n)
	fillOperand(&r, a, opBinary)
	c1, c2 := randSlice(&r, m*n), make([]float64, m*n)
	copy(c2, c1)
	Gemm(false, false, m, n, k, 0.5, a, k, b, n, 1, c1, n)
	(*Workspace)(nil).Gemm(false, false, m, n, k, 0.5, a, k, b, n, 1, c2, n)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("element %d: %g vs %g", i, c1[i], c2[i])
		}
	}
}

func TestWorkspaceAllocs(t *testing.T) {
	r := NewRNG(16, 0)
	const m, k, n = 100, 784, 500
	v, h := make([]float64, m*k), make([]float64, m*n)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	vd := randSlice(&r, m*k)
	w, c := randSlice(&r, k*n), make([]float64, m*n)
	av, g := make([]float64, m*k), make([]float64, k*n)
	x, y := v[:k], make([]float64, n)
	ls := levels()
	if raceEnabled { // slow: only the CPU's own kernels
		ls = ls[len(ls)-1:]
	}
	runs := 5
	if testing.Short() {
		runs = 1
	}
	f32 := NewWorkspace(2)
	t.Cleanup(f32.Close)
	f32.SetFloat32(true)
	for _, ws := range append(testWorkspaces(t), f32) {
		for _, l := range ls {
			withLevel(l, func() {
				for name, f := range map[string]func(){
					"NN":      func() { ws.Gemm(false, false, m, n, k, 1, v, k, w, n, 0, c, n) },
					"NNdense": func() { ws.Gemm(false, false, m, n, k, 1, vd, k, w, n, 0, c, n) },
					"NT":      func() { ws.Gemm(false, true, m, k, n, 1, h, n, w, n, 1, av, k) },
					"TN":      func() { ws.Gemm(true, false, k, n, m, 0.1, v, k, h, n, 1, g, n) },
					"Gemv":    func() { ws.Gemv(false, k, n, 1, w, n, y, 0, av[:k]) },
					"GemvT":   func() { ws.Gemv(true, k, n, 1, w, n, x, 1, y) },
					"AddRows": func() { ws.AddRows(y, x, w, k, n, n, 1) },
				} {
					f() // warm-up: grows the buffers
					if a := testing.AllocsPerRun(runs, f); a != 0 {
						t.Errorf("threads=%d float32=%v level=%s %s: %v allocations per call", ws.Threads(), ws.Float32(), levelNames[l], name, a)
					}
				}
			})
		}
	}
}

// Workspaces used from several goroutines at once, one each (run with -race).
func TestWorkspaceConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewWorkspace(2)
			defer w.Close()
			r := NewRNG(17, uint64(g))
			for _, c := range gemmCases() {
				if c.m*c.n*c.k >= 1<<16 { // split among threads
					runGemmCase(t, w, &r, c)
				}
			}
		}()
	}
	wg.Wait()
}

func TestWorkspaceClose(t *testing.T) {
	w := NewWorkspace(3)
	w.Close()
	w.Close()
	if w.Threads() != 1 {
		t.Fatalf("Threads after Close = %d", w.Threads())
	}
	r := NewRNG(18, 0)
	runGemmCase(t, w, &r, gemmCase{m: 40, n: 60, k: 50, alpha: 1, beta: 0, kind: opBinary})
}

func TestWorkspaceSplit(t *testing.T) {
	for _, n := range []int{1, 7, 64, 500, 784} {
		for parts := 1; parts <= 4; parts++ {
			prev := 0
			for p := range parts + 1 {
				s := split(n, parts, 8, p)
				if s < prev || (p == 0 && s != 0) || (p == parts && s != n) || (s%8 != 0 && s != n) {
					t.Fatalf("split(%d, %d, 8, %d) = %d after %d", n, parts, p, s, prev)
				}
				prev = s
			}
		}
	}
}

// A Workspace computes the fields of the hidden units of a batch of chains,
// H = V·W, on two threads.
func ExampleWorkspace() {
	const N, nv, nh = 2, 3, 2
	v := []float64{ // binary visible states, N×nv
		1, 0, 1,
		0, 1, 0,
	}
	w := []float64{ // weights, nv×nh
		0.5, -1,
		2, 0,
		0.25, 1,
	}
	h := make([]float64, N*nh)
	ws := NewWorkspace(2)
	defer ws.Close()
	ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, h, nh)
	fmt.Println(h)
	// Output: [0.75 0 2 0]
}

// countTask counts how often each item is visited and records the parts.
type countTask struct {
	seen  []int
	parts [][2]int
	mu    sync.Mutex
}

func (c *countTask) RunRange(lo, hi int) {
	c.mu.Lock()
	c.parts = append(c.parts, [2]int{lo, hi})
	c.mu.Unlock()
	for i := lo; i < hi; i++ {
		c.seen[i]++
	}
}

// ForRange visits every item exactly once, splits only large enough work,
// and splits it among the threads.
func TestWorkspaceForRange(t *testing.T) {
	for _, ws := range testWorkspaces(t) {
		for _, c := range []struct{ n, cost, wantParts int }{
			{0, 1 << 20, 1},
			{1, 1 << 20, 1}, // one item cannot be split
			{100, 10, 1},    // too little work to wake a thread
			{100, 1 << 12, min(ws.Threads(), 100)},
			{2, 1 << 20, min(ws.Threads(), 2)},
		} {
			task := &countTask{seen: make([]int, c.n)}
			ws.ForRange(c.n, c.cost, task)
			for i, k := range task.seen {
				if k != 1 {
					t.Fatalf("threads=%d n=%d: item %d visited %d times", ws.Threads(), c.n, i, k)
				}
			}
			if len(task.parts) != c.wantParts {
				t.Errorf("threads=%d n=%d cost=%d: %d parts %v, want %d", ws.Threads(), c.n, c.cost, len(task.parts), task.parts, c.wantParts)
			}
		}
	}
}

// sumTask writes per-item sums, as a sampler's per-chain loop does.
type sumTask struct{ in, out []float64 }

func (s *sumTask) RunRange(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.out[i] = s.in[i] * 2
	}
}

func TestWorkspaceForRangeAllocs(t *testing.T) {
	task := &sumTask{in: make([]float64, 1000), out: make([]float64, 1000)}
	for _, ws := range testWorkspaces(t) {
		f := func() { ws.ForRange(1000, 1<<10, task) }
		f()
		if a := testing.AllocsPerRun(20, f); a != 0 {
			t.Errorf("threads=%d: %v allocations per ForRange", ws.Threads(), a)
		}
	}
}

// Workspace.Update gives SGD.Update's values bit for bit on any number of
// threads (with and without momentum, short and long slices), Clear zeroes,
// and neither allocates.
func TestWorkspaceUpdateClear(t *testing.T) {
	r := NewRNG(21, 0)
	for _, n := range []int{3, 70000, 392000} {
		for _, o := range []SGD{{LearningRate: 0.05, Momentum: 0.5, WeightDecay: 2e-4, Schedule: LinearDecay(10, 0.1)}, {LearningRate: 0.1}} {
			theta, grad, vel := randSlice(&r, n), randSlice(&r, n), randSlice(&r, n)
			if o.Momentum == 0 {
				vel = nil
			}
			want, wantVel := append([]float64(nil), theta...), append([]float64(nil), vel...)
			if vel == nil {
				wantVel = nil
			}
			o.Update(want, grad, wantVel, 3)
			for _, w := range testWorkspaces(t) {
				got, gotVel := append([]float64(nil), theta...), append([]float64(nil), vel...)
				if vel == nil {
					gotVel = nil
				}
				w.Update(&o, got, grad, gotVel, 3)
				for i := range want {
					if got[i] != want[i] || (vel != nil && gotVel[i] != wantVel[i]) {
						t.Fatalf("n=%d threads=%d momentum=%v: element %d = %v, SGD.Update gives %v (or the velocities differ)", n, w.Threads(), o.Momentum, i, got[i], want[i])
					}
				}
				x := randSlice(&r, n)
				w.Clear(x)
				for i, v := range x {
					if v != 0 {
						t.Fatalf("n=%d threads=%d: Clear left x[%d] = %v", n, w.Threads(), i, v)
					}
				}
				if a := testing.AllocsPerRun(5, func() { w.Update(&o, got, grad, gotVel, 3); w.Clear(x) }); a != 0 {
					t.Errorf("n=%d threads=%d: %v allocations per Update and Clear", n, w.Threads(), a)
				}
			}
		}
	}
}

// partsTask records which parts of a ForRange ran, and whether a part ran
// after ForRange had returned; part 0, the caller's, first sleeps for wait,
// part 1 for a millisecond (so that a part run late is seen as late).
type partsTask struct {
	ran            [2]atomic.Bool
	late, returned atomic.Bool
	wait           time.Duration
}

func (p *partsTask) RunRange(lo, hi int) {
	if lo == 0 {
		time.Sleep(p.wait)
	} else {
		time.Sleep(time.Millisecond)
		p.late.Store(p.returned.Load())
	}
	p.ran[min(lo, 1)].Store(true)
}

// A worker delayed between finishing the last part of one job and waking
// the caller must not wake the caller of the next job: that caller would
// return before the worker has run its part (a product with a part missing,
// then a count of pending parts off by one and a deadlock). The delays make
// the interleaving certain: the caller, slow on its own part of job 1,
// finds the worker's part done and returns at once, publishes job 2, runs
// its part, and parks while the worker still sleeps after job 1.
func TestWorkspaceLateWorkerDoesNotWakeTheNextJob(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	var calls atomic.Int32
	ws.pool.lastPartDone = func() {
		if calls.Add(1) == 1 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for job := 1; job <= 3; job++ {
		task := &partsTask{}
		if job == 1 {
			task.wait = 5 * time.Millisecond
		}
		ws.ForRange(2, 1<<20, task)
		task.returned.Store(true)
		time.Sleep(5 * time.Millisecond)
		if !task.ran[0].Load() || !task.ran[1].Load() || task.late.Load() {
			t.Fatalf("job %d: ForRange returned with part 0 done %v, part 1 done %v (late: %v)", job, task.ran[0].Load(), task.ran[1].Load(), task.late.Load())
		}
	}
}

// A caller delayed between publishing a job and waking the sleeping
// workers — preempted on a loaded machine — can find a worker that has run
// the job already (it saw it while spinning after the previous job),
// finished, and gone to sleep again: the wake it then sends has no job
// behind it. The worker must go back to sleep instead of running its part
// again, which would count the part twice (a product summed twice) and
// leave the count of pending parts off by one, so that a later job
// deadlocks or returns early. The delays make the interleaving certain:
// the caller sleeps past the worker's spin before waking it, and is still
// on its own, slow part when the stray wake arrives.
func TestWorkspaceWakeWithoutJob(t *testing.T) {
	ws := NewWorkspace(2) // not closed on a deadlock: Close would wait for the stuck job
	var calls atomic.Int32
	ws.pool.published = func() {
		if calls.Add(1)%2 == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	done := make(chan []int32)
	go func() {
		var hits []int32
		for job := range 20 {
			// Odd jobs follow the previous one at once (the worker still
			// spins) and are woken late.
			task := &hitTask{hits: make([]int32, 2)}
			if job%2 == 1 {
				task.slow = 5 * time.Millisecond
			}
			ws.ForRange(2, 1<<20, task)
			hits = append(hits, task.hits...)
		}
		done <- hits
	}()
	select {
	case hits := <-done:
		ws.Close()
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("job %d, index %d ran %d times, want once", i/2, i%2, h)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("jobs after a wake without a job deadlocked")
	}
}

// hitTask counts how often each index of its range is run; the part
// that starts at 0 first sleeps for slow.
type hitTask struct {
	hits []int32
	slow time.Duration
}

func (c *hitTask) RunRange(lo, hi int) {
	if lo == 0 {
		time.Sleep(c.slow)
	}
	for i := lo; i < hi; i++ {
		atomic.AddInt32(&c.hits[i], 1)
	}
}

// A pool closed after a product chose to split it and before the job was
// published — what the cleanup of an unreachable Workspace can do while a
// method of that Workspace still runs — has no workers left: the caller
// runs every part itself instead of waiting for them forever. And close
// waits for a job in progress, so the workers it stops hold no part.
func TestWorkspaceClosedMidProduct(t *testing.T) {
	w := NewWorkspace(2)
	p := w.pool
	p.close() // between parallel() and run()
	task := &hitTask{hits: make([]int32, 1024)}
	done := make(chan struct{})
	go func() {
		p.acquire()
		defer p.release()
		p.job = job{kind: jobRange, m: 1024, parts: 2, task: task}
		p.run()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a job on a closed pool waits for workers that have stopped: deadlock")
	}
	for i, h := range task.hits {
		if h != 1 {
			t.Fatalf("index %d ran %d times, want once", i, h)
		}
	}

	w2 := NewWorkspace(2)
	p2 := w2.pool
	p2.acquire() // a job in progress
	closed := make(chan struct{})
	go func() { p2.close(); close(closed) }()
	time.Sleep(20 * time.Millisecond)
	if p2.closed.Load() {
		t.Fatal("close stopped the workers while a job held the pool")
	}
	p2.release()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not finish after the job ended")
	}
}

// MeanStep on a workspace's threads gives what Sigmoids and Relax give on
// one (the same means, the same largest change), and reports a NaN change
// as NaN wherever it falls.
func TestWorkspaceMeanStep(t *testing.T) {
	r := NewRNG(12, 0)
	const n = 150000
	for _, threads := range []int{1, 2} {
		for _, damping := range []float64{0, 0.3} {
			a, mu := make([]float64, n), make([]float64, n)
			for i := range a {
				a[i], mu[i] = 4*r.Normal(), r.Float64()
			}
			wantMu, wantA := append([]float64(nil), mu...), append([]float64(nil), a...)
			Sigmoids(wantA, wantA, 0.7)
			want := Relax(wantMu, wantA, damping)
			w := NewWorkspace(threads)
			got := w.MeanStep(mu, a, Sigmoids, 0.7, damping)
			if got != want {
				t.Errorf("threads %d damping %g: largest change %g, want %g", threads, damping, got, want)
			}
			for i := range mu {
				if mu[i] != wantMu[i] {
					t.Fatalf("threads %d damping %g: mean %d = %g, want %g", threads, damping, i, mu[i], wantMu[i])
				}
			}
			a[n-1] = math.NaN() // in the last part
			if got := w.MeanStep(mu, a, Sigmoids, 1, damping); !math.IsNaN(got) {
				t.Errorf("threads %d: a NaN field gave largest change %g, want NaN", threads, got)
			}
			w.Close()
		}
	}
}

// The sparse kernel skips the depth blocks of op(A) without a nonzero and
// packs only the rows of op(B) its nonzeros select: op(A) zero in a
// pattern (all of it, its first depth block, all but three columns, all
// but two rows) gives the naive product on every level, thread count and
// precision, B held or not — a held B is packed whole even when the first
// product it serves reads none of it (the next, with nonzeros, reads the
// copy). As a control, the patterns are seen to reach the sparse kernel
// (sparseEnough) and the product to be nonzero where op(A) is.
func TestWorkspaceGemmZeroPatterns(t *testing.T) {
	ws := testWorkspaces(t)[1:]
	const m, n, k = 37, 70, 600 // k: several depth blocks on every level
	patterns := []struct {
		name string
		nz   func(i, p int) bool // whether op(A)[i, p] may be nonzero
	}{
		{"zero", func(i, p int) bool { return false }},
		{"first block zero", func(i, p int) bool { return p >= 200 }},
		{"three columns", func(i, p int) bool { return p == 3 || p == 301 || p == 599 }},
		{"two rows", func(i, p int) bool { return i == 0 || i == 20 }},
	}
	for _, f32 := range []bool{false, true} {
		for _, l := range levels() {
			if f32 && !has32(l) {
				continue
			}
			withLevel(l, func() {
				r := NewRNG(77, uint64(l))
				for _, pt := range patterns {
					for f := range 4 {
						ta, tb := f&1 == 1, f&2 == 2
						ar, ac := m, k
						if ta {
							ar, ac = k, m
						}
						a := make([]float64, ar*ac)
						for i := range m {
							for p := range k {
								if pt.nz(i, p) && r.Float64() < 0.5 {
									at := i*k + p
									if ta {
										at = p*m + i
									}
									a[at] = r.Float64() + 0.5
								}
							}
						}
						if !sparseEnough(l, ar, ac, a, ac, sparseLimit(l, f32)) {
							t.Fatalf("%s: pattern does not reach the sparse kernel", pt.name)
						}
						ldb := n
						if tb {
							ldb = k
						}
						b := randSlice(&r, k*n)
						for _, w := range ws {
							for _, held := range []bool{false, true} {
								w.SetFloat32(f32)
								if held {
									w.Hold(b)
								}
								for _, beta := range []float64{0, 0.5} {
									c := randSlice(&r, m*n)
									if beta == 0 {
										for i := range c {
											c[i] = math.NaN()
										}
									}
									want, scale := naiveGemm(ta, tb, m, n, k, 1.5, a, ac, b, ldb, beta, c, n)
									w.Gemm(ta, tb, m, n, k, 1.5, a, ac, b, ldb, beta, c, n)
									checkClose(t, fmt.Sprintf("level %s f32=%v threads=%d held=%v %s ta=%v tb=%v β=%v", levelNames[l], f32, w.Threads(), held, pt.name, ta, tb, beta), c, want, scale, tol(w, k))
									// Control: a nonzero row of op(A) gives a nonzero row of C.
									if pt.name == "two rows" && beta == 0 && !slices.ContainsFunc(c[:n], func(x float64) bool { return x != 0 }) {
										t.Errorf("%s: row 0 of the product is zero", pt.name)
									}
								}
								// A held B first read by a zero op(A), then by a nonzero one.
								if held {
									z := make([]float64, ar*ac)
									c := make([]float64, m*n)
									w.Gemm(ta, tb, m, n, k, 1, z, ac, b, ldb, 0, c, n)
									if !slices.Equal(c, make([]float64, m*n)) {
										t.Errorf("%s: zero op(A) gave a nonzero product", pt.name)
									}
									w.Release()
									for i := range b { // new weights, not the copy already packed
										b[i] = 2*b[i] + 1
									}
									w.Hold(b)
									w.Gemm(ta, tb, m, n, k, 1, z, ac, b, ldb, 0, c, n)
									want, scale := naiveGemm(ta, tb, m, n, k, 1, a, ac, b, ldb, 0, c, n)
									w.Gemm(ta, tb, m, n, k, 1, a, ac, b, ldb, 0, c, n)
									checkClose(t, fmt.Sprintf("level %s f32=%v threads=%d %s ta=%v tb=%v: held B after a zero product", levelNames[l], f32, w.Threads(), pt.name, ta, tb), c, want, scale, tol(w, k))
									w.Release()
								}
								w.SetFloat32(false)
							}
						}
					}
				}
			})
		}
	}
}

// tol is the relative error bound of w's products of depth k.
func tol(w *Workspace, k int) float64 {
	if w.Float32() {
		return float64(1+k) * 0x1p-24
	}
	return 1e-12
}

// A worker slow to start — its thread descheduled on a machine with more
// busy threads than cores — does not hold up the job: the caller, done
// with part 0, runs the worker's part itself and returns while the worker
// is still held, and the worker, once it runs, leaves the part alone (every
// index runs once, on the same parts). As a control, the hold is seen to
// outlast the job.
func TestWorkspaceCallerRunsUnclaimedParts(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	var held, released atomic.Bool
	ws.pool.claiming = func() {
		if held.CompareAndSwap(false, true) {
			time.Sleep(300 * time.Millisecond)
			released.Store(true)
		}
	}
	// Part 0 sleeps long enough for the worker to wake and be held.
	task := &hitTask{hits: make([]int32, 64), slow: 50 * time.Millisecond}
	ws.ForRange(64, 1<<20, task)
	if !held.Load() {
		t.Fatal("the worker was not woken during a 50 ms part: the hold was not exercised")
	}
	if released.Load() {
		t.Fatal("ForRange waited for a worker that had not claimed its part")
	}
	task.slow = 0
	for job := range 5 { // later jobs, the worker released or not
		for i, h := range task.hits {
			if h != int32(1+job) {
				t.Fatalf("job %d: index %d ran %d times, want %d", job, i, h, 1+job)
			}
		}
		ws.ForRange(64, 1<<20, task)
	}
	time.Sleep(400 * time.Millisecond)
	for i, h := range task.hits {
		if h != 6 {
			t.Fatalf("after the worker's release: index %d ran %d times, want 6", i, h)
		}
	}
}

// Jobs alternating between two workspaces — a trainer whose batches of
// chains have pools of their own — run every part once: a worker whose
// pool is not the active one parks instead of spinning, and is woken for
// its pool's next job.
func TestWorkspaceAlternatingPools(t *testing.T) {
	a, b := NewWorkspace(2), NewWorkspace(2)
	defer a.Close()
	defer b.Close()
	for job := range 200 {
		for _, w := range []*Workspace{a, b} {
			task := &hitTask{hits: make([]int32, 8)}
			if job%7 == 0 {
				task.slow = 300 * time.Microsecond // past the spin
			}
			w.ForRange(8, 1<<20, task)
			for i, h := range task.hits {
				if h != 1 {
					t.Fatalf("job %d: index %d ran %d times, want once", job, i, h)
				}
			}
		}
	}
}
