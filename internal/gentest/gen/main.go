// Command gen writes the repository's generated test models, every entry of
// gentest.Fixtures, as ebmc gen would (codegen.GenerateSource). It runs
// from go generate in internal/gentest:
//
//	go generate ./internal/gentest
//
// A file already equal to what its entry generates is left alone (with its
// time stamp), so running it twice changes nothing. With -check it writes
// nothing and exits 1 naming each file that is stale.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/internal/gentest"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/runtime/fileio"
)

func main() {
	check := flag.Bool("check", false, "write nothing; exit 1 naming each file that is not what its table entry generates")
	flag.Parse()
	os.Exit(run(*check, os.Stderr))
}

func run(check bool, stderr io.Writer) int {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintf(stderr, "gentest/gen: %v\n", err)
		return 1
	}
	files, err := generate(root, gentest.Fixtures)
	if err != nil {
		fmt.Fprintf(stderr, "gentest/gen: %v\n", err)
		return 1
	}
	stale := 0
	for _, f := range files {
		old, err := os.ReadFile(f.path)
		if err == nil && bytes.Equal(old, f.content) {
			continue
		}
		if check {
			stale++
			fmt.Fprintf(stderr, "gentest/gen -check: %s\n", staleReason(f, old, err))
			continue
		}
		if err := fileio.WriteFileAtomic(f.path, f.content); err != nil {
			fmt.Fprintf(stderr, "gentest/gen: %v\n", err)
			return 1
		}
	}
	if stale > 0 {
		return 1
	}
	return 0
}

// output is a fixture's file: where it goes and what it holds.
type output struct {
	path    string // absolute
	content []byte
	fix     gentest.Fixture
}

// generate checks the table and returns the file of each entry, with root
// the repository's root.
func generate(root string, fixtures []gentest.Fixture) ([]output, error) {
	if err := checkTable(fixtures); err != nil {
		return nil, err
	}
	out := make([]output, 0, len(fixtures))
	for _, f := range fixtures {
		content, err := render(root, f)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(root, filepath.FromSlash(f.Dir), f.Out)
		for _, other := range out {
			if other.fix.Dir != f.Dir {
				continue
			}
			if err := codegen.PackageClash(other.content, content, other.path, path); err != nil {
				return nil, err
			}
		}
		out = append(out, output{path: path, content: content, fix: f})
	}
	return out, nil
}

// render is what ebmc gen -pkg f.Package -D … -type f.Type [-float32]
// -o f.Dir/f.Out f.Source writes.
func render(root string, f gentest.Fixture) ([]byte, error) {
	path := filepath.Join(root, filepath.FromSlash(f.Source))
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixture %s/%s: %w", f.Dir, f.Out, err)
	}
	files, err := codegen.GenerateSource(path, src, ir.DefaultMaxBytes, codegen.Options{
		Package: f.Package, Defines: f.Defines, Type: f.Type, Float32: f.Float32})
	if err != nil {
		return nil, fmt.Errorf("fixture %s/%s: %w", f.Dir, f.Out, err)
	}
	return files[0].Content, nil
}

// checkTable refuses a table in which two entries write one file, the
// entries of one directory name different packages, or an entry lacks a
// field ebmc gen needs.
func checkTable(fixtures []gentest.Fixture) error {
	pkgs := map[string]string{}
	seen := map[string]bool{}
	for i, f := range fixtures {
		file := f.Dir + "/" + f.Out
		switch {
		case f.Dir == "" || f.Source == "" || f.Out == "":
			return fmt.Errorf("fixture %d (%s): Dir, Source and Out must all be set", i, file)
		case !token.IsIdentifier(f.Package) || token.IsKeyword(f.Package):
			return fmt.Errorf("fixture %s: package %q is not a Go package name", file, f.Package)
		case filepath.Ext(f.Out) != ".go" || filepath.Base(f.Out) != f.Out:
			return fmt.Errorf("fixture %s: Out must be a .go file name without directories", file)
		case seen[file]:
			return fmt.Errorf("fixture %s: two entries write it", file)
		}
		seen[file] = true
		if p, ok := pkgs[f.Dir]; ok && p != f.Package {
			return fmt.Errorf("fixture %s: package %s, but another entry of %s says %s", file, f.Package, f.Dir, p)
		}
		pkgs[f.Dir] = f.Package
	}
	return nil
}

// staleReason says why the committed file differs from out: missing, or
// the first line where they part.
func staleReason(out output, old []byte, err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("%s does not exist; run go generate ./internal/gentest", out.path)
	case err != nil:
		return err.Error()
	}
	line := 1 + bytes.Count(old[:commonPrefix(old, out.content)], []byte("\n"))
	return fmt.Sprintf("%s is stale from line %d: it is not what its entry in gentest.Fixtures generates from %s; run go generate ./internal/gentest", out.path, line, out.fix.Source)
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// repoRoot is the nearest directory above the working directory that holds
// go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
