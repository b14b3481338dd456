package cli

import (
	"encoding/json"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// Parse stops with 0 after -h and 2 for a bad flag or a stray argument,
// and goes on otherwise.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		ok     bool
		stderr string
	}{
		{nil, 0, true, ""},
		{[]string{"-seed", "3"}, 0, true, ""},
		{[]string{"-h"}, 0, false, "-seed"},
		{[]string{"-nope"}, 2, false, "not defined: -nope"},
		{[]string{"stray"}, 2, false, "x: unexpected arguments [stray]"},
	} {
		var stderr strings.Builder
		cmd := Command{Name: "x", Stderr: &stderr}
		fs := cmd.FlagSet()
		var seed uint64
		SeedFlag(fs, &seed)
		code, ok := cmd.Parse(fs, c.args)
		if code != c.code || ok != c.ok || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%v: code %d, ok %v, stderr %q; want %d, %v, containing %q", c.args, code, ok, stderr.String(), c.code, c.ok, c.stderr)
		}
	}
}

// EveryNth passes on every Nth epoch's line and the last, and lines that
// are not epoch lines; the negative control, N = 1, passes on everything.
func TestEveryNth(t *testing.T) {
	lines := []string{"header\n", "epoch 1/5 …\n", "epoch 2/5 …\n", "epoch 3/5 …\n", "epoch 4/5 …\n", "epoch 5/5 …\n"}
	for _, c := range []struct {
		n    int
		want string
	}{
		{2, "header\nepoch 2/5 …\nepoch 4/5 …\nepoch 5/5 …\n"},
		{1, strings.Join(lines, "")},
	} {
		var out strings.Builder
		e := &EveryNth{W: &out, N: c.n}
		for _, l := range lines {
			if n, err := e.Write([]byte(l)); err != nil || n != len(l) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if out.String() != c.want {
			t.Errorf("N = %d: passed on %q, want %q", c.n, out.String(), c.want)
		}
	}
}

// The estimates: the mean's standard error sd/√n, the accuracy's binomial
// one, intervals ±3σ (clipped to [0, 1] for an accuracy), and null bounds
// in metrics.json where an interval is unbounded.
func TestEstimates(t *testing.T) {
	m := Mean([]float64{1, 2, 3, 4}, "m")
	if se := math.Sqrt(5.0 / 3 / 4); m.Value != 2.5 || math.Abs(*m.StdErr-se) > 1e-15 || math.Abs(*m.Low-(2.5-3*se)) > 1e-15 {
		t.Errorf("Mean = %v ± %v, low %v", m.Value, *m.StdErr, *m.Low)
	}
	a := Accuracy(0.99, 100, "a")
	if se := math.Sqrt(0.99 * 0.01 / 100); math.Abs(*a.StdErr-se) > 1e-15 || *a.High != 1 || math.Abs(*a.Low-(0.99-3*se)) > 1e-15 {
		t.Errorf("Accuracy: ± %v, [%v, %v]", *a.StdErr, *a.Low, *a.High)
	}
	dir := t.TempDir()
	path, err := WriteMetrics(dir, Interval(1, math.Inf(-1), 2, "AIS"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["low"] != nil || got["high"] != 2.0 || got["method"] != "AIS" || len(got) != 4 {
		t.Errorf("metrics.json = %s", b)
	}
	if OrNaN(nil) == OrNaN(nil) || OrNaN(a.High) != 1 {
		t.Error("OrNaN")
	}
}

// SoftMemoryLimit sets the limit it is given, unless GOMEMLIMIT is set,
// which stands; the negative control asks with GOMEMLIMIT set and must
// find the limit unchanged rather than the one given.
func TestSoftMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOMEMLIMIT" {
				return v
			}
			return ""
		}
	}
	const mib = 1 << 20
	if got := SoftMemoryLimit(170*mib, env("")); got != 170*mib || debug.SetMemoryLimit(-1) != 170*mib {
		t.Errorf("without GOMEMLIMIT: returned %d, in force %d; want %d", got, debug.SetMemoryLimit(-1), 170*mib)
	}
	debug.SetMemoryLimit(300 * mib) // as the runtime would have set GOMEMLIMIT=300MiB
	if got := SoftMemoryLimit(170*mib, env("300MiB")); got != 300*mib || debug.SetMemoryLimit(-1) != 300*mib {
		t.Errorf("with GOMEMLIMIT=300MiB: returned %d, in force %d; want %d", got, debug.SetMemoryLimit(-1), 300*mib)
	}
}
