package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ebmc/ebmc/examples/internal/figures"
	"github.com/ebmc/ebmc/runtime"
)

// guardBudget is the reduced run whose figures are guarded: the 16-16-8
// DBM on the 30 bars-and-stripes patterns, where log Z and log p(v) are
// exact, so the figures carry no estimator's noise.
var guardBudget = []string{"-pretrain-epochs", "100", "-epochs", "300", "-temps", "200", "-runs", "20",
	"-reverse-runs", "0", "-curve-rows", "0", "-inpaint", "0", "-sample-sweeps", "1"}

func guard() figures.Guard {
	return figures.Guard{
		Path:   "testdata/figures.json",
		Budget: "bars and stripes 16-16-8, 100 pretraining epochs per RBM, 300 epochs of variational SML, exact log Z",
		Seeds:  []uint64{1, 2, 3, 4, 5},
		// Float64 runs are bitwise deterministic on one machine; the floor
		// covers another processor's kernels (FMA, AVX2 against AVX-512
		// summation order), which move the path as little as a last-bit
		// difference in a gradient grows over 400 epochs.
		Floor: map[string]float64{"exact_test_log_likelihood": 0.05, "test_bound": 0.05, "pretrained_test_log_likelihood": 0.05},
		Run: func(t testing.TB, seed uint64) map[string]float64 {
			return guardedRun(t, seed, nil)
		},
	}
}

func guardedRun(t testing.TB, seed uint64, wrap func(runtime.Trainer) runtime.Trainer) map[string]float64 {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"-data", filepath.Join(out, "absent"), "-out", out, "-seed", strconv.FormatUint(seed, 10)}, guardBudget...)
	var stdout, stderr bytes.Buffer
	if code := runWrapped(args, &stdout, &stderr, wrap); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var met Metrics
	b := figures.ReadJSON(t, filepath.Join(out, "metrics.json"), &met)
	if met.ExactLogLikelihood == nil || met.PretrainedLogLikelihood == nil {
		t.Fatalf("no exact log-likelihoods in\n%s", b)
	}
	return map[string]float64{
		"exact_test_log_likelihood":      float64(met.ExactLogLikelihood.Value),
		"test_bound":                     met.ELBOTest.Mean,
		"pretrained_test_log_likelihood": float64(met.PretrainedLogLikelihood.Value),
	}
}

// TestGuardedFigures trains at the reduced budget and compares the exact
// log-likelihood and the bound with testdata/figures.json (go test -update
// re-measures them over five seeds).
func TestGuardedFigures(t *testing.T) { guard().Check(t) }

// A training step that moves the parameters the wrong way must move the
// guarded figures out of their tolerances.
func TestGuardedFiguresCatchABrokenStep(t *testing.T) {
	guard().Catches(t, guardedRun(t, guard().Seeds[0], figures.Reversed))
}
