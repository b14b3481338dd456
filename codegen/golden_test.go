package codegen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compares the generated code of every test model with
// testdata/NAME.go.golden; go test ./codegen -update rewrites them, and the
// diff is reviewed like any other change.
func TestGolden(t *testing.T) {
	for _, c := range append(cases(t), testmodels.SparseCases()...) {
		m, err := ir.Compile(c.Name, []byte(c.Source), ir.Options{Defines: c.Defines})
		if err != nil {
			t.Fatal(err)
		}
		files, err := codegen.Generate(m, codegen.Options{Package: "model", Source: c.Name, Text: []byte(c.Source), Defines: c.Defines})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", strings.TrimSuffix(c.Name, ".ebm")+".go.golden")
		if *update {
			if err := os.WriteFile(path, files[0].Content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./codegen -update to create it)", err)
		}
		if !bytes.Equal(files[0].Content, want) {
			t.Errorf("generated code for %s differs from %s (run go test ./codegen -run TestGolden -update and review the diff)", c.Name, path)
		}
	}
}

func TestGenerateRejectsBadPackage(t *testing.T) {
	m, err := ir.Compile("x.ebm", []byte("model X\nvisible v[2] bernoulli\nparam b[2]\nenergy = -sum(i) b[i]*v[i]\n"), ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ pkg, want string }{
		{"", "codegen: no package name given"},
		{"my-model", `codegen: package name "my-model" is not a Go identifier other than a keyword or _`},
		{`pk; import _ "net/http/pprof"`, "is not a Go identifier"},
		{"func", `package name "func" is not`},
		{"_", `package name "_" is not`},
		{"2d", `package name "2d" is not`},
	} {
		if _, err := codegen.Generate(m, codegen.Options{Package: c.pkg}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate with package %q: error %v, want it to contain %q", c.pkg, err, c.want)
		}
	}
}
