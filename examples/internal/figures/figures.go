// Package figures guards the figures the examples publish. A regression
// test trains an example at a reduced budget on its embedded data with a
// fixed seed and compares what it measured — a bound, a log-likelihood, an
// accuracy — with values stored in a golden file beside the test:
//
//	testdata/figures.json   {"commit": …, "seeds": [1, 2, 3, 4, 5],
//	                         "figures": {"test_bound": {"value": −3.21, "seeds": […], "spread": 0.04, "tol": 0.16}, …}}
//
// value is the figure at the first seed, spread the sample standard
// deviation s over the seeds, and the tolerance
//
//	tol = max(Sigmas·s, Floor)
//
// so that a change which only perturbs the training path as much as a
// different seed would (a new summation order, another kernel) passes,
// while a change of what training computes (a wrong gradient, a broken
// recipe) moves the figure by many spreads and fails. `go test -update`
// re-measures every seed and rewrites the file.
package figures

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/internal/cli"
)

var update = flag.Bool("update", false, "re-measure the guarded figures over every seed and rewrite testdata/figures.json")

// Sigmas is how many seed standard deviations a figure may move.
const Sigmas = 4

// Figure is one guarded figure in the golden file.
type Figure struct {
	Value  float64   `json:"value"`  // at the first seed
	Seeds  []float64 `json:"seeds"`  // at every seed, when the file was written
	Spread float64   `json:"spread"` // sample standard deviation over the seeds
	Floor  float64   `json:"floor"`  // the smallest tolerance (see Guard.Floor)
	Tol    float64   `json:"tol"`    // max(Sigmas·Spread, Floor)
}

// File is the golden file.
type File struct {
	// Commit is the commit the file was written at (with "+dirty" for a
	// modified tree), for the record.
	Commit  string            `json:"commit"`
	Budget  string            `json:"budget"` // the reduced run, in words
	Seeds   []uint64          `json:"seeds"`
	Figures map[string]Figure `json:"figures"`
}

// Guard describes a regression test.
type Guard struct {
	// Path is the golden file, usually testdata/figures.json.
	Path string
	// Budget says in words what run the figures come from.
	Budget string
	// Seeds are the seeds -update measures; the test runs only Seeds[0].
	Seeds []uint64
	// Floor is the smallest tolerance of each figure: the spread of a few
	// seeds can be zero or underestimated (an accuracy on a small test set
	// moves in steps of 1/n).
	Floor map[string]float64
	// Run trains at the reduced budget with a seed and returns the figures.
	Run func(t testing.TB, seed uint64) map[string]float64
}

// Check runs g at its first seed and compares every figure with the golden
// file; with -update it runs every seed and rewrites the file instead.
func (g Guard) Check(t *testing.T) {
	t.Helper()
	if *update {
		g.write(t)
		return
	}
	f, err := Load(g.Path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if err := f.Compare(g.Run(t, g.Seeds[0])); err != nil {
		t.Error(err)
	}
}

// Load reads a golden file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &f, nil
}

// Compare returns an error naming every figure of got that is missing from
// f, or lies farther than its tolerance from its stored value, and every
// stored figure that got lacks.
func (f *File) Compare(got map[string]float64) error {
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(f.Figures)) {
		want := f.Figures[name]
		v, ok := got[name]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%s: not measured", name))
		case math.IsNaN(v) || math.Abs(v-want.Value) > want.Tol:
			bad = append(bad, fmt.Sprintf("%s = %.6g, stored %.6g ± %.3g (%d× the seed spread %.3g, at least %.3g): off by %.3g",
				name, v, want.Value, want.Tol, Sigmas, want.Spread, want.Floor, v-want.Value))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := f.Figures[name]; !ok {
			bad = append(bad, fmt.Sprintf("%s: measured but not stored (run go test -update)", name))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("guarded figures moved (if the change is meant, run go test -update and say why in the commit):\n\t%s", strings.Join(bad, "\n\t"))
	}
	return nil
}

func (g Guard) write(t *testing.T) {
	t.Helper()
	runs := make([]map[string]float64, len(g.Seeds))
	for i, s := range g.Seeds {
		runs[i] = g.Run(t, s)
	}
	f := File{Commit: cli.Commit(), Budget: g.Budget, Seeds: g.Seeds, Figures: map[string]Figure{}}
	for name, v := range runs[0] {
		fig := Figure{Value: v, Floor: g.Floor[name]}
		for _, r := range runs {
			fig.Seeds = append(fig.Seeds, r[name])
		}
		fig.Spread = stddev(fig.Seeds)
		fig.Tol = math.Max(Sigmas*fig.Spread, fig.Floor)
		f.Figures[name] = fig
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(g.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.Path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", g.Path)
}

// stddev is the sample standard deviation of x (0 for fewer than two values).
func stddev(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(x)-1))
}

// Catches is the negative control of a guard: got, the figures of a
// deliberately broken run (a reversed training step, say), must fail the
// comparison with the golden file. It logs how far they moved.
func (g Guard) Catches(t *testing.T, got map[string]float64) {
	t.Helper()
	f, err := Load(g.Path)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Compare(got)
	if err == nil {
		t.Fatal("the figures of a broken training step pass the comparison")
	}
	t.Logf("caught: %v", err)
}

// ReadJSON reads the JSON file at path (a command's metrics) into v and
// returns its bytes, failing the test on any error.
func ReadJSON(t testing.TB, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}
