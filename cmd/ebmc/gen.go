package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/codegen/torch"
	"github.com/ebmc/ebmc/runtime/fileio"
)

func (c *cli) gen(args []string) int {
	fs := c.flags("gen")
	defs := defines{}
	out := fs.String("o", "", "output `file` (default NAME_ebm.go beside the input)")
	pkg := fs.String("pkg", "", "package `name` (default: $GOPACKAGE under go generate, else the directory's name)")
	bench := fs.Bool("bench", false, "also write NAME_ebm_bench_test.go with benchmarks of the generated model")
	float32 := fs.Bool("float32", false, "run the batched matrix products in float32 (half the memory traffic; parameters and states stay float64)")
	check := fs.Bool("check", false, "write nothing; exit 1 naming each output file that is not exactly what gen would write now, 0 when all are")
	fs.Var(defs, "D", "override a const: `NAME=VALUE` (repeatable)")
	typ := fs.String("type", "", "Go `name` of the model's type and file (default: the model's name); size variants of one model can then share a package, e.g. -D NH=20 -type RBM20")
	target := fs.String("target", "go", "what to generate: `go` (a Go package file) or torch (one self-contained Python file for PyTorch ≥ 1.13, NAME_ebm.py)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	switch *target {
	case "go":
	case "torch":
		return c.genTorch(fs, *out, *check, defs, *pkg != "" || *bench || *float32 || *typ != "")
	default:
		fmt.Fprintf(c.stderr, "ebmc gen: -target %q: the targets are go and torch\n", *target)
		return 2
	}
	if *typ != "" {
		if err := codegen.CheckTypeName(*typ); err != nil {
			fmt.Fprintf(c.stderr, "ebmc gen: -type %q: %v\n", *typ, err)
			return 2
		}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if *pkg != "" {
		if err := checkPackageName(*pkg); err != nil {
			fmt.Fprintf(c.stderr, "ebmc gen: -pkg %q is not a Go package name: %v\n", *pkg, err)
			return 2
		}
	}
	path := fs.Arg(0)
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "ebmc: %v\n", err)
		return 1
	}
	dir := filepath.Dir(path)
	if *out != "" {
		dir = filepath.Dir(*out)
	}
	name, nameErr := *pkg, error(nil)
	if name == "" {
		name, nameErr = packageName(dir) // "" on error: the model's own errors come first
	}
	files, err := codegen.GenerateSource(path, src, int64(c.maxBytes), codegen.Options{Package: name, Defines: defs,
		Bench: *bench, Float32: *float32, Type: *typ})
	switch {
	case nameErr != nil && errors.Is(err, codegen.ErrNoPackage):
		fmt.Fprintf(c.stderr, "ebmc gen: %v\n", nameErr)
		return 2
	case err != nil:
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	target0 := filepath.Join(dir, files[0].Name)
	if *out != "" {
		target0 = *out
	}
	if err := clashInPackage(dir, target0, files[0].Content); err != nil {
		fmt.Fprintf(c.stderr, "ebmc gen: %v\n", err)
		return 1
	}
	stale := 0
	for i, f := range files {
		target := filepath.Join(dir, f.Name)
		if i == 0 && *out != "" {
			target = *out
		}
		old, err := os.ReadFile(target)
		if err == nil && bytes.Equal(old, f.Content) {
			continue // unchanged: keep the file's time stamp
		}
		if *check {
			stale++
			switch {
			case errors.Is(err, os.ErrNotExist):
				fmt.Fprintf(c.stderr, "ebmc gen -check: %s does not exist; run go generate (ebmc gen) to write it\n", target)
			case err != nil:
				fmt.Fprintf(c.stderr, "ebmc gen -check: %v\n", err)
			default:
				fmt.Fprintf(c.stderr, "ebmc gen -check: %s is stale: it is not what ebmc gen would write now from %s; run go generate (ebmc gen)\n", target, path)
			}
			continue
		}
		if err := fileio.WriteFileAtomic(target, f.Content); err != nil {
			fmt.Fprintf(c.stderr, "ebmc gen: %v\n", err)
			return 1
		}
	}
	if stale > 0 {
		return 1
	}
	return 0
}

// genTorch writes the torch target: NAME_ebm.py beside the input, or -o.
// goOnly reports that a flag of the Go target was given, which is refused.
func (c *cli) genTorch(fs *flag.FlagSet, out string, check bool, defs defines, goOnly bool) int {
	if goOnly {
		fmt.Fprintln(c.stderr, "ebmc gen: -pkg, -type, -bench and -float32 are flags of the go target; -target torch takes -o, -D and -check")
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	m, src, ok := c.loadSource(path, defs)
	if !ok {
		return 1
	}
	code, err := torch.Generate(m, torch.Options{Source: filepath.Base(path), Text: src, Defines: defs})
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	target := filepath.Join(filepath.Dir(path), torch.FileName(m))
	if out != "" {
		target = out
	}
	old, err := os.ReadFile(target)
	if err == nil && bytes.Equal(old, code) {
		return 0 // unchanged: keep the file's time stamp
	}
	if check {
		switch {
		case errors.Is(err, os.ErrNotExist):
			fmt.Fprintf(c.stderr, "ebmc gen -check: %s does not exist; run ebmc gen -target torch to write it\n", target)
		case err != nil:
			fmt.Fprintf(c.stderr, "ebmc gen -check: %v\n", err)
		default:
			fmt.Fprintf(c.stderr, "ebmc gen -check: %s is stale: it is not what ebmc gen -target torch would write now from %s\n", target, path)
		}
		return 1
	}
	if err := fileio.WriteFileAtomic(target, code); err != nil {
		fmt.Fprintf(c.stderr, "ebmc gen: %v\n", err)
		return 1
	}
	return 0
}

// packageName is $GOPACKAGE under go generate, else the directory's base
// name in lower case; either must be a package name (checkPackageName).
func packageName(dir string) (string, error) {
	if p := os.Getenv("GOPACKAGE"); p != "" {
		if err := checkPackageName(p); err != nil {
			return "", fmt.Errorf("$GOPACKAGE %q is not a Go package name: %v; pass -pkg NAME", p, err)
		}
		return p, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("the package name would be the directory's, but %v; pass -pkg NAME", err)
	}
	base := filepath.Base(abs)
	name := strings.ToLower(base)
	if err := checkPackageName(name); err != nil {
		return "", fmt.Errorf("the package name would be the directory's, %q, which is not a Go package name: %v; pass -pkg NAME", base, err)
	}
	return name, nil
}

// checkPackageName says why name cannot follow the keyword package.
func checkPackageName(name string) error {
	switch {
	case token.IsKeyword(name):
		return fmt.Errorf("%s is a Go keyword", name)
	case !token.IsIdentifier(name):
		return errors.New("it must be a Go identifier (letters, digits and _, not starting with a digit)")
	case name == "_":
		return errors.New("_ is the blank identifier")
	}
	return nil
}

// clashInPackage checks the package-level names of a generated file
// against the other files ebmc generated into its directory (the files
// that start with ebmc's "Code generated" line), which share its package.
func clashInPackage(dir, target string, src []byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // a new directory holds nothing to clash with
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") || sameFile(path, target) {
			continue
		}
		other, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(other, []byte("// Code generated by ebmc ")) {
			continue
		}
		if err := codegen.PackageClash(other, src, path, target); err != nil {
			return err
		}
	}
	return nil
}

func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}
