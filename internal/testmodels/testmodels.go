// Package testmodels lists the models that tests of every stage run on:
// the examples shrunk to sizes that brute force can enumerate, and models
// the examples do not cover (other unit kinds, lateral couplings, more
// layers, higher-order tensors, powers and scalar parameters).
package testmodels

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// Case is a model source with the const overrides that make it tiny.
type Case struct {
	Name    string
	Source  string
	Defines map[string]int
}

// Tiny shrinks each example.
var Tiny = map[string]map[string]int{
	"rbm.ebm":      {"NV": 4, "NH": 3},
	"grbm.ebm":     {"NV": 2, "NH": 3},
	"classrbm.ebm": {"NV": 3, "NH": 2, "NY": 3},
	"dbm.ebm":      {"NV": 3, "N1": 3, "N2": 2},
	"ising.ebm":    {"N": 5},
}

// Extra are models beyond the examples.
var Extra = map[string]string{
	"spinrbm": `model SpinRBM
visible s[3] spin
hidden h[2] spin
param W[3, 2] = normal(0, 1)
param a[3]
energy = -sum(i, j) s[i] * W[i, j] * h[j] - sum(i) a[i] * s[i]`,
	"potts": `model Potts
visible x[3, 3] softmax
param J[3, 3, 3, 3] = normal(0, 0.5)
param f[3, 3] = normal(0, 1)
energy = -sum(n, c, m, d) J[n, c, m, d] * x[n, c] * x[m, d] - sum(n, c) f[n, c] * x[n, c]`,
	"threeway": `model ThreeWay
visible v[3] bernoulli
hidden h[2] bernoulli
hidden g[2] spin
param T[3, 2, 2] = normal(0, 1)
param b[3]
param s = 0.5
energy = -sum(i, j, k) T[i, j, k] * v[i] * h[j] * g[k] - sum(i) b[i] * v[i] - s * sum(j) h[j]`,
	"boltzmann": `model BM
visible v[4] bernoulli
hidden h[2] bernoulli
param L[4, 4] = normal(0, 1)
param W[4, 2] = normal(0, 1)
param c[2]
energy = -sum(i, k) v[i] * L[i, k] * v[k] - sum(i, j) v[i] * W[i, j] * h[j] - sum(j) c[j] * h[j]`,
	"gausslateral": `model GaussChain
visible x[3] gaussian
hidden h[2] bernoulli
param A[3, 3] = normal(0, 0.1)
param W[3, 2] = normal(0, 1)
param p[3] = 1
energy = sum(i) exp(p[i]) * x[i]^2 / 2 + sum(i, k) A[i, k] * x[i] * x[k] / 10 - sum(i, j) x[i] * W[i, j] * h[j]`,
	"meancov": `model MeanCov
visible x[2] gaussian
hidden h[2] bernoulli
param r[2] = 1
param V[2, 2] = normal(0, 0.3)
param W[2, 2] = normal(0, 1)
energy = sum(i) (2 + softplus(r[i])) * x[i]^2 / 2 + sum(i, j) V[i, j]^2 * x[i]^2 * h[j] - sum(i, j) x[i] * W[i, j] * h[j]`,
	"power": `model Power
visible v[3] bernoulli
param a = 0.3
param b[3] = normal(0, 1)
energy = -a * (sum(i) v[i])^2 - sum(i) b[i] * v[i] + log(1 + a^2) * sum(i) v[i]`,
	"dbm3": `model DBM3
visible v[3] bernoulli
hidden h1[2] bernoulli
hidden h2[2] bernoulli
hidden h3[2] bernoulli
param W1[3, 2] = normal(0, 1)
param W2[2, 2] = normal(0, 1)
param W3[2, 2] = normal(0, 1)
energy = -sum(i, j) v[i] * W1[i, j] * h1[j] - sum(j, k) h1[j] * W2[j, k] * h2[k] - sum(k, l) h2[k] * W3[k, l] * h3[l]`,
	"labelgroups": `model LabelGroups
visible v[3] bernoulli
visible y[2, 3] softmax
hidden h[3] bernoulli
param W[3, 3] = normal(0, 1)
param U[2, 3, 3] = normal(0, 1)
energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(n, k, j) y[n, k] * U[n, k, j] * h[j]`,
}

// Sparse are models with a laplace layer: they have no samplers, free
// energies or log Z (ir.Model.Refusal), so All leaves them out; the tests
// that run on them are the golden files and runtime/sparse's.
var Sparse = map[string]string{
	"sparsecoding": `model SparseCoding
visible v[4] gaussian
hidden h[3] laplace
param D[4, 3] = normal(0, 0.3)
param lambda = 0.1 fixed
energy = sum(i) (v[i] - sum(k) D[i, k] * h[k])^2 / 2 + lambda * sum(k) abs(h[k])`,
	"sparseweighted": `model SparseWeighted
visible v[3] gaussian
visible s[3] bernoulli
hidden h[2] laplace
param D[3, 2] = normal(0, 1)
param l1[2] = uniform(0.1, 0.5) fixed
param ridge = 0.3 fixed
energy = sum(i) v[i]^2 / 2 - sum(i, k) v[i] * D[i, k] * h[k]
       + sum(i, j, k) (1 + s[i]) * D[i, j] * D[i, k] * h[j] * h[k] / 2
       + ridge * sum(k) h[k]^2 / 2 + sum(k) l1[k] * abs(h[k])`,
}

// SparseCases returns the Sparse models as cases, in name order.
func SparseCases() []Case {
	var out []Case
	for name, src := range Sparse {
		out = append(out, Case{Name: name + ".ebm", Source: src})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ExamplesDir is the repository's examples directory.
func ExamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}

// Examples returns the text of every examples/*.ebm file, in name order:
// the seeds of the fuzz targets.
func Examples() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(ExamplesDir(), "*.ebm"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, string(src))
	}
	return out, nil
}

// All returns every case: the shrunk examples, then the extra models, each
// in name order.
func All() ([]Case, error) {
	var out []Case
	var names []string
	for n := range Tiny {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(ExamplesDir(), n))
		if err != nil {
			return nil, err
		}
		out = append(out, Case{Name: n, Source: string(src), Defines: Tiny[n]})
	}
	names = names[:0]
	for n := range Extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, Case{Name: n, Source: Extra[n]})
	}
	return out, nil
}
