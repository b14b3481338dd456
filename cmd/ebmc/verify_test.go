package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// spinLabel is a model the examples do not cover: three layers, spins with
// lateral couplings, a softmax label and a bernoulli hidden layer.
const spinLabel = `model SpinLabel
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
`

var summary = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`)

// TestVerifyPasses runs ebmc verify on every example, shrunk automatically
// (the ebmc module is found with go list from the examples' directory),
// and on a model in a temporary directory outside any module (found from
// the source tree).
func TestVerifyPasses(t *testing.T) {
	var paths []string
	for _, name := range examples(t) {
		if name == "sparse/sparse.ebm" {
			continue // refused: TestVerifyErrors
		}
		p, err := filepath.Abs(filepath.Join("../../examples", name))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	extra := filepath.Join(t.TempDir(), "spinlabel.ebm")
	if err := os.WriteFile(extra, []byte(spinLabel), 0o644); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		t.Log("-short: rbm.ebm only (each verify builds a module)")
	}
	for _, path := range append(paths, extra) {
		if testing.Short() && filepath.Base(path) != "rbm.ebm" {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI("verify", path)
			t.Logf("\n%s", stdout)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			m := summary.FindStringSubmatch(stdout)
			if m == nil || m[2] != "0" || m[1] == "0" {
				t.Errorf("no line \"N passed, 0 failed\" in the output")
			}
			for _, want := range []string{"check", "figure", "limit", "result", "sampler", "AIS", "∂E/∂θ", "conditional p("} {
				if !strings.Contains(stdout, want) {
					t.Errorf("the table lacks %q", want)
				}
			}
		})
	}
}

// TestVerifyFailsOnBrokenCode feeds verify generated code with deliberate
// bugs: each must fail with exit 1, naming the check that caught it.
func TestVerifyFailsOnBrokenCode(t *testing.T) {
	rbm, err := filepath.Abs("../../examples/rbm.ebm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "rbm_ebm.go")
	if code, _, stderr := runCLI("gen", "-o", good, "-pkg", "mine", "-D", "NV=3", "-D", "NH=3", rbm); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	src, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		check          string // the failing check's name starts so
	}{
		// A hidden sampler that draws with half its field, as one that
		// tempered a block by mistake would: only the sampler test sees it.
		{"half-field-sampler", "runtime.Sigmoids(row, a, beta)", "runtime.Sigmoids(row, a, 0.5*beta)", "sampler"},
		// The visible means with the field's sign flipped.
		{"flipped-mean", "runtime.Sigmoids(dst[:x.N*3], x.aV[:x.N*3], beta)", "runtime.Sigmoids(dst[:x.N*3], x.aV[:x.N*3], -beta)", "conditional p(v | rest)"},
	}
	if testing.Short() {
		t.Log("-short: flipped-mean only (each verify builds a module)")
	}
	for _, c := range cases {
		if testing.Short() && c.name != "flipped-mean" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(string(src), c.old) {
				t.Fatalf("the generated code no longer contains %q; update the mutation", c.old)
			}
			broken := strings.Replace(string(src), c.old, c.new, 1)
			path := filepath.Join(dir, c.name+".go")
			if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI("verify", "-code", path, rbm)
			t.Logf("\n%s", stdout)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "check failed: "+c.check) {
				t.Errorf("stderr does not name the check %q:\n%s", c.check, stderr)
			}
			if m := summary.FindStringSubmatch(stdout); m == nil || m[2] == "0" {
				t.Errorf("the summary does not count a failure")
			}
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(c.check) + `.*FAIL$`).MatchString(stdout) {
				t.Errorf("the table has no failing row %q", c.check)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	dir := t.TempDir()
	rbm, err := filepath.Abs("../../examples/rbm.ebm")
	if err != nil {
		t.Fatal(err)
	}
	sparse, err := filepath.Abs("../../examples/sparse/sparse.ebm")
	if err != nil {
		t.Fatal(err)
	}
	literal := filepath.Join(dir, "literal.ebm")
	if err := os.WriteFile(literal, []byte("model Lit\nvisible v[784] bernoulli\nhidden h[4] bernoulli\nparam W[784, 4]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notGo := filepath.Join(dir, "notgo.go")
	if err := os.WriteFile(notGo, []byte("package x\nfunc ZeroOther() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		code      int
		stderrHas string
	}{
		{"no file", []string{"verify"}, 2, "usage: ebmc verify"},
		{"two files", []string{"verify", rbm, rbm}, 2, "usage: ebmc verify"},
		{"help", []string{"verify", "-h"}, 0, "-code file"},
		{"bad -D", []string{"verify", "-D", "NV", rbm}, 2, `want NAME=VALUE`},
		{"missing file", []string{"verify", filepath.Join(dir, "none.ebm")}, 1, "none.ebm"},
		{"literal sizes", []string{"verify", literal}, 1, "layer v has 784 units written as a literal; declare a const for its size"},
		{"too big with -D", []string{"verify", "-D", "NV=20", "-D", "NH=20", rbm}, 1, "sizes given: -D NH=20 -D NV=20"},
		{"code of another model", []string{"verify", "-code", notGo, rbm}, 1, "declares no func ZeroRBM"},
		{"bad module", []string{"verify", "-module", dir, rbm}, 1, "is not the ebmc module"},
		{"laplace layer", []string{"verify", sparse}, 1, "sparse.ebm:16:76: laplace layer h: sampling is not derived"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			if code != c.code || !strings.Contains(stderr, c.stderrHas) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, c.code, stderr, c.stderrHas)
			}
		})
	}
}
