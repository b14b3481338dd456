package verify_test

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/verify"
)

// extra are models the examples do not cover; ebmc verify runs on the
// examples in cmd/ebmc's tests.
var extra = map[string]string{
	// Three layers: spins with lateral couplings, a softmax label and a
	// bernoulli hidden layer that sees both.
	"spinlabel.ebm": `model SpinLabel
const N = 5
const K = 3
const M = 4
visible s[N] spin
visible y[K] softmax
hidden h[M] bernoulli
param L[N, N] = normal(0, 0.5)
param W[N, M] = normal(0, 1)
param U[K, M] = normal(0, 1)
param a[N]
param c[M]
energy = -sum(i, k) L[i, k] * s[i] * s[k] - sum(i, j) s[i] * W[i, j] * h[j]
         - sum(k, j) y[k] * U[k, j] * h[j] - sum(i) a[i] * s[i] - sum(j) c[j] * h[j]
`,
	// Spins with gaussian hidden units of learned precision: the spins'
	// distribution comes from integrating the gaussians out.
	"gaussspin.ebm": `model GaussSpin
const N = 4
const M = 2
visible s[N] spin
hidden x[M] gaussian
param W[N, M] = normal(0, 1)
param r[M] = 0.5
param b[N]
energy = sum(j) exp(r[j]) * x[j]^2 / 2 - sum(i, j) s[i] * W[i, j] * x[j] - sum(i) b[i] * s[i]
`,
	// Gaussian visible units coupled to each other and to a 2-D softmax
	// layer: no free energy integrates the gaussians out, so the sampler
	// and AIS checks are skipped, the others apply.
	"gausspotts.ebm": `model GaussPotts
const N = 3
const G = 2
const K = 3
visible x[N] gaussian
hidden z[G, K] softmax
param A[N, N] = normal(0, 0.1)
param V[N, G, K] = normal(0, 1)
param p[N] = 1
energy = sum(i) exp(p[i]) * x[i]^2 / 2 + sum(i, k) A[i, k] * x[i] * x[k] / 10 - sum(i, g, c) x[i] * V[i, g, c] * z[g, c]
`,
}

// mutant is generated code with a deliberate bug that one check must catch.
type mutant struct {
	base, old, new string
	check          string // the name of the check that must fail starts so
}

var mutants = map[string]mutant{
	// The gaussian sampler draws with twice the variance: means, fields and
	// free energies are right, only the sampled spins' distribution is off.
	"gaussspin.ebm/wide-sampler": {"gaussspin.ebm", "rng.Normal()/math.Sqrt(q)", "rng.Normal()/math.Sqrt(q/2)", "sampler"},
	// Energy is 1% off; the samplers and fields do not use it.
	"spinlabel.ebm/wrong-energy": {"spinlabel.ebm", "\t\tdst[ch] = e\n", "\t\tdst[ch] = 1.01 * e\n", "energy: generated"},
}

func compile(t *testing.T, name string, defines map[string]int) *ir.Model {
	t.Helper()
	src := []byte(extra[name])
	defs, err := verify.Shrink(name, src, defines, verify.DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ir.Compile(name, src, ir.Options{Defines: defs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRun builds one driver for the extra models and the mutants, and
// checks that the models pass and each mutant fails the right check only.
func TestRun(t *testing.T) {
	// -short keeps one model and its mutant: the checks of each model take
	// about a second.
	const shortModel = "spinlabel.ebm"
	if testing.Short() {
		t.Log("-short: " + shortModel + " and its mutant only")
	}
	var names []string
	for n := range extra {
		if testing.Short() && n != shortModel {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	models := map[string]*ir.Model{}
	var pkgs []verify.Package
	for _, n := range names {
		models[n] = compile(t, n, nil)
		pkgs = append(pkgs, verify.Package{Name: n, Model: models[n]})
	}
	var mnames []string
	for n := range mutants {
		if testing.Short() && mutants[n].base != shortModel {
			continue
		}
		mnames = append(mnames, n)
	}
	sort.Strings(mnames)
	for _, n := range mnames {
		mu := mutants[n]
		files, err := codegen.Generate(models[mu.base], codegen.Options{Package: "any", Source: mu.base})
		if err != nil {
			t.Fatal(err)
		}
		src := string(files[0].Content)
		if !strings.Contains(src, mu.old) {
			t.Fatalf("%s: the generated code no longer contains %q; update the mutation", n, mu.old)
		}
		pkgs = append(pkgs, verify.Package{Name: n, Model: models[mu.base], Code: []byte(strings.Replace(src, mu.old, mu.new, 1))})
	}
	d, err := verify.Build("..", pkgs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	report := func(name string, m *ir.Model) *verify.Report {
		rep := &verify.Report{Model: m, Configs: verify.DiscreteConfigs(m), Code: name, Checks: verify.Run(m, d, name, verify.Options{})}
		var b strings.Builder
		rep.Write(&b)
		t.Logf("\n%s", b.String())
		return rep
	}
	reports := map[string]*verify.Report{}
	for _, n := range names {
		rep := report(n, models[n])
		reports[n] = rep
		for _, c := range rep.Failed() {
			t.Errorf("%s: %s failed: %s", n, c.Name, c.Detail)
		}
		if !strings.HasSuffix(rep.Summary(), " 0 failed") {
			t.Errorf("%s: summary %q", n, rep.Summary())
		}
	}
	if rep, ok := reports["gausspotts.ebm"]; ok {
		skipped := map[string]bool{}
		for _, c := range rep.Checks {
			if c.Skipped {
				skipped[strings.Fields(c.Name)[0]] = true
			}
		}
		if !skipped["sampler:"] || !skipped["AIS"] {
			t.Errorf("gausspotts: the sampler and AIS checks should be skipped, skipped: %v", skipped)
		}
	}
	for _, n := range mnames {
		mu := mutants[n]
		failed := report(n, models[mu.base]).Failed()
		if len(failed) == 0 {
			t.Errorf("%s passed every check", n)
			continue
		}
		caught := false
		for _, c := range failed {
			caught = caught || strings.HasPrefix(c.Name, mu.check)
		}
		if !caught {
			t.Errorf("%s: the check %q did not fail", n, mu.check)
		}
	}
}

func TestShrink(t *testing.T) {
	rbm := []byte("model RBM\nconst NV = 784\nconst NH = 500\nconst NX = NH\nvisible v[NV] bernoulli\nhidden h[NX] bernoulli\nparam W[NV, NH]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n")
	defs, err := verify.Shrink("rbm.ebm", rbm, nil, verify.DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	if defs["NV"] != 3 || defs["NH"] != 3 || len(defs) != 2 {
		t.Errorf("shrunk to %v, want NV=3 NH=3 (NX follows NH)", defs)
	}
	defs, err = verify.Shrink("rbm.ebm", rbm, map[string]int{"NV": 8}, verify.DefaultLimit)
	if err != nil || defs["NV"] != 8 || defs["NH"] != 3 {
		t.Errorf("with -D NV=8: %v, %v; want NV=8 NH=3", defs, err)
	}
	// Five layers of three units are 2^15 configurations: some must go to 2.
	five := []byte("model Five\nconst NA = 10\nconst NB = 10\nconst NC = 10\nconst ND = 10\nconst NE = 10\n" +
		"visible a[NA] bernoulli\nhidden b[NB] spin\nhidden c[NC] bernoulli\nhidden d[ND] bernoulli\nhidden e[NE] bernoulli\n" +
		"param w\nenergy = -w * sum(i, j) a[i] * b[j] - w * sum(j, k) b[j] * c[k] - w * sum(k, l) c[k] * d[l] - w * sum(l, n) d[l] * e[n]\n")
	defs, err = verify.Shrink("five.ebm", five, nil, verify.DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ir.Compile("five.ebm", five, ir.Options{Defines: defs})
	if err != nil {
		t.Fatal(err)
	}
	if n := verify.DiscreteConfigs(m); n > verify.DefaultLimit || n < verify.DefaultLimit/8 {
		t.Errorf("five layers shrunk to %v: %g configurations", defs, n)
	}
	for k, v := range defs {
		if v < 2 || v > 3 {
			t.Errorf("%s = %d", k, v)
		}
	}
	lit := []byte("model Lit\nconst NH = 4\nvisible v[784] bernoulli\nhidden h[NH] bernoulli\nparam W[784, NH]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n")
	_, err = verify.Shrink("lit.ebm", lit, nil, verify.DefaultLimit)
	if err == nil || !strings.Contains(err.Error(), "lit.ebm:3:1: layer v has 784 units written as a literal; declare a const for its size") {
		t.Errorf("literal size: %v", err)
	}
}

// TestRefFreeEnergy checks the Gaussian integral of the energy against the
// interpreter's derived free energy of the GRBM and a quadrature.
func TestRefFreeEnergy(t *testing.T) {
	src := []byte(extra["gaussspin.ebm"])
	m, err := ir.Compile("gs.ebm", src, ir.Options{Defines: map[string]int{"M": 1}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := verify.RandomParams(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := verify.RandomStates(m, 3, 3)
	for _, fe := range m.FreeEnergies {
		if fe.SumOut[0].Kind != ir.Gaussian {
			continue
		}
		for _, x := range xs {
			for _, beta := range []float64{1, 0.6} {
				got, err := verify.RefFreeEnergy(m, fe, p, x, beta)
				if err != nil {
					t.Fatal(err)
				}
				// Trapezoid rule over ±12 standard deviations of the one unit.
				y := x.Clone()
				mean, variance := m.NormalParams(fe.SumOut[0], p, x, 0, beta)
				sd := math.Sqrt(variance)
				const n = 4000
				var terms []float64
				for s := 0; s <= n; s++ {
					y[fe.SumOut[0].Index][0] = mean - 12*sd + 24*sd*float64(s)/n
					w := 24 * sd / n
					if s == 0 || s == n {
						w /= 2
					}
					terms = append(terms, math.Log(w)-beta*m.Energy(p, y))
				}
				mx := math.Inf(-1)
				for _, v := range terms {
					mx = math.Max(mx, v)
				}
				sum := 0.0
				for _, v := range terms {
					sum += math.Exp(v - mx)
				}
				want := -(mx + math.Log(sum))
				derived := m.FreeEnergy(fe, p, x, beta)
				if math.Abs(got-want) > 1e-8 || math.Abs(got-derived) > 1e-9 {
					t.Errorf("β=%g: Gaussian integral %.12g, quadrature %.12g, derived %.12g", beta, got, want, derived)
				}
			}
		}
	}
}

// RandomParams stays inside the parameters' domains: sqrt of a parameter
// initialised near zero gets noise small enough to keep it non-negative at
// every seed (the fixed σ = 0.3 made seed 4 NaN), other parameters keep the
// full noise, and an initializer outside the domain (sqrt of −1) is named.
func TestRandomParamsDomain(t *testing.T) {
	src := "model Q\nvisible v[3] bernoulli\nparam q[3] = 0.05\nparam w[3]\nenergy = -sum(i) sqrt(q[i]) * v[i] - sum(i) w[i] * v[i]\n"
	m, err := ir.Compile("q.ebm", []byte(src), ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	moved := 0.0
	for seed := uint64(1); seed <= 30; seed++ {
		p, err := verify.RandomParams(m, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for k, q := range p[0] {
			if !(q >= 0) {
				t.Fatalf("seed %d: q[%d] = %v outside sqrt's domain", seed, k, q)
			}
		}
		for _, w := range p[1] {
			moved += math.Abs(w)
		}
	}
	if moved/90 < 0.15 { // E|N(0, 0.3²)| ≈ 0.24
		t.Errorf("w, which any value suits, moved by %.3f on average: its noise was shrunk too", moved/90)
	}
	// Compile refuses it first now, at the parameter; RandomParams names it
	// too for a model that reaches it.
	bad, err := ir.Compile("l.ebm", []byte("model L\nvisible v[2] bernoulli\nparam s[2] = -1\nenergy = -sum(i) sqrt(s[i]) * v[i]\n"), ir.Options{})
	if err != nil {
		if !strings.Contains(err.Error(), "param s:") {
			t.Errorf("sqrt of s initialised at −1: %v, want an error naming s", err)
		}
		return
	}
	if _, err := verify.RandomParams(bad, 1); err == nil || !strings.Contains(err.Error(), "[s]") {
		t.Errorf("sqrt of s initialised at −1: %v, want an error naming s", err)
	}
}
