package sparse

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
)

// Model is implemented by the code ebmc generates for a model with a
// laplace layer h. For a visible row v, E(v, h) = f + g with
//
//	f(v, h) = ½·hᵀQh − bᵀh + c,   g(h) = Σ_u λ_u·|h_u|.
type Model interface {
	runtime.Model
	// VisibleSize is the length of a data row; CodeSize that of a code h.
	VisibleSize() int
	CodeSize() int
	// SharedHessian reports that Q does not depend on v.
	SharedHessian() bool
	// Hessian writes Q(v) (CodeSize² values, row-major) into dst.
	Hessian(v, dst []float64)
	// Linear writes b(v) into dst and returns c(v).
	Linear(v, dst []float64) float64
	// Thresholds writes λ into dst.
	Thresholds(dst []float64)
	// Prox applies x_u ← sign(x_u)·max(|x_u| − t·lam_u, 0).
	Prox(x, lam []float64, t float64)
	// Energy returns E(v, x).
	Energy(v, x []float64) float64
	// EnergyGrad adds scale·∂E/∂θ at (v, x) into the trained parameters of g.
	EnergyGrad(v, x []float64, scale float64, g []runtime.Tensor)
}

// Method is a proximal-gradient algorithm.
type Method int

const (
	// ISTA is the proximal gradient method, h ← prox_{g/L}(h − ∇f(h)/L):
	// its objective never increases, and F(h_k) − F* ≤ L‖h₀ − h*‖²/(2k).
	ISTA Method = iota
	// FISTA adds Nesterov's momentum, y = h_k + ((t_k − 1)/t_{k+1})(h_k − h_{k−1}),
	// t_{k+1} = (1 + √(1 + 4t_k²))/2: F(h_k) − F* ≤ 2L‖h₀ − h*‖²/(k+1)², but
	// the objective may go up on the way.
	FISTA
	// MFISTA is monotone FISTA (Beck & Teboulle 2009, "Fast gradient-based
	// algorithms…", §V): the same rate, and h_k is the better of the
	// proximal step z_k and h_{k−1}, so the objective never increases.
	MFISTA
)

var methodNames = [...]string{"ISTA", "FISTA", "MFISTA"}

func (m Method) String() string {
	if m < 0 || int(m) >= len(methodNames) {
		return fmt.Sprintf("Method(%d)", int(m))
	}
	return methodNames[m]
}

// Options configure Solve.
type Options struct {
	Method Method
	// Tol stops the iterations once the gradient mapping at the point the
	// step was taken from, L·‖y − prox(y − ∇f(y)/L)‖∞, is at most Tol
	// (it vanishes exactly at the minimizer); 0 means 1e-8.
	Tol float64
	// MaxIter bounds the iterations; 0 means 100000.
	MaxIter int
	// Trace, if set, is called with every iterate's objective F(h_k).
	Trace func(iter int, objective float64)
}

// Result reports one MAP inference.
type Result struct {
	Iterations int
	Objective  float64 // F(h) = f(v, h) + g(h) at the returned h
	Residual   float64 // the last gradient mapping's ∞-norm
	Converged  bool    // Residual ≤ Tol within MaxIter
}

// Solver does MAP inference of the code of one model's rows. It holds
// what depends on the parameters only (Q when shared, λ, L); call Refresh
// after changing the parameters. A Solver belongs to one goroutine.
type Solver struct {
	m         Model
	n         int
	q, b, lam []float64
	c, lip    float64
	fresh     bool // q, lam and lip are those of the current parameters (shared Q)
	// The prediction term α‖h − target‖² of predictive sparse decomposition.
	alpha  float64
	target []float64
	// Scratch.
	x, xOld, y, z, grad, qx, pow []float64
}

// NewSolver returns a solver for m.
func NewSolver(m Model) *Solver {
	n := m.CodeSize()
	mk := func() []float64 { return make([]float64, n) }
	return &Solver{m: m, n: n, q: make([]float64, n*n), b: mk(), lam: mk(),
		x: mk(), xOld: mk(), y: mk(), z: mk(), grad: mk(), qx: mk(), pow: mk()}
}

// Refresh marks the parameters changed: Q (when shared), λ and L are
// recomputed by the next Solve.
func (s *Solver) Refresh() { s.fresh = false }

// SetPrior adds α‖h − target‖² to the objective (predictive sparse
// decomposition's prediction term; α = 0 removes it). Solve reads target,
// which the caller keeps.
func (s *Solver) SetPrior(alpha float64, target []float64) {
	s.alpha, s.target = alpha, target
}

// Lipschitz returns L, the largest eigenvalue of Q (plus 2α), the
// Lipschitz constant of ∇f that the last Solve stepped by.
func (s *Solver) Lipschitz() float64 { return s.lip + 2*s.alpha }

// prepare computes Q, λ and L for row v when needed.
func (s *Solver) prepare(v []float64) error {
	shared := s.m.SharedHessian()
	if shared && s.fresh {
		return nil
	}
	s.m.Hessian(v, s.q)
	s.m.Thresholds(s.lam)
	for u, l := range s.lam {
		if !(l >= 0) || math.IsInf(l, 0) {
			return fmt.Errorf("sparse: the L1 coefficient λ of code unit %d is %g; the proximal step needs 0 ≤ λ < ∞", u, l)
		}
	}
	hi, lo, err := s.spectrum()
	if err != nil {
		return err
	}
	if lo < -1e-9*math.Max(hi, 1) {
		return fmt.Errorf("sparse: the smooth part of the energy is not convex in the code: its Hessian Q has the eigenvalue %.4g < 0; MAP inference by proximal gradient needs Q positive semidefinite", lo)
	}
	if hi <= 0 {
		return errors.New("sparse: the Hessian Q of the smooth part is zero: the objective has no curvature to step by")
	}
	s.lip = hi
	s.fresh = shared
	return nil
}

// spectrum estimates the largest and the smallest eigenvalue of Q by power
// iteration (the smallest as hi − λ_max(hi·I − Q)). hi is raised by 1e-6 of
// itself and capped by Gershgorin's bound, so that 1/hi is a safe step.
func (s *Solver) spectrum() (hi, lo float64, err error) {
	n := s.n
	gersh := 0.0
	for r := 0; r < n; r++ {
		row := 0.0
		for _, x := range s.q[r*n : r*n+n] {
			row += math.Abs(x)
		}
		gersh = max(gersh, row)
	}
	if math.IsNaN(gersh) || math.IsInf(gersh, 0) {
		return 0, 0, fmt.Errorf("sparse: the Hessian Q of the smooth part holds %g", gersh)
	}
	if gersh == 0 {
		return 0, 0, nil
	}
	top := s.power(0, gersh)
	hi = math.Min(gersh, top*(1+1e-6)+1e-12*gersh)
	// λ_max(hi·I − Q) = hi − λ_min(Q).
	lo = hi - s.power(hi, gersh)
	return hi, lo, nil
}

// power returns the largest eigenvalue of shift·I − Q·sign, by power
// iteration from a fixed start: Q itself when shift is 0.
func (s *Solver) power(shift, scale float64) float64 {
	n := s.n
	x, y := s.pow, s.qx
	for i := range x {
		x[i] = 1 + 0.1*float64(i%7)
	}
	normalize(x)
	est := 0.0
	for it := 0; it < 1000; it++ {
		matVec(s.q, x, y, n)
		if shift != 0 {
			for i := range y {
				y[i] = shift*x[i] - y[i]
			}
		}
		next := dot(x, y)
		norm := normalize2(y, x)
		if norm == 0 {
			return 0
		}
		if it > 10 && math.Abs(next-est) <= 1e-12*scale {
			return next
		}
		est = next
	}
	return est
}

func normalize(x []float64) {
	norm := math.Sqrt(dot(x, x))
	for i := range x {
		x[i] /= norm
	}
}

// normalize2 writes y/‖y‖ into x and returns ‖y‖.
func normalize2(y, x []float64) float64 {
	norm := math.Sqrt(dot(y, y))
	if norm == 0 {
		return 0
	}
	for i := range x {
		x[i] = y[i] / norm
	}
	return norm
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// matVec writes Q·x into y for an n×n row-major Q.
func matVec(q, x, y []float64, n int) {
	for r := 0; r < n; r++ {
		y[r] = dot(q[r*n:r*n+n], x)
	}
}

// Objective returns F(h) = f(v, h) + g(h) (with the prior term, if set)
// for a row v; Solve must have been called for v's Q first when Q is not
// shared.
func (s *Solver) Objective(v, h []float64) (float64, error) {
	if err := s.prepare(v); err != nil {
		return 0, err
	}
	s.c = s.m.Linear(v, s.b)
	return s.objective(h), nil
}

// objective is F(x) = ½xᵀQx − bᵀx + c + α‖x − target‖² + Σ λ|x|.
func (s *Solver) objective(x []float64) float64 {
	matVec(s.q, x, s.qx, s.n)
	f := s.c
	for i, xi := range x {
		f += xi*(0.5*s.qx[i]-s.b[i]) + s.lam[i]*math.Abs(xi)
	}
	if s.alpha != 0 {
		for i, xi := range x {
			d := xi - s.target[i]
			f += s.alpha * d * d
		}
	}
	return f
}

// gradient writes ∇f(x) = Qx − b + 2α(x − target) into s.grad.
func (s *Solver) gradient(x []float64) {
	matVec(s.q, x, s.grad, s.n)
	for i := range s.grad {
		s.grad[i] -= s.b[i]
	}
	if s.alpha != 0 {
		for i := range s.grad {
			s.grad[i] += 2 * s.alpha * (x[i] - s.target[i])
		}
	}
}

// step writes prox_{g/L}(y − ∇f(y)/L) into z and returns the gradient
// mapping's ∞-norm L·‖y − z‖∞.
func (s *Solver) step(y, z []float64, lip float64) float64 {
	s.gradient(y)
	for i := range z {
		z[i] = y[i] - s.grad[i]/lip
	}
	s.m.Prox(z, s.lam, 1/lip)
	r := 0.0
	for i := range z {
		r = max(r, math.Abs(y[i]-z[i]))
	}
	return lip * r
}

// Solve finds the MAP code h* = argmin_h E(v, h) (plus the prior term, if
// set) starting from h, and writes it into h.
func (s *Solver) Solve(v, h []float64, opt Options) (Result, error) {
	if len(v) != s.m.VisibleSize() || len(h) != s.n {
		return Result{}, fmt.Errorf("sparse: Solve got a row of %d values and a code of %d; the model takes %d and %d", len(v), len(h), s.m.VisibleSize(), s.n)
	}
	if opt.Tol < 0 || opt.MaxIter < 0 || opt.Method < ISTA || opt.Method > MFISTA {
		return Result{}, fmt.Errorf("sparse: bad options %+v", opt)
	}
	tol, maxIter := opt.Tol, opt.MaxIter
	if tol == 0 {
		tol = 1e-8
	}
	if maxIter == 0 {
		maxIter = 100000
	}
	if err := s.prepare(v); err != nil {
		return Result{}, err
	}
	s.c = s.m.Linear(v, s.b)
	lip := s.Lipschitz()
	x, xOld, y, z := s.x, s.xOld, s.y, s.z
	copy(x, h)
	copy(y, h)
	fx := s.objective(x)
	res := Result{Objective: fx}
	t := 1.0
	for it := 1; it <= maxIter; it++ {
		res.Iterations = it
		switch opt.Method {
		case ISTA:
			res.Residual = s.step(x, z, lip)
			copy(x, z)
			fx = s.objective(x)
		case FISTA:
			res.Residual = s.step(y, z, lip)
			tNext := (1 + math.Sqrt(1+4*t*t)) / 2
			for i := range y {
				y[i] = z[i] + (t-1)/tNext*(z[i]-x[i])
			}
			copy(x, z)
			t = tNext
			fx = s.objective(x)
		case MFISTA:
			res.Residual = s.step(y, z, lip)
			tNext := (1 + math.Sqrt(1+4*t*t)) / 2
			fz := s.objective(z)
			copy(xOld, x)
			if fz <= fx {
				copy(x, z)
				fx = fz
			}
			for i := range y {
				y[i] = x[i] + t/tNext*(z[i]-x[i]) + (t-1)/tNext*(x[i]-xOld[i])
			}
			t = tNext
		}
		if opt.Trace != nil {
			opt.Trace(it, fx)
		}
		if math.IsNaN(fx) {
			return res, errors.New("sparse: the objective became NaN")
		}
		if res.Residual <= tol {
			res.Converged = true
			break
		}
	}
	copy(h, x)
	res.Objective = fx
	return res, nil
}
