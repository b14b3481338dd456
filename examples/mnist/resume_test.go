package main

import (
	"bytes"
	"encoding/json"
	"image/gif"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/imaging"
)

// TestResumeDBM trains the DBM row's SML for two epochs straight, and for
// one epoch and then one more with -resume: the model, the trainer's state
// and the curve must be the same bits. The negative control resumes from a
// checkpoint whose persistent chains were changed, which must change the
// model: the continuation reads the saved state rather than training
// again from the start. A folder written with other settings, a
// pretrained model that is not the progress file's, fewer epochs than the
// checkpoint holds and -resume on other rows are refused.
func TestResumeDBM(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains and trains a 784-500-1000 DBM four times")
	}
	data := fakeMNIST(t, 200, 50)
	fast := []string{"-data", data, "-rows", "dbm", "-dbm-recipe", "maxnorm", "-epochs", "1", "-temps", "20", "-ais-runs", "2",
		"-raise-rows", "0", "-reverse-runs", "0", "-curve-temps", "10", "-curve-runs", "2"}
	train := func(out string, extra ...string) {
		t.Helper()
		var stderr bytes.Buffer
		if code := run(append(append([]string{"-out", out}, extra...), fast...), io.Discard, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr.String())
		}
	}
	straight, split, control := t.TempDir(), t.TempDir(), t.TempDir()
	train(straight, "-sml-epochs", "2")
	train(split, "-sml-epochs", "1")
	train(split, "-sml-epochs", "2", "-resume")
	train(control, "-sml-epochs", "1")
	perturbChains(t, filepath.Join(control, "dbm", smlFile))
	train(control, "-sml-epochs", "2", "-resume")

	for _, name := range []string{"model.safetensors", smlFile} {
		if d := tensorsDiffer(t, filepath.Join(straight, "dbm", name), filepath.Join(split, "dbm", name)); d != "" {
			t.Errorf("%s after resuming: %s", name, d)
		}
	}
	// The chains' animation, a frame an epoch: its last frame is the first
	// 36 chains saved beside the model, and the resumed run's animation is
	// the straight run's, byte for byte.
	var gifs [2][]byte
	for i, dir := range []string{straight, split} {
		gifs[i], _ = os.ReadFile(filepath.Join(dir, "dbm", chainsGIF))
	}
	if !bytes.Equal(gifs[0], gifs[1]) {
		t.Errorf("%s of the resumed run is not the straight run's", chainsGIF)
	}
	if g, err := gif.DecodeAll(bytes.NewReader(gifs[0])); err != nil || len(g.Image) != 2 {
		t.Errorf("%s of the straight run: %v, want 2 frames", chainsGIF, err)
	} else if c, err := checkpoint.LoadCheckpoint(filepath.Join(straight, "dbm", chainsFile)); err != nil {
		t.Error(err)
	} else {
		v := c.Tensors[slices.IndexFunc(c.Tensors, func(t runtime.Tensor) bool { return t.Name == "chain.v" })].Data
		want := imaging.TileImage(v, framedChains, 28, 28, 6, false)
		if !slices.Equal(g.Image[1].Pix, want.Pix) {
			t.Errorf("the last frame of %s is not the saved chains", chainsGIF)
		}
	}
	if tensorsDiffer(t, filepath.Join(straight, "dbm", "model.safetensors"), filepath.Join(control, "dbm", "model.safetensors")) == "" {
		t.Error("resuming from changed chains gave the same model: the checkpoint's state was not used")
	}
	a, b := tableRow(t, straight), tableRow(t, split)
	if !slices.Equal(b.Resumed, []int{1}) || a.Resumed != nil || b.Epochs != 2 {
		t.Errorf("resumed at %v (straight run %v), %d epochs; want [1], none, 2", b.Resumed, a.Resumed, b.Epochs)
	}
	if len(a.Versions) != 1 || len(b.Versions) != 2 || b.Versions[0] != a.Versions[0] || b.Versions[1] != a.Versions[0] {
		t.Errorf("versions: straight %q, resumed %q; want one, and the same twice", a.Versions, b.Versions)
	}
	if len(a.Curve) != 3 || !slices.EqualFunc(a.Curve, b.Curve, func(p, q Point) bool {
		return p.Epoch == q.Epoch && math.Float64bits(p.Value) == math.Float64bits(q.Value)
	}) {
		t.Errorf("curves: straight %v, resumed %v", a.Curve, b.Curve)
	}
	if b.TrainSeconds < a.TrainSeconds/4 {
		t.Errorf("resumed run's training seconds %g leave out the first run's (straight: %g)", b.TrainSeconds, a.TrainSeconds)
	}

	// A folder whose pretrained model is not the one its progress file was
	// written with (a fresh run stopped before its first epoch, say).
	stale := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stale, "dbm"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{progressFile, smlFile, pretrainedFile} {
		b, err := os.ReadFile(filepath.Join(split, "dbm", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stale, "dbm", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := checkpoint.LoadCheckpoint(filepath.Join(stale, "dbm", pretrainedFile))
	if err != nil {
		t.Fatal(err)
	}
	c.Meta["key"] = "another run's"
	if err := checkpoint.SaveCheckpoint(filepath.Join(stale, "dbm", pretrainedFile), c); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"-out", stale, "-sml-epochs", "2", "-resume"}, 1, "is not the pretrained model"},
		{[]string{"-out", split, "-sml-epochs", "1", "-resume"}, 1, "more than the 1 asked for"},
		{[]string{"-out", split, "-sml-epochs", "2", "-resume", "-seed", "2"}, 1, "other settings"},
		{[]string{"-out", split, "-sml-epochs", "2", "-resume", "-dbm-recipe", "2009"}, 1, "other settings"},
		{[]string{"-out", split, "-resume", "-rows", "mob10"}, 2, "-rows dbm"},
		{[]string{"-out", split, "-resume", "-load", split}, 2, "-load"},
	} {
		var stderr bytes.Buffer
		if code := run(append(slices.Clone(fast), c.args...), io.Discard, &stderr); code != c.code || !strings.Contains(stderr.String(), c.says) {
			t.Errorf("%v: exit %d, %q; want exit %d saying %q", c.args, code, stderr.String(), c.code, c.says)
		}
	}
}

// perturbChains turns the first visible unit of every persistent chain in
// the checkpoint at path.
func perturbChains(t *testing.T, path string) {
	t.Helper()
	c, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(c.Tensors, func(x runtime.Tensor) bool { return x.Name == "chain.v" })
	if i < 0 {
		t.Fatalf("%s has no chain.v", path)
	}
	v := c.Tensors[i]
	for r := 0; r < v.Shape[0]; r++ {
		v.Data[r*v.Shape[1]] = 1 - v.Data[r*v.Shape[1]]
	}
	if err := checkpoint.SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
}

// tensorsDiffer describes the first tensor of two checkpoints whose name,
// shape or bits differ ("" if none does).
func tensorsDiffer(t *testing.T, p, q string) string {
	t.Helper()
	a, err := checkpoint.LoadCheckpoint(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := checkpoint.LoadCheckpoint(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tensors) != len(b.Tensors) {
		return "a different number of tensors"
	}
	for i, x := range a.Tensors {
		y := b.Tensors[i]
		if x.Name != y.Name || !slices.Equal(x.Shape, y.Shape) {
			return x.Name + " against " + y.Name
		}
		if !slices.EqualFunc(x.Data, y.Data, func(u, v float64) bool { return math.Float64bits(u) == math.Float64bits(v) }) {
			return x.Name + " holds other values"
		}
	}
	return ""
}

// tableRow reads the only row of dir's table.json.
func tableRow(t *testing.T, dir string) *Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tab Table
	if err := json.Unmarshal(b, &tab); err != nil || len(tab.Rows) != 1 {
		t.Fatalf("table.json: %v, %d rows", err, len(tab.Rows))
	}
	return tab.Rows[0]
}

// TestAISPathFlag checks that -ais-path takes visible and fewest (the
// run then goes on, here to the missing data) and refuses anything else
// before it starts.
func TestAISPathFlag(t *testing.T) {
	for _, c := range []struct {
		value string
		code  int
	}{{"fewest", 1}, {"visible", 1}, {"h1", 2}, {"", 2}} {
		var stderr bytes.Buffer
		args := []string{"-rows", "mob10", "-data", t.TempDir(), "-out", t.TempDir(), "-ais-path", c.value}
		if code := run(args, io.Discard, &stderr); code != c.code {
			t.Errorf("-ais-path %q: exit %d (%s), want %d", c.value, code, stderr.String(), c.code)
		}
	}
}

// TestProgressAddVersion: each sitting's build is recorded after those of
// the earlier sittings, with "unknown" for sittings a progress file from
// before the field did not record. As in trainDBM, the version is added
// before a resumed sitting appends its epoch to Resumed; after that,
// Versions holds one more than Resumed. The file of a single sitting
// before the field (Resumed empty, no Versions) is the case an off-by-one
// misses: its start must be "unknown", not this sitting's build.
func TestProgressAddVersion(t *testing.T) {
	for _, c := range []struct {
		p       dbmProgress
		resumed bool
		want    []string
	}{
		{dbmProgress{}, false, []string{"v"}},
		{dbmProgress{Versions: []string{"a"}}, true, []string{"a", "v"}},
		{dbmProgress{}, true, []string{"unknown", "v"}},
		{dbmProgress{Resumed: []int{3}, Versions: []string{"a", "b"}}, true, []string{"a", "b", "v"}},
		{dbmProgress{Resumed: []int{3, 7}}, true, []string{"unknown", "unknown", "unknown", "v"}},
		{dbmProgress{Resumed: []int{3, 7}, Versions: []string{"a"}}, true, []string{"a", "unknown", "unknown", "v"}},
	} {
		p := c.p
		p.addVersion("v", c.resumed)
		if c.resumed {
			p.Resumed = append(slices.Clone(p.Resumed), 9)
		}
		if !slices.Equal(p.Versions, c.want) || len(p.Versions) != len(p.Resumed)+1 {
			t.Errorf("%+v (resumed %v): versions %q with resumed %v, want %q, one more than resumed", c.p, c.resumed, p.Versions, p.Resumed, c.want)
		}
	}
}

// otherBuilds warns when a resumed run's earlier sittings ran another
// build, or one not known to be the same (dirty or unknown), and is silent
// for a fresh run and for sittings of one clean build (the control).
func TestOtherBuilds(t *testing.T) {
	for _, c := range []struct {
		versions []string
		warn     string // a part of the warning; "" for none
	}{
		{nil, ""},
		{[]string{"a"}, ""},
		{[]string{"a", "a"}, ""},
		{[]string{"a", "a", "a"}, ""},
		{[]string{"b", "a"}, "(b) than this one (a)"},
		{[]string{"b", "b", "c", "a"}, "(b, c) than this one (a)"},
		{[]string{"a+dirty", "a+dirty"}, "(a+dirty)"},
		{[]string{"unknown", "a"}, "(unknown)"},
	} {
		got := otherBuilds(c.versions)
		if (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
			t.Errorf("%q: %q, want one containing %q", c.versions, got, c.warn)
		}
	}
}
