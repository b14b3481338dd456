package runtime

import (
	"errors"
	"math"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// A Workspace runs the dense products of generated samplers and trainers
// (Gemm, Gemv, AddRows) with packed, register-blocked assembly kernels on
// several cores. It owns per-thread packing buffers, grown on first use and
// reused afterwards, and a pool of worker goroutines started once by
// NewWorkspace; after a warm-up call of a given size its methods do not
// allocate.
//
// The methods compute exactly what the package-level Gemm, Gemv and AddRows
// compute, up to rounding: sums may be evaluated in a different order and
// with fused multiply-adds.
//
// A Workspace is used by one goroutine at a time. A nil *Workspace is valid:
// its methods run single-threaded on the caller's goroutine without packing
// (vectorised, zero-skipping loops), as the package-level functions do.
type Workspace struct {
	*pool
}

// NewWorkspace returns a Workspace that splits each large enough product
// among threads goroutines (the caller's and threads−1 workers); threads ≤ 0
// means GOMAXPROCS. Close stops the workers; a Workspace that becomes
// unreachable is closed by the garbage collector.
func NewWorkspace(threads int) *Workspace {
	if threads <= 0 {
		threads = goruntime.GOMAXPROCS(0)
	}
	p := &pool{threads: threads, scratch: make([]gemmScratch, threads), partial: make([][]float64, threads), listParts: make([]*rowLists, threads),
		avail: make([]atomic.Uint64, threads)}
	for t := range p.scratch {
		p.scratch[t].hold = &p.hold
	}
	p.workers = make([]worker, threads-1)
	for i := range p.workers {
		p.workers[i].wake = make(chan struct{}, 1)
	}
	p.done = make(chan struct{}, 1)
	p.wg.Add(len(p.workers))
	for i := range p.workers {
		go p.work(i + 1)
	}
	w := &Workspace{p}
	goruntime.AddCleanup(w, func(p *pool) { p.close() }, p)
	return w
}

// Close stops the worker goroutines. The Workspace stays usable, on one
// thread. Close is idempotent.
func (w *Workspace) Close() {
	if w != nil && w.pool != nil {
		w.pool.close()
	}
}

// Threads returns the number of threads a product may use (1 for nil).
func (w *Workspace) Threads() int {
	if w == nil || w.pool == nil || w.closed.Load() {
		return 1
	}
	return w.threads
}

// SetFloat32 chooses the precision of Gemm: with on, both of its kernels —
// the sparse-row kernel for left operands sparse enough (binary unit
// states) and the packed dense kernel — read op(A) and op(B) rounded to
// float32 and accumulate in float32 before the sums are scaled by α and
// added to β·C in float64. That halves the bytes the kernels read and
// doubles the width of their vectors. Each entry then errs by at most about
// 2⁻²⁴·(1 + k′)·(Σ|op(A)[r,p]·op(B)[p,j]| + |β·C|), k′ the number of
// nonzero terms (float32 rounding of every term and of every partial sum),
// against float64's 2⁻⁵²; with AVX-512 a strip of 32 columns or fewer of
// the sparse kernel (the last strip of a matrix) stays float64. Gemv and
// AddRows (one chain) read float32 copies of a held A (Hold) and float64
// otherwise. The float32 kernels need AVX2 and FMA, or AVX-512 (amd64);
// SetFloat32 reports whether they are in effect (false on other CPUs, where
// every product stays float64, and for a nil Workspace).
func (w *Workspace) SetFloat32(on bool) bool {
	if w == nil || w.pool == nil {
		return false
	}
	on = on && has32(kernels.Level)
	for t := range w.scratch {
		w.scratch[t].f32 = on
	}
	return on
}

// HasFloat32 reports whether this CPU has the float32 kernels that
// SetFloat32 needs (AVX2 and FMA, or AVX-512, on amd64).
func HasFloat32() bool { return has32(kernels.Level) }

// Float32 reports whether the products of Gemm run in float32.
func (w *Workspace) Float32() bool {
	return w != nil && w.pool != nil && len(w.scratch) > 0 && w.scratch[0].f32
}

// How a product is divided among threads.
const (
	splitCols = iota // columns of C (and of op(B))
	splitRows        // rows of C (and of op(A))
	splitK           // the inner dimension; partial products are summed
)

// Job kinds.
const (
	jobGemm = iota
	jobAddRows
	jobGemvN
	jobReduce // C += Σ partial products of splitK
	jobRange  // a RangeTask over [0, m)
	jobLists  // list the nonzeros of a part of the rows of a sparse op(A)
)

// job holds the arguments of the product being split; written by the caller
// before it publishes a new sequence number, read by workers after.
type job struct {
	kind   int
	lv     int
	sparse bool
	split  int // splitCols, splitRows or splitK
	unit   int // alignment of the split
	parts  int

	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	a, b, c        []float64
	lda, ldb, ldc  int

	x, y []float64 // AddRows, Gemv

	task RangeTask // ForRange
}

// worker is the parking state of one worker goroutine.
type worker struct {
	sleeping atomic.Int32
	wake     chan struct{}
	_        [48]byte // keep workers on separate cache lines
}

// pool is the state shared with the workers (kept apart from Workspace so
// that an unreachable Workspace can be cleaned up).
type pool struct {
	threads   int
	scratch   []gemmScratch
	partial   [][]float64 // AddRows partial sums of threads ≥ 1
	listParts []*rowLists // every thread's lists of a sparse op(A) (jobLists)
	job       job

	seq atomic.Uint64 // bumped to publish a job
	// avail[t] is the sequence number of the job whose part t (t ≥ 1) is
	// still unclaimed, 0 once it is claimed: worker t claims it, and the
	// caller, done with part 0, claims and runs those still left, so that
	// a worker that is slow to start — its thread descheduled on a machine
	// with more busy threads than cores, or a parked thread slow to wake —
	// does not hold up the job. The parts stay the same, whoever runs them.
	avail []atomic.Uint64
	// pending counts the claimed parts ≥ 1 not yet finished (and those
	// not yet claimed): the job ends when it is 0.
	pending atomic.Int32
	// busy is set while a job runs: a second goroutine that dispatches a
	// job on the same workspace meanwhile panics instead of deadlocking.
	busy atomic.Bool
	// callerSleeping is the sequence number of the job the caller sleeps
	// on, 0 while it does not. A worker that finishes the last part of job
	// s wakes the caller only by swapping s for 0: a worker delayed between
	// its last part and that swap must not wake the caller of a later job,
	// which would return before the parts of that job are done.
	callerSleeping atomic.Uint64
	// lastPartDone, if set (by tests), runs in a worker after it finished
	// the last part of a job and before it wakes the caller.
	lastPartDone func()
	// claiming, if set (by tests), runs in a worker woken for a job before
	// it claims its part.
	claiming func()
	// published, if set (by tests), runs in the caller after it published
	// a job and before it wakes the sleeping workers.
	published func()
	done      chan struct{}
	closed    atomic.Bool
	closeOnce sync.Once
	wg        sync.WaitGroup
	workers   []worker

	update updateTask // the SGD step Update is running
	zero   clearTask  // the slice Clear is zeroing
	mean   meanTask   // the layer MeanStep is updating

	hold holdState // the matrices Hold declared fixed
}

// How long a waiting goroutine spins before it parks on a channel: short
// gaps between products (the sampler's own work between two products) are
// bridged without the cost of waking a thread.
const spinTime = 200 * time.Microsecond

// spinUntil spins until cond holds or spinTime has passed; it reports
// whether cond held. It yields to other goroutines, and now and then to
// other threads, while it waits.
func spinUntil(cond func() bool) bool {
	var t0 time.Time
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		switch {
		case i&1023 == 1023:
			osYield()
		case i&63 == 63:
			if t0.IsZero() {
				t0 = time.Now()
			} else if time.Since(t0) > spinTime {
				return false
			}
			goruntime.Gosched()
		default:
			kernels.SpinPause()
		}
	}
}

// active is the pool that published the latest job, of all the
// workspaces of the process. Each pool has GOMAXPROCS − 1 workers of its
// own, so the caller and the workers of the active pool need every
// processor: a worker of another pool that spun on would hold a processor
// that a woken worker of the active pool waits for (the woken goroutine
// queues behind the spinning one), and a trainer that runs its batches'
// products on several workspaces in turn would then use one core at a
// time. A worker therefore stops spinning, and parks, as soon as another
// pool publishes a job.
var active atomic.Pointer[pool]

func (p *pool) work(t int) {
	defer p.wg.Done()
	w := &p.workers[t-1]
	var last uint64 // the sequence number before any job
	newJob := func() bool { return p.seq.Load() != last || active.Load() != p }
	for {
		if !spinUntil(newJob) || p.seq.Load() == last {
			w.sleeping.Store(1)
			if p.seq.Load() != last {
				if !w.sleeping.CompareAndSwap(1, 0) {
					<-w.wake // the caller is sending
				}
			} else {
				<-w.wake
			}
		}
		cur := p.seq.Load()
		if cur == last {
			// A wake with no job behind it: the caller of the job this
			// worker has already run (found while spinning) was delayed
			// between publishing it and waking the sleepers, and woke
			// this worker after it had gone to sleep again. Running on
			// would redo a part of that job and count it twice.
			continue
		}
		last = cur
		if p.closed.Load() {
			return
		}
		// The job is read only once its part t is claimed: a job without
		// part t, or whose part the caller took, is not touched.
		if p.claiming != nil {
			p.claiming()
		}
		if !p.avail[t].CompareAndSwap(cur, 0) {
			continue
		}
		p.runPart(t)
		if p.pending.Add(-1) == 0 {
			if p.lastPartDone != nil {
				p.lastPartDone()
			}
			if p.callerSleeping.CompareAndSwap(last, 0) {
				p.done <- struct{}{}
			}
		}
	}
}

// run executes p.job on p.job.parts threads, part 0 on the caller's
// goroutine, and returns when all parts are done.
// acquire marks the pool busy before a job is published, and panics with
// ErrConcurrentUse when another goroutine's job holds it; release ends the
// job's use.
func (p *pool) acquire() {
	if !p.busy.CompareAndSwap(false, true) {
		panic(ErrConcurrentUse)
	}
}

func (p *pool) release() { p.busy.Store(false) }

// ErrConcurrentUse is the panic value of a Workspace that two goroutines
// use at once.
var ErrConcurrentUse = errors.New("runtime: a Workspace is used by two goroutines at once: two calls on one batch of chains (or model statistics), or two batches sharing a workspace; " +
	"a batch, and the workspace it runs on, belong to one goroutine at a time — give each goroutine its own batch (NewXChains), trainer or estimator")

// run runs the published job on every thread and waits for it — also
// when part 0 panics (a recovered panic must not leave the workers' parts
// of this job running into the next one, whose count of pending parts
// they would then decrement).
//
// A pool closed since the job's caller chose its parts — Close, or the
// cleanup that closes the pool of an unreachable Workspace, which the
// garbage collector may run while a method of that Workspace is still
// executing — has no workers: its caller then runs every part itself.
func (p *pool) run() {
	if p.closed.Load() {
		for t := range p.job.parts {
			p.runPart(t)
		}
		return
	}
	parts := p.job.parts
	p.pending.Store(int32(parts - 1))
	if active.Load() != p {
		active.Store(p)
	}
	// The parts are offered before the job is published (only the caller
	// and close, both holding busy, change seq).
	s := p.seq.Load() + 1
	for t := 1; t < parts; t++ {
		p.avail[t].Store(s)
	}
	p.seq.Store(s)
	if p.published != nil {
		p.published()
	}
	for i := range p.workers[:parts-1] {
		if p.workers[i].sleeping.CompareAndSwap(1, 0) {
			p.workers[i].wake <- struct{}{}
		}
	}
	defer p.wait(s)
	p.runPart(0)
	for t := 1; t < parts; t++ {
		if p.avail[t].CompareAndSwap(s, 0) {
			p.pending.Add(-1)
			p.runPart(t)
		}
	}
}

// wait returns when every part of job s that a worker claimed is
// finished; it withdraws the parts still unclaimed (left when part 0
// panicked).
func (p *pool) wait(s uint64) {
	for t := 1; t < len(p.avail); t++ {
		if p.avail[t].CompareAndSwap(s, 0) {
			p.pending.Add(-1)
		}
	}
	if spinUntil(func() bool { return p.pending.Load() == 0 }) {
		return
	}
	p.callerSleeping.Store(s)
	if p.pending.Load() == 0 {
		if p.callerSleeping.CompareAndSwap(s, 0) {
			return
		}
	}
	<-p.done
}

// close stops the workers. It waits for a job in progress to end (busy),
// so that the workers it stops never hold a part of a job.
func (p *pool) close() {
	p.closeOnce.Do(func() {
		for !p.busy.CompareAndSwap(false, true) {
			goruntime.Gosched()
		}
		defer p.release()
		p.closed.Store(true)
		p.seq.Add(1)
		for i := range p.workers {
			if p.workers[i].sleeping.CompareAndSwap(1, 0) {
				p.workers[i].wake <- struct{}{}
			}
		}
		p.wg.Wait()
	})
}

// parallel reports how many parts a product of the given cost (in
// multiply-adds) is split into.
func (w *Workspace) parallel(cost int) int {
	if w == nil || w.pool == nil || w.threads < 2 || w.closed.Load() || cost < 1<<16 {
		return 1
	}
	return w.threads
}

// splitUnit aligns the parts of the rows of a matrix divided among threads:
// a 784-row weight matrix is cut at row 384 by Gemm (whichever of its
// products), Gemv and AddRows alike, so each core always sees the same rows.
// It is a multiple of every kernel's mr and of the sparse strip width.
const splitUnit = 64

// split returns the start of part t of [0, n) cut into parts pieces whose
// boundaries are multiples of unit.
func split(n, parts, unit, t int) int {
	if t >= parts {
		return n
	}
	units := (n + unit - 1) / unit
	return min(n, units*t/parts*unit)
}

func (p *pool) runPart(t int) {
	j := &p.job
	switch j.kind {
	case jobGemm:
		switch j.split {
		case splitRows:
			r0, r1 := split(j.m, j.parts, j.unit, t), split(j.m, j.parts, j.unit, t+1)
			if r0 >= r1 {
				return
			}
			aoff := r0 * j.lda
			if j.transA {
				aoff = r0
			}
			p.scratch[t].gemmSerial(j.lv, j.sparse, j.transA, j.transB, r1-r0, j.n, j.k, j.alpha, j.a[aoff:], j.lda, j.b, j.ldb, j.beta, j.c[r0*j.ldc:], j.ldc)
		case splitCols:
			c0, c1 := split(j.n, j.parts, j.unit, t), split(j.n, j.parts, j.unit, t+1)
			if c0 >= c1 {
				return
			}
			boff := c0
			if j.transB {
				boff = c0 * j.ldb
			}
			p.scratch[t].gemmSerial(j.lv, j.sparse, j.transA, j.transB, j.m, c1-c0, j.k, j.alpha, j.a, j.lda, j.b[boff:], j.ldb, j.beta, j.c[c0:], j.ldc)
		case splitK:
			k0, k1 := split(j.k, j.parts, j.unit, t), split(j.k, j.parts, j.unit, t+1)
			c, ldc, beta := j.c, j.ldc, j.beta
			if t > 0 {
				// Threads after the first write their partial products apart.
				c, ldc, beta = p.partial[t][:j.m*j.n], j.n, 0
				if k0 >= k1 {
					clear(c)
					return
				}
			} else if k0 >= k1 {
				scaleRows(j.m, j.n, j.beta, j.c, j.ldc)
				return
			}
			aoff, boff := k0, k0*j.ldb
			if j.transA {
				aoff = k0 * j.lda
			}
			if j.transB {
				boff = k0
			}
			p.scratch[t].gemmSerial(j.lv, j.sparse, j.transA, j.transB, j.m, j.n, k1-k0, j.alpha, j.a[aoff:], j.lda, j.b[boff:], j.ldb, beta, c, ldc)
		}
	case jobLists:
		r0, r1 := split(j.m, j.parts, 1, t), split(j.m, j.parts, 1, t+1)
		sc := &p.scratch[t]
		f32 := sc.f32 && has32(j.lv)
		kc := sparseDepth(shapeFor(j.lv, f32), j.k)
		sc.listRows(j.lv, j.transA, j.a, j.lda, r0, r1-r0, j.k, 0, (j.k+kc-1)/kc, f32)
	case jobReduce:
		r0, r1 := split(j.m, j.parts, 1, t), split(j.m, j.parts, 1, t+1)
		for r := r0; r < r1; r++ {
			crow := j.c[r*j.ldc : r*j.ldc+j.n]
			for u := 1; u < j.parts; u++ {
				axpyUnit(crow, p.partial[u][r*j.n:r*j.n+j.n])
			}
		}
	case jobAddRows:
		r0, r1 := split(j.m, j.parts, j.unit, t), split(j.m, j.parts, j.unit, t+1)
		y := j.y
		if t > 0 {
			y = p.partial[t][:j.n]
			clear(y)
		}
		if r0 < r1 {
			p.scratch[t].addRows(j.lv, r1-r0, j.n, y, j.x[r0:], j.a[r0*j.lda:], j.lda, j.alpha)
		}
	case jobGemvN:
		r0, r1 := split(j.m, j.parts, j.unit, t), split(j.m, j.parts, j.unit, t+1)
		if r0 < r1 {
			p.scratch[t].gemvPart(j.lv, r1-r0, j.n, j.alpha, j.a[r0*j.lda:], j.lda, j.x, j.beta, j.y[r0:])
		}
	case jobRange:
		if r0, r1 := split(j.m, j.parts, 1, t), split(j.m, j.parts, 1, t+1); r0 < r1 {
			j.task.RunRange(r0, r1)
		}
	}
}

// A RangeTask is work over the items [0, n) of a range — the chains of a
// sampler, the rows of a batch — whose parts [lo, hi) touch disjoint data
// and may run at once on different threads. Generated samplers implement it
// with a small struct kept in the chains, so passing one does not allocate.
type RangeTask interface {
	RunRange(lo, hi int)
}

// ForRange runs task over [0, n), cut into contiguous parts run on the
// workspace's threads when there are at least two items and n·cost (cost:
// the work of one item, in multiply-adds or the like) makes it worth waking
// them; otherwise it calls task.RunRange(0, n) on the caller's goroutine.
// The parts are the same for the same n and thread count, so work that draws
// from per-item random streams gives the same results on any number of
// threads; which goroutine runs a part is not fixed (the caller runs the
// parts of workers that have not started when its own is done).
func (w *Workspace) ForRange(n, cost int, task RangeTask) {
	parts := 1
	if n >= 2 {
		parts = min(n, w.parallel(n*cost))
	}
	if parts == 1 {
		task.RunRange(0, n)
		return
	}
	p := w.pool
	p.acquire()
	defer p.release()
	p.job = job{kind: jobRange, m: n, parts: parts, task: task}
	p.run()
	p.job = job{}
}

// Update performs o.Update(theta, grad, velocity, epoch) — the same values,
// element by element — with the elements divided among the workspace's
// threads when there are enough of them (a weight matrix). It does not
// allocate.
func (w *Workspace) Update(o *SGD, theta, grad, velocity []float64, epoch int) {
	eta, mu, lambda := o.check(theta, grad, velocity, epoch)
	if w.parallel(len(theta)) == 1 {
		sgdRange(eta, mu, lambda, theta, grad, velocity, 0, len(theta))
		return
	}
	w.update = updateTask{eta: eta, mu: mu, lambda: lambda, theta: theta, grad: grad, velocity: velocity}
	w.ForRange(len(theta), 1, &w.update)
	w.update = updateTask{}
}

// Clear sets every element of x to 0, dividing a long x among the
// workspace's threads.
func (w *Workspace) Clear(x []float64) {
	if w.parallel(len(x)) == 1 {
		clear(x)
		return
	}
	w.zero = clearTask{x}
	w.ForRange(len(x), 1, &w.zero)
	w.zero = clearTask{}
}

// MeanStep is one damped mean-field update of a layer without lateral
// couplings: it turns the layer's fields a into conditional means in place,
// means(a, a, beta) (Sigmoids for bernoulli units, Tanhs for spins), moves
// the means μ toward them, μ ← (1 − damping)·m + damping·μ (Relax), and
// returns the largest change (NaN if a change is NaN). The work is divided
// among the workspace's threads when the layer is large enough; the result
// is the same on any number of threads.
func (w *Workspace) MeanStep(mu, a []float64, means func(dst, src []float64, scale float64), beta, damping float64) float64 {
	a = a[:len(mu)]
	if w.parallel(8*len(mu)) == 1 {
		means(a, a, beta)
		return Relax(mu, a, damping)
	}
	t := &w.mean
	t.mu, t.a, t.means, t.beta, t.damping = mu, a, means, beta, damping
	t.moved.Store(0)
	w.ForRange(len(mu), 8, t)
	moved := math.Float64frombits(t.moved.Load())
	t.mu, t.a, t.means = nil, nil, nil
	return moved
}

// meanTask is MeanStep's work on a range of units. moved holds the bits
// of the largest change so far: for non-negative float64 values the order
// of the bits is that of the values, and a (positive) NaN's bits exceed
// every number's, so the maximum of the bits is the maximum change, NaN
// included.
type meanTask struct {
	mu, a         []float64
	means         func(dst, src []float64, scale float64)
	beta, damping float64
	moved         atomic.Uint64
}

func (t *meanTask) RunRange(lo, hi int) {
	t.means(t.a[lo:hi], t.a[lo:hi], t.beta)
	m := Relax(t.mu[lo:hi], t.a[lo:hi], t.damping)
	bits := math.Float64bits(math.Abs(m)) // NaN as a positive NaN
	for {
		old := t.moved.Load()
		if bits <= old || t.moved.CompareAndSwap(old, bits) {
			return
		}
	}
}

type updateTask struct {
	eta, mu, lambda       float64
	theta, grad, velocity []float64
}

func (t *updateTask) RunRange(lo, hi int) {
	sgdRange(t.eta, t.mu, t.lambda, t.theta, t.grad, t.velocity, lo, hi)
}

type clearTask struct{ x []float64 }

func (t *clearTask) RunRange(lo, hi int) { clear(t.x[lo:hi]) }

// addRows is addRowsChunked listing all nonzeros of x at once in s; with
// float32 products and A held it reads the thread's float32 copy of A.
func (s *gemmScratch) addRows(lv, m, n int, y, x, a []float64, lda int, alpha float64) {
	idx := growInt32(&s.idx, m+16)
	vals := alignedFloats(&s.vals, m+16)
	cnt, _ := compressList(lv, m, x, 0, 1, 1, idx, vals)
	if s.f32 && has32(lv) {
		if pc, packed := s.cached(packKey{kind: packRows32, lv: lv, f32: true, rows: m, cols: n, ld: lda}, a, (m-1)*lda+n); pc != nil {
			s.addRowsHeld(lv, pc, packed, m, n, y, a, lda, idx, vals, cnt, alpha)
			return
		}
	}
	addRowsList(lv, n, y, a, lda, idx, vals, cnt, alpha)
}

// sparseEnough reports whether the rows×cols matrix x has at most
// sparseMaxDensity nonzeros, judging from at most 16 evenly spaced rows.
func sparseEnough(lv, rows, cols int, x []float64, ld int, limit float64) bool {
	step := max(1, rows/16)
	nz, n := 0, 0
	for r := 0; r < rows; r += step {
		nz += countNonzero(lv, 1, cols, x[r*ld:], ld)
		n += cols
	}
	return float64(nz) <= limit*float64(n)
}

// sparseMaxDensity is the largest fraction of nonzeros in op(A) for which
// Gemm uses the sparse-row kernel rather than the dense one.
const sparseMaxDensity = 0.7

// sparseMaxDensity32 is sparseMaxDensity for float32 products with
// AVX-512, whose dense 8×32 kernel overtakes the sparse-row one sooner: a
// held 100×784 by 784×500 product and its 100×500 by Wᵀ partner took 422
// against 465 µs sparse against dense at 40% nonzeros, 484 against 473 at
// 50% (2 threads, 2026-12-07), and the 100-chain Gibbs benchmark (W1, half
// its units on) ran 6% faster with this limit than with 0.7.
const sparseMaxDensity32 = 0.45

// sparseLimit is the density limit of Gemm's sparse-row kernel at level lv
// in float32 (f32) or float64.
func sparseLimit(lv int, f32 bool) float64 {
	if f32 && lv == kernels.LevelAVX512 {
		return sparseMaxDensity32
	}
	return sparseMaxDensity
}

// Gemm computes C = α·op(A)·op(B) + β·C where op(X) is X or Xᵀ, op(A) is
// m×k, op(B) is k×n and C is m×n, all row-major with leading dimensions lda,
// ldb and ldc. When β = 0, C need not be initialised (NaNs in it are
// ignored).
//
// With a non-nil Workspace the product is cache-blocked: panels of op(B)
// (kc×nc) and of op(A) (mc×kc) are packed and multiplied by an mr×nr
// register-blocked micro-kernel (8×24 with AVX-512, 4×12 with AVX2 or NEON, 2×3 in Go;
// in float32, SetFloat32, 8×32 with AVX-512 and 4×24 with AVX2). When at
// most 70% of op(A) is nonzero (binary unit states), each row of op(A) is
// instead reduced to the list of its nonzeros p, and
//
//	C[r,:] = α·Σ_{p : op(A)[r,p] ≠ 0} op(A)[r,p]·op(B)[p,:] + β·C[r,:]
//
// is accumulated over those rows of op(B) only, in strips of 64 (AVX-512,
// and float32 with AVX2) or 32 columns of op(B) packed to stay in L1.
//
// Threads divide the rows of the stored B when it is the largest operand:
// for op(B) = B (with 2m ≤ k) the inner dimension is split and the partial
// products summed, for op(B) = Bᵀ the columns of C are. So the three
// products of a Gibbs sweep with weights W (V·W, H·Wᵀ and the gradient
// Vᵀ·H, whose rows are split when m > n) give each core the same rows of W
// (or of the gradient), which stay in its cache from one call to the next.
func (w *Workspace) Gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if w == nil || w.pool == nil {
		gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	lv := kernels.Level
	ar, ac := m, k // stored shape of A
	if transA {
		ar, ac = k, m
	}
	sparse := sparseEnough(lv, ar, ac, a, lda, sparseLimit(lv, w.scratch[0].f32))
	w.warmHeldGemm(lv, sparse, transA, transB, m, n, k, alpha, a, lda, b, ldb)
	w.gemmKernel(lv, sparse, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmKernel is Gemm for m, n, k ≥ 1 and α ≠ 0 with the kernel chosen:
// the sparse-row kernel with sparse, the packed dense one otherwise.
func (w *Workspace) gemmKernel(lv int, sparse, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	sh := shapeFor(lv, w.scratch[0].f32)
	parts := w.parallel(m * n * k)
	if parts == 1 {
		w.scratch[0].gemmSerial(lv, sparse, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	w.acquire()
	defer w.release()
	j := &w.job
	*j = job{kind: jobGemm, lv: lv, sparse: sparse, parts: parts,
		transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	// Divide the rows of B (the weights, in the products of samplers)
	// among the threads when B is the largest operand, so that each core
	// works on the same part of the weights, kept in its cache, in all three
	// products of a sweep; otherwise the larger dimension of C.
	switch {
	case !transB && 2*m <= k:
		j.split, j.unit = splitK, splitUnit
		for t := 1; t < parts; t++ {
			if cap(w.partial[t]) < m*n {
				w.partial[t] = make([]float64, m*n)
			}
		}
	case m > n:
		j.split, j.unit = splitRows, splitUnit
	default:
		j.split, j.unit = splitCols, sh.nr
		if sparse {
			j.unit = sh.gw
		}
		if sparse && transB {
			// Every thread needs the lists of all rows of op(A): each lists
			// a part, and all read the parts.
			j.kind = jobLists
			w.run()
			for t := range parts {
				w.listParts[t] = &w.scratch[t].rl
			}
			for t := range parts {
				w.scratch[t].shared = w.listParts[:parts]
			}
			j.kind = jobGemm
			w.run()
			for t := range parts {
				w.scratch[t].shared = nil
			}
			w.job = job{}
			return
		}
	}
	w.run()
	if j.split == splitK {
		j.kind = jobReduce
		w.run()
	}
	w.job = job{}
}

// Gemv computes y = α·op(A)·x + β·y where A is m×n (row-major, leading
// dimension lda) and op(A) is A (x has n elements, y has m) or Aᵀ (x has m
// elements, y has n). When β = 0, y need not be initialised.
//
// op(A) = A is computed as dot products of rows of A with x, four rows per
// pass; op(A) = Aᵀ as AddRows (skipping the zeros of x). Rows of A are
// divided among the threads, the same way for both, so that each core keeps
// the same part of A in its cache from call to call.
func (w *Workspace) Gemv(trans bool, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	checkGemv(trans, m, n, a, lda, x, y)
	if w == nil || w.pool == nil {
		gemv(trans, m, n, alpha, a, lda, x, beta, y)
		return
	}
	if trans {
		y = y[:n]
		switch beta {
		case 1:
		case 0:
			clear(y)
		default:
			for i := range y {
				y[i] *= beta
			}
		}
		if alpha != 0 {
			w.AddRows(y, x, a, m, n, lda, alpha)
		}
		return
	}
	if m == 0 {
		return
	}
	if n == 0 || alpha == 0 {
		scaleRows(m, 1, beta, y, 1)
		return
	}
	lv := kernels.Level
	parts := w.parallel(m * n)
	if parts == 1 {
		w.scratch[0].gemvPart(lv, m, n, alpha, a, lda, x, beta, y)
		return
	}
	w.acquire()
	defer w.release()
	w.job = job{kind: jobGemvN, lv: lv, parts: parts, unit: splitUnit, m: m, n: n, alpha: alpha, beta: beta, a: a, lda: lda, x: x, y: y}
	w.run()
	w.job = job{}
}

// AddRows computes y[j] += α·Σ_{i<m, x[i]≠0} x[i]·A[i·lda + j] for j < n, where
// A is m×n row-major: y += α·Aᵀx, as the package-level AddRows. The nonzeros
// of x are listed first; the rows of A they select are then added to y
// eight at a time with fused multiply-adds, in one pass over y. Rows of A
// are divided among the threads, each summing into its own buffer.
func (w *Workspace) AddRows(y, x, a []float64, m, n, lda int, alpha float64) {
	checkAddRows(y, x, a, m, n, lda)
	if m == 0 || n == 0 || alpha == 0 {
		return
	}
	lv := kernels.Level
	if w == nil || w.pool == nil {
		addRowsChunked(lv, m, n, y, x, a, lda, alpha)
		return
	}
	parts := w.parallel(m * n)
	if parts == 1 {
		w.scratch[0].addRows(lv, m, n, y, x, a, lda, alpha)
		return
	}
	for t := 1; t < parts; t++ {
		if cap(w.partial[t]) < n {
			w.partial[t] = make([]float64, n)
		}
	}
	w.acquire()
	defer w.release()
	w.job = job{kind: jobAddRows, lv: lv, parts: parts, unit: splitUnit, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, y: y}
	w.run()
	w.job = job{}
	y = y[:n]
	for t := 1; t < parts; t++ {
		axpyUnit(y, w.partial[t][:n])
	}
}

// axpyUnit sets y += x (len(x) = len(y)).
func axpyUnit(y, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

// Argument checks: the assembly kernels do not check bounds, so every
// product checks that its slices are long enough before any kernel runs.

func needLen(name string, s []float64, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if rows > 1 && ld < cols {
		panic("runtime: " + name + ": leading dimension too small")
	}
	if len(s) < (rows-1)*ld+cols {
		panic("runtime: " + name + ": slice too short")
	}
}

func checkGemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("runtime: Gemm: negative dimension")
	}
	if transA {
		needLen("Gemm A", a, k, m, lda)
	} else {
		needLen("Gemm A", a, m, k, lda)
	}
	if transB {
		needLen("Gemm B", b, n, k, ldb)
	} else {
		needLen("Gemm B", b, k, n, ldb)
	}
	needLen("Gemm C", c, m, n, ldc)
}

func checkGemv(trans bool, m, n int, a []float64, lda int, x, y []float64) {
	if m < 0 || n < 0 {
		panic("runtime: Gemv: negative dimension")
	}
	needLen("Gemv A", a, m, n, lda)
	xl, yl := n, m
	if trans {
		xl, yl = m, n
	}
	if len(x) < xl || len(y) < yl {
		panic("runtime: Gemv: vector too short")
	}
}

func checkAddRows(y, x, a []float64, m, n, lda int) {
	if m < 0 || n < 0 {
		panic("runtime: AddRows: negative dimension")
	}
	needLen("AddRows A", a, m, n, lda)
	if len(x) < m || len(y) < n {
		panic("runtime: AddRows: vector too short")
	}
}
