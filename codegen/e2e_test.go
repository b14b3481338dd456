package codegen_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/verify"
)

// A driver program built (by package verify) from the generated code of
// every test model. The tests send it harness requests and compare the
// answers with the reference interpreter in package ir.

type driver struct {
	*verify.Driver
	models map[string]*ir.Model
}

func TestMain(m *testing.M) {
	code := m.Run()
	if drv != nil {
		drv.Close()
	}
	os.Exit(code)
}

var (
	drv     *driver
	drvErr  error
	drvOnce sync.Once
	// mutants are extra packages: generated code with a deliberate bug, for negative controls.
	mutants = map[string]mutant{
		"rbm.ebm/wrong-sampler": {base: "rbm.ebm", old: "runtime.Sigmoids(row, a, beta)", new: "runtime.Sigmoids(row, a, 0.5*beta)"},
	}
)

type mutant struct{ base, old, new string }

func startDriver(t *testing.T) *driver {
	t.Helper()
	drvOnce.Do(func() { drv, drvErr = build() })
	if drvErr != nil {
		t.Fatal(drvErr)
	}
	return drv
}

func build() (*driver, error) {
	d := &driver{models: map[string]*ir.Model{}}
	var pkgs []verify.Package
	add := func(name string, m *ir.Model, code []byte) {
		d.models[name] = m
		pkgs = append(pkgs, verify.Package{Name: name, Model: m, Source: name, Code: code})
	}
	cases, err := testmodels.All()
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		m, err := ir.Compile(c.Name, []byte(c.Source), ir.Options{Defines: c.Defines})
		if err != nil {
			return nil, err
		}
		add(c.Name, m, nil)
	}
	src, err := os.ReadFile(filepath.Join(testmodels.ExamplesDir(), "rbm.ebm"))
	if err != nil {
		return nil, err
	}
	for _, v := range []struct {
		name    string
		defines map[string]int
	}{
		{"rbm.ebm/full", nil},                                   // full size, for the allocation test on batched kernels
		{"rbm.ebm/bas", map[string]int{"NV": 16, "NH": 16}},     // bars and stripes
		{"rbm.ebm/100x20", map[string]int{"NV": 100, "NH": 20}}, // exact log Z by 2^20 terms, for the estimators
	} {
		m, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: v.defines})
		if err != nil {
			return nil, err
		}
		add(v.name, m, nil)
	}
	// The float32 variants: the same models generated with Options.Float32;
	// layers wider than 32 units run the float32 sparse-row kernel, dense
	// operands the float32 packed kernel at any width.
	for _, v := range []struct {
		name    string
		defines map[string]int
	}{
		{"rbm.ebm/100x20/float32", map[string]int{"NV": 100, "NH": 20}},
		{"rbm.ebm/100x40/float32", map[string]int{"NV": 100, "NH": 40}},
		{"rbm.ebm/bas/float32", map[string]int{"NV": 16, "NH": 16}}, // dense products in float32 (mean-field reconstructions)
	} {
		m, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: v.defines})
		if err != nil {
			return nil, err
		}
		files, err := codegen.Generate(m, codegen.Options{Package: "f32", Source: "rbm.ebm", Float32: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		add(v.name, m, files[0].Content)
	}
	for name, mu := range mutants {
		m := d.models[mu.base]
		files, err := codegen.Generate(m, codegen.Options{Package: "mutant", Source: mu.base})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mu.base, err)
		}
		code := string(files[0].Content)
		if !strings.Contains(code, mu.old) {
			return nil, fmt.Errorf("mutant %s: pattern not found: %q", name, mu.old)
		}
		add(name, m, []byte(strings.Replace(code, mu.old, mu.new, 1)))
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	if d.Driver, err = verify.Build(root, pkgs); err != nil {
		return nil, err
	}
	return d, nil
}

// call sends one request and waits for its response.
func (d *driver) call(t *testing.T, req harness.Request) harness.Response {
	t.Helper()
	resp, err := d.Call(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
