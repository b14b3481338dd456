package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/runtime"
)

func (c *cli) gen(args []string) int {
	fs := c.flags("gen")
	defs := defines{}
	out := fs.String("o", "", "output `file` (default NAME_ebm.go beside the input)")
	pkg := fs.String("pkg", "", "package `name` (default: $GOPACKAGE under go generate, else the directory's name)")
	bench := fs.Bool("bench", false, "also write NAME_ebm_bench_test.go with benchmarks of the generated model")
	float32 := fs.Bool("float32", false, "run the batched matrix products in float32 (half the memory traffic; parameters and states stay float64)")
	fs.Var(defs, "D", "override a const: `NAME=VALUE` (repeatable)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	m, ok := c.load(path, defs)
	if !ok {
		return 1
	}
	dir := filepath.Dir(path)
	if *out != "" {
		dir = filepath.Dir(*out)
	}
	name := *pkg
	if name == "" {
		name = packageName(dir)
	}
	files, err := codegen.Generate(m, codegen.Options{Package: name, Source: filepath.Base(path), Bench: *bench, Float32: *float32})
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	for i, f := range files {
		target := filepath.Join(dir, f.Name)
		if i == 0 && *out != "" {
			target = *out
		}
		if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, f.Content) {
			continue // unchanged: keep the file's time stamp
		}
		if err := runtime.WriteFileAtomic(target, f.Content); err != nil {
			fmt.Fprintf(c.stderr, "ebmc gen: %v\n", err)
			return 1
		}
	}
	return 0
}

// packageName is $GOPACKAGE under go generate, else the directory's base
// name made into an identifier (as stringer does).
func packageName(dir string) string {
	if p := os.Getenv("GOPACKAGE"); p != "" {
		return p
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "main"
	}
	base := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			return unicode.ToLower(r)
		}
		return -1
	}, filepath.Base(abs))
	if base == "" || unicode.IsDigit(rune(base[0])) {
		return "model"
	}
	return base
}
