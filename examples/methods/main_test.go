package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedComparison runs every method for one epoch on the embedded
// images and checks the table and methods.json.
func TestEmbeddedComparison(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twelve models")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-data", filepath.Join(out, "absent"), "-out", out, "-epochs", "1", "-grbm-epochs", "1", "-sweeps", "20"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "methods.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		if r.Error != "" {
			t.Errorf("%s by %s: %s", r.Model, r.Method, r.Error)
		}
		if r.TestLL >= 0 && r.Model == "rbm784x12" {
			t.Errorf("%s by %s: test log-likelihood %g of binary images is not negative", r.Model, r.Method, r.TestLL)
		}
		seen[r.Model+"/"+r.Method] = true
	}
	for _, want := range []string{"rbm784x12/exact", "rbm784x12/pl", "rbm784x12/ratio", "rbm784x12/nce", "grbm784x12/score", "grbm784x12/dsm"} {
		if !seen[want] {
			t.Errorf("methods.json has no row %s", want)
		}
	}
	if !strings.Contains(stdout.String(), "test log-likelihood") {
		t.Errorf("no table printed:\n%s", stdout.String())
	}
	for _, f := range []string{"grbm/samples.png", "grbm/chain.gif"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
