package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dbm "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/mnist/models"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// fakeMNIST writes IDX files of random grey blobs in MNIST's layout, so the
// tests need no data set.
func fakeMNIST(t *testing.T, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	rng := runtime.NewRNG(3, 0)
	for name, rows := range map[string]int{"train-images-idx3-ubyte.gz": train, "t10k-images-idx3-ubyte.gz": test} {
		d := &dataset.Dataset{Rows: rows, Cols: 784, X: make([]float64, rows*784)}
		for r := range rows {
			cx, cy := 8+rng.Intn(12), 8+rng.Intn(12)
			for y := range 28 {
				for x := range 28 {
					dd := float64((x-cx)*(x-cx) + (y-cy)*(y-cy))
					d.X[r*784+y*28+x] = math.Round(255*math.Exp(-dd/30)) / 255
				}
			}
		}
		if err := dataset.SaveIDX(filepath.Join(dir, name), d, []int{rows, 28, 28}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPrepare checks the images a run trains and evaluates on: with
// -train-data binarized the trainers see the binarized training images
// themselves; with grey (the control's difference) their grey levels,
// while the figures' images — training, held-out and test — are the same
// binarized ones either way; the held-out images are the last training
// images in both. An unknown -train-data is refused.
func TestPrepare(t *testing.T) {
	g := &grey{train: &dataset.Dataset{Rows: 6, Cols: 784, X: make([]float64, 6*784)}, test: &dataset.Dataset{Rows: 2, Cols: 784, X: make([]float64, 2*784)}}
	for i := range g.train.X {
		g.train.X[i] = float64(i%256) / 255
	}
	for i := range g.test.X {
		g.test.X[i] = float64((i*7)%256) / 255
	}
	o := options{binarize: stochastic, dataSeed: 1, validation: 2}
	o.trainData = trainBinarized
	bin, err := prepare(g, o)
	if err != nil {
		t.Fatal(err)
	}
	o.trainData = trainGrey
	gr, err := prepare(g, o)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := binarize(g.train, stochastic, 1, trainStream)
	head, tail := all.Split(4)
	for _, c := range []struct {
		name string
		s    *dataSets
		fit  []float64
	}{{"binarized", bin, head.X}, {"grey", gr, g.train.X[:4*784]}} {
		if !slices.Equal(c.s.train.X, head.X) || !slices.Equal(c.s.valid.X, tail.X) || c.s.train.Rows != 4 || c.s.valid.Rows != 2 {
			t.Errorf("%s: training images %d, held out %d, not the first 4 and last 2 binarized images", c.name, c.s.train.Rows, c.s.valid.Rows)
		}
		if !slices.Equal(c.s.fit.X, c.fit) || c.s.fit.Rows != 4 {
			t.Errorf("%s: the trainers see %d rows, not the %s first 4", c.name, c.s.fit.Rows, c.name)
		}
		if test, _ := binarize(g.test, stochastic, 1, testStream); !slices.Equal(c.s.test.X, test.X) {
			t.Errorf("%s: the test images are not the binarized ones", c.name)
		}
	}
	if slices.Equal(bin.fit.X, gr.fit.X) {
		t.Error("the grey levels are the binarized images")
	}
	o.trainData = "soft"
	if _, err := prepare(g, o); err == nil {
		t.Error("-train-data soft was accepted")
	}
}

func TestBinarize(t *testing.T) {
	g := &dataset.Dataset{Rows: 200, Cols: 784, X: make([]float64, 200*784)}
	for i := range g.X {
		g.X[i] = float64(i%256) / 255
	}
	a, err := binarize(g, stochastic, 1, trainStream)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := binarize(g, stochastic, 1, trainStream)
	c, _ := binarize(g, stochastic, 2, trainStream)
	d, _ := binarize(g, stochastic, 1, testStream)
	if !slices.Equal(a.X, b.X) {
		t.Error("the same seed gave different images")
	}
	if slices.Equal(a.X, c.X) || slices.Equal(a.X, d.X) {
		t.Error("another seed or stream gave the same images")
	}
	// Each pixel is 1 with probability g: the mean matches within 4σ.
	want, got, variance := 0.0, 0.0, 0.0
	for i, p := range g.X {
		want += p
		got += a.X[i]
		variance += p * (1 - p)
		if p == 0 && a.X[i] != 0 || p == 1 && a.X[i] != 1 {
			t.Fatalf("pixel %d: grey %g gave %g", i, p, a.X[i])
		}
	}
	if math.Abs(got-want) > 4*math.Sqrt(variance) {
		t.Errorf("%g ones, want %g ± %g", got, want, 4*math.Sqrt(variance))
	}
	th, _ := binarize(g, threshold, 1, 0)
	for i, p := range g.X {
		if (p > 0.5) != (th.X[i] == 1) {
			t.Fatalf("threshold: pixel %d grey %g gave %g", i, p, th.X[i])
		}
	}
	if _, err := binarize(g, "dither", 1, 0); err == nil {
		t.Error("an unknown binarization was accepted")
	}
}

func TestPick(t *testing.T) {
	table := rows()
	for _, c := range []struct {
		spec string
		want []string
		err  string
	}{
		{"default", []string{"rbm20-cd1", "rbm20-pcd", "mob10", "mob100", "mob500"}, ""},
		{"mob10, rbm20-cd1,mob10", []string{"mob10", "rbm20-cd1"}, ""},
		{"all", nil, ""},
		{"rbm9000", nil, `no row "rbm9000"`},
	} {
		got, err := pick(table, c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.id)
		}
		if c.want == nil {
			c.want = ids[:0]
			for _, r := range table {
				c.want = append(c.want, r.id)
			}
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("%q: rows %v, want %v", c.spec, ids, c.want)
		}
	}
}

// TestNaiveMixtureCatchesADifference is the negative control of the
// independent check: a changed parameter shows.
func TestNaiveMixtureCatchesADifference(t *testing.T) {
	m := models.NewMoB10(1)
	d := &dataset.Dataset{Rows: 3, Cols: 784, X: make([]float64, 3*784)}
	for i := range d.X {
		d.X[i] = float64(i % 2)
	}
	r := m.Reflect()
	z, err := r.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	ll, _ := estimators.LogLikelihood(r, d, z)
	nz, nll, err := naiveMixture(r, d)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(nz-z) > 1e-9 || math.Abs(nll-ll) > 1e-9 {
		t.Errorf("independent log Z %g, log-likelihood %g; generated %g, %g", nz, nll, z, ll)
	}
	m.C[3] += 0.01
	if nz2, _, _ := naiveMixture(r, d); math.Abs(nz2-z) < 1e-4 {
		t.Errorf("a changed parameter moved the independent log Z by only %g", nz2-z)
	}
}

// TestTable runs two quick rows on fake images end to end: the table, the
// saved models, the test images and the pictures, and the exact figures
// against the independent evaluation to 1e-6 nats.
// pairedDifference: the images' common part cancels (here a spread of
// ±50 nats across images, with differences of 0.1 ± 0.01), leaving an
// interval set by the differences and by log Z's interval; the spread
// across images would give an interval a thousand times wider.
func TestPairedDifference(t *testing.T) {
	var raise, other []float64
	for r := range 100 {
		img := 50 * math.Sin(float64(r))
		raise = append(raise, img+0.1+0.01*math.Cos(float64(3*r)))
		other = append(other, img)
	}
	for _, c := range []struct {
		zLow, zHigh float64
		low, high   float64 // the interval's half-widths, roughly
	}{
		{0, 0, 0.0021, 0.0021},  // 3 s.e. of differences with sd ≈ 0.0071
		{-1, 0.5, 1, 0.5},       // log Z's interval dominates
		{math.Inf(-1), 0, 0, 0}, // no lower end
	} {
		f := pairedDifference(raise, other, 0, c.zLow, c.zHigh, "")
		if math.Abs(f.Value-0.1) > 0.003 {
			t.Errorf("z in [%g, %g]: mean %g, want 0.1", c.zLow, c.zHigh, f.Value)
		}
		if math.IsInf(c.zLow, -1) {
			if f.Low != nil {
				t.Errorf("an unbounded log Z gave a lower end %g", *f.Low)
			}
			continue
		}
		lo, hi := f.Value-*f.Low, *f.High-f.Value
		if math.Abs(lo-c.low) > 0.1*c.low || math.Abs(hi-c.high) > 0.1*c.high {
			t.Errorf("z in [%g, %g]: half-widths %.4g, %.4g, want about %g, %g", c.zLow, c.zHigh, lo, hi, c.low, c.high)
		}
	}
}

func TestTable(t *testing.T) {
	if testing.Short() {
		t.Skip("enumerates 2²⁰ hidden states twice")
	}
	data := fakeMNIST(t, 400, 100)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-data", data, "-out", out, "-rows", "rbm20-cd1,mob10", "-epoch-scale", "0.03"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var tab Table
	b, err := os.ReadFile(filepath.Join(out, "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Data.TestRows != 100 || tab.Data.TrainRows != 400 || tab.Version == "" {
		t.Fatalf("table: %d rows, data %+v, version %q", len(tab.Rows), tab.Data, tab.Version)
	}
	for _, r := range tab.Rows {
		if r.Check == nil || r.Check.LogZDiff > 1e-6 || r.Check.LogLikDiff > 1e-6 {
			t.Errorf("%s: independent check %+v", r.ID, r.Check)
		}
		if len(r.Curve) != r.Epochs || r.Epochs < 1 || !finite(r.TestLogLik.Value) || len(r.Published) == 0 {
			t.Errorf("%s: %d epochs, curve %v, test %v", r.ID, r.Epochs, r.Curve, r.TestLogLik)
		}
		for _, f := range r.Files {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
		ck, err := checkpoint.LoadCheckpoint(filepath.Join(out, r.ID, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if ck.Meta["row"] != r.ID {
			t.Errorf("%s: checkpoint metadata %v", r.ID, ck.Meta)
		}
	}
	// The test images written are exactly those evaluated.
	saved, err := dataset.LoadIDX(filepath.Join(out, tab.Data.TestFile))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := loadGrey(data)
	want, _ := binarize(g.test, stochastic, 1, testStream)
	if !slices.Equal(saved.X, want.X) {
		t.Error("the saved test images differ from the binarized test set")
	}
	md, _ := os.ReadFile(filepath.Join(out, "table.md"))
	if !strings.Contains(string(md), "| mob10 |") || !strings.Contains(string(md), "-164.50") {
		t.Errorf("table.md:\n%s", md)
	}

	// -load evaluates the saved models again: the exact figures are the
	// same to the bit, the rows keep their settings and curves, and the
	// models are copied as they were (the seed in their metadata is the
	// training run's, not the evaluation's -seed).
	again := t.TempDir()
	if code := run([]string{"-data", data, "-out", again, "-rows", "rbm20-cd1,mob10", "-load", out, "-seed", "7"}, &stdout, &stderr); code != 0 {
		t.Fatalf("-load: exit %d: %s", code, stderr.String())
	}
	var tab2 Table
	b, _ = os.ReadFile(filepath.Join(again, "table.json"))
	if err := json.Unmarshal(b, &tab2); err != nil {
		t.Fatal(err)
	}
	if tab2.Loaded != out || len(tab2.Rows) != 2 {
		t.Fatalf("-load: table from %q with %d rows", tab2.Loaded, len(tab2.Rows))
	}
	for _, id := range []string{"rbm20-cd1", "mob10"} {
		a, _ := os.ReadFile(filepath.Join(out, id, "model.safetensors"))
		b, _ := os.ReadFile(filepath.Join(again, id, "model.safetensors"))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: -load wrote a model.safetensors of %d bytes that differs from the saved one (%d bytes)", id, len(b), len(a))
		}
	}
	for i, r := range tab2.Rows {
		if r.TestLogLik.Value != tab.Rows[i].TestLogLik.Value || r.Epochs != tab.Rows[i].Epochs || len(r.Curve) != len(tab.Rows[i].Curve) {
			t.Errorf("%s: re-evaluated %v after %d epochs, saved run %v after %d", r.ID, r.TestLogLik.Value, r.Epochs, tab.Rows[i].TestLogLik.Value, tab.Rows[i].Epochs)
		}
	}
}

// TestDocumentedFigures guards the exact figures docs/mnist.md reports:
// every row of docs/results/mnist/*/table.json measured exactly is
// evaluated again from its saved model on the saved binarized test images
// (the IDX file whose sha256 the table records), and must give the
// documented test log-likelihood to 1e-9 nats. A model or a table edited
// by hand, a change of the evaluation, or a change of the test images
// fails it.
// documentedFigure recomputes a row's documented test figure from its
// saved model, the saved test images and, where log Z was estimated, the
// documented log Z: exact figures enumerate log Z again; the 500-hidden
// RBMs' are −F(v) − log Z; the DBM's the mean-field bound with the
// table's mean-field settings. Figures it cannot recompute without
// sampling (the DBN's) return ok false. It returns the model too, for the
// negative control.
func documentedFigure(t *testing.T, r *row, res *Result, dir string, test *dataset.Dataset) (v float64, m runtime.Reflective, ok bool) {
	t.Helper()
	var err error
	path := filepath.Join(dir, res.ID, "model.safetensors")
	eval := func(m runtime.Reflective) float64 {
		switch {
		case strings.HasPrefix(res.TestLogLik.Method, "exact"):
			z, err := m.LogZ(0)
			if err != nil {
				t.Fatal(err)
			}
			ll, err := estimators.LogLikelihood(m, test, z)
			if err != nil {
				t.Fatal(err)
			}
			return ll
		case r.dbm != nil:
			var rc dbmRecipe
			b, _ := json.Marshal(res.Settings)
			if err := json.Unmarshal(b, &rc); err != nil || rc.MeanFieldIters == 0 {
				t.Fatalf("%s/%s: settings %s: %v", filepath.Base(dir), res.ID, b, err)
			}
			e, err := deep.ELBO(m, test, res.LogZ["ais_base_rates"].Value, deep.ELBOConfig{Iters: rc.MeanFieldIters, Tol: rc.MeanFieldTol})
			if err != nil {
				t.Fatal(err)
			}
			return e.Mean
		default:
			ll, err := estimators.LogLikelihood(m, test, res.LogZ["ais_base_rates"].Value)
			if err != nil {
				t.Fatal(err)
			}
			return ll
		}
	}
	switch {
	case r.dbn != nil:
		return 0, nil, false
	case r.dbm != nil:
		if _, found := res.LogZ["ais_base_rates"]; !found {
			return 0, nil, false
		}
		m = dbm.NewDBM(1).Reflect()
	case r.cd != nil:
		if m, _, err = r.newModel(1, r.cd.config(1)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.TestLogLik.Method, "exact") {
			if _, found := res.LogZ["ais_base_rates"]; !found {
				return 0, nil, false
			}
		}
	default:
		if m, _, err = r.newModel(1, runtime.CDConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := restore(m, path); err != nil {
		t.Fatal(err)
	}
	return eval(m), m, true
}

// TestDocumentedFigures recomputes every documented figure under
// docs/results/mnist that follows deterministically from what was saved —
// the model, the binarized test images and, for estimated figures, log Z —
// and fails if one moves by more than 10⁻⁹ nats. A model whose weights
// moved by 10⁻⁴ must fail the same check (the negative control, once per
// kind of figure; for the DBM's bound on the first 500 test images, against
// the saved model's on the same images). Each figure's seconds are logged.
func TestDocumentedFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("enumerates 2²⁰ hidden states per 20-hidden RBM and runs mean field on 10,000 images per DBM")
	}
	// Every exact and AIS figure is recomputed; of the DBM's, each a few
	// minutes of mean field on 10,000 images, those of headlineDBM, and all
	// of them with EBMC_ALL_FIGURES=1 (so that go test ./... stays within
	// its 10-minute limit on a 2-core AVX2 machine).
	all := os.Getenv("EBMC_ALL_FIGURES") != ""
	tables, err := filepath.Glob("../../docs/results/mnist/*/table.json")
	if err != nil || len(tables) == 0 {
		t.Fatalf("no documented tables: %v", err)
	}
	byID := map[string]*row{}
	for _, r := range rows() {
		byID[r.id] = r
	}
	checked := map[string]int{}
	for _, path := range tables {
		dir := filepath.Dir(path)
		var tab Table
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &tab); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		test, err := dataset.LoadIDX(filepath.Join(dir, tab.Data.TestFile))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := idxSHA256(test)
		if err != nil || sum != tab.Data.TestSHA256 {
			t.Fatalf("%s: sha256 %s, the table says %s (%v)", tab.Data.TestFile, sum, tab.Data.TestSHA256, err)
		}
		for i := range tab.Rows {
			res := tab.Rows[i]
			r := byID[res.ID]
			if r == nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, res.ID, "model.safetensors")); err != nil {
				continue // evaluated again elsewhere, its model saved with the first run
			}
			if r.dbm != nil && !all && !headlineDBM[filepath.Base(dir)] {
				continue // mean field on 10,000 images, minutes a model: EBMC_ALL_FIGURES=1
			}
			start := time.Now()
			ll, m, ok := documentedFigure(t, r, res, dir, test)
			if !ok {
				continue
			}
			t.Logf("%s/%s: %.1fs", filepath.Base(dir), res.ID, time.Since(start).Seconds())
			if d := ll - res.TestLogLik.Value; math.Abs(d) > 1e-9 {
				t.Errorf("%s/%s: test figure %.9f from the saved model, %.9f documented (off by %.2g)", filepath.Base(dir), res.ID, ll, res.TestLogLik.Value, d)
			}
			kind := "ais"
			switch {
			case r.dbm != nil:
				kind = "dbm"
			case strings.HasPrefix(res.TestLogLik.Method, "exact"):
				kind = "exact"
			}
			if checked[kind] == 0 { // negative control: the weights moved by 10⁻⁴ are caught
				images, want := test, res.TestLogLik.Value
				if kind == "dbm" { // on the first 500 images: mean field on all of them takes minutes
					images, _ = test.Split(500)
					want, _, _ = documentedFigure(t, r, res, dir, images)
				}
				p := m.Params()[0]
				for k := range p.Data {
					p.Data[k] += 1e-4
				}
				dir2 := t.TempDir()
				if err := os.MkdirAll(filepath.Join(dir2, res.ID), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := checkpoint.SaveCheckpoint(filepath.Join(dir2, res.ID, "model.safetensors"), checkpoint.CheckpointOf(m, nil, nil, nil)); err != nil {
					t.Fatal(err)
				}
				if ll2, _, _ := documentedFigure(t, r, res, dir2, images); math.Abs(ll2-want) <= 1e-9 {
					t.Errorf("%s: a perturbed model passes the check (%v)", res.ID, ll2)
				}
			}
			checked[kind]++
		}
	}
	t.Logf("documented figures recomputed, by kind: %v", checked)
	for _, kind := range []string{"exact", "ais", "dbm"} {
		if checked[kind] == 0 {
			t.Errorf("no %s figure found to check", kind)
		}
	}
}

// headlineDBM names the results folders whose DBM figures go test ./...
// recomputes: the row's figure in docs/mnist.md (−95.76, 80 epochs on the
// grey levels with the centered gradient) and the reference recipe's run.
var headlineDBM = map[string]bool{"dbm-grey80-centered": true, "dbm-maxnorm": true}

// -validation holds out the last training images and records their
// log-likelihood per epoch; -early-stop saves the parameters of the best
// of those epochs: the saved model's validation log-likelihood (log Z
// enumerated again) is the curve's maximum. The control, without
// -early-stop, saves the last epoch's. -early-stop without -validation is
// refused.
func TestEarlyStop(t *testing.T) {
	if testing.Short() {
		t.Skip("enumerates 2²⁰ hidden states per epoch")
	}
	data := fakeMNIST(t, 400, 50)
	g, _ := loadGrey(data)
	train, _ := binarize(g.train, stochastic, 1, trainStream)
	_, valid := train.Split(300)
	byID := map[string]*row{}
	for _, r := range rows() {
		byID[r.id] = r
	}
	saved := func(args ...string) (Result, float64) {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		args = append([]string{"-data", data, "-out", out, "-rows", "rbm20-pcd", "-epochs", "3", "-validation", "100", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "0", "-check-exact=false"}, args...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var tab Table
		b, _ := os.ReadFile(filepath.Join(out, "table.json"))
		if err := json.Unmarshal(b, &tab); err != nil {
			t.Fatal(err)
		}
		if tab.Data.TrainRows != 300 || tab.Data.ValidationRows != 100 || len(tab.Rows) != 1 {
			t.Fatalf("data %+v, %d rows", tab.Data, len(tab.Rows))
		}
		if tab.Rows[0].Check != nil {
			t.Errorf("-check-exact=false: the independent evaluation ran (%+v)", tab.Rows[0].Check)
		}
		if c, err := os.ReadFile(filepath.Join(out, "rbm20-pcd", "curve.json")); err != nil || !strings.Contains(string(c), `"validation_points"`) {
			t.Errorf("curve.json has no validation points (%v)", err)
		}
		r := byID["rbm20-pcd"]
		m, _, err := r.newModel(1, r.cd.config(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := restore(m, filepath.Join(out, "rbm20-pcd", "model.safetensors")); err != nil {
			t.Fatal(err)
		}
		z, err := m.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		ll, err := estimators.LogLikelihood(m, valid, z)
		if err != nil {
			t.Fatal(err)
		}
		return *tab.Rows[0], ll
	}
	res, ll := saved("-early-stop")
	if len(res.Validation) != 3 {
		t.Fatalf("validation curve %v, want 3 epochs", res.Validation)
	}
	best := res.Validation[0]
	for _, p := range res.Validation {
		if p.Value > best.Value {
			best = p
		}
	}
	if res.StoppedAt != best.Epoch || math.Abs(ll-best.Value) > 1e-9 {
		t.Errorf("early stop kept epoch %d with validation %.9f; the curve's best is epoch %d, %.9f", res.StoppedAt, ll, best.Epoch, best.Value)
	}
	res, ll = saved()
	if last := res.Validation[len(res.Validation)-1]; res.StoppedAt != 0 || math.Abs(ll-last.Value) > 1e-9 {
		t.Errorf("without -early-stop: kept epoch %d, validation %.9f, the last epoch's %.9f", res.StoppedAt, ll, last.Value)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-data", data, "-out", t.TempDir(), "-rows", "rbm20-pcd", "-early-stop"}, &stdout, &stderr); code != 2 {
		t.Errorf("-early-stop without -validation: exit %d, want 2", code)
	}
}

// TestFloorH1Off checks the DBM evaluation's exact floor on log Z against
// Σ softplus(b) + Σ softplus(c2) written out, its warning (raised for an
// AIS estimate whose interval lies below the floor, not for one above it)
// and the learning curve's log Z, the floor in the first case and AIS in
// the second (each case the other's control).
func TestFloorH1Off(t *testing.T) {
	d := dbm.NewDBM(1)
	rng := runtime.NewRNG(1, 5)
	for _, p := range [][]float64{d.B, d.C1, d.C2} {
		for i := range p {
			p[i] = rng.Normal()
		}
	}
	sp := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
		}
		return s
	}
	want := sp(d.B) + sp(d.C2)
	for _, c := range []struct {
		name string
		ais  float64
		warn bool
	}{
		{"AIS below the floor", want - 5, true},
		{"AIS above the floor", want + 5, false},
	} {
		e := &env{stdout: io.Discard}
		res := &Result{LogZ: map[string]Figure{}}
		z := &estimators.Estimate{LogZ: c.ais, Low: c.ais - 1, High: c.ais + 1}
		if err := e.floorH1Off(d.Reflect(), z, res); err != nil {
			t.Fatal(err)
		}
		if got := res.LogZ["floor_h1_off"].Value; math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: floor %.12f, want %.12f", c.name, got, want)
		}
		if warned := len(res.Warnings) > 0; warned != c.warn {
			t.Errorf("%s: warned %v, want %v (%q)", c.name, warned, c.warn, res.Warnings)
		}
		if got := curveLogZ(d.Reflect(), c.ais); math.Abs(got-max(c.ais, want)) > 1e-9 {
			t.Errorf("%s: the curve's log Z %.12f, want the larger of %.12f and the floor %.12f", c.name, got, c.ais, want)
		}
	}
}

// TestBoundUnderFloor checks the DBM curve's last floor: four distinct
// images whose bounds sum to more than one are lowered together by log of
// the excess, and bounds that leave room (the control) are kept; a
// repeated image counts once.
func TestBoundUnderFloor(t *testing.T) {
	four := &dataset.Dataset{Rows: 4, Cols: 2, X: []float64{0, 0, 0, 1, 1, 0, 1, 1}}
	twice := &dataset.Dataset{Rows: 2, Cols: 2, X: []float64{0, 1, 0, 1}}
	for _, c := range []struct {
		name string
		data *dataset.Dataset
		rows []float64
		want float64 // of the mean of rows
	}{
		{"each 1/2: two too many", four, []float64{math.Log(0.5), math.Log(0.5), math.Log(0.5), math.Log(0.5)}, math.Log(0.5) - math.Log(2)},
		{"each 1/8: room", four, []float64{math.Log(0.125), math.Log(0.125), math.Log(0.125), math.Log(0.125)}, math.Log(0.125)},
		{"e^3 and e^1 summing to e^3+e^1", four, []float64{3, 1, -50, -50}, (3+1-100)/4.0 - math.Log(math.Exp(3)+math.Exp(1)+2*math.Exp(-50))},
		{"the same image twice at 0.7", twice, []float64{math.Log(0.7), math.Log(0.7)}, math.Log(0.7)},
	} {
		mean := 0.0
		for _, r := range c.rows {
			mean += r / float64(len(c.rows))
		}
		if got := boundUnderFloor(c.data, mean, c.rows); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %.15f, want %.15f", c.name, got, c.want)
		}
	}
}

// TestDBMChainStart checks where -dbm-chains starts the DBM's persistent
// chains: at training images (every chain's v is one of the rows) or, with
// noise, away from them (no chain's v is a row; the mean of v near ½, 5σ
// of 100 × 784 fair coins ≈ 0.009); each case is the other's control.
// A value other than data or noise is refused.
func TestDBMChainStart(t *testing.T) {
	rng := runtime.NewRNG(2, 3)
	train := &dataset.Dataset{Rows: 20, Cols: 784, X: make([]float64, 20*784)}
	for i := range train.X {
		train.X[i] = rng.Bernoulli(0.1)
	}
	for _, noise := range []bool{false, true} {
		m := models.NewDBM100(1).Reflect()
		tr, err := m.NewTrainer(runtime.CDConfig{K: 1, Persistent: true, Chains: 100, BatchSize: 10, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		dbmRecipe{ChainsFromNoise: noise}.startChains(m, tr, train, 1)
		var v []float64
		for _, s := range tr.State() {
			if s.Name == "chain.v" {
				v = s.Data
			}
		}
		rows, mean := 0, 0.0
		for c := 0; c < 100; c++ {
			row := v[c*784 : (c+1)*784]
			for r := 0; r < train.Rows; r++ {
				if slices.Equal(row, train.X[r*784:(r+1)*784]) {
					rows++
					break
				}
			}
			for _, x := range row {
				mean += x / (100 * 784)
			}
		}
		switch {
		case !noise && rows != 100:
			t.Errorf("data: %d of 100 chains start at a training image", rows)
		case noise && (rows != 0 || math.Abs(mean-0.5) > 0.009):
			t.Errorf("noise: %d chains at training images, mean of v %.4f", rows, mean)
		}
	}
	// Refused before any data is read: with a known value the missing
	// data folder fails the run later, with exit 1 (the control).
	for _, c := range []struct {
		value string
		code  int
	}{{"images", 2}, {"noise", 1}} {
		args := []string{"-rows", "mob10", "-data", t.TempDir(), "-out", t.TempDir(), "-dbm-chains", c.value}
		if code := run(args, io.Discard, io.Discard); code != c.code {
			t.Errorf("-dbm-chains %s: exit %d, want %d", c.value, code, c.code)
		}
	}
}

// TestMaxNormRecipe checks that -dbm-recipe maxnorm trains with the
// reference's optimizer — incoming weights of norm at most 6, rate 2·10⁻³
// falling geometrically to 5·10⁻⁶ at epoch 400, no momentum, one Gibbs
// sweep — while the 2009 recipe has no norm bound (the control), and that
// other values are refused before any data is read.
func TestMaxNormRecipe(t *testing.T) {
	r := dbmRow(t)
	base := *r.dbm
	o := maxNormRecipe(base).optimizer()
	if o.MaxNorm != 6 || o.LearningRate != 2e-3 || o.Momentum != 0 || o.WeightDecay != 1e-7 || maxNormRecipe(base).K != 1 {
		t.Errorf("maxnorm optimizer %+v", o)
	}
	for _, c := range []struct {
		epoch int
		rate  float64
	}{{0, 2e-3}, {200, math.Sqrt(2e-3 * 5e-6)}, {400, 5e-6}, {450, 5e-6}} {
		if got := o.LearningRate * o.Schedule(c.epoch); math.Abs(got-c.rate) > 1e-15 {
			t.Errorf("maxnorm rate at epoch %d: %g, want %g", c.epoch, got, c.rate)
		}
	}
	if o := base.optimizer(); o.MaxNorm != 0 {
		t.Errorf("the 2009 recipe bounds the norms at %v", o.MaxNorm)
	}
	for _, c := range []struct {
		value string
		code  int
	}{{"yell", 2}, {"maxnorm", 1}, {"2009", 1}} {
		args := []string{"-rows", "mob10", "-data", t.TempDir(), "-out", t.TempDir(), "-dbm-recipe", c.value}
		if code := run(args, io.Discard, io.Discard); code != c.code {
			t.Errorf("-dbm-recipe %s: exit %d, want %d", c.value, code, c.code)
		}
	}
}

// TestCodeRecipe checks that -dbm-recipe code trains with the schedule of
// Salakhutdinov's code — the rate 10⁻³ divided by 1.000015 for each of an
// epoch's 600 minibatches down to 10⁻⁴, momentum 0.5 for five epochs and
// 0.9 after, five Gibbs sweeps of 100 chains started at noise — while the
// 2009 recipe keeps its momentum (the control).
func TestCodeRecipe(t *testing.T) {
	r := dbmRow(t)
	base := *r.dbm
	rc := codeRecipe(base)
	o := rc.optimizer()
	if o.MaxNorm != 0 || o.WeightDecay != 2e-4 || rc.K != 5 || rc.Chains != 100 || !rc.ChainsFromNoise {
		t.Errorf("code recipe %+v, optimizer %+v", rc, o)
	}
	for _, c := range []struct {
		epoch    int
		rate, mu float64
	}{{0, 1e-3, 0.5}, {1, 1e-3 / math.Pow(1.000015, 600), 0.5}, {4, 1e-3 / math.Pow(1.000015, 2400), 0.5},
		{5, 1e-3 / math.Pow(1.000015, 3000), 0.9}, {255, 1e-3 / math.Pow(1.000015, 153000), 0.9}, {300, 1e-4, 0.9}} {
		got := o.LearningRate * o.Schedule(c.epoch)
		if math.Abs(got-c.rate) > 1e-12*c.rate || o.MomentumAt(c.epoch) != c.mu {
			t.Errorf("code recipe at epoch %d: rate %g, momentum %g; want %g, %g", c.epoch, got, o.MomentumAt(c.epoch), c.rate, c.mu)
		}
	}
	if o := base.optimizer(); o.MomentumAt(10) != 0.5 {
		t.Errorf("the 2009 recipe's momentum at epoch 10 is %v", o.MomentumAt(10))
	}
	args := []string{"-rows", "mob10", "-data", t.TempDir(), "-out", t.TempDir(), "-dbm-recipe", "code"}
	if code := run(args, io.Discard, io.Discard); code != 1 {
		t.Errorf("-dbm-recipe code: exit %d, want 1 (accepted, then no data)", code)
	}
}

// TestKRamp checks that -k-ramp N makes an RBM row's CD-k start at CD-1
// and raise k by one every N epochs up to the row's k, while without it
// (the control) every epoch runs the row's k; a negative N is refused.
func TestKRamp(t *testing.T) {
	rc := cdRecipe{K: 25, Epochs: 100}
	for _, c := range []struct {
		every, epoch, want int
	}{{0, 0, 25}, {0, 50, 25}, {3, 0, 1}, {3, 2, 1}, {3, 3, 2}, {3, 30, 11}, {3, 99, 25}} {
		rc.KRampEvery = c.every
		cfg := rc.config(1)
		if got := cfg.Steps(c.epoch); got != c.want {
			t.Errorf("-k-ramp %d, epoch %d: CD-%d, want CD-%d", c.every, c.epoch, got, c.want)
		}
	}
	if code := run([]string{"-rows", "mob10", "-k-ramp", "-1"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("-k-ramp -1: exit %d, want 2", code)
	}
}

// TestLoadOverItself checks that -load refuses an -out that is the folder
// it loads, however it is written (the default -out, a trailing /., a
// symbolic link), where the evaluation would overwrite the run it
// evaluates; another -out (the control) passes the check and fails later,
// on the missing data.
func TestLoadOverItself(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	saved := filepath.Join("results", "mnist")
	if err := os.MkdirAll(saved, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, saved), link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		out  []string
		code int
	}{
		{"default -out", nil, 2},
		{"the same", []string{"-out", saved}, 2},
		{"trailing /.", []string{"-out", saved + "/."}, 2},
		{"absolute", []string{"-out", filepath.Join(dir, saved)}, 2},
		{"a link to it", []string{"-out", link}, 2},
		{"another folder", []string{"-out", t.TempDir()}, 1},
	} {
		var stderr bytes.Buffer
		args := append([]string{"-data", t.TempDir(), "-rows", "mob10", "-load", saved}, c.out...)
		if code := run(args, io.Discard, &stderr); code != c.code {
			t.Errorf("%s: exit %d (%s), want %d", c.name, code, stderr.String(), c.code)
		}
	}
}

// TestTrainDataGrey checks that -train-data grey reaches the trainers — a
// CD row's and a mixture's models differ from those trained on the
// binarized images (the control) — and that the table
// says what they saw, while the test images are the same.
func TestTrainDataGrey(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two rows twice")
	}
	data := fakeMNIST(t, 200, 50)
	run2 := func(trainData string) (string, Table) {
		out := t.TempDir()
		var stderr bytes.Buffer
		args := []string{"-data", data, "-out", out, "-rows", "mob10,rbm500-cd1", "-epochs", "1", "-train-data", trainData,
			"-temps", "20", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "0", "-curve-temps", "10", "-curve-runs", "2", "-check-exact=false"}
		if code := run(args, io.Discard, &stderr); code != 0 {
			t.Fatalf("-train-data %s: exit %d: %s", trainData, code, stderr.String())
		}
		var tab Table
		b, _ := os.ReadFile(filepath.Join(out, "table.json"))
		if err := json.Unmarshal(b, &tab); err != nil {
			t.Fatal(err)
		}
		return out, tab
	}
	binOut, binTab := run2(trainBinarized)
	greyOut, greyTab := run2(trainGrey)
	for _, f := range []string{"mob10/model.safetensors", "rbm500-cd1/model.safetensors"} {
		if tensorsDiffer(t, filepath.Join(binOut, f), filepath.Join(greyOut, f)) == "" {
			t.Errorf("%s: the same model from the grey levels as from the binarized images", f)
		}
	}
	if binTab.Data.TrainData != "" || !strings.Contains(greyTab.Data.TrainData, "grey levels") || binTab.Data.TestSHA256 != greyTab.Data.TestSHA256 {
		t.Errorf("table data: binarized %+v, grey %+v", binTab.Data, greyTab.Data)
	}
}

// TestKNamesTheMethod: with -k the progress header and the table name the
// method the row trains by, not its recipe's; so does the DBN's header
// with the top's flags and a restored bottom (the recipe's name without
// them is the control).
func TestKNamesTheMethod(t *testing.T) {
	for _, r := range rows() {
		if r.dbn == nil {
			continue
		}
		e := &env{o: options{epochScale: 1, momentum: -1, finalMomentum: -1, decay: -1}}
		if got := e.training(r); got != r.training {
			t.Errorf("the DBN without flags: %q, want %q", got, r.training)
		}
		e.o.topK, e.o.tiedTop, e.o.dbnBottom = 25, true, "bottom.safetensors"
		if got, want := e.training(r), "greedy a restored RBM, then CD-25 on a tied top"; got != want {
			t.Errorf("the DBN with -top-k 25 -tied-top -dbn-bottom: %q, want %q", got, want)
		}
		e.o.load = "run"
		if got, want := e.training(r), "trained as "+filepath.Join("run", "table.json")+" says"; got != want {
			t.Errorf("the DBN with -load: %q, want %q", got, want)
		}
	}
	if testing.Short() {
		t.Skip("trains a row")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-data", fakeMNIST(t, 200, 50), "-out", out, "-rows", "rbm500-cd1", "-epochs", "1", "-k", "3",
		"-temps", "20", "-ais-runs", "2", "-raise-rows", "0", "-reverse-runs", "0", "-curve-temps", "10", "-curve-runs", "2"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "== rbm500-cd1 (1/1): RBM 784×500, CD-3\n") {
		t.Errorf("the header does not name CD-3:\n%s", stdout.String())
	}
	var tab Table
	b, _ := os.ReadFile(filepath.Join(out, "table.json"))
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 || tab.Rows[0].Training != "CD-3" {
		t.Errorf("table rows %+v, want one trained by CD-3", tab.Rows)
	}
}

// TestPretrainEpochs checks that -pretrain-epochs sets the DBM's
// pretraining per RBM whatever -epoch-scale says, while without it (the
// control) the recipe's counts are scaled; counts that are not positive
// whole numbers, a count per RBM missing, or a row that is not the DBM
// are refused before any data is read (exit 2), and the accepted flag
// fails later, on the missing data (exit 1).
func TestPretrainEpochs(t *testing.T) {
	r := dbmRow(t)
	e := &env{o: options{epochScale: 2}}
	if got, want := e.dbmRecipeOf(r).PretrainEpochs, []int{2 * r.dbm.PretrainEpochs[0], 2 * r.dbm.PretrainEpochs[1]}; !slices.Equal(got, want) {
		t.Errorf("-epoch-scale 2: pretraining %v, want %v", got, want)
	}
	e.o.pretrainEpochs = []int{64, 120}
	if got := e.dbmRecipeOf(r).PretrainEpochs; !slices.Equal(got, []int{64, 120}) {
		t.Errorf("-pretrain-epochs 64,120: pretraining %v", got)
	}
	for _, c := range []struct {
		rows, value string
		code        int
	}{{"dbm", "64,120", 1}, {"dbm", " 3, 4", 1}, {"dbm", "64", 2}, {"dbm", "64,120,5", 2}, {"dbm", "64,0", 2}, {"dbm", "64,-1", 2},
		{"dbm", "64,x", 2}, {"dbm", "", 2}, {"mob10", "64,120", 2}, {"dbm,mob10", "64,120", 2}} {
		args := []string{"-rows", c.rows, "-data", t.TempDir(), "-out", t.TempDir(), "-pretrain-epochs", c.value}
		if code := run(args, io.Discard, io.Discard); code != c.code {
			t.Errorf("-rows %s -pretrain-epochs %q: exit %d, want %d", c.rows, c.value, code, c.code)
		}
	}
}

// headlineDBN is the evaluation whose bound is the DBN row's figure in
// docs/mnist.md, and the run folder that holds its model and test images.
const headlineDBN, headlineDBNModel = "dbn-pcd25grey-cd25-top/reevaluated-swapped-temps16", "dbn-pcd25grey-cd25-top"

// TestDocumentedDBN recomputes the DBN row's documented figure — the
// variational bound on the saved test images with the documented log Z of
// the top and the same draws of q (seeded) — from the saved layers, and
// fails if it moves by more than 1e-9 nats; with the bottom layer's
// weights moved by 10⁻⁴ (the negative control) it must move.
func TestDocumentedDBN(t *testing.T) {
	if testing.Short() {
		t.Skip("the bound on 10,000 images, twice")
	}
	dir := filepath.Join("../../docs/results/mnist", headlineDBN)
	var tab Table
	b, err := os.ReadFile(filepath.Join(dir, "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	res := tab.Rows[0]
	models := filepath.Join("../../docs/results/mnist", headlineDBNModel)
	test, err := dataset.LoadIDX(filepath.Join(models, tab.Data.TestFile))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := idxSHA256(test); err != nil || sum != tab.Data.TestSHA256 {
		t.Fatalf("%s: sha256 %s, the table says %s (%v)", tab.Data.TestFile, sum, tab.Data.TestSHA256, err)
	}
	z, ok := res.LogZ["top_ais_swapped"]
	if vis := res.LogZ["top_ais_base_rates"]; !ok || z.Value <= vis.Value {
		t.Fatalf("%s: no log Z of the top over its hidden layer above the one over its visible layer (%v, %v)", headlineDBN, z.Value, vis.Value)
	}
	bound := func(perturb float64) float64 {
		d, err := newDBN(1)
		if err != nil {
			t.Fatal(err)
		}
		for k := range d.Len() {
			if err := restore(d.Generative(k), filepath.Join(models, "dbn", fmt.Sprintf("layer%d.safetensors", k+1))); err != nil {
				t.Fatal(err)
			}
		}
		for i := range d.Generative(0).Params()[0].Data {
			d.Generative(0).Params()[0].Data[i] += perturb
		}
		est := &estimators.Estimate{LogZ: z.Value, Low: z.Value, High: z.Value}
		bd, err := d.LowerBound(test, est, deep.DBNBoundConfig{Samples: byIDRow(t, "dbn").dbn.BoundSamples, Seed: tab.Seed})
		if err != nil {
			t.Fatal(err)
		}
		return bd.Value
	}
	start := time.Now()
	if got := bound(0); math.Abs(got-res.TestLogLik.Value) > 1e-9 {
		t.Errorf("%s: bound %.9f from the saved layers, %.9f documented", headlineDBN, got, res.TestLogLik.Value)
	}
	t.Logf("%s: %.1fs", headlineDBN, time.Since(start).Seconds())
	if got := bound(1e-4); math.Abs(got-res.TestLogLik.Value) <= 1e-9 {
		t.Errorf("control: with the bottom's weights moved by 1e-4 the bound %.9f still matches", got)
	}
}

// byIDRow returns the row with this id.
func byIDRow(t *testing.T, id string) *row {
	t.Helper()
	for _, r := range rows() {
		if r.id == id {
			return r
		}
	}
	t.Fatalf("no row %q", id)
	return nil
}

// TestSMLChains checks that -sml-chains sets the DBM's persistent chains,
// -sml-mean-field its cap on mean-field sweeps and -mean-field-start
// doubled its start, -centering the centered gradient's rate, and that
// without them (the control) the recipe's stay; negative counts, other
// starts and rates outside [0, 1] are refused before any data is read
// (exit 2).
func TestSMLChains(t *testing.T) {
	r := dbmRow(t)
	e := &env{o: options{epochScale: 1}}
	if got := e.dbmRecipeOf(r).Chains; got != r.dbm.Chains || got != 100 {
		t.Errorf("without -sml-chains: %d chains, want the recipe's 100", got)
	}
	e.o.smlChains = 1000
	if got := e.dbmRecipeOf(r).Chains; got != 1000 {
		t.Errorf("-sml-chains 1000: %d chains", got)
	}
	if rc := e.dbmRecipeOf(r); rc.SMLMeanFieldIters != r.dbm.SMLMeanFieldIters || rc.DoubledStart {
		t.Errorf("without -sml-mean-field and -mean-field-start: %d sweeps, doubled start %v", rc.SMLMeanFieldIters, rc.DoubledStart)
	}
	e.o.smlMeanField, e.o.meanFieldStart = 50, "doubled"
	if rc := e.dbmRecipeOf(r); rc.SMLMeanFieldIters != 50 || !rc.DoubledStart {
		t.Errorf("-sml-mean-field 50 -mean-field-start doubled: %d sweeps, doubled start %v", rc.SMLMeanFieldIters, rc.DoubledStart)
	}
	if rc := e.dbmRecipeOf(r); rc.Centering != 0 {
		t.Errorf("without -centering: rate %v", rc.Centering)
	}
	e.o.centering = 0.01
	if rc := e.dbmRecipeOf(r); rc.Centering != 0.01 {
		t.Errorf("-centering 0.01: rate %v", rc.Centering)
	}
	for _, bad := range [][]string{{"-sml-chains", "-1"}, {"-sml-mean-field", "-1"}, {"-mean-field-start", "half"}, {"-centering", "-0.1"}, {"-centering", "2"}} {
		args := append([]string{"-rows", "dbm", "-data", t.TempDir(), "-out", t.TempDir()}, bad...)
		if code := run(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// dbmRow is the table's DBM row.
func dbmRow(t *testing.T) *row {
	t.Helper()
	for _, x := range rows() {
		if x.id == "dbm" {
			return x
		}
	}
	t.Fatal("no dbm row")
	return nil
}
