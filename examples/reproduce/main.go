// Command reproduce re-measures every figure that README.md and docs/
// publish, with the commands and flags the documents name, and writes the
// tables:
//
//	go run ./examples/reproduce                 # every run (about an hour on 2 cores with Fashion-MNIST)
//	go run ./examples/reproduce -list           # the runs, their commands and where their figures appear
//	go run ./examples/reproduce -only dbm-s1,dbm-s2
//
// Each run is `go run PACKAGE -out DIR/NAME FLAGS…`, one after another (they
// use both cores each). Afterwards DIR/figures.md holds, per run, the
// commit it was measured at (with "+dirty" for a modified tree), the date,
// the wall time, the command, and every number of its metrics file
// (metrics.json, or methods.json), so that a table in the docs can be
// checked against, or replaced by, a fresh measurement; DIR/figures.json
// holds the same as data. The performance tables come from
// benchmarks/compare and benchmarks/scaling instead (docs/performance.md).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
)

// job is one documented run.
type job struct {
	Name    string   `json:"name"`
	Package string   `json:"package"`
	Args    []string `json:"args"`
	Metrics string   `json:"metrics"` // the file the run writes its figures to
	Where   string   `json:"where"`   // where its figures are published
}

// jobs are the documented runs, in the order they run.
var jobs = []job{
	{"fashion", "./examples/fashion", nil, "metrics.json", "README.md (quick start)"},
	{"methods", "./examples/methods", nil, "methods.json", "docs/training.md (comparison of the methods)"},
	{"classrbm", "./examples/classrbm", nil, "metrics.json", "docs/deep.md (Class RBM)"},
	{"dbm-s1", "./examples/dbm", []string{"-runs", "400", "-seed", "1"}, "metrics.json", "docs/deep.md (Deep Boltzmann machines: results, three seeds)"},
	{"dbm-s2", "./examples/dbm", []string{"-runs", "400", "-seed", "2"}, "metrics.json", "docs/deep.md (Deep Boltzmann machines: results, three seeds)"},
	{"dbm-s3", "./examples/dbm", []string{"-runs", "400", "-seed", "3"}, "metrics.json", "docs/deep.md (Deep Boltzmann machines: results, three seeds)"},
	{"dbn", "./examples/dbn", nil, "metrics.json", "docs/deep.md (Deep belief networks: the whole run)"},
}

// result is what figures.json records of a run.
type result struct {
	job
	Commit  string             `json:"commit"`
	Date    string             `json:"date"`
	Seconds float64            `json:"seconds"`
	Error   string             `json:"error,omitempty"`
	Figures map[string]float64 `json:"figures"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("results", "reproduce"), "directory for the runs' outputs, figures.md and figures.json")
	only := fs.String("only", "", "comma-separated names of the runs to make (default: all; see -list)")
	list := fs.Bool("list", false, "list the runs and exit")
	dry := fs.Bool("n", false, "print the commands without running them")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	chosen, err := choose(*only)
	if err != nil {
		fmt.Fprintf(stderr, "reproduce: %v\n", err)
		return 2
	}
	if *list {
		for _, j := range jobs {
			fmt.Fprintf(stdout, "%-9s %s   → %s\n", j.Name, strings.Join(command(j, filepath.Join(*out, j.Name)), " "), j.Where)
		}
		return 0
	}
	var results []result
	start := time.Now()
	for i, j := range chosen {
		dir := filepath.Join(*out, j.Name)
		cmd := command(j, dir)
		eta := ""
		if i > 0 {
			left := time.Since(start) / time.Duration(i) * time.Duration(len(chosen)-i)
			eta = fmt.Sprintf(", about %s left", left.Round(time.Minute))
		}
		fmt.Fprintf(stdout, "== [%d/%d%s] %s\n", i+1, len(chosen), eta, strings.Join(cmd, " "))
		if *dry {
			continue
		}
		results = append(results, measure(j, dir, cmd, stdout, stderr))
	}
	if *dry {
		return 0
	}
	if err := write(*out, results); err != nil {
		fmt.Fprintf(stderr, "reproduce: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s and %s (%s)\n", filepath.Join(*out, "figures.md"), filepath.Join(*out, "figures.json"), time.Since(start).Round(time.Second))
	for _, r := range results {
		if r.Error != "" {
			return 1
		}
	}
	return 0
}

// choose returns the jobs named in a comma-separated list, or all of them.
func choose(only string) ([]job, error) {
	if only == "" {
		return jobs, nil
	}
	var out []job
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(jobs, func(j job) bool { return j.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("no run named %q (see -list)", name)
		}
		out = append(out, jobs[i])
	}
	return out, nil
}

func command(j job, dir string) []string {
	return append([]string{"go", "run", j.Package, "-out", dir}, j.Args...)
}

// measure makes one run, passing its output on, and reads its figures.
func measure(j job, dir string, cmd []string, stdout, stderr io.Writer) result {
	r := result{job: j, Commit: cli.Commit(), Date: time.Now().UTC().Format(time.RFC3339)}
	t0 := time.Now()
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Stdout, c.Stderr = stdout, stderr
	err := c.Run()
	r.Seconds = time.Since(t0).Seconds()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	b, err := os.ReadFile(filepath.Join(dir, j.Metrics))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		r.Error = fmt.Sprintf("%s: %v", j.Metrics, err)
		return r
	}
	r.Figures = map[string]float64{}
	flatten("", v, r.Figures)
	return r
}

// flatten records every number under v by its path (a.b[2].c); arrays
// longer than 12 (curves, per-row values) are left out.
func flatten(path string, v any, dst map[string]float64) {
	switch v := v.(type) {
	case float64:
		dst[path] = v
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(p, e, dst)
		}
	case []any:
		if len(v) > 12 {
			return
		}
		for i, e := range v {
			flatten(fmt.Sprintf("%s[%d]", path, i), e, dst)
		}
	}
}

// write writes figures.md and figures.json.
func write(dir string, results []result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Figures, re-measured by `go run ./examples/reproduce`\n")
	for _, r := range results {
		fmt.Fprintf(&b, "\n## %s\n\n`%s` — published in %s\n\nmeasured at commit %s on %s, %.0f s\n\n",
			r.Name, strings.Join(command(r.job, filepath.Join(dir, r.Name)), " "), r.Where, r.Commit, r.Date, r.Seconds)
		if r.Error != "" {
			fmt.Fprintf(&b, "**failed:** %s\n", r.Error)
			continue
		}
		b.WriteString("| figure | value |\n|---|---|\n")
		keys := make([]string, 0, len(r.Figures))
		for k := range r.Figures {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "| %s | %s |\n", k, format(r.Figures[k]))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "figures.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "figures.json"), append(js, '\n'), 0o644)
}

func format(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.6g", v)
}
