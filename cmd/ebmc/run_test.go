package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// examples lists the example models by file name; tests run in the
// examples directory so that outputs name files as the user would.
func examples(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../examples/*.ebm")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	// Examples in their own directories, beside the program that runs them.
	return append(names, "sparse/sparse.ebm")
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

const badModel = `model Bad
visible v[3] bernoulli
param W[3, 2]
energy = -sum(i, j) v[i] * W[i, j] * h[j]
`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.ebm"), []byte(badModel), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	rbm := filepath.Join(abs, "rbm.ebm")
	bad := filepath.Join(dir, "bad.ebm")
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string // exact, when stdoutHas is empty
		stdoutHas  string
		stderrHas  []string
		stderrNone bool
	}{
		{name: "no arguments", args: nil, code: 2, stdoutHas: "Usage:"},
		{name: "help", args: []string{"help"}, code: 0, stdoutHas: "ebmc check", stderrNone: true},
		{name: "-h", args: []string{"-h"}, code: 0, stdoutHas: "ebmc explain", stderrNone: true},
		{name: "--help", args: []string{"--help"}, code: 0, stdoutHas: "ebmc version", stderrNone: true},
		{name: "help check", args: []string{"help", "check"}, code: 0, stderrHas: []string{"usage: ebmc check", "-D NAME=VALUE"}},
		{name: "check -h", args: []string{"check", "-h"}, code: 0, stderrHas: []string{"usage: ebmc check"}},
		{name: "explain -h", args: []string{"explain", "-h"}, code: 0, stderrHas: []string{"usage: ebmc explain", "-format"}},
		{name: "version -h", args: []string{"version", "-h"}, code: 0, stderrHas: []string{"usage: ebmc version"}},
		{name: "gen -h", args: []string{"gen", "-h"}, code: 0, stderrHas: []string{"usage: ebmc gen [-target go|torch] [-check] [-o FILE]", "-check\n", "write nothing; exit 1 naming each output file"}},
		{name: "help unknown", args: []string{"help", "frobnicate"}, code: 2, stderrHas: []string{`unknown command "frobnicate"`}},
		{name: "version", args: []string{"version"}, code: 0, stdout: "ebmc " + Version + "\n", stderrNone: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderrHas: []string{`ebmc: unknown command "frobnicate"`, "Usage:"}},
		{name: "gen -type not exported", args: []string{"gen", "-type", "rbm20", rbm}, code: 2, stderrHas: []string{`ebmc gen: -type "rbm20": not an exported Go identifier`}},
		{name: "generate suggests gen", args: []string{"generate", rbm}, code: 2, stderrHas: []string{`ebmc: unknown command "generate"`, "Did you mean 'ebmc gen'?", "Usage:"}},
		{name: "misspelt check", args: []string{"chekc", rbm}, code: 2, stderrHas: []string{"Did you mean 'ebmc check'?"}},
		{name: "prefix of explain", args: []string{"expl", rbm}, code: 2, stderrHas: []string{"Did you mean 'ebmc explain'?"}},
		{name: "unknown flag", args: []string{"check", "-x", rbm}, code: 2, stderrHas: []string{"flag provided but not defined: -x"}},
		{name: "check without files", args: []string{"check"}, code: 2, stderrHas: []string{"usage: ebmc check"}},
		{name: "check ok", args: []string{"check", rbm}, code: 0, stdout: "", stderrNone: true},
		{name: "check bad", args: []string{"check", bad}, code: 1, stdout: "",
			stderrHas: []string{bad + ":4:38: undeclared name h; declare it as a layer, param or const (declared: W, v)\n"}},
		{name: "check good and bad", args: []string{"check", rbm, bad}, code: 1,
			stderrHas: []string{bad + ":4:38: undeclared name h; declare it as a layer, param or const (declared: W, v)\n"}},
		{name: "check missing file", args: []string{"check", filepath.Join(dir, "none.ebm")}, code: 1, stderrHas: []string{"ebmc: open ", "none.ebm"}},
		{name: "check -D", args: []string{"check", "-D", "NV=4", "-D", "NH=3", rbm}, code: 0, stderrNone: true},
		{name: "check -D=", args: []string{"check", "-D=NV=4", rbm}, code: 0, stderrNone: true},
		{name: "check -D unknown const", args: []string{"check", "-D", "NX=4", rbm}, code: 1,
			stderrHas: []string{rbm + ":2:7: -D NX: the model declares no const NX"}},
		{name: "check -D not a number", args: []string{"check", "-D", "NV=many", rbm}, code: 2,
			stderrHas: []string{`invalid value "NV=many" for flag -D: NV: value "many" is not a positive whole number`}},
		{name: "check -D zero", args: []string{"check", "-D", "NV=0", rbm}, code: 2, stderrHas: []string{`value "0" is not a positive whole number`}},
		{name: "check -D without value", args: []string{"check", "-D", "NV", rbm}, code: 2, stderrHas: []string{`want NAME=VALUE, got "NV"`}},
		{name: "explain -D", args: []string{"explain", "-D", "NV=4", rbm}, code: 0, stdoutHas: "layer v[4]"},
		{name: "explain bad", args: []string{"explain", bad}, code: 1, stdout: "", stderrHas: []string{bad + ":4:38: undeclared name h"}},
		{name: "explain bad format", args: []string{"explain", "-format", "html", rbm}, code: 2, stderrHas: []string{`unknown -format "html"`}},
		{name: "explain two files", args: []string{"explain", rbm, rbm}, code: 2, stderrHas: []string{"usage: ebmc explain"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout, stderr)
			}
			if c.stdoutHas != "" {
				if !strings.Contains(stdout, c.stdoutHas) {
					t.Errorf("stdout does not contain %q:\n%s", c.stdoutHas, stdout)
				}
			} else if stdout != c.stdout {
				t.Errorf("stdout = %q, want %q", stdout, c.stdout)
			}
			for _, s := range c.stderrHas {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr)
				}
			}
			if c.stderrNone && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestCheckExamples(t *testing.T) {
	names := examples(t)
	t.Chdir("../../examples")
	for _, name := range names {
		code, stdout, stderr := runCLI("check", name)
		if code != 0 || stdout != "" || stderr != "" {
			t.Errorf("check %s: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
	}
}

// TestExplainGolden compares ebmc explain of every example, in every
// format, with testdata/explain/NAME.{txt,md,tex}; -update rewrites them.
func TestExplainGolden(t *testing.T) {
	golden, err := filepath.Abs("testdata/explain")
	if err != nil {
		t.Fatal(err)
	}
	names := examples(t)
	t.Chdir("../../examples")
	formats := []struct{ flag, ext string }{{"text", ".txt"}, {"markdown", ".md"}, {"latex", ".tex"}}
	for _, name := range names {
		for _, f := range formats {
			base := strings.TrimSuffix(filepath.Base(name), ".ebm") + f.ext
			t.Run(base, func(t *testing.T) {
				code, stdout, stderr := runCLI("explain", "-format", f.flag, name)
				if code != 0 || stderr != "" {
					t.Fatalf("explain -format %s %s: exit %d\n%s", f.flag, name, code, stderr)
				}
				path := filepath.Join(golden, base)
				if *update {
					if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/ebmc -update to create it)", err)
				}
				if stdout != string(want) {
					t.Errorf("explain -format %s %s differs from %s (run go test ./cmd/ebmc -update and review the diff):\n%s",
						f.flag, name, path, firstDiff(string(want), stdout))
				}
				if strings.Contains(stdout, "examples/") || strings.Contains(stdout, "../") {
					t.Errorf("output names a directory, not just the file name:\n%s", stdout)
				}
			})
		}
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n   got: %s", i+1, w, g)
		}
	}
	return "(no line differs)"
}
