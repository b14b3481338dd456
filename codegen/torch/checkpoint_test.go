package torch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/codegen/torch"
	dbm "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/grbm"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
	ebmrt "github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/training"
)

// roundTripModels are the examples whose generated Go packages the test
// loads checkpoints into: binary, gaussian with learned σ, three layers.
var roundTripModels = []struct {
	file string
	zero func() ebmrt.Reflective
}{
	{"rbm.ebm", func() ebmrt.Reflective { return rbm.ZeroRBM().Reflect() }},
	{"grbm.ebm", func() ebmrt.Reflective { return grbm.ZeroGRBM().Reflect() }},
	{"dbm.ebm", func() ebmrt.Reflective { return dbm.ZeroDBM().Reflect() }},
}

// One checkpoint format for both targets: a model trained one epoch by the
// torch module loads into the generated Go package, whose free energies of
// random states equal the module's to 1e-9 in float64; and the reverse, a
// model trained one epoch in Go loads into the torch module. A checkpoint
// altered in one weight by 1e-6 fails the same comparison.
func TestCheckpointRoundTrip(t *testing.T) {
	needTorch(t)
	if testing.Short() {
		t.Skip("-short: trains full-size models")
	}
	for _, c := range roundTripModels {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			src, err := os.ReadFile(filepath.Join(testmodels.ExamplesDir(), c.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := ir.Compile(c.file, src, ir.Options{})
			if err != nil {
				t.Fatal(err)
			}
			code, err := torch.Generate(m, torch.Options{Source: c.file, Text: src})
			if err != nil {
				t.Fatal(err)
			}
			module := filepath.Join(dir, "model.py")
			if err := os.WriteFile(module, code, 0o644); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, 7))
			data := randomRows(m, 100, r)
			dataPath := filepath.Join(dir, "data.safetensors")
			writeTensors(t, dataPath, []ebmrt.Tensor{data})
			states, statesPath := randomStates(t, m, 30, r, dir)

			// torch → Go.
			fromTorch := filepath.Join(dir, "torch.safetensors")
			torchFE := freeEnergiesPy(t, "train", module, statesPath, dataPath, fromTorch)[0]
			g := c.zero()
			ck, err := checkpoint.LoadCheckpoint(fromTorch)
			if err != nil {
				t.Fatal(err)
			}
			if err := ck.Restore(g, nil); err != nil {
				t.Fatal(err)
			}
			compare(t, "torch → Go: free energies", goFreeEnergies(g, states), torchFE)
			moved := false
			for _, p := range g.Params() {
				for _, v := range p.Data {
					moved = moved || v != 0 && !strings.HasPrefix(p.Name, "W")
				}
			}
			if !moved {
				t.Errorf("the torch checkpoint's biases are all zero: did training run?")
			}

			// Go → torch, and the negative control: one weight moved by
			// 1e-6 must be caught.
			h := c.zero()
			if err := trainGo(h, data); err != nil {
				t.Fatal(err)
			}
			fromGo := filepath.Join(dir, "go.safetensors")
			if err := checkpoint.SaveCheckpoint(fromGo, checkpoint.CheckpointOf(h, nil, nil, map[string]string{"epochs": "1"})); err != nil {
				t.Fatal(err)
			}
			goFE := goFreeEnergies(h, states)
			h.Params()[0].Data[0] += 1e-6
			bent := filepath.Join(dir, "bent.safetensors")
			if err := checkpoint.SaveCheckpoint(bent, checkpoint.CheckpointOf(h, nil, nil, nil)); err != nil {
				t.Fatal(err)
			}
			py := freeEnergiesPy(t, "fe", module, statesPath, fromGo, bent)
			compare(t, "Go → torch: free energies", py[0], goFE)
			ft := &fakeT{}
			compare(ft, "perturbed", py[1], goFE)
			if !ft.failed {
				t.Error("a checkpoint with one weight moved by 1e-6 passed the comparison")
			}
		})
	}
}

// A checkpoint of another model, or of other sizes, is refused by the
// torch module with the Go side's message.
func TestCheckpointRefusesOtherModels(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	module := filepath.Join(dir, "model.py")
	src, _ := os.ReadFile(filepath.Join(testmodels.ExamplesDir(), "rbm.ebm"))
	m, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: map[string]int{"NV": 4, "NH": 3}})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := torch.Generate(m, torch.Options{})
	os.WriteFile(module, code, 0o644)
	_, statesPath := randomStates(t, m, 2, rand.New(rand.NewPCG(1, 1)), dir)
	cases := []struct {
		ck   *checkpoint.Checkpoint
		want string
	}{
		{checkpoint.CheckpointOf(grbm.ZeroGRBM(), nil, nil, nil), "checkpoint is for model GRBM, not RBM"},
		{checkpoint.CheckpointOf(rbm.ZeroRBM(), nil, nil, nil), "param W: checkpoint shape [784, 500], model shape [4, 3]"},
		{&checkpoint.Checkpoint{Model: "RBM", Tensors: []ebmrt.Tensor{{Name: "W", Shape: []int{4, 3}, Data: make([]float64, 12)}}}, "missing param 'b' in checkpoint"},
	}
	args := []string{"fe", module, statesPath}
	for i, c := range cases {
		path := filepath.Join(dir, fmt.Sprintf("ck%d.safetensors", i))
		if err := checkpoint.SaveCheckpoint(path, c.ck); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out := python(t, args...)
	var got []any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != len(cases) {
		t.Fatalf("python: %v: %s", err, out)
	}
	for i, c := range cases {
		if msg, ok := got[i].(string); !ok || !strings.Contains(msg, c.want) {
			t.Errorf("loading a checkpoint that should fail with %q gave %v", c.want, got[i])
		}
	}
}

func randomRows(m *ir.Model, n int, r *rand.Rand) ebmrt.Tensor {
	var data []float64
	cols := 0
	for range n {
		x := m.NewState()
		m.RandomState(x, r)
		cols = 0
		for _, ly := range m.Layers {
			if ly.Visible {
				data = append(data, x[ly.Index]...)
				cols += ly.Size
			}
		}
	}
	return ebmrt.Tensor{Name: "x", Shape: []int{n, cols}, Data: data}
}

// randomStates draws n states of every layer, saves them one tensor per
// layer and returns them per layer (n × size).
func randomStates(t *testing.T, m *ir.Model, n int, r *rand.Rand, dir string) ([][]float64, string) {
	packed := make([][]float64, len(m.Layers))
	for range n {
		x := m.NewState()
		m.RandomState(x, r)
		for i := range m.Layers {
			packed[i] = append(packed[i], x[i]...)
		}
	}
	var ts []ebmrt.Tensor
	for i, ly := range m.Layers {
		ts = append(ts, ebmrt.Tensor{Name: ly.Name, Shape: []int{n, ly.Size}, Data: packed[i]})
	}
	path := filepath.Join(dir, "states.safetensors")
	writeTensors(t, path, ts)
	return packed, path
}

func writeTensors(t *testing.T, path string, ts []ebmrt.Tensor) {
	t.Helper()
	if err := checkpoint.SaveCheckpoint(path, &checkpoint.Checkpoint{Tensors: ts}); err != nil {
		t.Fatal(err)
	}
}

func goFreeEnergies(m ebmrt.Reflective, states [][]float64) [][]float64 {
	n := len(states[0]) / layerSize(m, 0)
	x := m.NewChains(n, 1)
	for i, t := range x.Layers() {
		copy(t.Data, states[i])
	}
	var out [][]float64
	for f := range m.FreeEnergies() {
		dst := make([]float64, n)
		m.FreeEnergy(x, f, 1, dst)
		out = append(out, dst)
	}
	return out
}

func layerSize(m ebmrt.Reflective, i int) int {
	n := 1
	for _, d := range m.Layers()[i].Shape {
		n *= d
	}
	return n
}

func trainGo(m ebmrt.Reflective, data ebmrt.Tensor) error {
	t, err := m.NewTrainer(ebmrt.CDConfig{K: 1, BatchSize: 20, Seed: 1, Optimizer: ebmrt.SGD{LearningRate: 0.01}})
	if err != nil {
		return err
	}
	ds := &dataset.Dataset{Rows: data.Shape[0], Cols: data.Shape[1], X: data.Data}
	_, err = training.Fit(context.Background(), t, ds, training.FitConfig{Epochs: 1, BatchSize: 20, Shuffle: true, Seed: 1})
	return err
}

func roundTripScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "roundtrip.py")
}

func python(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(Python, append([]string{roundTripScript()}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 roundtrip.py %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// freeEnergiesPy runs roundtrip.py and returns, per checkpoint, every
// free energy of the states.
func freeEnergiesPy(t *testing.T, args ...string) [][][]float64 {
	t.Helper()
	out := python(t, args...)
	var fe [][][]float64
	if err := json.Unmarshal([]byte(out), &fe); err != nil {
		t.Fatalf("free energies from python: %v: %s", err, out)
	}
	return fe
}

// CD-1 with mean_visible is Hinton's rbm.m update: the generated cd_grad
// of a bernoulli RBM equals the hand-written formulas from the same random
// numbers to 1e-12; drawing the visible layer instead (the control)
// differs.
func TestCDMeanVisibleIsHintonsUpdate(t *testing.T) {
	needTorch(t)
	src := `model Small
visible v[7] bernoulli
hidden h[5] bernoulli
param W[7, 5]
param b[7]
param c[5]
energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j]`
	m, err := ir.Compile("small.ebm", []byte(src), ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	code, err := torch.Generate(m, torch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "small_ebm.py")
	if err := os.WriteFile(path, code, 0o644); err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	out, err := exec.Command(Python, filepath.Join(filepath.Dir(file), "testdata", "cdmeans.py"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("cdmeans.py: %v\n%s", err, out)
	}
	var diff struct{ Means, Samples float64 }
	if err := json.Unmarshal(out, &diff); err != nil {
		t.Fatalf("cdmeans.py printed %q: %v", out, err)
	}
	t.Logf("largest difference from rbm.m: %.3g with visible means, %.3g with sampled visible units", diff.Means, diff.Samples)
	if diff.Means > 1e-12 {
		t.Errorf("cd_grad(mean_visible=True) differs from rbm.m by %.3g", diff.Means)
	}
	if diff.Samples < 1e-3 {
		t.Errorf("control: cd_grad with sampled visible units is within %.3g of rbm.m's means", diff.Samples)
	}
}
