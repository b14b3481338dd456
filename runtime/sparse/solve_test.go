package sparse_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/sctest"
	"github.com/ebmc/ebmc/runtime/sparse"
)

// lasso is ½‖v − D·h‖² + λ‖h‖₁ for a D[nv, nk] (row-major), written here
// from its definition, independently of the generated code.
type lasso struct {
	nv, nk int
	d      []float64
	lambda float64
}

func (p lasso) objective(v, h []float64) float64 {
	f := 0.0
	for i := 0; i < p.nv; i++ {
		r := v[i]
		for k := 0; k < p.nk; k++ {
			r -= p.d[i*p.nk+k] * h[k]
		}
		f += 0.5 * r * r
	}
	for _, x := range h {
		f += p.lambda * math.Abs(x)
	}
	return f
}

// coordinateDescent minimizes the objective one coordinate at a time, each
// exactly: h_k = S(D_kᵀ(v − D·h + D_k h_k), λ) / ‖D_k‖², until no
// coordinate moves by more than 1e-15 (a solver that shares nothing with
// the proximal-gradient code).
func (p lasso) coordinateDescent(v []float64) []float64 {
	h := make([]float64, p.nk)
	r := append([]float64(nil), v...) // v − D·h
	for sweep := 0; sweep < 200000; sweep++ {
		moved := 0.0
		for k := 0; k < p.nk; k++ {
			rho, norm := 0.0, 0.0
			for i := 0; i < p.nv; i++ {
				dik := p.d[i*p.nk+k]
				rho += dik * (r[i] + dik*h[k])
				norm += dik * dik
			}
			next := 0.0
			switch {
			case rho > p.lambda:
				next = (rho - p.lambda) / norm
			case rho < -p.lambda:
				next = (rho + p.lambda) / norm
			}
			if delta := next - h[k]; delta != 0 {
				for i := 0; i < p.nv; i++ {
					r[i] -= p.d[i*p.nk+k] * delta
				}
				moved = math.Max(moved, math.Abs(delta))
				h[k] = next
			}
		}
		if moved <= 1e-15 {
			break
		}
	}
	return h
}

// sparseRow draws v = D·h₀ + noise for a code h₀ with s nonzeros of
// magnitude in [0.5, 1.5] and random sign.
func sparseRow(r *rand.Rand, d []float64, nv, nk, s int, noise float64, v, h0 []float64) {
	clear(h0)
	for _, k := range r.Perm(nk)[:s] {
		h0[k] = (0.5 + r.Float64()) * float64(1-2*r.IntN(2))
	}
	for i := 0; i < nv; i++ {
		v[i] = noise * r.NormFloat64()
		for k := 0; k < nk; k++ {
			v[i] += d[i*nk+k] * h0[k]
		}
	}
}

func scProblem(seed uint64) (*sctest.SC, lasso) {
	m := sctest.NewSC(seed)
	return m, lasso{nv: sctest.SCNV, nk: sctest.SCNK, d: m.D, lambda: m.Lambda[0]}
}

// mapGap solves rows of data from m's own dictionary by method and returns
// the largest |F(solver) − F(coordinate descent)| over them.
func mapGap(t *testing.T, m sparse.Model, p lasso, method sparse.Method, rows int) float64 {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	s := sparse.NewSolver(m)
	v, h0, h := make([]float64, p.nv), make([]float64, p.nk), make([]float64, p.nk)
	worst := 0.0
	for row := 0; row < rows; row++ {
		sparseRow(r, p.d, p.nv, p.nk, 3, 0.05, v, h0)
		clear(h)
		res, err := s.Solve(v, h, sparse.Options{Method: method, Tol: 1e-10})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Fatalf("%v did not converge in %d iterations", method, res.Iterations)
		}
		if got := p.objective(v, h); math.Abs(got-res.Objective) > 1e-10*(1+math.Abs(got)) {
			t.Fatalf("%v reports objective %.15g, but its code has %.15g", method, res.Objective, got)
		}
		want := p.objective(v, p.coordinateDescent(v))
		worst = math.Max(worst, math.Abs(res.Objective-want))
	}
	return worst
}

// MAP inference by every method reaches the optimum of the lasso that
// coordinate descent finds, to 1e-6 in objective (in fact to ~1e-12).
func TestMAPMatchesCoordinateDescent(t *testing.T) {
	m, p := scProblem(1)
	for _, method := range []sparse.Method{sparse.ISTA, sparse.FISTA, sparse.MFISTA} {
		if gap := mapGap(t, m, p, method, 50); gap > 1e-6 {
			t.Errorf("%v: objective off the coordinate-descent optimum by %.3g", method, gap)
		} else {
			t.Logf("%v: largest objective gap to coordinate descent %.2g over 50 rows", method, gap)
		}
	}
}

// wrongProx thresholds at half the derived threshold: the proximal step of
// the wrong penalty.
type wrongProx struct{ sparse.Model }

func (w wrongProx) Prox(x, lam []float64, t float64) { w.Model.Prox(x, lam, t/2) }

// Negative control: with a wrong proximal threshold, the solver converges
// (to the minimizer of another objective) and the optimum test fails.
func TestMAPWrongProxFails(t *testing.T) {
	m, p := scProblem(1)
	if gap := mapGap(t, wrongProx{m}, p, sparse.FISTA, 20); gap <= 1e-6 {
		t.Errorf("a prox with half the threshold passed the optimum test (gap %.3g)", gap)
	} else {
		t.Logf("wrong prox: objective gap %.3g, caught", gap)
	}
}

// weightedObjective is the Weighted model's energy written from its
// definition: ½Σv² − vᵀDh + ½Σ_i (1 + s_i)(D·h)_i² + ridge/2·‖h‖² + Σ l1_k|h_k|.
func weightedObjective(m *sctest.Weighted, row, h []float64) float64 {
	nv, nk := sctest.WeightedNV, sctest.WeightedNK
	v, s := row[:nv], row[nv:]
	f := 0.0
	for i := 0; i < nv; i++ {
		dh := 0.0
		for k := 0; k < nk; k++ {
			dh += m.D[i*nk+k] * h[k]
		}
		f += 0.5*v[i]*v[i] - v[i]*dh + 0.5*(1+s[i])*dh*dh
	}
	for k, x := range h {
		f += 0.5*m.Ridge[0]*x*x + m.L1[k]*math.Abs(x)
	}
	return f
}

// A model whose Hessian reads visible units (not shared between rows) and
// whose thresholds differ per unit: MFISTA reaches the minimum that a
// coordinate search on the objective written above finds.
func TestMAPVisibleHessian(t *testing.T) {
	m := sctest.NewWeighted(3)
	if m.SharedHessian() {
		t.Fatal("Weighted's Hessian reads s, so it is not shared")
	}
	r := rand.New(rand.NewPCG(3, 4))
	s := sparse.NewSolver(m)
	nk := sctest.WeightedNK
	row, h := make([]float64, m.VisibleSize()), make([]float64, nk)
	for trial := 0; trial < 20; trial++ {
		for i := 0; i < sctest.WeightedNV; i++ {
			row[i] = r.NormFloat64()
			row[sctest.WeightedNV+i] = float64(r.IntN(2))
		}
		clear(h)
		res, err := s.Solve(row, h, sparse.Options{Method: sparse.MFISTA, Tol: 1e-11})
		if err != nil {
			t.Fatal(err)
		}
		// Coordinate descent on the objective as a black box: each
		// coordinate minimized by golden-section search (convex in it).
		x := make([]float64, nk)
		for sweep := 0; sweep < 300; sweep++ {
			for k := range x {
				x[k] = goldenMin(func(y float64) float64 { x[k] = y; return weightedObjective(m, row, x) }, -10, 10)
			}
		}
		want := weightedObjective(m, row, x)
		if got := weightedObjective(m, row, h); math.Abs(got-res.Objective) > 1e-9 || got-want > 1e-6 {
			t.Errorf("trial %d: MFISTA objective %.12g (reported %.12g), coordinate search %.12g", trial, got, res.Objective, want)
		}
	}
}

// goldenMin minimizes a unimodal f on [a, b] to 1e-12.
func goldenMin(f func(float64) float64, a, b float64) float64 {
	g := (math.Sqrt(5) - 1) / 2
	c, d := b-g*(b-a), a+g*(b-a)
	fc, fd := f(c), f(d)
	for b-a > 1e-12 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}

// monotone reports whether a trace of objectives never increases (by more
// than rounding, 1e-12 relative).
func monotone(trace []float64) bool {
	for i := 1; i < len(trace); i++ {
		if trace[i] > trace[i-1]+1e-12*(1+math.Abs(trace[i-1])) {
			return false
		}
	}
	return true
}

// ISTA's and MFISTA's objectives never increase; FISTA and MFISTA need
// fewer iterations than ISTA for the same tolerance. Negative controls:
// the monotonicity check catches plain FISTA's ripples on some row and a
// trace with one increase put in.
func TestFISTAFasterAndMonotone(t *testing.T) {
	m, p := scProblem(2)
	r := rand.New(rand.NewPCG(5, 6))
	s := sparse.NewSolver(m)
	v, h0, h := make([]float64, p.nv), make([]float64, p.nk), make([]float64, p.nk)
	iters := map[sparse.Method]int{}
	fistaRipples := 0
	const rows = 40
	for row := 0; row < rows; row++ {
		sparseRow(r, p.d, p.nv, p.nk, 3, 0.05, v, h0)
		for _, method := range []sparse.Method{sparse.ISTA, sparse.FISTA, sparse.MFISTA} {
			var trace []float64
			clear(h)
			res, err := s.Solve(v, h, sparse.Options{Method: method, Tol: 1e-8, MaxIter: 1000000,
				Trace: func(_ int, f float64) { trace = append(trace, f) }})
			if err != nil || !res.Converged {
				t.Fatalf("%v: %v, converged %v", method, err, res.Converged)
			}
			iters[method] += res.Iterations
			switch {
			case method == sparse.FISTA && !monotone(trace):
				fistaRipples++
			case method != sparse.FISTA && !monotone(trace):
				t.Errorf("row %d: the objective of %v went up", row, method)
			}
		}
	}
	t.Logf("mean iterations to tolerance 1e-8: ISTA %.1f, FISTA %.1f, MFISTA %.1f; FISTA's objective went up on %d of %d rows",
		float64(iters[sparse.ISTA])/rows, float64(iters[sparse.FISTA])/rows, float64(iters[sparse.MFISTA])/rows, fistaRipples, rows)
	for _, method := range []sparse.Method{sparse.FISTA, sparse.MFISTA} {
		if iters[method] >= iters[sparse.ISTA] {
			t.Errorf("%v took %d iterations in all, ISTA %d", method, iters[method], iters[sparse.ISTA])
		}
	}
	if fistaRipples == 0 {
		t.Error("the monotonicity check never caught plain FISTA going up")
	}
	if monotone([]float64{3, 2, 2.5, 1}) {
		t.Error("the monotonicity check passed a trace that goes up")
	}
}

// Bad inputs are errors, never panics: wrong sizes, a negative threshold,
// a non-convex smooth part.
func TestSolveErrors(t *testing.T) {
	m := sctest.NewWeighted(1)
	s := sparse.NewSolver(m)
	row, h := make([]float64, m.VisibleSize()), make([]float64, m.CodeSize())
	if _, err := s.Solve(row[:3], h, sparse.Options{}); err == nil {
		t.Error("a short row was accepted")
	}
	if _, err := s.Solve(row, h, sparse.Options{Method: 7}); err == nil {
		t.Error("an unknown method was accepted")
	}
	m.L1[2] = -0.1
	if _, err := s.Solve(row, h, sparse.Options{}); err == nil || !strings.Contains(err.Error(), "λ") {
		t.Errorf("a negative threshold: %v", err)
	}
	m.L1[2] = 0.1
	m.Ridge[0] = -100
	if _, err := s.Solve(row, h, sparse.Options{}); err == nil || !strings.Contains(err.Error(), "not convex") {
		t.Errorf("a non-convex smooth part: %v", err)
	}
	m.Ridge[0] = 0.1
	if _, err := s.Solve(row, h, sparse.Options{}); err != nil {
		t.Errorf("restored model: %v", err)
	}
}

// Solve allocates nothing once the solver exists.
func TestSolveAllocatesNothing(t *testing.T) {
	m, p := scProblem(1)
	s := sparse.NewSolver(m)
	v, h := make([]float64, p.nv), make([]float64, p.nk)
	for i := range v {
		v[i] = float64(i%3) - 1
	}
	opt := sparse.Options{Method: sparse.MFISTA, Tol: 1e-8}
	if n := testing.AllocsPerRun(20, func() {
		clear(h)
		if _, err := s.Solve(v, h, opt); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Solve allocates %g times per call", n)
	}
}
