package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without Fashion-MNIST the program learns from patches of a known
// dictionary and writes every output; a small run recovers part of it.
func TestRunSynthetic(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-data", filepath.Join(out, "absent"), "-out", out, "-patches", "400", "-test-patches", "50", "-epochs", "2", "-psd-epochs", "1"}
	if err := run(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "not in") {
		t.Errorf("no notice of the fallback: %q", stderr.String())
	}
	for _, f := range []string{"filters.png", "encoder.png", "metrics.json", "model.safetensors", "encoder.safetensors", "test-patches.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var met Metrics
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	if met.Recovery == nil || len(met.Epochs) != 2 || met.Test.Patches != 50 || met.Test.MaxObjectiveSpread > 1e-4 {
		t.Errorf("metrics: %+v", met)
	}
	if len(met.Epochs) == 2 && met.Epochs[1].Objective >= met.Epochs[0].Objective {
		t.Errorf("the objective went from %g to %g", met.Epochs[0].Objective, met.Epochs[1].Objective)
	}
	if err := run([]string{"-patches", "0"}, &stdout, &stderr); err == nil {
		t.Error("-patches 0 accepted")
	}
}
