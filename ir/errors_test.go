package ir_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/ir"
)

// rbmHead declares a tiny RBM that the cases below extend or break.
const rbmHead = `model M
visible v[3] bernoulli
hidden h[2] bernoulli
param W[3, 2]
`

// laplaceHead and laplaceQuad start a sparse-coding model that the laplace
// cases complete with an L1 term (or break).
const (
	laplaceHead = "model S\nvisible v[3] gaussian\nhidden h[2] laplace\nparam D[3, 2]\nparam lambda = 0.1 fixed\n"
	laplaceQuad = "sum(i) (v[i] - sum(k) D[i, k] * h[k])^2 / 2"
)

// rbmEnergy completes rbmHead into a valid model.
const rbmEnergy = "energy = -sum(i, j) v[i] * W[i, j] * h[j]\n"

// errorCases are bad models and every error each must produce, exactly:
// FILE:LINE:COL: message, one per line, in source order.
var errorCases = []struct {
	name    string
	src     string
	defines map[string]int
	want    []string
}{
	// Syntax.
	{name: "missing model line", src: "visible v[3] bernoulli\nenergy = -sum(i) v[i]\n",
		want: []string{
			"bad.ebm:1:1: a .ebm file starts with model NAME, not \"visible\"",
		}},
	{name: "empty file", src: "",
		want: []string{
			"bad.ebm:1:1: empty file: a model starts with model NAME",
		}},
	{name: "unexpected token", src: rbmHead + "energy = -sum(i, j) v[i] W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:26: unexpected \"W\" (expected an operator + - * / ^ or a new declaration: const, visible, hidden, param or energy)",
		}},
	{name: "unterminated expression", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] *\n",
		want: []string{
			"bad.ebm:5:37: unexpected end of file (expected an expression)",
		}},
	{name: "unclosed parenthesis", src: rbmHead + "energy = -sum(i, j) (v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:43: unexpected end of file (expected \")\")",
		}},
	{name: "unknown character", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] % h[j]\n",
		want: []string{
			"bad.ebm:5:36: unexpected character '%' (operators are + - * / ^, comments start with // or #)",
		}},
	{name: "non-ASCII name", src: rbmHead + "param β[3]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: unexpected character 'β' (names use ASCII letters, digits and _)",
		}},
	{name: "keyword as name", src: rbmHead + "param sum[3]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: expected a name, found the keyword sum (keywords cannot be used as names)",
		}},
	{name: "missing unit kind", src: "model M\nvisible v[3]\nenergy = -sum(i) v[i]\n",
		want: []string{
			"bad.ebm:3:1: unexpected \"energy\" (expected a unit kind: bernoulli, spin, gaussian, softmax or laplace)",
		}},
	{name: "unclosed comment", src: "model M /* a comment\nvisible v[3] bernoulli\n",
		want: []string{
			"bad.ebm:1:9: comment /* is never closed with */",
		}},
	{name: "number out of range", src: rbmHead + "energy = -1e400 * sum(i, j) v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:11: number 1e400 is out of range",
		}},

	// Names and declarations.
	{name: "undeclared name", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * g[j]\n",
		want: []string{
			"bad.ebm:5:38: undeclared name g; declare it as a layer, param or const (declared: W, h, v)",
		}},
	{name: "misspelt name", src: rbmHead + "energy = -sum(i, j) v[i] * w[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:28: undeclared name w; did you mean W? Otherwise declare it as a layer, param or const",
		}},
	{name: "duplicate declaration", src: rbmHead + "param W[3, 2]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: W redeclared; it was declared at 4:7",
		}},
	{name: "layer and param with one name", src: rbmHead + "param h[2]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: h redeclared; it was declared at 3:8",
		}},
	{name: "Go name collision", src: rbmHead + "param V[3]\n" + "energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) V[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:7: V and v (declared at 2:9) both become the Go name V; rename one",
		}},
	{name: "function name as param", src: rbmHead + "param exp[3]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: param name exp is a keyword of the language; choose another name",
		}},
	{name: "name starting with underscore", src: rbmHead + "param _b[3]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: param name _b must start with a letter (it becomes the Go name _b)",
		}},
	{name: "model name starting with underscore", src: "model _M\nvisible v[3] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:1:7: model name _M must start with a letter",
		}},
	{name: "unknown unit kind", src: "model M\nvisible v[3] binary\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:14: layer v: unknown unit kind binary (expected bernoulli, spin, gaussian, softmax or laplace)",
		}},
	{name: "softmax of one category", src: "model M\nvisible y[4, 1] softmax\nparam b[4, 1]\nenergy = -sum(n, k) b[n, k] * y[n, k]\n",
		want: []string{
			"bad.ebm:2:14: softmax layer y: a one-hot group needs at least 2 categories, not 1",
		}},
	{name: "no visible layer", src: "model M\nhidden h[2] bernoulli\nparam c[2]\nenergy = -sum(j) c[j] * h[j]\n",
		want: []string{
			"bad.ebm:2:1: the model has no visible layer; declare the observed units with visible NAME[SIZE] KIND",
		}},
	{name: "no layers", src: "model M\nparam c[2]\nenergy = sum(j) c[j]\n",
		want: []string{
			"bad.ebm:1:7: model M declares no layers; add e.g. visible v[N] bernoulli",
		}},
	{name: "no energy", src: rbmHead,
		want: []string{
			"bad.ebm:1:7: model M has no energy; add energy = EXPR",
		}},
	{name: "two energies", src: rbmHead + rbmEnergy + rbmEnergy,
		want: []string{
			"bad.ebm:6:1: energy declared again; a model has one energy (add the terms to the first)",
		}},

	// Initializers.
	{name: "unknown initializer", src: rbmHead + "param b[3] = gauss(0, 1)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: unknown initializer gauss (expected zeros, ones, a number, normal(mean, std) or uniform(lo, hi))",
		}},
	{name: "normal with one argument", src: rbmHead + "param b[3] = normal(0)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: normal takes 2 arguments, got 1",
		}},
	{name: "uniform with three arguments", src: rbmHead + "param b[3] = uniform(0, 1, 2)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: uniform takes 2 arguments, got 3",
		}},
	{name: "zeros with an argument", src: rbmHead + "param b[3] = zeros(1)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: zeros takes no arguments",
		}},
	{name: "normal with negative std", src: rbmHead + "param b[3] = normal(0, -1)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: normal(mean, std) needs std ≥ 0, got -1",
		}},
	{name: "uniform with lo = hi", src: rbmHead + "param b[3] = uniform(1, 1)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: uniform(lo, hi) needs lo < hi, got 1 ≥ 1",
		}},
	{name: "uniform with lo > hi", src: rbmHead + "param b[3] = uniform(1, -1)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: uniform(lo, hi) needs lo < hi, got 1 ≥ -1",
		}},
	{name: "uniform wider than float64", src: rbmHead + "param b[3] = uniform(-1e308, 1e308)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: uniform(lo, hi) needs hi − lo within the float64 range (at most 1.797693e+308), got uniform(-1e+308, 1e+308); narrow the range",
		}},
	{name: "normal std overflows", src: rbmHead + "param b[3] = normal(0, 1e308)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: normal(mean, std) needs |mean| + 20·std within the float64 range (at most 1.797693e+308) so that no draw overflows, got normal(0, 1e+308); use a smaller mean or std",
		}},
	{name: "normal mean at the edge", src: rbmHead + "param b[3] = normal(-1.7e308, 1e307)\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: normal(mean, std) needs |mean| + 20·std within the float64 range (at most 1.797693e+308) so that no draw overflows, got normal(-1.7e+308, 1e+307); use a smaller mean or std",
		}},
	{name: "initializer word as number", src: rbmHead + "param b[3] = two\n" + rbmEnergy + "- sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:5:14: param b: unknown initializer two (expected zeros, ones, a number, normal(mean, std) or uniform(lo, hi))",
		}},

	// Sizes and consts.
	{name: "const used before declaration", src: "model M\nconst A = B\nconst B = 3\nvisible v[A] bernoulli\nparam w[A]\nenergy = -sum(i) w[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:11: const A: const B is used before its declaration at 3:1; declare it first",
		}},
	{name: "undeclared const in size", src: "model M\nvisible v[N] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:11: layer v: undeclared const N; declare it first with const N = VALUE",
		}},
	// Found by FuzzCompile: a layer whose size names itself was skipped
	// without an error, and the model went on to derivation with no layers.
	{name: "layer sized by itself", src: "model A visible x[x]gaussian param b[1]energy=0*sum(i)b[i]*x#00",
		want: []string{
			"bad.ebm:1:19: layer x: undeclared const x; declare it first with const x = VALUE",
		}},
	{name: "layer as size", src: "model M\nvisible v[3] bernoulli\nparam b[v]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:3:9: param b: v is a layer, not a const; sizes are integers or consts",
		}},
	{name: "zero size", src: "model M\nvisible v[0] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:11: layer v: size must be at least 1, not 0",
		}},
	{name: "zero const size", src: "model M\nconst N = 0\nvisible v[N] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:3:11: layer v: dimension 1 is N = 0; sizes must be at least 1",
		}},
	{name: "fractional size", src: "model M\nvisible v[2.5] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:11: layer v: size 2.5 is not a whole number",
		}},
	{name: "absurd size", src: "model M\nvisible v[100000, 100000] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		want: []string{
			"bad.ebm:2:9: layer v has 10000000000 (100000 × 100000) units; at most 16777216 are supported",
		}},
	{name: "size beyond int", src: "model M\nvisible v[99999999999999999999] bernoulli\n",
		want: []string{
			"bad.ebm:1:7: model M has no energy; add energy = EXPR",
			"bad.ebm:2:11: layer v: size 99999999999999999999 is too large",
		}},
	{name: "absurd param", src: rbmHead + "param T[3, 2, 100000, 10000]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:7: param T has 6000000000 (3 × 2 × 100000 × 10000) elements; at most 268435456 are supported",
		}},
	{name: "define of unknown const", src: "model M\nconst N = 3\nvisible v[N] bernoulli\nparam b[N]\nenergy = -sum(i) b[i] * v[i]\n",
		defines: map[string]int{"N": 2, "NH": 5},
		want: []string{
			"bad.ebm:1:7: -D NH: the model declares no const NH",
		}},
	{name: "define makes a conflict", src: "model M\nconst N = 3\nvisible v[N] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] * v[i]\n",
		defines: map[string]int{"N": 4},
		want: []string{
			"bad.ebm:5:27: layer v: index i ranges over b (3) but v has size 4",
		}},

	// References and indices.
	{name: "too few indices", src: rbmHead + "energy = -sum(i, j) v[i] * W[i] * h[j]\n",
		want: []string{
			"bad.ebm:5:28: param W has 2 dimension(s) but is indexed with 1: write W[i, j]",
		}},
	{name: "too many indices", src: rbmHead + "energy = -sum(i, j) v[i, j] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:21: layer v has 1 dimension(s) but is indexed with 2: write v[i]",
		}},
	{name: "layer without index", src: rbmHead + "energy = -sum(i, j) v * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:21: layer v has 1 dimension(s) but is indexed with 0: write v[i]",
		}},
	{name: "indexing a const", src: "model M\nconst K = 2\n" + strings.TrimPrefix(rbmHead, "model M\n") + "energy = -sum(i, j) v[i] * W[i, j] * h[j] * K[i]\n",
		want: []string{
			"bad.ebm:6:45: const K is a number and cannot be indexed; write K",
		}},
	{name: "indexing a scalar param", src: rbmHead + "param s\nenergy = -sum(i, j) v[i] * W[i, j] * h[j] * s[i]\n",
		want: []string{
			"bad.ebm:6:45: param s is a scalar and takes no indices: write s",
		}},
	{name: "const as index", src: "model M\nconst K = 2\n" + strings.TrimPrefix(rbmHead, "model M\n") + "energy = -sum(i) v[i] * W[i, K] * h[K]\n",
		want: []string{
			"bad.ebm:6:30: index K is a const; indices must be variables bound by sum(…)",
			"bad.ebm:6:37: index K is a const; indices must be variables bound by sum(…)",
		}},
	{name: "free index", src: rbmHead + "energy = -sum(i) v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:30: index j is not bound; wrap the term in sum(j) …",
			"bad.ebm:5:37: index j is not bound; wrap the term in sum(j) …",
		}},
	{name: "index bound twice by nested sums", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * sum(i) h[i]\n",
		want: []string{
			"bad.ebm:5:42: index i is already bound by the sum at 5:15; use another name",
		}},
	{name: "index listed twice in one sum", src: rbmHead + "energy = -sum(i, i) v[i] * W[i, i]\n",
		want: []string{
			"bad.ebm:5:18: index i appears twice in sum(…); bind each index once, e.g. sum(i, j) for two indices",
		}},
	{name: "index named like a param", src: rbmHead + "energy = -sum(W, j) v[W] * h[j]\n",
		want: []string{
			"bad.ebm:5:15: index W has the name of a declared param; use another name",
		}},
	{name: "index used as a value", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j] * i\n",
		want: []string{
			"bad.ebm:5:45: index i used as a value; indices can only appear inside [ ]",
		}},
	{name: "index range conflict", src: rbmHead + "energy = -sum(i, j) v[i] * W[j, i] * h[j]\n",
		want: []string{
			"bad.ebm:5:33: param W: index i ranges over v (3) but W's 2nd dimension is 2",
			"bad.ebm:5:40: layer h: index j ranges over W's 1st dimension (3) but h has size 2",
		}},
	{name: "index range conflict in one param", src: "model M\nvisible v[3] bernoulli\nparam A[3, 4]\nenergy = -sum(i) A[i, i] * v[i]\n",
		want: []string{
			"bad.ebm:4:23: param A: index i ranges over A's 1st dimension (3) but A's 2nd dimension is 4",
		}},
	{name: "index unused in its sum", src: rbmHead + "energy = -sum(i, j, k) v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:21: index k is not used in the sum's term, so its range is unknown; remove it from sum(…)",
		}},
	{name: "layer indexed twice with one index", src: "model M\nvisible x[3, 3] bernoulli\nparam a[3]\nenergy = -sum(i) a[i] * x[i, i]\n",
		want: []string{
			"bad.ebm:4:30: layer x is indexed twice with i; a unit reference needs a different index per dimension",
		}},

	// Functions, division and powers.
	{name: "unit inside exp", src: rbmHead + "energy = -sum(i, j) exp(v[i]) * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:5:25: unit v inside exp(…): exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "unit inside log", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * log(h[j])\n",
		want: []string{
			"bad.ebm:5:42: unit h inside log(…): exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "unit inside softplus", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * softplus(1 + h[j])\n",
		want: []string{
			"bad.ebm:5:51: unit h inside softplus(…): exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "unit inside sqrt", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * sqrt(h[j])\n",
		want: []string{
			"bad.ebm:5:43: unit h inside sqrt(…): exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "sum inside exp", src: rbmHead + "param b[3]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j] * exp(sum(k) b[k])\n",
		want: []string{
			"bad.ebm:6:49: sum inside exp(…) is not supported; exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "unknown function", src: rbmHead + "energy = -sum(i, j) v[i] * tanh(W[i, j]) * h[j]\n",
		want: []string{
			"bad.ebm:5:28: unknown function tanh (expected exp, log, softplus, sqrt or abs)",
		}},
	{name: "misspelt function", src: rbmHead + "param a\nenergy = -sum(i, j) v[i] * W[i, j] * h[j] * softpuls(a)\n",
		want: []string{
			"bad.ebm:6:45: unknown function softpuls (expected exp, log, softplus, sqrt or abs; did you mean softplus?)",
		}},
	{name: "misspelt unit kind", src: "model M\nvisible v[3] bernouli\nhidden h[2] bernoulli\nparam W[3, 2]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:2:14: layer v: unknown unit kind bernouli (expected bernoulli, spin, gaussian, softmax or laplace; did you mean bernoulli?)",
		}},
	{name: "misspelt initializer", src: "model M\nvisible v[3] bernoulli\nhidden h[2] bernoulli\nparam W[3, 2] = normla(0, 1)\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:4:17: param W: unknown initializer normla (expected zeros, ones, a number, normal(mean, std) or uniform(lo, hi); did you mean normal?)",
		}},
	{name: "param called as function", src: rbmHead + "energy = -sum(i, j) v[i] * W(i) * h[j]\n",
		want: []string{
			"bad.ebm:5:28: W is a param, not a function; index it with W[i]",
		}},
	{name: "function without argument", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j] * exp\n",
		want: []string{
			"bad.ebm:5:45: function exp needs an argument: exp(…)",
		}},
	{name: "division by a unit", src: rbmHead + "energy = -sum(i, j) W[i, j] / v[i] * h[j]\n",
		want: []string{
			"bad.ebm:5:31: unit v inside a denominator: divide by parameters only, so that the energy stays a polynomial in the units",
		}},
	{name: "division by zero", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j] / (2 - 2)\n",
		want: []string{
			"bad.ebm:5:43: division by zero",
		}},
	{name: "log of zero", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j] * log(0)\n",
		want: []string{
			"bad.ebm:5:45: this expression evaluates to -Inf, which is not a finite number; check for a division by zero or a function outside its domain",
		}},
	// A long sum's terms are checked where each is expanded, not again at
	// every + of the sum: the one that is not finite is still found, in the
	// middle of 2000 terms.
	{name: "log of zero in a long sum", src: rbmHead + "energy = " + strings.Repeat("- sum(i, j) v[i] * W[i, j] * h[j] ", 1000) + "- log(0) * sum(i) v[i] " + strings.Repeat("- sum(i, j) v[i] * W[i, j] * h[j] ", 1000) + "\n",
		want: []string{
			"bad.ebm:5:" + strconv.Itoa(len("energy = ")+1000*len("- sum(i, j) v[i] * W[i, j] * h[j] ")+3) + ": this expression evaluates to -Inf, which is not a finite number; check for a division by zero or a function outside its domain",
		}},
	{name: "parameter exponent", src: rbmHead + "param a\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]^a\n",
		want: []string{
			"bad.ebm:6:43: exponent must be a number, not an expression of parameters",
		}},
	{name: "unit exponent", src: rbmHead + "energy = -sum(i, j) W[i, j] * 2^v[i] * h[j]\n",
		want: []string{
			"bad.ebm:5:33: unit v inside an exponent: exponents are numbers",
		}},
	{name: "fractional power of a unit", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j]^0.5\n",
		want: []string{
			"bad.ebm:5:43: a power of an expression holding units needs a whole exponent from 0 to 8, not 0.5",
		}},
	{name: "negative power of a unit", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j]^-1\n",
		want: []string{
			"bad.ebm:5:43: a power of an expression holding units needs a whole exponent from 0 to 8, not -1",
		}},
	{name: "huge power of a unit", src: rbmHead + "energy = -sum(i, j) v[i] * W[i, j] * h[j]^9\n",
		want: []string{
			"bad.ebm:5:43: a power of an expression holding units needs a whole exponent from 0 to 8, not 9",
		}},

	// Unit kinds and conditionals.
	{name: "cubic gaussian term", src: "model M\nvisible x[3] gaussian\nparam b[3]\nenergy = sum(i) x[i]^3 + sum(i) x[i]^2 / 2 - sum(i) b[i] * x[i]\n",
		want: []string{
			"bad.ebm:4:17: x[i] appears to power 3 in one term: the conditional of gaussian layer x must be Normal, so the energy can be at most quadratic in each of its units",
		}},
	{name: "cubic gaussian through a product", src: "model M\nvisible x[3] gaussian\nparam b[3]\nenergy = sum(i) x[i]^2 * x[i] / 3 + sum(i) x[i]^2 / 2 - sum(i) b[i] * x[i]\n",
		want: []string{
			"bad.ebm:4:26: x[i] appears to power 3 in one term: the conditional of gaussian layer x must be Normal, so the energy can be at most quadratic in each of its units",
		}},
	{name: "gaussian without quadratic term", src: "model M\nvisible x[3] gaussian\nhidden h[2] bernoulli\nparam W[3, 2]\nenergy = -sum(i, j) x[i] * W[i, j] * h[j]\n",
		want: []string{
			"bad.ebm:2:1: gaussian layer x has no quadratic term in the energy, so p(x | rest) is not normalizable; add a term such as sum(i) x[i]^2 / 2",
		}},
	{name: "gaussian with negative quadratic term", src: "model M\nvisible x[3] gaussian\nparam b[3]\nenergy = -sum(i) x[i]^2 / 2 - sum(i) b[i] * x[i]\n",
		want: []string{
			"bad.ebm:4:18: gaussian layer x: the coefficient of x[i]² is negative, so p(x | rest) is not a Normal distribution; its precision must be positive, as in + sum(i) x[i]^2 / 2",
		}},
	{name: "gaussian squared terms that cancel", src: "model M\nvisible x[3] gaussian\nparam b[3]\nenergy = sum(i) x[i]^2 - sum(i) x[i] * x[i] - sum(i) b[i] * x[i]\n",
		want: []string{
			"bad.ebm:2:1: gaussian layer x has no quadratic term in the energy, so p(x | rest) is not normalizable; add a term such as sum(i) x[i]^2 / 2",
		}},
	{name: "product within a softmax group", src: "model M\nvisible y[3] softmax\nparam A[3, 3]\nenergy = -sum(k, l) y[k] * A[k, l] * y[l]\n",
		want: []string{
			"bad.ebm:4:38: y[k] and y[l] are units of one one-hot group of softmax layer y: their product is zero unless k = l; write the diagonal as a linear term in y[k]",
		}},
	{name: "product within a 2-D softmax group", src: "model M\nvisible y[2, 3] softmax\nparam A[2, 3, 3]\nenergy = -sum(n, k, l) y[n, k] * A[n, k, l] * y[n, l]\n",
		want: []string{
			"bad.ebm:4:47: y[n, k] and y[n, l] are units of one one-hot group of softmax layer y: their product is zero unless k = l; write the diagonal as a linear term in y[n, k]",
		}},
	{name: "layer not in the energy", src: rbmHead + "hidden g[2] bernoulli\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:1: layer g does not appear in the energy (or its terms cancel); use it or remove it",
		}},
	{name: "param not in the energy", src: rbmHead + "param b[3]\n" + rbmEnergy,
		want: []string{
			"bad.ebm:5:1: param b does not appear in the energy (or its terms cancel); use it or remove it",
		}},
	{name: "terms that cancel", src: rbmHead + "param b[3]\n" + rbmEnergy + "- sum(i) b[i] * v[i] + sum(i) v[i] * b[i]\n",
		want: []string{
			"bad.ebm:5:1: param b does not appear in the energy (or its terms cancel); use it or remove it",
		}},
	{name: "product too large", src: rbmHead + "param b[3]\nenergy = (sum(i) v[i] + sum(i) b[i] * v[i] + 1)^8 * (sum(j) h[j] + 1)^8\n",
		want: []string{
			"bad.ebm:6:49: this product expands into 6561 terms; at most 4096 are supported",
		}},

	// Laplace layers and L1 terms (sparse coding).
	{name: "abs of a parameter times a unit", src: laplaceHead + "energy = " + laplaceQuad + " + sum(k) abs(lambda * h[k])\n",
		want: []string{
			"bad.ebm:6:63: abs(…) of h[k] times a parameter: write the parameter outside, λ·abs(h[k]); abs applies to one unit of a laplace layer, as in + lambda * sum(j) abs(h[j]), the L1 term of sparse coding",
		}},
	{name: "abs of a sum", src: laplaceHead + "energy = " + laplaceQuad + " + sum(k) abs(h[k] + h[k])\n",
		want: []string{
			"bad.ebm:6:63: abs(…) must hold exactly one unit, not a sum, product or expression of several; abs applies to one unit of a laplace layer, as in + lambda * sum(j) abs(h[j]), the L1 term of sparse coding",
		}},
	{name: "abs of a parameter", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) + abs(lambda)\n",
		want: []string{
			"bad.ebm:6:84: abs(…) of parameters is not supported; abs applies to one unit of a laplace layer, as in + lambda * sum(j) abs(h[j]), the L1 term of sparse coding",
		}},
	{name: "abs of a gaussian unit", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(i) abs(v[i])\n",
		want: []string{
			"bad.ebm:6:72: abs(…) of v[i]: v is a gaussian layer; abs applies to one unit of a laplace layer, as in + lambda * sum(j) abs(h[j]), the L1 term of sparse coding",
		}},
	{name: "abs times a unit", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) * h[k]\n",
		want: []string{
			"bad.ebm:6:82: |h[k]| multiplied by h[k]: an L1 term must be a coefficient of parameters times |unit|, so that its proximal step is soft thresholding",
		}},
	{name: "abs squared", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k])^2\n",
		want: []string{
			"bad.ebm:6:82: |h[k]|^2: an L1 term may not be raised to a power; the energy takes λ·|h[k]| (the proximal step of a power is not soft thresholding)",
		}},
	{name: "negative L1 term", src: laplaceHead + "energy = " + laplaceQuad + " - lambda * sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:6:76: the coefficient of |h[k]| is -0.1 at the declared initial values: the energy is then not convex in h and has no proximal step; the L1 coefficient must be ≥ 0",
		}},
	{name: "negative literal L1 term", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) - sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:6:95: the coefficient of |h[k]| is negative: the energy is then not convex in h and has no proximal step; write + lambda * sum(…) abs(h[k]) with lambda ≥ 0",
		}},
	{name: "trained L1 coefficient", src: strings.Replace(laplaceHead, "0.1 fixed", "0.1", 1) + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:6:76: the L1 term of h[k] reads param lambda, which is trained: minimizing the energy would drive it to 0; declare it fixed (param lambda … fixed)",
		}},
	{name: "laplace without L1 term", src: laplaceHead + "param c[2]\nenergy = " + laplaceQuad + " - lambda * sum(k) c[k] * h[k]\n",
		want: []string{
			"bad.ebm:3:1: laplace layer h has no L1 term in the energy; add one such as + lambda * sum(i) abs(h[i]) (or declare h gaussian)",
		}},
	{name: "laplace without quadratic term", src: laplaceHead + "energy = sum(i) v[i]^2/2 - sum(i, k) v[i] * D[i, k] * h[k] + lambda * sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:3:1: laplace layer h has no quadratic term in the energy, so its MAP need not exist and the smooth part has no curvature to step by; add a term such as sum(k) h[k]^2 / 2 (the ½‖v − D·h‖² of sparse coding has one)",
		}},
	{name: "laplace with negative square", src: laplaceHead + "energy = sum(i) v[i]^2/2 - sum(i, k) v[i] * D[i, k] * h[k] - sum(k) h[k]^2 + lambda * sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:6:69: laplace layer h: the coefficient of h[k]² is negative, so the energy is not convex in h and MAP inference is ill-posed; write + sum(k) h[k]^2 / 2",
		}},
	{name: "laplace cubed", src: laplaceHead + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) + sum(k) h[k]^3\n",
		want: []string{
			"bad.ebm:6:91: h[k] appears to power 3 in one term: MAP inference of laplace layer h needs a smooth part with a Lipschitz gradient, so the energy can be at most quadratic in each of its units",
		}},
	{name: "visible laplace", src: strings.Replace(laplaceHead, "hidden h", "visible h", 1) + "energy = " + laplaceQuad + " + lambda * sum(k) abs(h[k])\n",
		want: []string{
			"bad.ebm:3:1: laplace layer h is visible: laplace units are inferred by MAP, so they must be hidden",
		}},
	{name: "laplace beside a bernoulli hidden layer", src: laplaceHead + "hidden z[2] bernoulli\nenergy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) - sum(k) z[k] * h[k]\n",
		want: []string{
			"bad.ebm:6:1: hidden layer z is bernoulli: in a model with laplace layer h every hidden layer must be laplace, since MAP inference of h given the visible layers cannot sum z out",
		}},
	{name: "two laplace layers", src: laplaceHead + "hidden g[2] laplace\nenergy = " + laplaceQuad + " + lambda * sum(k) abs(h[k]) + sum(k) g[k]^2 + sum(k) abs(g[k])\n",
		want: []string{
			"bad.ebm:6:1: laplace layer g: a model has at most one laplace layer (h is declared at 3:1)",
		}},
	{name: "abs is reserved", src: "model S\nvisible v[3] bernoulli\nparam abs[3]\nenergy = sum(i) abs[i]*v[i]\n",
		want: []string{
			"bad.ebm:3:7: param name abs is a keyword of the language; choose another name",
		}},

	// Several independent errors in one file: all are reported.
	{name: "several errors", src: `model M
const N = 3
visible v[N] bernoulli
hidden h[2] ternary
param W[N, 2] = gauss(1)
param _c[2]
param b[N] = uniform(2, 1)
energy = -sum(i, j) v[i] * W[i, k] * h[j]
         - sum(i) b[i] * q[i]
         - sum(i) exp(v[i]) * b[i]
         - sum(i, i) b[i]
`,
		want: []string{
			"bad.ebm:4:13: layer h: unknown unit kind ternary (expected bernoulli, spin, gaussian, softmax or laplace)",
			"bad.ebm:5:17: param W: unknown initializer gauss (expected zeros, ones, a number, normal(mean, std) or uniform(lo, hi))",
			"bad.ebm:6:7: param name _c must start with a letter (it becomes the Go name _c)",
			"bad.ebm:7:14: param b: uniform(lo, hi) needs lo < hi, got 2 ≥ 1",
			"bad.ebm:8:33: index k is not bound; wrap the term in sum(k) …",
			"bad.ebm:9:26: undeclared name q; declare it as a layer, param or const (declared: N, W, b, v)",
			"bad.ebm:10:23: unit v inside exp(…): exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units",
			"bad.ebm:11:19: index i appears twice in sum(…); bind each index once, e.g. sum(i, j) for two indices",
		}},
}

func TestErrors(t *testing.T) {
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ir.Compile("bad.ebm", []byte(c.src), ir.Options{Defines: c.defines})
			if err == nil {
				t.Fatalf("Compile succeeded, want errors:\n%s\nenergy: %v", strings.Join(c.want, "\n"), m)
			}
			var list dsl.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Compile returned %T, want dsl.ErrorList", err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(quote(got), "\n"), strings.Join(quote(c.want), "\n"))
			}
		})
	}
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "\t" + s
	}
	return out
}
