package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

// Without Fashion-MNIST the command trains the 16-16-8 DBM on bars and
// stripes, where log Z and log p(v) are exact: AIS must contain the exact
// log Z in its interval, the bound must lie below the exact
// log-likelihood, and every file must be written.
func TestRunOnEmbeddedDefault(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-data", filepath.Join(out, "no-such-dir"), "-out", out, "-recognition", "2"}
	ws := runtime.NewWorkspace(2)
	f32 := ws.SetFloat32(true) // float32 kernels need AVX-512
	ws.Close()
	if f32 {
		args = append(args, "-float32")
	}
	if testing.Short() { // the default's 300 + 3000 epochs in the full suite
		args = append(args, "-pretrain-epochs", "100", "-epochs", "1000")
	}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, f := range []string{"metrics.json", "samples.png", "chain.gif", "inpaint.png"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
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
	// An unbounded interval end is written as null.
	if _, err := json.Marshal(Estimate{Low: number(math.Inf(-1))}); err != nil {
		t.Errorf("an infinite interval end does not marshal: %v", err)
	}
	exact, ais := met.LogZ["exact"], met.LogZ["ais"]
	t.Logf("log Z exact %.4f, AIS %.4f [%.4f, %.4f]; test bound %.4f, exact log-likelihood %.4f",
		exact.Value, ais.Value, ais.Low, ais.High, met.ELBOTest.Mean, met.ExactLogLikelihood.Value)
	if exact.Method == "" || ais.Method == "" || met.ExactLogLikelihood == nil {
		t.Fatalf("metrics lack exact log Z, AIS or the exact log-likelihood:\n%s", b)
	}
	if exact.Value < ais.Low || exact.Value > ais.High {
		t.Errorf("AIS interval [%.4f, %.4f] misses the exact log Z %.4f", ais.Low, ais.High, exact.Value)
	}
	if met.ELBOTest.Mean > float64(met.ExactLogLikelihood.Value)+1e-9 {
		t.Errorf("the bound %.4f exceeds the exact log-likelihood %.4f", met.ELBOTest.Mean, met.ExactLogLikelihood.Value)
	}
	if r := met.Recognition; r == nil || len(r.Epochs) != 2 || len(r.Trained) != 2 || len(r.Untrained) != 2 || r.Trained[0].SweepsFromZero <= 0 {
		t.Errorf("-recognition 2: metrics hold %+v", met.Recognition)
	}
	if met.Float32Products != f32 {
		t.Errorf("-float32 %v: metrics say %v", f32, met.Float32Products)
	}
	if len(met.InpaintMSE) != 3 {
		t.Errorf("inpainting errors %v, want three methods", met.InpaintMSE)
	}
}
