package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/classrbm/models"
	"github.com/ebmc/ebmc/examples/internal/labelled"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Without Fashion-MNIST the command trains the 64 + 4 × 20 class RBM on
// 2000 generated shapes and tests it on 1000 others. Four
// balanced classes make chance 0.25, with a binomial standard error of
// √(0.25·0.75/1000) ≈ 0.014 at n = 1000; the test asks for 0.8, more than
// 35 such standard errors above chance and well below the 0.97–0.99 the
// default hybrid training reaches on these seeds, so that it fails only
// when training or classification is broken. log Z is exact here, and AIS's
// interval must contain it. Restoring the checkpoint must reproduce the
// accuracy.
func TestRunOnShapes(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr strings.Builder
	args := []string{"-data", filepath.Join(out, "absent"), "-out", out, "-sweeps", "100", "-frames", "5", "-temps", "300", "-runs", "50"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, f := range []string{"metrics.json", "samples.png", "chain.gif", "model.safetensors"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	met := readMetrics(t, filepath.Join(out, "metrics.json"))
	acc := met.Accuracy
	t.Logf("test accuracy %.4f ± %.4f, log p(y | v) %.4f, log Z exact %.4f, AIS %.4f, log p(v, y) %.3f, %.3f s per epoch",
		acc.Value, *acc.StdErr, met.CondLogLik.Value, met.LogZExact.Value, met.LogZ.Value, met.LogLik.Value, met.SecondsPerEpoch)
	if met.Method != methodHybrid || met.TestRows != 1000 || met.Epochs != 50 || len(met.History) != 50 {
		t.Errorf("method %q, %d test rows, %d epochs, %d epochs of history; want hybrid, 1000, 50, 50", met.Method, met.TestRows, met.Epochs, len(met.History))
	}
	if acc.Value < 0.8 || acc.StdErr == nil || acc.Low == nil || *acc.Low > acc.Value || acc.Method == "" {
		t.Errorf("test accuracy %+v; want at least 0.8 (chance is 0.25) with a standard error and interval", acc)
	}
	// 40 chains, 10 per class: at chance (0.25) the share has a standard
	// error of about 0.07, so 0.5 is more than 3.5 of them above chance;
	// the trained model reaches about 0.95.
	if a := met.SampleAgreement.Value; a < 0.5 {
		t.Errorf("only %.2f of the label-clamped samples are classified as their class; want at least 0.5", a)
	}
	if met.LogZExact == nil || met.LogZ.Low == nil || met.LogZ.High == nil {
		t.Fatalf("no exact log Z or no AIS interval: %+v %+v", met.LogZExact, met.LogZ)
	}
	if z := met.LogZExact.Value; z < *met.LogZ.Low || z > *met.LogZ.High {
		t.Errorf("AIS interval [%.4f, %.4f] misses the exact log Z %.4f", *met.LogZ.Low, *met.LogZ.High, z)
	}
	if met.LogLik.Value >= 0 || met.CondLogLik.Value >= 0 || met.Recon.Value <= 0 {
		t.Errorf("log p(v, y) %.4f and log p(y | v) %.4f must be negative, the reconstruction error %.4f positive",
			met.LogLik.Value, met.CondLogLik.Value, met.Recon.Value)
	}

	again := t.TempDir()
	stdout.Reset()
	args = []string{"-data", filepath.Join(out, "absent"), "-out", again, "-load", filepath.Join(out, "model.safetensors"), "-sweeps", "10", "-frames", "2", "-temps", "10", "-runs", "10"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("-load: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if re := readMetrics(t, filepath.Join(again, "metrics.json")); re.Accuracy.Value != acc.Value || re.Method != methodHybrid {
		t.Errorf("the restored model scores %.4f (method %q), the trained one %.4f", re.Accuracy.Value, re.Method, acc.Value)
	}
}

func readMetrics(t testing.TB, path string) *Metrics {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var met Metrics
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &met
}

// Bad flags exit with status 2 and say what is wrong, before any work.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-method", "svm"}, `-method "svm": choose generative, conditional or hybrid`},
		{[]string{"-epochs", "-1"}, "-epochs -1 is negative"},
		{[]string{"-batch", "0"}, "-batch 0 is not positive"},
		{[]string{"-alpha", "0"}, "-alpha 0 is not positive"},
		{[]string{"-momentum", "1"}, "-momentum 1 is outside [0, 1)"},
		{[]string{"-frames", "0"}, "-sweeps and -frames must be positive"},
		{[]string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"-epochs", "many"}, `invalid value "many" for flag -epochs`},
		{[]string{"stray"}, "unexpected arguments [stray]"},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"-data", filepath.Join(t.TempDir(), "absent"), "-out", t.TempDir()}, c.args...)
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: stderr %q does not say %q", c.args, stderr.String(), c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: wrote %q to stdout", c.args, stdout.String())
		}
	}
}

// Label-clamped sweeps keep every chain's one-hot label while the pixels
// move, and refuse a class outside the label layer.
func TestClampedChainsKeepTheirLabels(t *testing.T) {
	m := models.NewSmall(3)
	for i := range m.U {
		m.U[i] = 2 * float64(i%3-1) // labels that push the hidden units hard
	}
	classes := []int{0, 1, 2, 3, 3, 2, 1, 0}
	s, err := newClamped(m.Reflect(), classes, 5)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float64(nil), s.x.Layers()[s.pixels].Data...)
	for range 20 {
		s.sweep()
	}
	y := s.x.Layers()[s.label].Data
	for c, class := range classes {
		for k := range models.SmallNY {
			if want := float64(boolInt(k == class)); y[c*models.SmallNY+k] != want {
				t.Fatalf("chain %d: label unit %d is %v after 20 sweeps, want %v", c, k, y[c*models.SmallNY+k], want)
			}
		}
	}
	moved := 0
	for i, v := range s.x.Layers()[s.pixels].Data {
		if v != before[i] {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no pixel changed in 20 sweeps")
	}
	if _, err := newClamped(m.Reflect(), []int{models.SmallNY}, 1); err == nil {
		t.Errorf("class %d of a %d-class model was accepted", models.SmallNY, models.SmallNY)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The shapes are balanced over the four classes, binary, and the one-hot
// rows the trainers read put the label after the pixels.
func TestShapesAndLabels(t *testing.T) {
	d, labels := labelled.Shapes(400, 9)
	count := make([]int, 4)
	for _, y := range labels {
		count[y]++
	}
	for k, n := range count {
		if n != 100 {
			t.Errorf("class %d has %d of 400 images, want 100", k, n)
		}
	}
	for i, v := range d.X {
		if v != 0 && v != 1 {
			t.Fatalf("pixel %d is %v", i, v)
		}
	}
	nr, nc := withLabels(d, labels, 4).Shape()
	if nc != 68 {
		t.Fatalf("%d columns, want 68", nc)
	}
	rows := &dataset.Dataset{Rows: nr, Cols: nc, X: make([]float64, nr*nc)}
	idx := make([]int, nr)
	for r := range idx {
		idx[r] = r
	}
	withLabels(d, labels, 4).Gather(rows.X, idx)
	for r := range rows.Rows {
		row := rows.Row(r)
		if !slices.Equal(row[:64], d.Row(r)) {
			t.Fatalf("row %d: pixels %v, want %v", r, row[:64], d.Row(r))
		}
		for k := range 4 {
			if want := float64(boolInt(k == labels[r])); row[64+k] != want {
				t.Fatalf("row %d: label unit %d is %v, want %v", r, k, row[64+k], want)
			}
		}
	}
}
