package main

import (
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/internal/figures"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// guard is the regression test of the comparison: every method for one
// epoch on the embedded noisy bars and stripes (300 training images, so
// three minibatches of 100; 200 test images; both generated from the seed),
// without the 784×500 GRBM, which draws pictures and no figure.
//
// For each model and method it guards the row's exact test log-likelihood
// ("…/test_ll", the figure of the table) and its gain over the untrained
// model on the same test images ("…/gain"). The seed draws the images as
// well as the initial parameters, so the test log-likelihoods of different
// seeds differ by a few nats (the GRBM's with a spread of 0.9 nats) while
// three steps move the GRBM's by only 0.07–0.15 nats: the gain, from which
// the seed's images and initial model cancel (its spread is 0.004–0.03
// nats for the GRBM), is what catches a broken step of those methods.
var guard = figures.Guard{
	Path:   "testdata/figures.json",
	Budget: "embedded noisy bars and stripes (300 training, 200 test images), 784×12 RBM and GRBM, every method for 1 epoch of 3 minibatches of 100, exact log Z; no 784×500 GRBM",
	Seeds:  []uint64{1, 2, 3, 4, 5},
	Floor:  floors(),
	Run:    func(t testing.TB, seed uint64) map[string]float64 { return measure(t, seed, nil) },
}

// floors are the smallest tolerances. The float64 runs are bitwise
// deterministic on a given machine (two -update runs write the same
// figures), and one thread instead of two moves them by at most 3e-12
// (sums split over the cores, as the enumeration of log Z is). Another
// CPU's kernels (FMA or not, AVX-512) round the products differently, which
// can flip a sampled unit and then moves the run of a sampling method (CD,
// PCD, PL, ratio matching, NCE, score matching, DSM) as another seed would;
// exact ML samples nothing and moves by rounding only. The floors are for
// when five seeds understate that spread.
func floors() map[string]float64 {
	f := map[string]float64{}
	for model, methods := range map[string][]string{
		"rbm784x12":  {"exact", "cd", "pcd", "pl", "ratio", "nce"},
		"grbm784x12": {"exact", "cd", "pcd", "score", "dsm", "nce"},
	} {
		for _, method := range methods {
			f[model+"/"+method+"/test_ll"] = 0.1 // nats per image, of about −540 (RBM) and −1115 (GRBM)
			f[model+"/"+method+"/gain"] = 0.005  // nats per image: the GRBM's methods gain only 0.07–0.15 in three steps
		}
	}
	return f
}

// measure runs the comparison at the guarded budget, the methods' trainers
// wrapped by wrap if not nil, and returns every row's test log-likelihood
// and its gain over the untrained model; a row that failed gives NaN.
func measure(t testing.TB, seed uint64, wrap func(runtime.Trainer) runtime.Trainer) map[string]float64 {
	t.Helper()
	out := t.TempDir()
	absent := filepath.Join(out, "absent")
	var stdout, stderr strings.Builder
	args := []string{"-data", absent, "-out", out, "-seed", strconv.FormatUint(seed, 10), "-epochs", "1", "-no-samples"}
	if code := runWrapped(args, &stdout, &stderr, wrap); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var rep Report
	figures.ReadJSON(t, filepath.Join(out, "methods.json"), &rep)
	if len(rep.Rows) != 12 || !strings.HasPrefix(rep.Data, "noisy bars and stripes") {
		t.Fatalf("want 12 rows on the embedded data, got %d on %q", len(rep.Rows), rep.Data)
	}
	// The untrained models on the command's test images.
	o := options{data: absent, rows: 10000, batch: 100, seed: seed}
	d, err := o.load(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	untrained := map[string]float64{}
	for _, j := range o.jobs(d) {
		if _, ok := untrained[j.model]; ok {
			continue
		}
		m := j.newModel()
		z, err := m.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		if untrained[j.model], err = estimators.LogLikelihood(m, j.test, z); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]float64{}
	for _, r := range rep.Rows {
		name := r.Model + "/" + r.Method
		ll := r.TestLL
		if r.Error != "" {
			ll = math.NaN()
			if wrap == nil {
				t.Errorf("%s: %s", name, r.Error)
			}
		}
		got[name+"/test_ll"] = ll
		got[name+"/gain"] = ll - untrained[r.Model]
	}
	return got
}

// TestGuardedFigures compares the figures at seed 1 with
// testdata/figures.json (go test -run TestGuardedFigures -update rewrites it).
func TestGuardedFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twelve models")
	}
	guard.Check(t)
}

// TestGuardedFiguresCatchABrokenStep is the negative control: with every
// training step reversed (figures.Reversed), the figures must leave their
// tolerances.
func TestGuardedFiguresCatchABrokenStep(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twelve models")
	}
	guard.Catches(t, measure(t, guard.Seeds[0], figures.Reversed))
}
