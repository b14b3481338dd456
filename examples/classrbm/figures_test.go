package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/internal/figures"
	"github.com/ebmc/ebmc/runtime"
)

// guard is the regression test of the command's figures: the default run on
// the embedded shapes (hybrid, α = 0.01, 50 epochs, 2000 training and 1000
// test images generated from the seed), with fewer label-clamped sweeps and
// a shorter AIS, which no guarded figure uses (log Z is exact here).
var guard = figures.Guard{
	Path:   "testdata/figures.json",
	Budget: "embedded 8×8 shapes (2000 training, 1000 test images), 64 + 4 × 20 class RBM, hybrid α = 0.01, 50 epochs (the defaults), exact log Z; 100 clamped sweeps, AIS 300 × 50",
	Seeds:  []uint64{1, 2, 3, 4, 5},
	// The float64 run is bitwise deterministic on a given machine (two
	// -update runs write the same figures), and one thread instead of two
	// changes only the exact log Z, enumerated on every core, by ~1e-14.
	// Another CPU's kernels (FMA or not, AVX-512) round the products
	// differently, which can flip a CD sample and then moves the run as
	// another seed would (the seed also draws the shapes): the floors are for
	// when five seeds understate that.
	Floor: map[string]float64{
		"accuracy_test":        0.005, // 1000 test images: steps of 0.001, so 5 images
		"log_p_y_given_v_test": 0.01,  // nats per image, about a sixth of the trained value
		"log_p_v_y_test":       0.3,   // nats per image, twice its standard error over the 1000 test images
	},
	Run: func(t testing.TB, seed uint64) map[string]float64 { return measure(t, seed, nil) },
}

// measure runs the command at the guarded budget, its trainer wrapped by
// wrap if not nil, and returns the guarded figures.
func measure(t testing.TB, seed uint64, wrap func(runtime.Trainer) runtime.Trainer) map[string]float64 {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr strings.Builder
	args := []string{"-data", filepath.Join(out, "absent"), "-out", out, "-seed", strconv.FormatUint(seed, 10),
		"-sweeps", "100", "-frames", "5", "-temps", "300", "-runs", "50"}
	if code := runWrapped(args, &stdout, &stderr, wrap); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	met := readMetrics(t, filepath.Join(out, "metrics.json"))
	if met.LogZExact == nil || !strings.Contains(met.LogLik.Method, "log Z exact") || met.Method != methodHybrid || met.Epochs != 50 {
		t.Fatalf("want the hybrid shapes run of 50 epochs with an exact log Z, got method %q, %d epochs, log p(v, y) by %q", met.Method, met.Epochs, met.LogLik.Method)
	}
	return map[string]float64{
		"accuracy_test":        met.Accuracy.Value,
		"log_p_y_given_v_test": met.CondLogLik.Value,
		"log_p_v_y_test":       met.LogLik.Value,
	}
}

// TestGuardedFigures compares the figures at seed 1 with
// testdata/figures.json (go test -run TestGuardedFigures -update rewrites it).
func TestGuardedFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a class RBM for 50 epochs; examples/fashion guards its figures under -short")
	}
	guard.Check(t)
}

// TestGuardedFiguresCatchABrokenStep is the negative control: with every
// training step reversed (figures.Reversed), the figures must leave their
// tolerances.
func TestGuardedFiguresCatchABrokenStep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a class RBM for 50 epochs with every step reversed")
	}
	guard.Catches(t, measure(t, guard.Seeds[0], figures.Reversed))
}
