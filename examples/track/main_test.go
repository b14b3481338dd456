package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fashion = "/usr/share/datasets/fashion-mnist"

// A short run on a few hundred Fashion-MNIST images writes the metrics
// (the tracked log Z at every epoch, AIS where asked), the curve and the
// model; the tracked and AIS values of the first epoch, after 5 updates
// from weights N(0, 0.01²), agree within 0.5 nats.
func TestRunWritesResults(t *testing.T) {
	if testing.Short() {
		t.Skip("trains and anneals for about 10 s")
	}
	if _, err := os.Stat(filepath.Join(fashion, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skip("Fashion-MNIST is not installed")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-train-rows", "500", "-test-rows", "200", "-epochs", "2", "-ais-epochs", "1", "-temps", "300", "-runs", "20", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"metrics.json", "curve.png", "model.safetensors"} {
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
	if len(met.Epochs) != 2 || met.Epochs[0].AISLogZ == nil || met.Epochs[1].AISLogZ != nil || met.Version == "" {
		t.Fatalf("metrics: %s", b)
	}
	e := met.Epochs[0]
	if d := e.TrackedLogZ.Value - e.AISLogZ.Value; d > 0.5 || d < -0.5 {
		t.Errorf("epoch 1: tracked log Z %.4f, AIS %.4f", e.TrackedLogZ.Value, e.AISLogZ.Value)
	}
	t.Log(stdout.String())
}

// With -filter -estimate-noise, a short run of the 784×500 RBM records the
// filtered log Z, the summed time ratios, the ladder alone, the swap rates
// and the noise model's factors; the filtered log Z after 10 updates is
// within 0.5 nats of AIS's.
func TestRunFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("trains and anneals for about 15 s")
	}
	if _, err := os.Stat(filepath.Join(fashion, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skip("Fashion-MNIST is not installed")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-train-rows", "500", "-test-rows", "200", "-epochs", "2", "-ais-epochs", "2", "-temps", "300", "-runs", "20",
		"-filter", "-ladder", "5", "-estimate-noise", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var met Metrics
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	for _, e := range met.Epochs {
		if e.SummedLogZ == nil || e.BridgedLogZ == nil || len(e.SwapRates) != 4 || len(e.NoiseTau) != 5 || e.NoiseScale < 1 {
			t.Fatalf("epoch %d lacks values: %+v", e.Epoch, e)
		}
	}
	e := met.Epochs[1]
	if e.AISLogZ == nil {
		t.Fatalf("no AIS at epoch 2: %s", b)
	}
	if d := e.TrackedLogZ.Value - e.AISLogZ.Value; d > 0.5 || d < -0.5 {
		t.Errorf("epoch 2: filtered log Z %.4f, AIS %.4f", e.TrackedLogZ.Value, e.AISLogZ.Value)
	}
	if !strings.Contains(met.Settings, "Kalman filter over 5 rungs") || !strings.Contains(met.Settings, "observation noise estimated") {
		t.Errorf("settings %q", met.Settings)
	}
	t.Log(stdout.String())
}

// Bad flags are refused with a message.
func TestRunRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-ais-epochs", "x"}, 2, "not an epoch"},
		{[]string{"-model", "rbm7", "-data", t.TempDir()}, 1, "track:"},
		{[]string{"-filter"}, 2, "-filter needs a -ladder"},
		{[]string{"-filter", "-ladder", "3", "-filter-base", "gauss"}, 2, "-filter-base"},
		{[]string{"-estimate-noise"}, 2, "needs -filter"},
		{[]string{"-filter", "-ladder", "3", "-estimate-noise", "-noise-batch", "-1"}, 2, "-noise-batch"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr.String())
		}
	}
}
