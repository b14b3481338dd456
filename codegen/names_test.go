package codegen_test

import (
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
)

// typeChecker type-checks generated files against the runtime package,
// loaded once from source.
var typeChecker = sync.OnceValue(func() types.Importer {
	return importer.ForCompiler(token.NewFileSet(), "source", nil)
})

// typeCheck parses and type-checks generated files as one package.
func typeCheck(files ...[]byte) error {
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, src := range files {
		f, err := parser.ParseFile(fset, "gen.go", src, 0)
		if err != nil {
			return err
		}
		parsed = append(parsed, f)
	}
	var errs []error
	conf := types.Config{Importer: typeChecker(), Error: func(err error) { errs = append(errs, err) }}
	conf.Check("gen", fset, parsed, nil)
	return errors.Join(errs...)
}

// generate compiles and generates src: the file, or the positioned error
// of check or gen.
func generate(t *testing.T, src string) ([]byte, error) {
	t.Helper()
	m, err := ir.Compile("m.ebm", []byte(src), ir.Options{})
	if err != nil {
		return nil, err
	}
	files, err := codegen.Generate(m, codegen.Options{Package: "gen", Source: "m.ebm", Text: []byte(src)})
	if err != nil {
		return nil, err
	}
	return files[0].Content, nil
}

// rbmWith is a small RBM whose visible layer, hidden layer and weight
// carry the given names, plus extra declarations.
func rbmWith(model, v, h, w, extra string) string {
	return "model " + model + "\n" + extra + "\nvisible " + v + "[3] bernoulli\nhidden " + h + "[2] bernoulli\nparam " + w + "[3, 2] = normal(0, 0.1)\n" +
		"energy = -sum(i, j) " + v + "[i] * " + w + "[i, j] * " + h + "[j]\n"
}

// sparseWith is a small sparse-coding model (a laplace layer) whose visible
// layer, code layer, dictionary, L1 weight and summation indices carry the
// given names.
func sparseWith(model, v, h, d, lambda, i, k string) string {
	return "model " + model + "\nvisible " + v + "[3] gaussian\nhidden " + h + "[2] laplace\nparam " + d + "[3, 2] = normal(0, 0.1)\nparam " + lambda + " = 0.1 fixed\n" +
		"energy = sum(" + i + ") (" + v + "[" + i + "] - sum(" + k + ") " + d + "[" + i + ", " + k + "] * " + h + "[" + k + "])^2 / 2 + " + lambda + " * sum(" + k + ") abs(" + h + "[" + k + "])\n"
}

// Names that collide with identifiers the generator emits are refused by
// Generate with a positioned error naming the declaration, or generate
// code that type-checks: never code that fails to compile.
func TestNamesAcceptedCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the runtime from source")
	}
	cases := []string{
		rbmWith("M", "workspace", "h", "W", ""),
		rbmWith("M", "len", "h", "W", ""),
		rbmWith("M", "layers", "h", "W", ""),
		rbmWith("M", "randomize", "h", "W", ""),
		rbmWith("M", "v", "setWeights", "W", ""),
		rbmWith("M", "v", "field", "W", ""),
		rbmWith("M", "v", "h", "baseV", ""),
		rbmWith("M", "v", "chainsV", "W", ""),
		rbmWith("M", "v", "siteV", "W", ""),
		rbmWith("M", "v", "gradV", "W", ""),
		rbmWith("M", "v", "h", "hold", ""),
		rbmWith("M", "v", "h", "sweeps", ""),
		rbmWith("M", "v", "h", "metropolisV", ""),
		rbmWith("M", "x", "h", "langevinX", ""),
		rbmWith("M", "v", "h", "freeEnergyV", ""),
		rbmWith("M", "v", "h", "meanV", ""),
		rbmWith("M", "v", "h", "reflect", ""),
		rbmWith("M", "v", "h", "energy", ""),
		rbmWith("M", "v", "h", "n", ""),
		rbmWith("M", "v", "h", "rng", ""),
		rbmWith("M", "v", "h", "W", "const Chains = 2"),
		rbmWith("M", "v", "h", "W", "const Clamp = 2"),
		rbmWith("M", "v", "h", "W", "const Trainer = 2"),
		rbmWith("M", "v", "h", "W", "const NV = 2"),
		rbmWith("Chains", "v", "h", "W", ""),
		rbmWith("M", "v", "h", "params", ""),
		rbmWith("M", "v", "h", "init", ""),
		rbmWith("M", "v", "h", "modelName", ""),
		rbmWith("M", "v", "h", "velocity", ""),
		rbmWith("M", "v", "h", "opt", ""),
		rbmWith("M", "v", "h", "state", ""),
		rbmWith("M", "v", "h", "trainStep", ""),
		"model G\nvisible x[3] gaussian\nenergy = sum(i) x[i]^2 / 2\n",
		"model G\nvisible x[3] gaussian\nhidden h[2] bernoulli\nparam W[3, 2]\nenergy = sum(i) x[i]^2 / 2 + sum(i, j) x[i] * x[i] * W[i, j] * h[j]\n",
		"model G\nvisible x[3] gaussian\nparam J[3, 3]\nenergy = sum(i) x[i]^2 / 2 - sum(i, k) J[i, k] * x[i] * x[k] / 10\n",
		// The identifiers of the code for a laplace layer (codegen/sparse.go).
		sparseWith("S", "v", "h", "D", "lambda", "i", "k"),
		sparseWith("S", "v", "h", "hessian", "lambda", "i", "k"),
		sparseWith("S", "v", "h", "D", "linear", "i", "k"),
		sparseWith("S", "v", "h", "thresholds", "prox", "i", "k"),
		sparseWith("S", "v", "h", "codeSize", "visibleSize", "i", "k"),
		sparseWith("S", "v", "h", "sharedHessian", "energyGrad", "i", "k"),
		sparseWith("S", "v", "h", "Energy", "lambda", "i", "k"),
		sparseWith("S", "rowIn", "rowCode", "D", "lambda", "i", "k"),
		sparseWith("S", "v", "h", "D", "lambda", "rowQ", "rowB"),
		sparseWith("S", "v", "h", "D", "lambda", "e", "dst"),
		sparseWith("S", "v", "h", "D", "lambda", "x", "scale"),
		sparseWith("S", "v", "h", "D", "lambda", "g", "rowG0"),
		sparseWith("S", "v", "h", "D", "lambda", "t0", "acc"),
		sparseWith("S", "v", "h", "D", "lambda", "lam", "t"),
		sparseWith("S", "x", "dst", "D", "lambda", "i", "k"),
		sparseWith("S", "v", "h", "D", "lambda", "math", "runtime"),
	}
	for _, src := range cases {
		f := strings.Fields(src)
		t.Run(strings.Join(f[:min(12, len(f))], " "), func(t *testing.T) {
			out, err := generate(t, src)
			if err != nil {
				var list dsl.ErrorList
				if !errors.As(err, &list) || list[0].Pos.Line < 1 {
					t.Fatalf("refused without a position: %v", err)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err := typeCheck(out); err != nil {
				t.Errorf("accepted, but the generated code does not compile: %v", err)
			}
		})
	}
}

// FuzzGenerate checks the promise of check and gen: a model that compiles
// either generates code that parses and type-checks against the runtime,
// or is refused with errors positioned in its source. It starts from the
// examples and from the names above.
func FuzzGenerate(f *testing.F) {
	if testing.Short() {
		f.Skip("type-checks the runtime from source")
	}
	examples, err := testmodels.Examples()
	if err != nil || len(examples) == 0 {
		f.Fatalf("no examples: %v", err)
	}
	for _, src := range examples {
		f.Add(src)
	}
	f.Add(rbmWith("M", "v", "h", "sweeps", ""))
	f.Add(rbmWith("M", "v", "h", "W", "const Chains = 2"))
	f.Add("model G\nvisible x[3] gaussian\nhidden h[2] bernoulli\nparam W[3, 2]\nenergy = sum(i) x[i]^2 / 2 + sum(i, j) x[i] * x[i] * W[i, j] * h[j]\n")
	f.Add(sparseWith("S", "v", "h", "D", "lambda", "i", "k"))
	f.Add("model W\nvisible v[3] gaussian\nvisible s[3] bernoulli\nhidden h[2] laplace\nparam D[3, 2] = normal(0, 1)\nparam l1[2] = uniform(0.1, 0.5) fixed\n" +
		"energy = sum(i) v[i]^2 / 2 - sum(i, k) v[i] * D[i, k] * h[k] + sum(i, j, k) (1 + s[i]) * D[i, j] * D[i, k] * h[j] * h[k] / 2 + sum(k) h[k]^2 + sum(k) l1[k] * abs(h[k])\n")
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ir.Compile("m.ebm", []byte(src), ir.Options{})
		if err != nil || !smallModel(m) {
			return
		}
		files, err := codegen.Generate(m, codegen.Options{Package: "gen", Source: "m.ebm", Text: []byte(src)})
		if err != nil {
			var list dsl.ErrorList
			if !errors.As(err, &list) || len(list) == 0 || list[0].Pos.Line < 1 {
				t.Fatalf("Generate refused an accepted model without a positioned error: %v", err)
			}
			return
		}
		if err := typeCheck(files[0].Content); err != nil {
			t.Fatalf("accepted model generates code that does not compile: %v\n%s", err, src)
		}
	})
}

// smallModel keeps the fuzzer to models whose generated code is quick to
// type-check.
func smallModel(m *ir.Model) bool {
	for _, p := range m.Params {
		if p.Size > 1<<20 {
			return false
		}
	}
	return len(m.Terms) < 64
}

// LogZ enumerates whatever the caller's limit allows, not a cap fixed when
// the code was generated: a 40×40 RBM counts its 2⁴⁰ configurations when
// asked to, and a model beyond any enumeration says how many it would take,
// as a power of two, not "+Inf".
func TestLogZLimit(t *testing.T) {
	for _, tc := range []struct {
		nv, nh    int
		want, not string
	}{
		{40, 40, "var configs float64 = 1099511627776", "more than can be enumerated"},
		{784, 500, "takes 2^500 configurations, more than can be enumerated", "+Inf configurations"},
		{3, 70, "enumerating v and summing h out through the free energy (8 configurations)", "more than can be enumerated"},
	} {
		src := strings.NewReplacer("NV", strconv.Itoa(tc.nv), "NH", strconv.Itoa(tc.nh)).Replace(
			"model R\nvisible v[NV] bernoulli\nhidden h[NH] bernoulli\nparam W[NV, NH]\nenergy = -sum(i, j) v[i] * W[i, j] * h[j]\n")
		out, err := generate(t, src)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), tc.want) || strings.Contains(string(out), tc.not) {
			i := strings.Index(string(out), "func (m *R) LogZ")
			t.Errorf("%d×%d: LogZ does not say %q (or says %q):\n%s", tc.nv, tc.nh, tc.want, tc.not, out[i:i+600])
		}
	}
}

// Size variants of one model share a package when Options.Type gives each
// its own type: the two files type-check together, and without Type they
// clash (both declare RBM, NewRBM, …). A Type that is not an exported
// identifier is refused.
func TestTypeLetsVariantsSharePackage(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the runtime from source")
	}
	src := []byte("model RBM\nconst NH = 2\nvisible v[3] bernoulli\nhidden h[NH] bernoulli\nparam W[3, NH] = normal(0, 0.1)\n" +
		"energy = -sum(i, j) v[i] * W[i, j] * h[j]\n")
	variant := func(nh int, typ string) ([]byte, string, error) {
		m, err := ir.Compile("m.ebm", src, ir.Options{Defines: map[string]int{"NH": nh}})
		if err != nil {
			t.Fatal(err)
		}
		files, err := codegen.Generate(m, codegen.Options{Package: "gen", Source: "m.ebm", Text: src, Type: typ})
		if err != nil {
			return nil, "", err
		}
		return files[0].Content, files[0].Name, nil
	}
	small, name, err := variant(3, "Small")
	if err != nil {
		t.Fatal(err)
	}
	big, _, err := variant(5, "Big")
	if err != nil {
		t.Fatal(err)
	}
	if name != "small_ebm.go" {
		t.Errorf("file %s, want small_ebm.go", name)
	}
	if err := typeCheck(small, big); err != nil {
		t.Errorf("two types in one package: %v", err)
	}
	if !strings.Contains(string(small), "func NewSmall(") || !strings.Contains(string(big), "type BigChains struct") {
		t.Error("the generated names do not follow Type")
	}
	a, _, _ := variant(3, "")
	b, _, _ := variant(5, "")
	if err := typeCheck(a, b); err == nil || !strings.Contains(err.Error(), "redeclared") {
		t.Errorf("two variants without Type: %v, want redeclarations", err)
	}
	for _, bad := range []string{"small", "Two Words", "1RBM"} {
		if _, _, err := variant(3, bad); err == nil {
			t.Errorf("Type %q accepted", bad)
		}
	}
}
