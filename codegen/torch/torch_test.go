package torch_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ebmc/ebmc/codegen/torch"
	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/verify"
)

// Python is the interpreter that has Debian's python3-torch.
const Python = "/usr/bin/python3"

// needTorch skips the test under -short, and when PyTorch is missing
// except under CI (CI set), where the torch target must be tested.
func needTorch(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts Python with PyTorch (seconds a process); the full suite runs it")
	}
	torchOnce.Do(func() {
		out, err := exec.Command(Python, "-c", "import torch; print(torch.__version__)").CombinedOutput()
		if err != nil {
			torchErr = fmt.Errorf("%s cannot import torch (%v: %s); apt-get install python3-torch", Python, err, strings.TrimSpace(string(out)))
		}
	})
	if torchErr == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so the torch target must be tested, but %v", torchErr)
	}
	t.Skipf("skipped: %v", torchErr)
}

var (
	torchOnce sync.Once
	torchErr  error
)

// model is a compiled test model and its generated Python file.
type model struct {
	m    *ir.Model
	path string
}

// generateAll writes the module of every test model into dir.
func generateAll(t testing.TB, dir string) map[string]model {
	t.Helper()
	cs, err := testmodels.All()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model{}
	for _, c := range cs {
		m, err := ir.Compile(c.Name, []byte(c.Source), ir.Options{Defines: c.Defines})
		if err != nil {
			t.Fatal(err)
		}
		src, err := torch.Generate(m, torch.Options{Source: c.Name})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		path := filepath.Join(dir, strings.ReplaceAll(c.Name, ".", "_")+".py")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		out[c.Name] = model{m, path}
	}
	return out
}

// serve starts the harness server on the given modules.
func serve(t testing.TB, models map[string]model) *verify.Driver {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	args := []string{filepath.Join(filepath.Dir(file), "testdata", "harness.py")}
	for name, mo := range models {
		args = append(args, name+"="+mo.path)
	}
	d, err := verify.Start(exec.Command(Python, args...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Every check of ebmc verify that applies to a torch module — energies,
// conditionals, free energies and their gradients against the interpreter
// and brute force to 1e-9 in float64, mean field, exact log Z, the sampler
// against the exact distribution in total variation, AIS, CD-1 training —
// passes on every test model.
func TestVerifyEveryTestModel(t *testing.T) {
	needTorch(t)
	models := generateAll(t, t.TempDir())
	d := serve(t, models)
	opts := verify.Options{}
	if testing.Short() {
		opts.Samples, opts.Sweeps, opts.Temperatures, opts.Runs = 4000, 50, 300, 50
	}
	for _, name := range sortedNames(models) {
		mo := models[name]
		for _, c := range verify.Run(mo.m, d, name, opts) {
			if strings.HasPrefix(c.Name, "allocations") {
				continue // a Go property; torch allocates its tensors
			}
			t.Logf("%s: %s: %s %s", name, c.Name, c.Figure, c.Result())
			if !c.Pass {
				t.Errorf("%s: %s: %s (limit %s): %s", name, c.Name, c.Figure, c.Limit, c.Detail)
			}
		}
	}
}

// The closed-form gradients equal the interpreter's ∂E/∂θ and ∂F/∂θ
// (summed over random states) and autograd's, to 1e-9.
func TestGradientsMatchInterpreterAndAutograd(t *testing.T) {
	needTorch(t)
	models := generateAll(t, t.TempDir())
	d := serve(t, models)
	for _, name := range sortedNames(models) {
		m := models[name].m
		p, err := verify.RandomParams(m, 3)
		if err != nil {
			t.Fatal(err)
		}
		xs, packed := verify.RandomStates(m, 6, 4)
		got, err := d.Call(harness.Request{Model: name, Op: "eval", Params: p, Layers: packed, N: len(xs), Beta: 1})
		if err != nil {
			t.Fatal(err)
		}
		auto, err := d.Call(harness.Request{Model: name, Op: "autograd", Params: p, Layers: packed, N: len(xs)})
		if err != nil {
			t.Fatal(err)
		}
		want := m.NewParams()
		for _, x := range xs {
			addInto(want, m.EnergyGrad(p, x))
		}
		compare(t, name+" ∂E/∂θ vs interpreter", got.EnergyGrad, want)
		compare(t, name+" ∂E/∂θ vs autograd", got.EnergyGrad, auto.EnergyGrad)
		checkGradAdd(t, d, name, m, p, xs, packed)
		for f, fe := range m.FreeEnergies {
			want := m.NewParams()
			for _, x := range xs {
				addInto(want, m.FreeEnergyGrad(fe, p, x))
			}
			compare(t, fmt.Sprintf("%s ∂F%d/∂θ vs interpreter", name, f), got.FEGrads[f], want)
			compare(t, fmt.Sprintf("%s ∂F%d/∂θ vs autograd", name, f), got.FEGrads[f], auto.FEGrads[f])
		}
	}
}

// checkGradAdd checks grad_add: the first half of the states through grad
// with weight 1, the second half added in place with weight −½, against
// the interpreter's Σ ∂E/∂θ with those weights; the same sum with weight
// +½ (the negative control) must differ.
func checkGradAdd(t *testing.T, d *verify.Driver, name string, m *ir.Model, p ir.Params, xs []ir.State, packed [][]float64) {
	t.Helper()
	got, err := d.Call(harness.Request{Model: name, Op: "gradadd", Params: p, Layers: packed, N: len(xs)})
	if err != nil {
		t.Fatal(err)
	}
	weighted := func(second float64) ir.Params {
		want := m.NewParams()
		for k, x := range xs {
			g := m.EnergyGrad(p, x)
			if k >= len(xs)/2 {
				for i := range g {
					for j := range g[i] {
						g[i][j] *= second
					}
				}
			}
			addInto(want, g)
		}
		return want
	}
	compare(t, name+" grad_add vs interpreter", got.EnergyGrad, weighted(-0.5))
	ft := &fakeT{}
	compare(ft, "control", got.EnergyGrad, weighted(0.5))
	if !ft.failed && !allZero(weighted(0.5)) {
		t.Errorf("%s: grad_add also matches the sum with the second half's sign flipped", name)
	}
}

func allZero(p ir.Params) bool {
	for _, t := range p {
		for _, v := range t {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

// The comparison above fails on a gradient that is off in one element.
func TestGradientComparisonCatchesAnError(t *testing.T) {
	ft := &fakeT{}
	want := [][]float64{{1, 2, 3}}
	compare(ft, "perturbed", [][]float64{{1, 2, 3 + 1e-8}}, want)
	if !ft.failed {
		t.Error("a gradient off by 1e-8 passed the 1e-9 comparison")
	}
	ft = &fakeT{}
	compare(ft, "equal", [][]float64{{1, 2, 3}}, want)
	if ft.failed {
		t.Error("equal gradients failed the comparison")
	}
}

// The sampler test rejects a sampler that draws the hidden layers from
// half their field (the same negative control as the Go samplers').
func TestSamplerTestCatchesWrongSampler(t *testing.T) {
	needTorch(t)
	models := generateAll(t, t.TempDir())
	d := serve(t, map[string]model{"rbm.ebm": models["rbm.ebm"]})
	m := models["rbm.ebm"].m
	p, err := verify.RandomParams(m, 21)
	if err != nil {
		t.Fatal(err)
	}
	const n, sweeps = 20000, 100
	tv, bound, err := verify.SampleTV(d, "rbm.ebm/wrong-sampler", m, p, n, sweeps, 99, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrong sampler: TV %.4f (bound %.4f)", tv, bound)
	if tv <= bound {
		t.Errorf("a sampler that halves its field passed: TV %.4f ≤ bound %.4f", tv, bound)
	}
	tv, bound, err = verify.SampleTV(d, "rbm.ebm", m, p, n, sweeps, 99, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("right sampler: TV %.4f (bound %.4f)", tv, bound)
	if tv > bound {
		t.Errorf("the right sampler failed: TV %.4f > bound %.4f", tv, bound)
	}
}

type tester interface {
	Errorf(format string, args ...any)
	Helper()
}

type fakeT struct{ failed bool }

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}

// compare checks got against want elementwise to 1e-9 relative (to
// max(1, |values|)).
func compare(t tester, what string, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d tensors, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s: tensor %d has %d values, want %d", what, i, len(got[i]), len(want[i]))
			continue
		}
		for k := range want[i] {
			if !near(got[i][k], want[i][k], verify.Tol) {
				t.Errorf("%s: tensor %d element %d: got %.15g, want %.15g", what, i, k, got[i][k], want[i][k])
				break
			}
		}
	}
}

func near(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	s := 1.0
	for _, v := range []float64{a, -a, b, -b} {
		if v > s {
			s = v
		}
	}
	return d <= tol*s
}

func addInto(dst, src ir.Params) {
	for i := range dst {
		for k := range dst[i] {
			dst[i][k] += src[i][k]
		}
	}
}

func sortedNames(models map[string]model) []string {
	var names []string
	for n := range models {
		names = append(names, n)
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return names
}
