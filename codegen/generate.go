package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// Version is the version of ebmc, written in the header of every generated
// file (cmd/ebmc reports it as its own).
const Version = "0.1.0"

// Options control code generation.
type Options struct {
	Package string // the Go package name of the generated file
	Source  string // the .ebm file name shown in the header, without directories
	// Text is the .ebm source the model was compiled from. The header
	// carries a short sha256 of it, so that an edited model makes its old
	// output differ from what would be generated now (ebmc gen -check);
	// nil leaves the source hash out of the header.
	Text []byte
	// Defines are the const overrides (ebmc gen -D) the model was compiled
	// with. They, Package, Bench and Float32 — every option that changes
	// the output — are hashed into the header.
	Defines map[string]int
	Bench   bool // also generate a _test.go file of benchmarks
	// Float32 makes new chains (and trainers) run their batched matrix
	// products in float32 (runtime.Workspace.SetFloat32); parameters,
	// states and everything else stay float64.
	Float32 bool
	// Type is the Go name of the model's type (RBM, and with it NewRBM,
	// RBMChains, RBMTrainer, the consts RBMNV, …) and of the file
	// (rbm_ebm.go); empty means the model's own name. Size variants of one
	// model (-D NH=20, -D NH=500) share a package under different types.
	Type string
}

// File is a generated Go source file.
type File struct {
	Name    string
	Content []byte
}

// RuntimeImport is the import path generated code uses for the runtime.
const RuntimeImport = "github.com/ebmc/ebmc/runtime"

// gemmMinChains is the batch size from which fields are computed with one
// matrix–matrix product instead of a product per chain.
const gemmMinChains = 4

// ErrNoPackage is Generate's error when Options.Package is empty.
var ErrNoPackage = errors.New("codegen: no package name given")

// Generate turns a model into Go source: NAME_ebm.go and, with Bench,
// NAME_ebm_bench_test.go.
func Generate(m *ir.Model, opts Options) ([]File, error) {
	if opts.Package == "" {
		return nil, ErrNoPackage
	}
	if !token.IsIdentifier(opts.Package) || token.IsKeyword(opts.Package) || opts.Package == "_" {
		return nil, fmt.Errorf("codegen: package name %q is not a Go identifier other than a keyword or _", opts.Package)
	}
	if err := CheckTypeName(opts.Type); opts.Type != "" && err != nil {
		return nil, fmt.Errorf("codegen: type name %q: %w", opts.Type, err)
	}
	g := newGen(m, opts)
	base := strings.ToLower(g.T) + "_ebm"
	var body []byte
	if m.Sparse != nil {
		body = g.sparseModel() // no samplers: no benchmarks either
		opts.Bench = false
	} else {
		body = g.model()
	}
	src, err := format(base+".go", body)
	if err != nil {
		return nil, err
	}
	if err := collisionErrors(m, g.T, src); err != nil {
		return nil, err
	}
	files := []File{{Name: base + ".go", Content: src}}
	if opts.Bench {
		b, err := format(base+"_bench_test.go", g.bench())
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: base + "_bench_test.go", Content: b})
	}
	return files, nil
}

// GenerateSource compiles the .ebm text src, read from path, with
// opts.Defines (ir.Compile; maxBytes bounds the parameters' memory, 0 means
// ir.DefaultMaxBytes) and generates it with opts, whose Source and Text
// become path's base name and src: what ebmc gen writes from a file, and
// how the repository's test models (internal/gentest) are written.
func GenerateSource(path string, src []byte, maxBytes int64, opts Options) ([]File, error) {
	m, err := ir.Compile(path, src, ir.Options{Defines: opts.Defines, MaxBytes: maxBytes})
	if err != nil {
		return nil, err
	}
	opts.Source, opts.Text = filepath.Base(path), src
	return Generate(m, opts)
}

type gen struct {
	m    *ir.Model
	opts Options
	T    string // the model type: RBM
	C    string // the chains type: RBMChains
	p    *printer
	// deferred writes functions that a function being written needs.
	deferred []func()
}

func newGen(m *ir.Model, opts Options) *gen {
	t := ir.GoName(m.Name)
	if opts.Type != "" {
		t = opts.Type
	}
	return &gen{m: m, opts: opts, T: t, C: t + "Chains"}
}

// CheckTypeName reports why name cannot be a generated model's type: it
// must be an exported Go identifier (NewNAME, NAMEChains and the consts
// are built from it).
func CheckTypeName(name string) error {
	if !token.IsIdentifier(name) || !token.IsExported(name) {
		return fmt.Errorf("not an exported Go identifier (a capital letter, then letters, digits and _)")
	}
	return nil
}

func (g *gen) L(ly *ir.Layer) string { return ir.GoName(ly.Name) }
func (g *gen) P(q *ir.Param) string  { return ir.GoName(q.Name) }

// keepName names a free energy by the layers it keeps: FreeEnergyV.
func (g *gen) keepName(fe *ir.FreeEnergy) string {
	var b strings.Builder
	for _, ly := range fe.Keep {
		b.WriteString(g.L(ly))
	}
	return b.String()
}

// visibleFE is the free energy that keeps exactly the visible layers, if any.
func (g *gen) visibleFE() *ir.FreeEnergy {
	for _, fe := range g.m.FreeEnergies {
		ok := true
		for _, ly := range fe.Keep {
			ok = ok && ly.Visible
		}
		for _, ly := range fe.SumOut {
			ok = ok && !ly.Visible
		}
		if ok {
			return fe
		}
	}
	return nil
}

// negativeFE is the free energy through which a trainer without a
// visible one (fe == nil: a deep Boltzmann machine, or a model with no
// hidden layers) takes the negative phase's statistics: the one that sums
// out the most units given the rest, nil if the model has none. Its
// gradient E_{p(summed | kept)}[∂E/∂θ] at the chains' kept layers has the
// expectation of ∂E/∂θ at their states and a smaller variance (the
// Rao–Blackwell theorem).
func (g *gen) negativeFE() *ir.FreeEnergy {
	var best *ir.FreeEnergy
	units := 0
	for _, fe := range g.m.FreeEnergies {
		n := 0
		for _, ly := range fe.SumOut {
			n += ly.Size
		}
		if n > units {
			best, units = fe, n
		}
	}
	return best
}

func (g *gen) visibleSize() int {
	n := 0
	for _, ly := range g.m.Layers {
		if ly.Visible {
			n += ly.Size
		}
	}
	return n
}

func (g *gen) hasHidden() bool {
	for _, ly := range g.m.Layers {
		if !ly.Visible {
			return true
		}
	}
	return false
}

// emitter returns a loop-nest emitter reading units from row locals (rowV)
// and parameters from m.
func (g *gen) emitter() *emitter {
	return &emitter{
		p:    g.p,
		unit: func(u ir.UnitRef, off string) string { return fmt.Sprintf("row%s[%s]", g.L(u.Layer), off) },
		par:  func(q *ir.Param, off string) string { return fmt.Sprintf("m.%s[%s]", g.P(q), off) },
	}
}

// rows declares the row locals of chain ch for the layers a body reads.
func (g *gen) rows(layers map[*ir.Layer]bool, variance bool) {
	for _, ly := range g.m.Layers {
		if layers[ly] {
			g.p.Pf("row%s := x.%s[ch*%d : ch*%d+%d]", g.L(ly), g.L(ly), ly.Size, ly.Size, ly.Size)
			if variance && ly.Kind == ir.Gaussian {
				g.p.Pf("var%s := x.var%s[ch*%d : ch*%d+%d]", g.L(ly), g.L(ly), ly.Size, ly.Size, ly.Size)
			}
		}
	}
}

func unitLayers(units []ir.UnitRef, into map[*ir.Layer]bool) {
	for _, u := range units {
		into[u.Layer] = true
	}
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "×")
}

// shortHash is the first 12 hex digits (48 bits) of the sha256 of b.
func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// flags is the canonical form of the options that change the output, as
// ebmc gen flags: -pkg NAME [-D NAME=VALUE]... (sorted) -bench=B -float32=B.
func (o Options) flags() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-pkg %s", o.Package)
	names := make([]string, 0, len(o.Defines))
	for name := range o.Defines {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, " -D %s=%d", name, o.Defines[name])
	}
	fmt.Fprintf(&b, " -bench=%t -float32=%t", o.Bench, o.Float32)
	if o.Type != "" {
		fmt.Fprintf(&b, " -type %s", o.Type)
	}
	return b.String()
}

// headerComment writes the first lines of every generated file: the
// generated-code marker, then the ebmc version and short sha256 hashes of
// the source text and of the flags (Options.flags). Nothing in it depends
// on the time, the machine or directories, so regenerating is idempotent.
//
//	// Code generated by ebmc from rbm.ebm. DO NOT EDIT.
//	// ebmc 0.1.0, source sha256:1f2e3d4c5b6a, flags sha256:a1b2c3d4e5f6.
func (g *gen) headerComment() {
	src := g.opts.Source
	if src == "" {
		src = filepath.Base(g.m.Filename)
	}
	g.p.Pf("// Code generated by ebmc from %s. DO NOT EDIT.", src)
	line := "// ebmc " + Version
	if g.opts.Text != nil {
		line += ", source sha256:" + shortHash(g.opts.Text)
	}
	line += ", flags sha256:" + shortHash([]byte(g.opts.flags())) + "."
	g.p.P(line)
	g.p.P()
}

func (g *gen) header() {
	g.headerComment()
	g.p.Pf("package %s", g.opts.Package)
	g.p.P()
	g.p.P("import (")
	g.p.P(`"fmt"`)
	g.p.P(`"math"`)
	g.p.P()
	g.p.Pf("%q", RuntimeImport)
	g.p.P(")")
	g.p.P()
	g.p.P("// The runtime this code was generated for; a mismatched runtime fails to compile here.")
	g.p.P("const _ = runtime.EnforceVersion1")
	g.p.P()
}

func (g *gen) model() []byte {
	g.p = &printer{}
	g.header()
	g.consts()
	g.paramsType()
	g.chainsType()
	g.clampType()
	g.energy()
	for _, c := range g.m.Conditionals {
		g.field(c)
		g.mean(c)
		g.sample(c)
	}
	g.sweep()
	g.mcmc()
	g.meanField()
	for _, fe := range g.m.FreeEnergies {
		g.freeEnergy(fe)
	}
	g.logZ()
	g.energyGrad()
	for _, fe := range g.m.FreeEnergies {
		g.freeEnergyGrad(fe)
	}
	g.trainer()
	for _, f := range g.deferred {
		f()
	}
	g.reflect()
	return g.p.buf.Bytes()
}

func (g *gen) consts() {
	if len(g.m.Consts) == 0 {
		return
	}
	g.p.Pf("// Sizes of %s, fixed when this file was generated (ebmc gen -D NAME=VALUE changes them).", g.T)
	g.p.P("const (")
	for _, c := range g.m.Consts {
		g.p.Pf("%s%s = %d", g.T, ir.GoName(c.Name), c.Value)
	}
	g.p.P(")")
	g.p.P()
}

// ShortHash is the first 12 hex digits of the sha256 of b, as generated
// headers print the hashes of a model's source and of the options.
func ShortHash(b []byte) string { return shortHash(b) }
