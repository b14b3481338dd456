package rbm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/bas"
	dbm "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/runtime/checkpoint"
)

// Checkpoints of generated models round-trip, and loading one into the wrong
// model, into a model of other sizes or from a damaged file is a plain error.
func TestCheckpoints(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rbm.safetensors")
	m := rbm.NewRBM(1)
	if err := checkpoint.SaveCheckpoint(path, checkpoint.CheckpointOf(m, nil, nil, map[string]string{"epoch": "3"})); err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	back := rbm.ZeroRBM()
	if err := ck.Restore(back, nil); err != nil {
		t.Fatal(err)
	}
	for k := range m.W {
		if back.W[k] != m.W[k] {
			t.Fatalf("W[%d] = %g after the round trip, want %g", k, back.W[k], m.W[k])
		}
	}

	if err := ck.Restore(dbm.ZeroDBM(), nil); err == nil || !strings.Contains(err.Error(), "DBM") {
		t.Errorf("restoring an RBM checkpoint into a DBM: %v", err)
	}
	if err := ck.Restore(bas.ZeroRBM(), nil); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("restoring a 784×500 RBM into a 16×16 one: %v", err)
	}

	b, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.safetensors")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	if _, err := checkpoint.LoadCheckpoint(cut); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("loading a truncated checkpoint: %v", err)
	}
}
