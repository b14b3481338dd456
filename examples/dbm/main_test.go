package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
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
	f32 := ws.SetFloat32(true) // float32 kernels need AVX2 and FMA, or AVX-512
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

// -guide trains with a recognition model as the positive phase's guide,
// -centering with the centered gradient, and -mf-iters, -mf-tol set its
// mean field: metrics.json records them and, for every SML epoch, its
// seconds and its mean sweeps per minibatch, which lie between one and the
// cap. Contradictory or impossible flags are refused.
func TestRunGuided(t *testing.T) {
	for _, variant := range []string{"", "-guide", "-centering"} {
		guided := variant == "-guide"
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		args := []string{"-data", filepath.Join(out, "no-such-dir"), "-out", out, "-pretrain-epochs", "20", "-epochs", "30",
			"-mf-iters", "40", "-mf-tol", "1e-4", "-temps", "100", "-runs", "10", "-reverse-runs", "0", "-curve-rows", "0",
			"-sample-sweeps", "10", "-inpaint", "2"}
		switch variant {
		case "-guide":
			args = append(args, "-guide")
		case "-centering":
			args = append(args, "-centering", "0.01")
		}
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("guide %v: exit %d\n%s%s", guided, code, stdout.String(), stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(out, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
		var met Metrics
		if err := json.Unmarshal(b, &met); err != nil {
			t.Fatal(err)
		}
		if centered := variant == "-centering"; (met.CenteringRate == 0.01) != centered || strings.Contains(met.Training, "centered gradient") != centered {
			t.Errorf("%q: centering rate %v recorded, training %q", variant, met.CenteringRate, met.Training)
		}
		if met.Stage != "evaluated" {
			t.Errorf("guide %v: stage %q, want evaluated", guided, met.Stage)
		}
		pp := met.PositivePhase
		if pp == nil || pp.MaxSweeps != 40 || pp.Tol != 1e-4 || (pp.Guide != "") != guided {
			t.Errorf("guide %v: positive phase recorded as %+v", guided, pp)
		}
		if len(met.SMLEpochs) != 30 {
			t.Fatalf("guide %v: %d SML epochs recorded, want 30", guided, len(met.SMLEpochs))
		}
		for _, e := range met.SMLEpochs {
			if e.MeanFieldSweeps < 1 || e.MeanFieldSweeps > 40 || e.Seconds <= 0 {
				t.Errorf("guide %v: epoch %+v: sweeps per minibatch outside [1, 40] or no time", guided, e)
			}
		}
		t.Logf("guide %v: sweeps per minibatch in the first and last epochs %.2f, %.2f", guided, met.SMLEpochs[0].MeanFieldSweeps, met.SMLEpochs[29].MeanFieldSweeps)
	}
	for _, args := range [][]string{{"-mf-iters", "0"}, {"-guide", "-load", "model.safetensors"}, {"-burn", "-1"}, {"-centering", "2"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0, want a refusal", args)
		} else if !strings.Contains(stderr.String(), args[0]) {
			t.Errorf("%v: the error does not name the flag: %s", args, stderr.String())
		}
	}
}
