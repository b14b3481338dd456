package ir_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
)

type testModel struct {
	name string
	m    *ir.Model
}

func loadModels(t *testing.T) []testModel {
	t.Helper()
	cases, err := testmodels.All()
	if err != nil {
		t.Fatal(err)
	}
	var out []testModel
	for _, c := range cases {
		out = append(out, testModel{c.Name, mustLower(t, c.Name, c.Source, c.Defines)})
	}
	return out
}

func mustLower(t *testing.T, name, src string, defs map[string]int) *ir.Model {
	t.Helper()
	f, err := dsl.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, err := ir.Lower(f, ir.Options{Defines: defs})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// randomParams initializes from the declared initializers, then perturbs
// every parameter so that no derivation is checked at a special point.
func randomParams(m *ir.Model, seed uint64) ir.Params {
	p := m.NewParams()
	m.InitParams(p, seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range p {
		for k := range p[i] {
			p[i][k] += 0.3 * r.NormFloat64()
		}
	}
	return p
}

func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestConditionalsMatchBruteForce(t *testing.T) {
	for _, tm := range loadModels(t) {
		t.Run(tm.name, func(t *testing.T) {
			m := tm.m
			r := rand.New(rand.NewPCG(7, 7))
			for trial := 0; trial < 5; trial++ {
				p := randomParams(m, uint64(trial))
				x := m.NewState()
				m.RandomState(x, r)
				for _, ly := range m.Layers {
					for k := 0; k < ly.Size; k++ {
						if ly.Kind == ir.Gaussian {
							checkGaussian(t, m, ly, p, x, k)
							continue
						}
						for _, beta := range []float64{1, 0.37} {
							got := m.UnitProbs(ly, p, x, k, beta)
							want := m.BruteUnitProbs(ly, p, x, k, beta)
							for c := range got {
								if !close(got[c], want[c], 1e-9) {
									t.Fatalf("β=%g p(%s[%d]=value %d | rest) = %.12g, brute force %.12g", beta, ly.Name, k, c, got[c], want[c])
								}
							}
						}
					}
				}
			}
		})
	}
}

// checkGaussian reads the quadratic E(x_k = t) = ½P t² − a t + C off the
// energy numerically and compares it with the derived field and precision.
func checkGaussian(t *testing.T, m *ir.Model, ly *ir.Layer, p ir.Params, x ir.State, k int) {
	t.Helper()
	y := x.Clone()
	e := func(v float64) float64 { y[ly.Index][k] = v; return m.Energy(p, y) }
	e0, e1, em := e(0), e(1), e(-1)
	prec := e1 + em - 2*e0
	a := -(e1 - em) / 2
	gotA, gotP := m.Field(ly, p, x, k)
	if !close(gotA, a, 1e-9) || !close(gotP, prec, 1e-9) {
		t.Fatalf("%s[%d]: derived a=%.12g P=%.12g, energy says a=%.12g P=%.12g", ly.Name, k, gotA, gotP, a, prec)
	}
	mean, variance := m.NormalParams(ly, p, x, k, 1)
	if !close(mean, a/prec, 1e-9) || !close(variance, 1/prec, 1e-9) {
		t.Fatalf("%s[%d]: N(%g, %g), want N(%g, %g)", ly.Name, k, mean, variance, a/prec, 1/prec)
	}
	// E(t) must be exactly quadratic in t.
	if q := e(2); !close(q, e0-2*a+2*prec, 1e-9) {
		t.Fatalf("%s[%d]: energy is not quadratic in the unit: E(2) = %g, quadratic gives %g", ly.Name, k, q, e0-2*a+2*prec)
	}
}

func TestFreeEnergiesMatchBruteForce(t *testing.T) {
	for _, tm := range loadModels(t) {
		t.Run(tm.name, func(t *testing.T) {
			m := tm.m
			r := rand.New(rand.NewPCG(8, 8))
			trials := 3
			if testing.Short() {
				trials = 1 // three random parameter sets in the full suite
			}
			for trial := 0; trial < trials; trial++ {
				p := randomParams(m, uint64(trial))
				x := m.NewState()
				m.RandomState(x, r)
				for _, fe := range m.FreeEnergies {
					for _, beta := range []float64{1, 0.6} {
						got := m.FreeEnergy(fe, p, x, beta)
						var want float64
						var err error
						if fe.SumOut[0].Kind == ir.Gaussian {
							want = quadratureFreeEnergy(m, fe, p, x, beta)
						} else if want, err = m.BruteFreeEnergy(fe, p, x, beta); err != nil {
							t.Fatal(err)
						}
						if !close(got, want, 1e-7) {
							t.Fatalf("β=%g F summing out %s = %.12g, brute force %.12g", beta, fe.SumOut[0].Name, got, want)
						}
					}
				}
			}
		})
	}
}

// quadratureFreeEnergy integrates exp(−βE) over a single gaussian layer of
// at most 2 units on a grid (trapezoid rule over ±12 standard deviations).
func quadratureFreeEnergy(m *ir.Model, fe *ir.FreeEnergy, p ir.Params, x ir.State, beta float64) float64 {
	ly := fe.SumOut[0]
	if len(fe.SumOut) != 1 || ly.Size > 2 {
		panic("quadrature handles one gaussian layer of ≤ 2 units")
	}
	y := x.Clone()
	const n = 600
	var lo, step [2]float64
	for k := 0; k < ly.Size; k++ {
		mean, variance := m.NormalParams(ly, p, x, k, beta)
		sd := math.Sqrt(variance)
		lo[k], step[k] = mean-12*sd, 24*sd/n
	}
	var logs []float64
	var walk func(k int, w float64)
	walk = func(k int, w float64) {
		if k == ly.Size {
			logs = append(logs, math.Log(w)-beta*m.Energy(p, y))
			return
		}
		for s := 0; s <= n; s++ {
			y[ly.Index][k] = lo[k] + float64(s)*step[k]
			ws := step[k]
			if s == 0 || s == n {
				ws /= 2
			}
			walk(k+1, w*ws)
		}
	}
	walk(0, 1)
	mx := math.Inf(-1)
	for _, v := range logs {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for _, v := range logs {
		s += math.Exp(v - mx)
	}
	return -(mx + math.Log(s))
}

func TestEnergyGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tm := range loadModels(t) {
		t.Run(tm.name, func(t *testing.T) {
			m := tm.m
			r := rand.New(rand.NewPCG(9, 9))
			p := randomParams(m, 3)
			x := m.NewState()
			m.RandomState(x, r)
			g := m.EnergyGrad(p, x)
			checkFD(t, m, p, g, func(q ir.Params) float64 { return m.Energy(q, x) }, "E")
			for _, fe := range m.FreeEnergies {
				g := m.FreeEnergyGrad(fe, p, x)
				checkFD(t, m, p, g, func(q ir.Params) float64 { return m.FreeEnergy(fe, q, x, 1) }, "F\\"+fe.SumOut[0].Name)
			}
		})
	}
}

func checkFD(t *testing.T, m *ir.Model, p ir.Params, g ir.Params, f func(ir.Params) float64, what string) {
	t.Helper()
	const h = 1e-5
	for _, q := range m.Params {
		for k := range p[q.Index] {
			want := 0.0
			if !q.Fixed {
				pp, pm := p.Clone(), p.Clone()
				pp[q.Index][k] += h
				pm[q.Index][k] -= h
				want = (f(pp) - f(pm)) / (2 * h)
			}
			if got := g[q.Index][k]; !close(got, want, 1e-6) {
				t.Fatalf("∂%s/∂%s[%d] = %.10g, finite difference %.10g", what, q.Name, k, got, want)
			}
		}
	}
}

func TestInputGradients(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		p := randomParams(m, 4)
		x := m.NewState()
		m.RandomState(x, rand.New(rand.NewPCG(1, 2)))
		for _, ly := range m.Layers {
			if ly.Kind != ir.Gaussian {
				continue
			}
			grad, hess := m.InputGrad(ly, p, x)
			const h = 1e-5
			for k := range grad {
				y := x.Clone()
				e := func(d float64) float64 { y[ly.Index][k] = x[ly.Index][k] + d; return m.Energy(p, y) }
				fd := (e(h) - e(-h)) / (2 * h)
				fd2 := (e(1e-3) + e(-1e-3) - 2*e(0)) / 1e-6
				if !close(grad[k], fd, 1e-6) || !close(hess[k], fd2, 1e-4) {
					t.Fatalf("%s: ∂E/∂%s[%d] = %g (fd %g), ∂²E = %g (fd %g)", tm.name, ly.Name, k, grad[k], fd, hess[k], fd2)
				}
			}
		}
	}
}

func TestFlipDeltas(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		p := randomParams(m, 5)
		x := m.NewState()
		m.RandomState(x, rand.New(rand.NewPCG(3, 4)))
		for _, ly := range m.Layers {
			if ly.Kind != ir.Bernoulli && ly.Kind != ir.Spin {
				continue
			}
			for k := 0; k < ly.Size; k++ {
				y := x.Clone()
				if ly.Kind == ir.Spin {
					y[ly.Index][k] *= -1
				} else {
					y[ly.Index][k] = 1 - y[ly.Index][k]
				}
				want := m.Energy(p, y) - m.Energy(p, x)
				if got := m.FlipDelta(ly, p, x, k); !close(got, want, 1e-9) {
					t.Fatalf("%s: flip %s[%d]: ΔE = %g, want %g", tm.name, ly.Name, k, got, want)
				}
			}
		}
	}
}

func TestLogZ(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		if _, err := ir.Configs(m.Layers, 1<<20); err != nil {
			continue // gaussian: checked through the free energy tests
		}
		p := randomParams(m, 6)
		got, err := m.LogZ(p, 1, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		// Direct enumeration of every joint configuration.
		n, _ := ir.Configs(m.Layers, 1<<20)
		x := m.NewState()
		mx, terms := math.Inf(-1), make([]float64, n)
		for k := range terms {
			ir.SetConfig(m.Layers, k, x)
			terms[k] = -m.Energy(p, x)
			mx = math.Max(mx, terms[k])
		}
		s := 0.0
		for _, v := range terms {
			s += math.Exp(v - mx)
		}
		if want := mx + math.Log(s); !close(got, want, 1e-10) {
			t.Fatalf("%s: log Z = %.12g, enumeration %.12g", tm.name, got, want)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		n, err := ir.Configs(m.Layers, 1<<16)
		if err != nil {
			continue
		}
		x := m.NewState()
		for k := 0; k < n; k++ {
			ir.SetConfig(m.Layers, k, x)
			if got := ir.ConfigOf(m.Layers, x); got != k {
				t.Fatalf("%s: ConfigOf(SetConfig(%d)) = %d", tm.name, k, got)
			}
		}
	}
}

func TestMeanFieldFixedPoint(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		p := randomParams(m, 7)
		for i := range p {
			for k := range p[i] {
				p[i][k] *= 0.5 // weak couplings: the fixed-point iteration contracts
			}
		}
		x := m.NewState()
		m.RandomState(x, rand.New(rand.NewPCG(5, 6)))
		mu, iters := m.MeanField(p, x, 500, 1e-12, 0)
		if iters == 500 {
			t.Fatalf("%s: mean field did not converge", tm.name)
		}
		for _, ly := range m.Layers {
			if ly.Visible {
				continue
			}
			for k := 0; k < ly.Size; k++ {
				a, prec := m.Field(ly, p, mu, k)
				var want float64
				switch ly.Kind {
				case ir.Bernoulli:
					want = 1 / (1 + math.Exp(-a))
				case ir.Spin:
					want = math.Tanh(a)
				case ir.Gaussian:
					want = a / prec
				case ir.Softmax:
					want = m.UnitProbs(ly, p, mu, k, 1)[k%ly.Categories()]
				}
				if !close(mu[ly.Index][k], want, 1e-9) {
					t.Fatalf("%s: μ(%s[%d]) = %g is not a fixed point (update gives %g)", tm.name, ly.Name, k, mu[ly.Index][k], want)
				}
			}
		}
	}
}

// The normalized monomials must equal the energy as written on every state:
// this is what makes Energy a trustworthy reference for the other checks.
func TestNormalizedEnergyMatchesSource(t *testing.T) {
	for _, tm := range loadModels(t) {
		m := tm.m
		r := rand.New(rand.NewPCG(11, 11))
		for trial := 0; trial < 20; trial++ {
			p := randomParams(m, uint64(trial))
			x := m.NewState()
			m.RandomState(x, r)
			if got, want := m.Energy(p, x), m.SourceEnergy(p, x); !close(got, want, 1e-10) {
				t.Fatalf("%s: normalized energy %.12g, energy as written %.12g", tm.name, got, want)
			}
		}
	}
}
