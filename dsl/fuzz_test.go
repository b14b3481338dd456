package dsl_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebmc/ebmc/dsl"
)

// seeds are every example model and the sources of the parse and error
// tables: valid files, tricky expressions and malformed text.
func seeds(tb testing.TB) []string {
	paths, err := filepath.Glob("../examples/*.ebm")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no examples found: %v", err)
	}
	var out []string
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(src))
	}
	for _, c := range parseCases {
		out = append(out, "model M\nenergy = "+c.src+"\n")
	}
	for _, c := range syntaxErrors {
		out = append(out, c.src)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := dsl.Parse("fuzz.ebm", []byte(src))
		if err != nil {
			var list dsl.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse returned %T %v, want a non-empty dsl.ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.Filename != "fuzz.ebm" || e.Pos.Line < 1 || e.Pos.Column < 1 || e.Msg == "" {
					t.Fatalf("badly positioned error %q", e.Error())
				}
			}
			return
		}
		for _, en := range file.Energies {
			if err := roundTrip(en.Expr); err != nil {
				t.Fatal(err)
			}
		}
	})
}
