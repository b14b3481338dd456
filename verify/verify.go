package verify

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/ir"
)

// Config configures File.
type Config struct {
	// Defines fix consts (ebmc verify -D); the others are shrunk.
	Defines map[string]int
	// Code, when set, is the Go file to verify instead of freshly generated
	// code: ebmc's output for this model. Consts the file fixes (its
	// "Sizes of" block) and Defines does not are taken from it.
	Code []byte
	// CodeName names Code in the report (its file name).
	CodeName string
	// Module is the directory of the ebmc module to build against; found
	// with ModuleRoot from the model's directory when empty.
	Module string
	Options
}

// Report is the outcome of verifying one model.
type Report struct {
	Model   *ir.Model
	Defines map[string]int // the sizes verified at
	Shrunk  map[string]int // consts verify chose, with their declared values
	Configs float64        // joint configurations of the discrete layers
	Code    string         // "generated", or the name of the code given
	Checks  []Check
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Pass && !c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

// Summary is "N passed, M failed".
func (r *Report) Summary() string {
	pass, failed := 0, 0
	for _, c := range r.Checks {
		switch {
		case c.Skipped:
		case c.Pass:
			pass++
		default:
			failed++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", pass, failed)
}

// Write prints the report: a heading, a table of the checks and the summary.
func (r *Report) Write(w io.Writer) error {
	var sizes, from []string
	for _, c := range r.Model.Consts {
		sizes = append(sizes, fmt.Sprintf("%s=%d", c.Name, c.Value))
		if v, ok := r.Shrunk[c.Name]; ok && v != c.Value {
			from = append(from, fmt.Sprintf("%s=%d", c.Name, v))
		}
	}
	at := ""
	if len(sizes) > 0 {
		at = " at " + strings.Join(sizes, " ")
	}
	if len(from) > 0 {
		at += " (shrunk from " + strings.Join(from, " ") + ")"
	}
	fmt.Fprintf(w, "verify %s (%s)%s: %s discrete configurations; code: %s\n\n", r.Model.Name, filepath.Base(r.Model.Filename), at, configsString(r.Configs), r.Code)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tfigure\tlimit\tresult")
	for _, c := range r.Checks {
		fig, lim := c.Figure, c.Limit
		if c.Skipped {
			fig, lim = "—", "—"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, fig, lim, c.Result())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed := r.Failed(); len(failed) > 0 {
		fmt.Fprintln(w)
		for _, c := range failed {
			fmt.Fprintf(w, "FAIL %s: %s\n", c.Name, c.Detail)
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.Summary())
	return err
}

// File verifies the model in src (read from path): it chooses sizes
// (Shrink), generates code (or takes cfg.Code), builds it in a temporary
// module, and runs every check.
func File(path string, src []byte, cfg Config) (*Report, error) {
	limit := cfg.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	f, err := dsl.Parse(path, src)
	if err != nil {
		return nil, err
	}
	defines := map[string]int{}
	for k, v := range cfg.Defines {
		defines[k] = v
	}
	code := "generated"
	if cfg.Code != nil {
		sizes, err := CodeSizes(cfg.Code, f)
		if err != nil {
			return nil, err
		}
		for k, v := range sizes {
			if d, ok := defines[k]; ok && d != v {
				return nil, fmt.Errorf("the code was generated with %s = %d, but -D %s=%d", k, v, k, d)
			}
			defines[k] = v
		}
		code = "given"
		if cfg.CodeName != "" {
			code = cfg.CodeName
		}
	}
	given := defines
	defines, err = Shrink(path, src, given, limit)
	if err != nil {
		return nil, err
	}
	shrunk := map[string]int{}
	for _, c := range f.Consts {
		if _, ok := given[c.Name.Name]; !ok && c.Value.Number != "" {
			if v, err := strconv.Atoi(c.Value.Number); err == nil {
				shrunk[c.Name.Name] = v
			}
		}
	}
	m, err := ir.Compile(path, src, ir.Options{Defines: defines})
	if err != nil {
		return nil, err
	}
	if err := m.Refusal(ir.Sampling); err != nil {
		// The checks compare samplers, free energies and log Z with the
		// interpreter; a laplace layer has none of them (its MAP code is
		// tested by runtime/sparse).
		return nil, dsl.ErrorList{err}
	}
	root := cfg.Module
	if root == "" {
		if root, err = ModuleRoot(filepath.Dir(path)); err != nil {
			return nil, err
		}
	}
	d, err := Build(root, []Package{{Name: m.Name, Model: m, Source: filepath.Base(path), Code: cfg.Code}})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	checks := Run(m, d, m.Name, cfg.Options)
	return &Report{Model: m, Defines: defines, Shrunk: shrunk, Configs: DiscreteConfigs(m), Code: code, Checks: checks}, nil
}

// CodeSizes reads the consts of model f that a generated Go file fixes:
// its declarations MODEL+CONST = VALUE.
func CodeSizes(code []byte, f *dsl.File) (map[string]int, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "code.go", code, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("the -code file does not parse: %w", err)
	}
	goNames := map[string]string{}
	for _, c := range f.Consts {
		goNames[ir.GoName(f.Model.Name)+ir.GoName(c.Name.Name)] = c.Name.Name
	}
	zero, hasZero := "Zero"+ir.GoName(f.Model.Name), false
	sizes := map[string]int{}
	for _, decl := range file.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == zero {
			hasZero = true
		}
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				name, ok := goNames[id.Name]
				if !ok || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.INT {
					if v, err := strconv.Atoi(lit.Value); err == nil {
						sizes[name] = v
					}
				}
			}
		}
	}
	if !hasZero {
		return nil, fmt.Errorf("the -code file declares no func %s: it is not ebmc's output for model %s", zero, f.Model.Name)
	}
	return sizes, nil
}
