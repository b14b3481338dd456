package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dbm "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/examples/rbm20"
	"github.com/ebmc/ebmc/internal/gentest/dbn"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
)

// tieTop makes the top RBM's marginal over its visible units the bottom
// RBM's marginal over its hidden units, up to a constant, when the top's
// other hidden units carry no weight: log p̃(h) = c·h + Σ_i softplus(b_i +
// (Wh)_i) below, b'·h + Σ_j softplus(c'_j + (W'ᵀh)_j) above, compared on
// every h. Controls: the top's visible biases left at zero, or one tied
// weight off, and the two marginals differ.
func TestTieTopGivesTheBottomsHiddenMarginal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomize := func(m runtime.Reflective) {
		for _, p := range m.Params() {
			for i := range p.Data {
				p.Data[i] = rng.NormFloat64()
			}
		}
	}
	bottom := dbn.NewTiny1(1).Reflect() // 4 visible × 3 hidden
	randomize(bottom)
	tied := func() runtime.Reflective {
		top := dbn.NewTinyWide(2).Reflect() // 3 visible × 6 hidden
		randomize(top)
		if err := tieTop(bottom, top); err != nil {
			t.Fatal(err)
		}
		w := top.Params()[0]
		for i := range w.Shape[0] {
			for j := 4; j < w.Shape[1]; j++ {
				w.Data[i*w.Shape[1]+j] = 0
			}
		}
		return top
	}
	if s := marginalSpread(bottom, tied()); s > 1e-12 {
		t.Errorf("the tied top's marginal differs from the bottom's hidden marginal by up to %.3g beyond a constant", s)
	}
	noBiases := tied()
	clear(noBiases.Params()[1].Data)
	oneOff := tied()
	oneOff.Params()[0].Data[1] += 0.1
	for name, top := range map[string]runtime.Reflective{"no visible biases": noBiases, "one weight off": oneOff} {
		if s := marginalSpread(bottom, top); s < 1e-3 {
			t.Errorf("control %q: the marginals agree to %.3g", name, s)
		}
	}
	if err := tieTop(dbn.NewTinyWide(3).Reflect(), bottom); err == nil {
		t.Error("tieTop accepted a top whose W is smaller than the bottom's Wᵀ")
	}
}

// TestTiedStartLogZ checks the log Z that AIS from the tied start rests
// on: the 3×6 top tied to the 4×3 bottom with its other units at zero has
// log Z = the bottom's + 2 log 2, both enumerated. Control: the same top
// with its other units' weights left random does not.
func TestTiedStartLogZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	bottom := dbn.NewTiny1(1).Reflect()
	for _, p := range bottom.Params() {
		for i := range p.Data {
			p.Data[i] = rng.NormFloat64()
		}
	}
	top := dbn.NewTinyWide(2).Reflect()
	extra, err := tiedStart(bottom, top)
	if err != nil {
		t.Fatal(err)
	}
	zb, err := bottom.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	zt, err := top.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	if extra != 2 || math.Abs(zt-(zb+float64(extra)*math.Ln2)) > 1e-12 {
		t.Errorf("log Z of the tied start %.15f with %d other units, want the bottom's %.15f + 2 log 2", zt, extra, zb)
	}
	w := top.Params()[0]
	w.Data[4], w.Data[w.Shape[1]+5] = 0.5, -0.7 // other units' weights, rows 0 and 1
	if zt2, _ := top.LogZ(0); math.Abs(zt2-(zb+2*math.Ln2)) < 1e-3 {
		t.Errorf("control: with the other units weighted, log Z %.6f still equals the bottom's + 2 log 2", zt2)
	}
	for _, s := range []any{dbnRecipe{TiedTop: true}, map[string]any{"top_started_from_bottom_transposed": true}} {
		if !topWasTied(s) {
			t.Errorf("topWasTied(%#v) = false", s)
		}
	}
	for _, s := range []any{dbnRecipe{}, map[string]any{}, nil, cdRecipe{}} {
		if topWasTied(s) {
			t.Errorf("topWasTied(%#v) = true", s)
		}
	}
	for _, rows := range []string{"mob10", "dbn,mob10"} {
		args := []string{"-rows", rows, "-data", t.TempDir(), "-out", t.TempDir(), "-tied-path"}
		if code := run(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("-rows %s -tied-path: exit %d, want 2 (refused)", rows, code)
		}
	}
}

// marginalSpread returns max − min over every binary h of log p̃_bottom(h)
// − log p̃_top(h): 0 when the two unnormalized marginals are proportional.
func marginalSpread(bottom, top runtime.Reflective) float64 {
	bp, tp := bottom.Params(), top.Params()
	bw, bb, bc := bp[0], bp[1].Data, bp[2].Data
	tw, tb, tc := tp[0], tp[1].Data, tp[2].Data
	nv, nh, th := bw.Shape[0], bw.Shape[1], tw.Shape[1]
	lo, hi := math.Inf(1), math.Inf(-1)
	for code := range 1 << nh {
		h := make([]float64, nh)
		for j := range h {
			h[j] = float64(code >> j & 1)
		}
		below, above := 0.0, 0.0
		for j := range nh {
			below += bc[j] * h[j]
			above += tb[j] * h[j]
		}
		for i := range nv {
			a := bb[i]
			for j := range nh {
				a += bw.Data[i*nh+j] * h[j]
			}
			below += softplus(a)
		}
		for k := range th {
			a := tc[k]
			for j := range nh {
				a += tw.Data[j*th+k] * h[j]
			}
			above += softplus(a)
		}
		lo, hi = min(lo, below-above), max(hi, below-above)
	}
	return hi - lo
}

// TestDBNBottomRestored checks -dbn-bottom: the DBN's bottom RBM is the
// saved one, bit for bit, after the top has trained on it (not trained,
// no biases reset), and table.json names the file and its sha256 (and,
// with -top-pcd, a top trained by PCD-1). The
// control, the same run without the flag, trains a bottom that differs.
// A checkpoint of another shape is refused with exit 1, and -dbn-bottom
// with -load with exit 2.
func TestDBNBottomRestored(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 500×2000 RBM for an epoch")
	}
	data := fakeMNIST(t, 200, 50)
	saved := rbm.NewRBM(7)
	rng := runtime.NewRNG(7, 1)
	for i := range saved.B {
		saved.B[i] = rng.Normal()
	}
	src := filepath.Join(t.TempDir(), "bottom.safetensors")
	if err := checkpoint.SaveCheckpoint(src, checkpoint.CheckpointOf(saved.Reflect(), nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	fast := []string{"-data", data, "-rows", "dbn", "-epochs", "1", "-temps", "20", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "0", "-curve-temps", "10", "-curve-runs", "2"}
	bottomAfter := func(extra ...string) (*rbm.RBM, Table) {
		out := t.TempDir()
		var stderr bytes.Buffer
		if code := run(append(append([]string{"-out", out}, fast...), extra...), io.Discard, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		m := rbm.NewRBM(1)
		if err := restore(m.Reflect(), filepath.Join(out, "dbn", "layer1.safetensors")); err != nil {
			t.Fatal(err)
		}
		var tab Table
		b, _ := os.ReadFile(filepath.Join(out, "table.json"))
		if err := json.Unmarshal(b, &tab); err != nil {
			t.Fatal(err)
		}
		return m, tab
	}
	same := func(m *rbm.RBM) bool {
		return slices.Equal(m.W, saved.W) && slices.Equal(m.B, saved.B) && slices.Equal(m.C, saved.C)
	}
	m, tab := bottomAfter("-dbn-bottom", src, "-top-pcd", "-reverse-runs", "2", "-burn", "2", "-raise-rows", "3", "-raise-runs", "2")
	if !same(m) {
		t.Error("-dbn-bottom: the saved layer 1 differs from the checkpoint it was restored from")
	}
	// -swapped-top (the default): the figure uses the higher of the two paths' log Z.
	r := tab.Rows[0]
	zv, zh, other := r.LogZ["top_ais_base_rates"], r.LogZ["top_ais_swapped"], r.Estimates["bound_other_top_path"]
	if zv.Method == "" || zh.Method == "" || other.Method == "" || r.LogZ["top_ais_swapped_reverse"].Method == "" ||
		r.Estimates["raise_swapped_subset"].Method == "" || r.Estimates["raise_swapped_minus_importance_subset"].Method == "" {
		t.Errorf("-swapped-top: table.json lacks a path's log Z, the swapped path's reverse AIS or RAISE, or the other path's bound (%q, %q, %q)", zv.Method, zh.Method, other.Method)
	}
	for _, w := range r.Warnings {
		if (strings.Contains(w, "log Z is not settled") && !strings.HasPrefix(w, "AIS over the top's")) || (strings.HasPrefix(w, "RAISE lies") && !strings.HasPrefix(w, "RAISE over the top's")) {
			t.Errorf("-swapped-top: a warning on log Z or RAISE does not say which path it is about: %q", w)
		}
	}
	if gap := other.Value - r.TestLogLik.Value; zv.Method != "" && zh.Method != "" && math.Abs(gap-math.Abs(zh.Value-zv.Value)) > 1e-9 {
		t.Errorf("-swapped-top: the other path's bound %.6f is %.6f above the figure %.6f, want |%.6f − %.6f|", other.Value, gap, r.TestLogLik.Value, zh.Value, zv.Value)
	}
	b, _ := os.ReadFile(src)
	settings, _ := json.Marshal(tab.Rows[0].Settings)
	if want := fmt.Sprintf("%x", sha256.Sum256(b)); !strings.Contains(string(settings), want) || !strings.Contains(string(settings), src) {
		t.Errorf("table.json settings %s name neither %s nor its sha256 %s", settings, src, want)
	}
	var rc dbnRecipe
	if err := json.Unmarshal(settings, &rc); err != nil || !rc.Top.Persistent || rc.Top.Chains != 100 || rc.Top.K != 1 {
		t.Errorf("-top-pcd: the top's settings in %s are not PCD-1 with 100 chains", settings)
	}
	m, tab = bottomAfter("-swapped-top=false")
	if same(m) {
		t.Error("control: the bottom trained without -dbn-bottom equals the saved one")
	}
	if r := tab.Rows[0]; r.LogZ["top_ais_swapped"].Method != "" || r.Estimates["bound_other_top_path"].Method != "" {
		t.Error("-swapped-top=false: table.json still has the swapped path's log Z or bound")
	}
	small := filepath.Join(t.TempDir(), "rbm20.safetensors")
	if err := checkpoint.SaveCheckpoint(small, checkpoint.CheckpointOf(rbm20.NewRBM(1).Reflect(), nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run(append([]string{"-out", t.TempDir(), "-dbn-bottom", small}, fast...), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "-dbn-bottom") {
		t.Errorf("a 784×20 bottom: exit %d, %q", code, stderr.String())
	}
	if code := run(append([]string{"-out", t.TempDir(), "-dbn-bottom", src, "-load", t.TempDir()}, fast...), io.Discard, io.Discard); code != 2 {
		t.Errorf("-dbn-bottom with -load: exit %d, want 2", code)
	}
}

// TestBudgetStopsSML checks that -budget ends the DBM's SML when it is
// spent and the run still evaluates and saves the model and its persistent
// chains, saying so in table.json; the control, without a budget, trains
// every epoch and warns of nothing. -sml-epochs sets SML's epochs and
// leaves the pretraining's. Reverse AIS starts from the row's own saved
// chains, of the run that trained it or of -load's, or from those
// -reverse-from names; -reverse-from noise (the control) starts it from
// noise.
func TestBudgetStopsSML(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains and evaluates a 784-500-1000 DBM")
	}
	data := fakeMNIST(t, 200, 50)
	fast := []string{"-data", data, "-rows", "dbm", "-epochs", "2", "-temps", "20", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "0", "-burn", "0", "-curve-temps", "10", "-curve-runs", "2"}
	var last string // the folder of the last run
	for _, c := range []struct {
		budget  string
		sml     string // -sml-epochs
		epochs  int
		warned  bool
		reverse string // -reverse-runs
	}{{"1ns", "0", 0, true, "0"}, {"0", "0", 2, false, "0"}, {"0", "3", 3, false, "1"}} {
		out := t.TempDir()
		last = out
		var stderr bytes.Buffer
		if code := run(append([]string{"-out", out, "-budget", c.budget, "-sml-epochs", c.sml}, append(fast, "-reverse-runs", c.reverse)...), io.Discard, &stderr); code != 0 {
			t.Fatalf("-budget %s: exit %d: %s", c.budget, code, stderr.String())
		}
		var tab Table
		b, _ := os.ReadFile(filepath.Join(out, "table.json"))
		if err := json.Unmarshal(b, &tab); err != nil {
			t.Fatal(err)
		}
		r := tab.Rows[0]
		warned := slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "-budget") })
		if r.Epochs != c.epochs || warned != c.warned || !finite(r.TestLogLik.Value) {
			t.Errorf("-budget %s: %d epochs, warned %v, test %v; want %d epochs, warned %v", c.budget, r.Epochs, warned, r.TestLogLik.Value, c.epochs, c.warned)
		}
		if _, err := os.Stat(filepath.Join(out, "dbm", "model.safetensors")); err != nil {
			t.Errorf("-budget %s: %v", c.budget, err)
		}
		// -sml-epochs leaves the pretraining at -epochs.
		settings, _ := json.Marshal(r.Settings)
		var rc dbmRecipe
		if err := json.Unmarshal(settings, &rc); err != nil || !slices.Equal(rc.PretrainEpochs, []int{2, 2}) {
			t.Errorf("-sml-epochs %s: pretraining epochs %v, want [2 2]", c.sml, rc.PretrainEpochs)
		}
		if !slices.Contains(r.Files, "dbm/"+chainsFile) {
			t.Errorf("-budget %s: files %v lack the persistent chains", c.budget, r.Files)
		}
		if gif := slices.Contains(r.Files, "dbm/"+chainsGIF); gif != (c.epochs > 0) {
			t.Errorf("-budget %s: %d epochs, files %v: want the chains' animation with an epoch or more", c.budget, c.epochs, r.Files)
		}
		own := filepath.Join(out, "dbm", chainsFile)
		if m := r.LogZ["ais_reverse"].Method; c.reverse != "0" && !strings.Contains(m, own) {
			t.Errorf("-budget %s: reverse AIS %q, want it from the run's own chains %s", c.budget, m, own)
		}
	}

	// -reverse-from starts reverse AIS from the saved chains (all 100 of
	// them); a checkpoint without chains, or a row other than the DBM, is
	// refused.
	chains := filepath.Join(last, "dbm", chainsFile)
	reverseFrom := func(from string, rows ...string) (int, string, Table) {
		out := t.TempDir()
		var stderr bytes.Buffer
		args := []string{"-out", out, "-load", last, "-data", data, "-temps", "20", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "1", "-burn", "0"}
		if from != "" {
			args = append(args, "-reverse-from", from)
		}
		code := run(append(args, rows...), io.Discard, &stderr)
		var tab Table
		b, _ := os.ReadFile(filepath.Join(out, "table.json"))
		json.Unmarshal(b, &tab)
		return code, stderr.String(), tab
	}
	if code, stderr, tab := reverseFrom(chains, "-rows", "dbm"); code != 0 {
		t.Errorf("-reverse-from %s: exit %d: %s", chains, code, stderr)
	} else if m := tab.Rows[0].LogZ["ais_reverse"].Method; !strings.Contains(m, "100 runs, 0 sweeps from the given states") || !strings.Contains(m, chains) {
		t.Errorf("-reverse-from: reverse AIS %q, want it from the 100 saved chains", m)
	}
	if code, stderr, tab := reverseFrom("", "-rows", "dbm"); code != 0 {
		t.Errorf("-load without -reverse-from: exit %d: %s", code, stderr)
	} else if m := tab.Rows[0].LogZ["ais_reverse"].Method; !strings.Contains(m, "100 runs, 0 sweeps from the given states") || !strings.Contains(m, chains) {
		t.Errorf("-load without -reverse-from: reverse AIS %q, want it from the loaded run's 100 chains", m)
	}
	if code, stderr, tab := reverseFrom(reverseFromNoise, "-rows", "dbm"); code != 0 {
		t.Errorf("-reverse-from noise: exit %d: %s", code, stderr)
	} else if m := tab.Rows[0].LogZ["ais_reverse"].Method; !strings.Contains(m, "1 runs") || strings.Contains(m, "given states") {
		t.Errorf("-reverse-from noise: reverse AIS %q, want one run burned in from noise", m)
	}
	if code, stderr, _ := reverseFrom(filepath.Join(last, "dbm", "model.safetensors"), "-rows", "dbm"); code != 1 || !strings.Contains(stderr, "holds no chain.v") {
		t.Errorf("-reverse-from a model without chains: exit %d: %s", code, stderr)
	}
	if code, _, _ := reverseFrom(chains, "-rows", "mob10"); code != 2 {
		t.Errorf("-reverse-from with -rows mob10: exit %d, want 2", code)
	}
}

// TestReverseFromFlag checks which rows and -reverse-runs -reverse-from
// takes before the run starts (accepted, the run goes on, here to the
// missing data: exit 1): a checkpoint only for the DBM alone with reverse
// runs, noise (and the default, the control) with any rows and runs.
func TestReverseFromFlag(t *testing.T) {
	for _, c := range []struct {
		from, rows, runs string
		code             int
	}{
		{"", "mob10", "20", 1},
		{"", "dbm", "0", 1},
		{reverseFromNoise, "mob10", "20", 1},
		{reverseFromNoise, "dbm", "0", 1},
		{"chains.safetensors", "dbm", "20", 1},
		{"chains.safetensors", "mob10", "20", 2},
		{"chains.safetensors", "dbm,mob10", "20", 2},
		{"chains.safetensors", "dbm", "0", 2},
	} {
		var stderr bytes.Buffer
		args := []string{"-data", t.TempDir(), "-out", t.TempDir(), "-rows", c.rows, "-reverse-runs", c.runs, "-reverse-from", c.from}
		if code := run(args, io.Discard, &stderr); code != c.code {
			t.Errorf("-reverse-from %q -rows %s -reverse-runs %s: exit %d (%s), want %d", c.from, c.rows, c.runs, code, stderr.String(), c.code)
		}
	}
}

// TestLoadedChains checks that a -load run leaves in its -out folder the
// persistent chains of the model it copies there, and their animation:
// the -load folder's, or none where that folder has none — an earlier
// run's left in -out (the control: "stale") would otherwise sit beside
// the copied model, and a later -load of -out would start the DBM's
// reverse AIS from those chains. A folder of an earlier build has chains
// without an animation.
func TestLoadedChains(t *testing.T) {
	r := &row{id: "dbm"}
	type files struct{ chains, gif string } // "": none
	for _, c := range []struct {
		name          string
		loaded, stale files // the -load folder's, and -out's before the run
		want          files // -out's after the run
	}{
		{"copied over stale", files{"loaded", "loaded gif"}, files{"stale", "stale gif"}, files{"loaded", "loaded gif"}},
		{"copied", files{"loaded", "loaded gif"}, files{}, files{"loaded", "loaded gif"}},
		{"no animation: stale removed", files{"loaded", ""}, files{"stale", "stale gif"}, files{"loaded", ""}},
		{"none: stale removed", files{}, files{"stale", "stale gif"}, files{}},
		{"none", files{}, files{}, files{}},
	} {
		load, out := t.TempDir(), t.TempDir()
		for _, f := range []struct {
			dir  string
			data files
		}{{out, c.stale}, {load, c.loaded}} {
			if err := os.MkdirAll(filepath.Join(f.dir, r.id), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range map[string]string{chainsFile: f.data.chains, chainsGIF: f.data.gif} {
				if data == "" {
					continue
				}
				if err := os.WriteFile(filepath.Join(f.dir, r.id, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		e := &env{o: options{load: load, out: out}}
		chains, anim, err := e.loadedChains(r, filepath.Join(out, r.id))
		if err != nil || chains != (c.want.chains != "") || anim != (c.want.gif != "") {
			t.Errorf("%s: holds chains %v, animation %v (%v), want %v, %v", c.name, chains, anim, err, c.want.chains != "", c.want.gif != "")
		}
		path := filepath.Join(out, r.id, chainsFile)
		for name, want := range map[string]string{chainsFile: c.want.chains, chainsGIF: c.want.gif} {
			if b, err := os.ReadFile(filepath.Join(out, r.id, name)); string(b) != want || (err != nil) != (want == "") {
				t.Errorf("%s: -out's %s %q (%v), want %q", c.name, name, b, err, want)
			}
		}
		// A later -load of -out starts reverse AIS from them, or from noise.
		later, want := (&env{o: options{load: out}}).reverseStart(r), ""
		if c.want.chains != "" {
			want = path
		}
		if later != want {
			t.Errorf("%s: a later -load of -out starts reverse AIS from %q, want %q", c.name, later, want)
		}
	}
}

// TestReverseChains checks which saved chains the DBM's reverse AIS
// starts from: the row's own when they carry its model's fingerprint, noise
// with a warning when they carry another model's (the control: the same
// file with the model it was saved with), an error when -reverse-from
// named such a file, and chains without a fingerprint (a trainer's
// checkpoint) whatever the model. -reverse-runs 0 reads nothing.
func TestReverseChains(t *testing.T) {
	saved, other := dbm.NewDBM(1).Reflect(), dbm.NewDBM(2).Reflect()
	tr, err := saved.NewTrainer(runtime.CDConfig{K: 1, Persistent: true, Chains: 3, BatchSize: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	load := t.TempDir()
	r := &row{id: "dbm"}
	own := filepath.Join(load, r.id, chainsFile)
	if err := os.MkdirAll(filepath.Dir(own), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := saveChains(own, saved, tr); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(load, "bare.safetensors") // the same chains, no fingerprint
	c, err := checkpoint.LoadCheckpoint(own)
	if err != nil {
		t.Fatal(err)
	}
	c.Meta = nil
	if err := checkpoint.SaveCheckpoint(bare, c); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		m           runtime.Reflective
		reverseFrom string
		runs        int
		from        string // "": noise
		warned, err bool
	}{
		{"own chains, their model", saved, "", 1, own, false, false},
		{"own chains, another model", other, "", 1, "", true, false},
		{"named, their model", saved, own, 1, own, false, false},
		{"named, another model", other, own, 1, "", false, true},
		{"no fingerprint", other, bare, 1, bare, false, false},
		{"noise", saved, reverseFromNoise, 1, "", false, false},
		{"no reverse AIS", other, own, 0, "", false, false},
	} {
		e := &env{o: options{load: load, out: t.TempDir(), reverseFrom: c.reverseFrom, reverseRuns: c.runs}, stdout: io.Discard}
		res := &Result{}
		from, start, err := e.reverseChains(r, c.m, res)
		if (err != nil) != c.err || from != c.from || (len(res.Warnings) > 0) != c.warned {
			t.Errorf("%s: from %q, warnings %q, error %v; want from %q, warned %v, error %v", c.name, from, res.Warnings, err, c.from, c.warned, c.err)
		}
		if (start != nil) != (from != "") || start != nil && len(start[0]) != 3*784 {
			t.Errorf("%s: %d layers of states from %q", c.name, len(start), from)
		}
	}
}

// TestDBNTopFlags checks how -top-lr, -top-pcd, -top-k and -k-ramp change
// the DBN top's recipe, and that without them (the control) the recipe is
// the row's; a negative -top-k is refused.
func TestDBNTopFlags(t *testing.T) {
	row := cdRecipe{K: 1, Epochs: 10, Rate: 0.05, Batch: 100}
	for _, c := range []struct {
		name string
		o    options
		want cdRecipe
	}{
		{"none", options{}, row},
		{"-top-lr", options{topRate: 0.01}, cdRecipe{K: 1, Epochs: 10, Rate: 0.01, Batch: 100}},
		{"-top-pcd", options{topPCD: true}, cdRecipe{K: 1, Persistent: true, Chains: 100, Epochs: 10, Rate: 0.05, Batch: 100}},
		{"-top-k", options{topK: 25}, cdRecipe{K: 25, Epochs: 10, Rate: 0.05, Batch: 100}},
		{"-top-k -k-ramp", options{topK: 25, kRamp: 2}, cdRecipe{K: 25, Epochs: 10, Rate: 0.05, Batch: 100, KRampEvery: 2}},
		{"-float32", options{float32: true}, cdRecipe{K: 1, Epochs: 10, Rate: 0.05, Batch: 100, Float32: true}},
	} {
		got := c.o.dbnTop(row)
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		cfg := got.config(1)
		if cfg.Float32 != c.want.Float32 {
			t.Errorf("%s: CDConfig.Float32 %v", c.name, cfg.Float32)
		}
		if wantK := min(c.want.K, 1+4/max(c.want.KRampEvery, 1)); c.want.KRampEvery > 0 && cfg.Steps(4) != wantK {
			t.Errorf("%s: CD-%d at epoch 4, want CD-%d", c.name, cfg.Steps(4), wantK)
		}
	}
	if code := run([]string{"-rows", "dbn", "-top-k", "-1"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("-top-k -1: exit %d, want 2", code)
	}
}

// TestRBMRowFlags checks each flag that changes an RBM row's recipe, and
// that the recipe's trainer configuration follows it.
func TestRBMRowFlags(t *testing.T) {
	row := cdRecipe{K: 3, Epochs: 20, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true}
	with := func(f func(*cdRecipe)) cdRecipe {
		rc := row
		f(&rc)
		return rc
	}
	none := options{momentum: -1, finalMomentum: -1, decay: -1}
	set := func(f func(*options)) options {
		o := none
		f(&o)
		return o
	}
	for _, c := range []struct {
		name string
		o    options
		want cdRecipe
	}{
		{"none", none, row},
		{"-lr", set(func(o *options) { o.rate = 0.01 }), with(func(r *cdRecipe) { r.Rate = 0.01 })},
		{"-momentum", set(func(o *options) { o.momentum = 0.9 }), with(func(r *cdRecipe) { r.Momentum = 0.9 })},
		{"-final-momentum", set(func(o *options) { o.finalMomentum = 0.9 }), with(func(r *cdRecipe) { r.FinalMomentum, r.MomentumEpochs = 0.9, 5 })},
		{"-decay", set(func(o *options) { o.decay = 1e-5 }), with(func(r *cdRecipe) { r.Decay = 1e-5 })},
		{"-decay 0", set(func(o *options) { o.decay = 0 }), with(func(r *cdRecipe) { r.Decay = 0 })},
		{"-k-ramp", set(func(o *options) { o.kRamp = 4 }), with(func(r *cdRecipe) { r.KRampEvery = 4 })},
		{"-k", set(func(o *options) { o.k = 25 }), with(func(r *cdRecipe) { r.K = 25 })},
		{"-float32", set(func(o *options) { o.float32 = true }), with(func(r *cdRecipe) { r.Float32 = true })},
		{"-biases base", set(func(o *options) { o.biases = "base" }), with(func(r *cdRecipe) { r.BaseBiases = true })},
		{"-schedule constant", set(func(o *options) { o.schedule = "constant" }), with(func(r *cdRecipe) { r.Linear = false })},
		{"-negative samples", set(func(o *options) { o.negative = "samples" }), with(func(r *cdRecipe) { r.MeanVisible = false })},
	} {
		got := c.o.rbmRow(row)
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		cfg := got.config(1)
		if cfg.Float32 != c.want.Float32 || cfg.MeanVisible != c.want.MeanVisible || cfg.Optimizer.LearningRate != c.want.Rate || cfg.Optimizer.WeightDecay != c.want.Decay || cfg.K != c.want.K {
			t.Errorf("%s: trainer configuration %+v does not follow the recipe", c.name, cfg)
		}
	}
	// -decay must be a finite λ ≥ 0, or -1 for the recipe's, and -k not
	// negative: the others are refused (exit 2) before any data is read;
	// the accepted ones (the control) fail later, on the missing data
	// (exit 1).
	for _, c := range []struct {
		flag, value string
		code        int
	}{
		{"-decay", "-0.5", 2}, {"-decay", "-2", 2}, {"-decay", "NaN", 2}, {"-decay", "+Inf", 2}, {"-decay", "-Inf", 2},
		{"-decay", "-1", 1}, {"-decay", "0", 1}, {"-decay", "1e-5", 1},
		{"-k", "-1", 2}, {"-k", "0", 1}, {"-k", "25", 1},
	} {
		var stderr bytes.Buffer
		if code := run([]string{"-data", t.TempDir(), "-out", t.TempDir(), "-rows", "rbm20-cd1", c.flag, c.value}, io.Discard, &stderr); code != c.code {
			t.Errorf("%s %s: exit %d (%s), want %d", c.flag, c.value, code, stderr.String(), c.code)
		}
	}
}

// TestRecipeMethods checks that every row's recipe names the training its
// row states (so table.md's column follows the flags that change it), and
// that a changed recipe names the change.
func TestRecipeMethods(t *testing.T) {
	for _, r := range rows() {
		switch {
		case r.cd != nil:
			if got := r.cd.method(); got != r.training {
				t.Errorf("%s: recipe %q, row %q", r.id, got, r.training)
			}
		case r.dbn != nil:
			if got := r.dbn.method(); got != r.training {
				t.Errorf("%s: recipe %q, row %q", r.id, got, r.training)
			}
		}
	}
	for _, c := range []struct {
		got, want string
	}{
		{cdRecipe{K: 25, KRampEvery: 4}.method(), "CD-1→25 (k + 1 every 4 epochs)"},
		{cdRecipe{K: 1, KRampEvery: 4}.method(), "CD-1"},
		{cdRecipe{K: 3, Persistent: true}.method(), "PCD-3"},
		{dbnRecipe{Bottom: cdRecipe{K: 1}, Top: cdRecipe{K: 25}, BottomFrom: "x", TiedTop: true}.method(), "greedy a restored RBM, then CD-25 on a tied top"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// TestRaiseBelow checks when a RAISE figure clearly below the estimate it
// checks makes a warning: only when the whole ±3σ interval of the paired
// difference lies below zero (the controls: an interval reaching zero or
// above, a missing upper end, RAISE above).
func TestRaiseBelow(t *testing.T) {
	f := func(v, lo, hi float64) Figure { return figure(v, lo, hi, "") }
	for _, c := range []struct {
		d    Figure
		want bool
	}{
		{f(-58.06, -59.67, -56.46), true},
		{f(-16.97, math.Inf(-1), -13.92), true},
		{f(-2.47, -4.0, -0.01), true},
		{f(-2.47, -5.0, 0.3), false},
		{f(-1, -3, 0), false},
		{f(0.45, math.Inf(-1), 1.61), false},
		{f(5.0, 2.1, 6.6), false},
		{f(-3, -4, math.Inf(1)), false},
	} {
		w, got := raiseBelow("the bound", 50, c.d)
		if got != c.want {
			t.Errorf("RAISE − estimate %v [%v, %v]: warned %v, want %v", c.d.Value, c.d.Low, c.d.High, got, c.want)
		}
		if got && !strings.Contains(w, "50 test images") {
			t.Errorf("warning %q does not name the images", w)
		}
	}
}
