package codegen_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
)

// A driver program built from the generated code of every test model. The
// tests send it harness requests and compare the answers with the
// reference interpreter in package ir.

type driver struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	models map[string]*ir.Model
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if drv.cmd != nil {
		drv.in.Close()
		drv.cmd.Wait()
	}
	if drv.dir != "" {
		os.RemoveAll(drv.dir)
	}
	os.Exit(code)
}

var (
	drv     driver
	drvOnce sync.Once
	// mutants are extra packages: generated code with a deliberate bug, for negative controls.
	mutants = map[string]mutant{
		"rbm.ebm/wrong-sampler": {base: "rbm.ebm", old: "e := beta * a[k]\n\t\t\trow[k] = rng.Bernoulli", new: "e := 0.5 * beta * a[k]\n\t\t\trow[k] = rng.Bernoulli"},
	}
)

type mutant struct{ base, old, new string }

// modelKey turns a case name into a Go package name.
func modelKey(i int) string { return fmt.Sprintf("m%d", i) }

func startDriver(t *testing.T) *driver {
	t.Helper()
	drvOnce.Do(func() { drv.err = drv.build() })
	if drv.err != nil {
		t.Fatal(drv.err)
	}
	return &drv
}

func (d *driver) build() error {
	dir, err := os.MkdirTemp("", "ebmc-driver-")
	d.dir = dir
	if err != nil {
		return err
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	cases, err := testmodels.All()
	if err != nil {
		return err
	}
	d.models = map[string]*ir.Model{}
	var imports, entries strings.Builder
	gen := func(pkg, name string, m *ir.Model, edit func([]byte) []byte) error {
		files, err := codegen.Generate(m, codegen.Options{Package: pkg, Source: name})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, pkg), 0o755); err != nil {
			return err
		}
		src := files[0].Content
		if edit != nil {
			src = edit(src)
		}
		if err := os.WriteFile(filepath.Join(dir, pkg, files[0].Name), src, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&imports, "\t%s \"driver/%s\"\n", pkg, pkg)
		fmt.Fprintf(&entries, "\t\t%q: func() runtime.Reflective { return %s.Zero%s().Reflect() },\n", name, pkg, ir.GoName(m.Name))
		return nil
	}
	for i, c := range cases {
		m, err := ir.Compile(c.Name, []byte(c.Source), ir.Options{Defines: c.Defines})
		if err != nil {
			return err
		}
		d.models[c.Name] = m
		if err := gen(modelKey(i), c.Name, m, nil); err != nil {
			return err
		}
	}
	// The full-size RBM, for the allocation test on batched kernels.
	src, err := os.ReadFile(filepath.Join(testmodels.ExamplesDir(), "rbm.ebm"))
	if err != nil {
		return err
	}
	full, err := ir.Compile("rbm.ebm", src, ir.Options{})
	if err != nil {
		return err
	}
	d.models["rbm.ebm/full"] = full
	if err := gen("full", "rbm.ebm/full", full, nil); err != nil {
		return err
	}
	// A 16×16 RBM for bars and stripes.
	bas, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: map[string]int{"NV": 16, "NH": 16}})
	if err != nil {
		return err
	}
	d.models["rbm.ebm/bas"] = bas
	if err := gen("bas", "rbm.ebm/bas", bas, nil); err != nil {
		return err
	}
	// A 100×20 RBM: exact log Z by 2^20 terms, for the estimators.
	r100, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: map[string]int{"NV": 100, "NH": 20}})
	if err != nil {
		return err
	}
	d.models["rbm.ebm/100x20"] = r100
	if err := gen("r100", "rbm.ebm/100x20", r100, nil); err != nil {
		return err
	}
	k := 0
	for name, mu := range mutants {
		mu := mu
		edit := func(src []byte) []byte {
			if !strings.Contains(string(src), mu.old) {
				panic("mutant: pattern not found: " + mu.old)
			}
			return []byte(strings.Replace(string(src), mu.old, mu.new, 1))
		}
		d.models[name] = d.models[mu.base]
		if err := gen(fmt.Sprintf("mut%d", k), name, d.models[mu.base], edit); err != nil {
			return err
		}
		k++
	}
	main := fmt.Sprintf(`package main

import (
	"fmt"
	"os"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/runtime"
%s)

func main() {
	models := map[string]func() runtime.Reflective{
%s	}
	if err := harness.Serve(models, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`, imports.String(), entries.String())
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		return err
	}
	mod := fmt.Sprintf("module driver\n\ngo 1.26\n\nrequire github.com/ebmc/ebmc v0.0.0\n\nreplace github.com/ebmc/ebmc => %s\n", root)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	bin := filepath.Join(dir, "driver")
	cmd := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the generated code failed: %v\n%s", err, out)
	}
	d.cmd = exec.Command(bin)
	if d.in, err = d.cmd.StdinPipe(); err != nil {
		return err
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	d.cmd.Stderr = os.Stderr
	d.out = bufio.NewReaderSize(stdout, 1<<20)
	return d.cmd.Start()
}

// call sends one request and waits for its response.
func (d *driver) call(t *testing.T, req harness.Request) harness.Response {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.in.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	line, err := d.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("driver: %v", err)
	}
	var resp harness.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error != "" {
		t.Fatalf("%s %s: %s", req.Model, req.Op, resp.Error)
	}
	return resp
}
