package ir_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
)

// FuzzCompile checks that Compile never panics and that every error it
// returns is positioned; a model it accepts must be usable by the
// interpreter, which is exercised on models small enough to run quickly.
func FuzzCompile(f *testing.F) {
	examples, err := testmodels.Examples()
	if err != nil || len(examples) == 0 {
		f.Fatalf("no examples: %v", err)
	}
	for _, src := range examples {
		f.Add(src)
	}
	for _, c := range errorCases {
		f.Add(c.src)
	}
	for _, src := range fuzzModels {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ir.Compile("fuzz.ebm", []byte(src), ir.Options{})
		if err != nil {
			var list dsl.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Compile returned %T %v, want a non-empty dsl.ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.Filename != "fuzz.ebm" || e.Pos.Line < 1 || e.Pos.Column < 1 || e.Msg == "" {
					t.Fatalf("badly positioned error %q", e.Error())
				}
			}
			return
		}
		if !small(m) {
			return
		}
		exercise(t, m)
	})
}

// fuzzModels are valid tiny models of every kind, to start mutations from.
var fuzzModels = []string{
	"model S\nvisible s[3] spin\nhidden h[2] spin\nparam W[3, 2] = normal(0, 1)\nparam a[3] = 0.5\nenergy = -sum(i, j) s[i] * W[i, j] * h[j] - sum(i) a[i] * s[i]\n",
	"model P\nvisible x[2, 3] softmax\nparam J[2, 3, 2, 3] = normal(0, 1)\nenergy = -sum(n, c, m, d) J[n, c, m, d] * x[n, c] * x[m, d]\n",
	"model G\nvisible x[3] gaussian\nhidden h[2] bernoulli\nparam A[3, 3] = uniform(-0.1, 0.1) fixed\nparam W[3, 2] = normal(0, 1)\nparam p[3] = 1\n" +
		"energy = sum(i) exp(p[i]) * x[i]^2 / 2 + sum(i, k) A[i, k] * x[i] * x[k] / 10 - sum(i, j) x[i] * W[i, j] * h[j]\n",
	"model B\nvisible v[4] bernoulli\nparam L[4, 4] = normal(0, 1)\nparam s = 2\nenergy = -s * sum(i, k) v[i] * L[i, k] * v[k] + (sum(i) v[i] - 2)^2\n",
	"model L\nvisible v[3] gaussian\nhidden h[2] laplace\nparam D[3, 2] = normal(0, 1)\nparam lambda = 0.1 fixed\n" +
		"energy = sum(i) (v[i] - sum(k) D[i, k] * h[k])^2 / 2 + lambda * sum(k) abs(h[k])\n",
	"model T\nvisible v[2] bernoulli\nhidden h[2] bernoulli\nhidden g[2] spin\nparam T[2, 2, 2] = normal(0, 1)\nparam c\n" +
		"energy = -sum(i, j, k) T[i, j, k] * v[i] * h[j] * g[k] - softplus(c) * sum(j) h[j] + log(2) * sqrt(4) * sum(i) v[i]\n",
}

// small reports whether m's layers, params and sums are small enough for
// the interpreter's loops.
func small(m *ir.Model) bool {
	for _, ly := range m.Layers {
		if ly.Size > 8 {
			return false
		}
	}
	for _, p := range m.Params {
		if p.Size > 1<<10 {
			return false
		}
	}
	for _, ix := range m.Indices {
		if ix.Size > 16 {
			return false
		}
	}
	for _, t := range m.Terms {
		n := 1
		for _, ix := range t.Sum {
			n *= ix.Size
			if n > 1<<12 {
				return false
			}
		}
	}
	return len(m.Terms) <= 64
}

// exercise calls the interpreter's main entry points on a random state.
func exercise(t *testing.T, m *ir.Model) {
	p := m.NewParams()
	m.InitParams(p, 1)
	x := m.NewState()
	m.RandomState(x, rand.New(rand.NewPCG(1, 2)))
	m.Energy(p, x)
	m.SourceEnergy(p, x)
	m.EnergyGrad(p, x)
	if m.Sparse != nil {
		// A laplace layer: the MAP derivation, and the refusals.
		m.Quadratic(p, x)
		m.Thresholds(p)
		m.Penalty(p, x)
		for w := ir.GibbsConditional; w <= ir.Sampling; w++ {
			if err := m.Refusal(w); err == nil || err.Pos.Line < 1 {
				t.Fatalf("%v of a laplace layer: refusal %v", w, err)
			}
		}
		if e, se := m.Energy(p, x), m.SourceEnergy(p, x); !math.IsNaN(e+se) && !math.IsInf(e+se, 0) &&
			math.Abs(e-se) > 1e-6*(1+math.Abs(se)) {
			t.Fatalf("Energy = %g but the source energy is %g\nterms: %v", e, se, m)
		}
		return
	}
	for _, ly := range m.Layers {
		if ly.Kind == ir.Gaussian {
			m.NormalParams(ly, p, x, 0, 1)
			m.InputGrad(ly, p, x)
			continue
		}
		m.UnitProbs(ly, p, x, 0, 1)
		if ly.Kind != ir.Softmax {
			m.FlipDelta(ly, p, x, 0)
		}
	}
	// The normalized monomials must agree with the energy as written.
	if e, se := m.Energy(p, x), m.SourceEnergy(p, x); !math.IsNaN(e+se) && !math.IsInf(e+se, 0) &&
		math.Abs(e-se) > 1e-6*(1+math.Abs(se)) {
		t.Fatalf("Energy = %g but the source energy is %g\nterms: %v", e, se, m)
	}
	for _, fe := range m.FreeEnergies {
		m.FreeEnergy(fe, p, x, 1)
		m.FreeEnergyGrad(fe, p, x)
		for _, ly := range fe.Keep {
			if ly.Kind == ir.Bernoulli || ly.Kind == ir.Spin {
				m.FreeEnergyFlipDelta(fe, ly, p, x, 0)
			}
		}
	}
	m.MeanField(p, x, 3, 1e-6, 0.5)
	if _, err := ir.Configs(m.Layers, 1<<12); err == nil {
		if _, err := m.LogZ(p, 1, 1<<12); err != nil {
			t.Fatalf("LogZ: %v", err)
		}
	}
}
