package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/internal/figures"
	"github.com/ebmc/ebmc/runtime"
)

// guard is the regression test of the quick start: the command's embedded
// default (the 16×16 RBM trained by CD-10 on the 30 bars-and-stripes
// patterns for its default 2000 epochs, the run .ci/run and the README's
// `go run ./examples/fashion` make without Fashion-MNIST), with fewer AIS
// runs, whose estimate no guarded figure uses (log Z is exact here).
var guard = figures.Guard{
	Path:   "testdata/figures.json",
	Budget: "embedded bars and stripes (30 patterns, train = test), 16×16 RBM, CD-10, 2000 epochs (the default), AIS 100 temperatures × 10 runs",
	Seeds:  []uint64{1, 2, 3, 4, 5},
	// The float64 run is bitwise deterministic on a given machine (two
	// -update runs write the same figures), and one thread instead of two
	// changes only the exact log Z, enumerated on every core, by ~1e-14.
	// Another CPU's kernels (FMA or not, AVX-512) round the products
	// differently, which can flip a Gibbs sample and then moves the run as
	// another seed would: the floors are for when five seeds understate that.
	Floor: map[string]float64{
		"log_likelihood_test":     0.05,  // nats per pattern; five seeds span −3.74 … −3.86
		"recon_error_test":        0.001, // squared error per pattern; five seeds span 0.0011 … 0.0018
		"pseudo_likelihood_total": 0.05,  // nats per pattern (all 16 units flipped); five seeds span −0.15 … −0.21
	},
	Run: func(t testing.TB, seed uint64) map[string]float64 { return measure(t, seed, nil) },
}

// measure runs the command at the guarded budget, its trainer wrapped by
// wrap if not nil, and returns the figures of its one model.
func measure(t testing.TB, seed uint64, wrap func(runtime.Trainer) runtime.Trainer) map[string]float64 {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr strings.Builder
	args := []string{"-data", filepath.Join(out, "absent"), "-out", out, "-seed", strconv.FormatUint(seed, 10), "-temps", "100", "-runs", "10"}
	if code := runWrapped(args, &stdout, &stderr, wrap); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var all []Metrics
	b := figures.ReadJSON(t, filepath.Join(out, "metrics.json"), &all)
	if len(all) != 1 || all[0].Model != "bars-and-stripes-rbm16x16" || !strings.HasPrefix(all[0].LogLikelihoodTe.Method, "−F(v) − log Z, log Z exact") {
		t.Fatalf("metrics.json: want the bars-and-stripes RBM with an exact log-likelihood, got %s", b)
	}
	m := all[0]
	return map[string]float64{
		"log_likelihood_test":     m.LogLikelihoodTe.Value,
		"recon_error_test":        m.ReconTest,
		"pseudo_likelihood_total": m.PseudoLikelihood["total"],
	}
}

// TestGuardedFigures compares the quick start's figures at seed 1 with
// testdata/figures.json (go test -run TestGuardedFigures -update rewrites it).
func TestGuardedFigures(t *testing.T) { guard.Check(t) }

// TestGuardedFiguresCatchABrokenStep is the negative control: with every
// training step reversed (figures.Reversed), the figures must leave their
// tolerances.
func TestGuardedFiguresCatchABrokenStep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains the quick start again with every step reversed; TestGuardedFigures runs")
	}
	guard.Catches(t, measure(t, guard.Seeds[0], figures.Reversed))
}
