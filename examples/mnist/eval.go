package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"time"

	"github.com/ebmc/ebmc/examples/internal/chains"
	"github.com/ebmc/ebmc/examples/internal/plot"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/fileio"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/training"
)

func numCPU() int           { return goruntime.NumCPU() }
func goVersion() string     { return goruntime.Version() }
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// pairedDifference compares two per-image estimates of log p(v) on the same
// images, raise[r] and other[r] = (terms of image r) − log Z with log Z
// estimated once for all images in [zLow, zHigh] around z: the mean of the
// differences raise[r] − other[r], with ±3 standard errors of the
// differences (what the images have in common cancels, leaving each
// estimate's own noise), widened in quadrature by log Z's interval (a
// larger log Z lowers other, and so raises the difference).
func pairedDifference(raise, other []float64, z, zLow, zHigh float64, method string) Figure {
	n := len(raise)
	d := make([]float64, n)
	for r := range d {
		d[r] = raise[r] - other[r]
	}
	m := mean(d)
	ss := 0.0
	for _, x := range d {
		ss += (x - m) * (x - m)
	}
	se3 := math.NaN()
	if n > 1 {
		se3 = 3 * math.Sqrt(ss/float64(n-1)/float64(n))
	}
	f := figure(m, m-math.Hypot(se3, z-zLow), m+math.Hypot(se3, zHigh-z), method)
	f.Rows = n
	return f
}

// env is what every row runs with.
type env struct {
	o           options
	train, test *dataset.Dataset // binarized: every figure's images and the chains' starts
	fit         *dataset.Dataset // what the trainers see: train, or its grey levels (-train-data grey)
	valid       *dataset.Dataset // held-out training images, or nil
	stdout      io.Writer
	version     string // cli.Version of this build, read when the run started
}

// Figure is an estimate with the method that produced it and its ±3σ
// interval (null where an end is unbounded or not estimated).
type Figure struct {
	Value  float64  `json:"value"`
	Low    *float64 `json:"low"`
	High   *float64 `json:"high"`
	Method string   `json:"method"`
	ESS    *float64 `json:"ess,omitempty"`  // effective sample size of the importance weights
	Rows   int      `json:"rows,omitempty"` // the test images it averages over
}

func figure(value, low, high float64, method string) Figure {
	f := Figure{Value: value, Method: method}
	if finite(low) {
		f.Low = &low
	}
	if finite(high) {
		f.High = &high
	}
	return f
}

func (f Figure) String() string {
	switch {
	case f.Low != nil && f.High != nil && *f.Low == f.Value && *f.High == f.Value:
		return fmt.Sprintf("%.2f", f.Value)
	case f.Low != nil && f.High != nil:
		return fmt.Sprintf("%.2f [%.2f, %.2f]", f.Value, *f.Low, *f.High)
	case f.High != nil:
		return fmt.Sprintf("%.2f [−∞, %.2f]", f.Value, *f.High)
	}
	return fmt.Sprintf("%.2f", f.Value)
}

// Check compares an exact figure with the independent evaluation.
type Check struct {
	LogZ       float64 `json:"log_z"`
	LogZDiff   float64 `json:"log_z_difference"`
	LogLikDiff float64 `json:"log_likelihood_difference"`
}

// Point is one point of a learning curve.
type Point struct {
	Epoch int     `json:"epoch"`
	Value float64 `json:"value"`
	Stage string  `json:"stage,omitempty"` // what is measured, where a curve has several
}

// Result is one row of table.json.
type Result struct {
	ID           string            `json:"id"`
	Model        string            `json:"model"`
	Training     string            `json:"training"`
	Settings     any               `json:"settings"`
	Epochs       int               `json:"epochs"`
	TrainSeconds float64           `json:"train_seconds"`
	EvalSeconds  float64           `json:"evaluation_seconds"`
	TestLogLik   Figure            `json:"test_log_likelihood"`
	TrainLogLik  Figure            `json:"train_log_likelihood"`
	LogZ         map[string]Figure `json:"log_z"`
	Estimates    map[string]Figure `json:"other_estimates,omitempty"`
	Check        *Check            `json:"independent_check,omitempty"`
	Published    []Published       `json:"published"`
	// Warnings say where a figure is not to be trusted (forward and
	// reverse AIS disagree, say).
	Warnings  []string `json:"warnings,omitempty"`
	CurveWhat string   `json:"curve"`
	Curve     []Point  `json:"curve_points"`
	// Validation is the held-out images' log-likelihood per epoch (with
	// the curve's log Z); StoppedAt the epoch whose parameters an early
	// stop kept.
	Validation []Point `json:"validation_curve,omitempty"`
	StoppedAt  int     `json:"early_stopped_at_epoch,omitempty"`
	// Resumed are the epochs of SML after which -resume continued the
	// DBM's training (0: from the pretrained model); TrainSeconds counts
	// every run's training.
	Resumed []int `json:"resumed_at_epochs,omitempty"`
	// Versions are the builds (Table.Version) that trained the DBM: the
	// one that started the run and each that resumed it, in order;
	// "unknown" for runs from before the progress file kept them.
	Versions       []string `json:"versions,omitempty"`
	resumedSeconds float64  // the training seconds of the runs before this one
	Files          []string `json:"files"`
}

func (e *env) runRow(r *row) (*Result, error) {
	dir := filepath.Join(e.o.out, r.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &Result{ID: r.id, Model: r.model, Training: r.training, Published: r.published, LogZ: map[string]Figure{}, Estimates: map[string]Figure{}}
	start := time.Now()
	var d *deep.DBN // the DBN row's network; m for the other rows
	var m runtime.Reflective
	var err error
	if e.o.load != "" {
		d, m, err = e.restoreRow(r, res)
	} else {
		d, m, err = e.trainRow(r, res)
		res.TrainSeconds = res.resumedSeconds + time.Since(start).Seconds()
	}
	if err != nil {
		return nil, err
	}
	start = time.Now()
	switch {
	case d != nil:
		err = e.evaluateDBN(r, d, res)
	case r.dbm != nil:
		err = e.evaluateDBM(r, m, res)
	default:
		err = e.evaluate(r, m, res)
	}
	if err != nil {
		return nil, err
	}
	res.EvalSeconds = time.Since(start).Seconds()
	if d != nil {
		return res, e.saveDBN(r, d, res, dir)
	}
	return res, e.save(r, m, res, dir)
}

// trainRow trains row r: the DBN row's network, or the model of another row.
func (e *env) trainRow(r *row, res *Result) (*deep.DBN, runtime.Reflective, error) {
	switch {
	case r.dbn != nil:
		d, err := e.trainDBN(r, res)
		return d, nil, err
	case r.em != nil:
		m, err := e.trainEM(r, res)
		return nil, m, err
	case r.dbm != nil:
		m, err := e.trainDBM(r, res)
		return nil, m, err
	}
	m, err := e.trainCD(r, res)
	return nil, m, err
}

// save writes a row's model.safetensors and its pictures.
func (e *env) save(r *row, m runtime.Reflective, res *Result, dir string) error {
	meta := map[string]string{"row": r.id, "training": r.training, "epochs": fmt.Sprint(res.Epochs), "seed": fmt.Sprint(e.o.seed)}
	if err := e.saveModel(r, dir, "model.safetensors", m, meta); err != nil {
		return err
	}
	res.Files = []string{r.id + "/model.safetensors", r.id + "/samples.png", r.id + "/curve.png", r.id + "/curve.json"}
	if r.dbm != nil {
		chains, anim := false, false
		if e.o.load != "" {
			var err error
			if chains, anim, err = e.loadedChains(r, dir); err != nil {
				return err
			}
		} else if _, err := os.Stat(filepath.Join(dir, chainsFile)); err == nil {
			chains = true
			_, err := os.Stat(filepath.Join(dir, chainsGIF))
			anim = err == nil
		}
		if anim {
			res.Files = append(res.Files, r.id+"/"+chainsGIF)
		}
		if chains {
			res.Files = append(res.Files, r.id+"/"+chainsFile)
		}
	}
	return e.pictures(m, r, res, dir)
}

// loadedChains makes the persistent chains in dir, the -out folder of
// row r, and their animation those of the model -load restored into it:
// byte-for-byte copies of the -load folder's chainsFile and chainsGIF, or
// none where that folder holds none (chains an earlier run left in dir
// would otherwise sit beside another model, and the DBM's reverse AIS of
// a later -load of dir would start from them, reverseStart; its animation
// would show another training). It reports whether dir now holds chains
// and their animation.
func (e *env) loadedChains(r *row, dir string) (chains, anim bool, err error) {
	if chains, err = e.copyLoaded(r, dir, chainsFile); err != nil {
		return false, false, err
	}
	anim, err = e.copyLoaded(r, dir, chainsGIF)
	return chains, anim, err
}

// copyLoaded copies the file name of row r's -load folder into dir byte
// for byte, or removes dir's where that folder has none; it reports
// whether dir now holds one.
func (e *env) copyLoaded(r *row, dir, name string) (bool, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(filepath.Join(e.o.load, r.id, name))
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("cannot remove the %s an earlier run left beside the model: %w", name, err)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, fileio.WriteFileAtomic(path, b)
}

// saveModel writes m as dir/name with meta — or, for a model that -load
// restored, copies the file it was restored from byte for byte, so that
// the copy keeps the metadata of the run that trained it (its seed, not
// the evaluation's).
func (e *env) saveModel(r *row, dir, name string, m runtime.Reflective, meta map[string]string) error {
	path := filepath.Join(dir, name)
	if e.o.load == "" {
		return checkpoint.SaveCheckpoint(path, checkpoint.CheckpointOf(m, nil, nil, meta))
	}
	b, err := os.ReadFile(filepath.Join(e.o.load, r.id, name))
	if err != nil {
		return err
	}
	return fileio.WriteFileAtomic(path, b)
}

// betas is the schedule of AIS and RAISE: Salakhutdinov & Murray's 14,500
// temperatures with every step divided by -temps-scale, or -temps evenly
// spaced ones where that is set (quick checks).
func (e *env) betas() []float64 {
	if e.o.temps > 0 {
		b, _ := estimators.AISConfig{Temperatures: e.o.temps}.Schedule()
		return b
	}
	return estimators.ScaledSMBetas(e.o.tempsScale)
}

// scaled is a recipe's epochs n, or -epochs, times -epoch-scale.
func (e *env) scaled(n int) int {
	if e.o.epochs > 0 {
		n = e.o.epochs
	}
	return max(1, int(math.Round(float64(n)*e.o.epochScale)))
}

// rbmRow is an RBM row's recipe as the flags change it: -lr, -momentum,
// -final-momentum (after 5 epochs), -decay, -k, -k-ramp, -float32, -biases, -schedule
// and -negative.
func (o *options) rbmRow(rc cdRecipe) cdRecipe {
	if o.rate > 0 {
		rc.Rate = o.rate
	}
	if o.momentum >= 0 {
		rc.Momentum = o.momentum
	}
	if o.finalMomentum >= 0 {
		rc.FinalMomentum, rc.MomentumEpochs = o.finalMomentum, 5
	}
	if o.decay >= 0 {
		rc.Decay = o.decay
	}
	if o.k > 0 {
		rc.K = o.k
	}
	rc.KRampEvery = o.kRamp
	rc.Float32 = o.float32
	switch o.biases {
	case "base":
		rc.BaseBiases = true
	case "zero":
		rc.BaseBiases = false
	}
	switch o.schedule {
	case "linear":
		rc.Linear = true
	case "constant":
		rc.Linear = false
	}
	switch o.negative {
	case "means":
		rc.MeanVisible = true
	case "samples":
		rc.MeanVisible = false
	}
	return rc
}

// trainCD trains an RBM row by CD-k or PCD-k, recording the test
// log-likelihood after every epoch: exact for the 20-hidden models, from a
// quick AIS run for the others.
func (e *env) trainCD(r *row, res *Result) (runtime.Reflective, error) {
	rc := e.o.rbmRow(*r.cd)
	rc.Epochs = e.scaled(rc.Epochs)
	res.Settings, res.Epochs, res.Training = rc, rc.Epochs, rc.method()
	m, t, err := r.newModel(e.o.seed, rc.config(e.o.seed))
	if err != nil {
		return nil, err
	}
	base, err := estimators.BaseRate(m, e.train, float64(e.train.Rows)/20)
	if err != nil {
		return nil, err
	}
	if rc.BaseBiases {
		if _, err := base.SetBiases(m); err != nil {
			return nil, err
		}
	}
	stop := e.earlyStop()
	res.CurveWhat = "test log-likelihood, exact"
	if _, err := m.LogZ(0); err != nil {
		res.CurveWhat = fmt.Sprintf("test log-likelihood, log Z by quick AIS (%d temperatures, %d runs): a rough, low estimate", e.o.curveTemps, e.o.curveRuns)
	}
	proxy := func() (string, float64) {
		z, err := m.LogZ(0)
		if err != nil {
			est, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: e.o.curveTemps, Runs: e.o.curveRuns, Seed: e.o.seed})
			if err != nil {
				return "test log-likelihood", math.NaN()
			}
			z = est.LogZ
		}
		ll, err := estimators.LogLikelihood(m, e.test, z)
		if err != nil {
			return "test log-likelihood", math.NaN()
		}
		res.Curve = append(res.Curve, Point{Epoch: len(res.Curve) + 1, Value: ll})
		stop.observe(m, z, len(res.Curve), res)
		return "test log-likelihood", ll
	}
	_, err = training.Fit(context.Background(), t, e.fit, training.FitConfig{Epochs: rc.Epochs, BatchSize: rc.Batch, Shuffle: true, Seed: e.o.seed,
		Progress: e.stdout, Proxy: proxy})
	if err == nil {
		stop.restore(m, res)
	}
	return m, err
}

// earlyStop records the validation log-likelihood after every epoch and,
// when keep is set, a copy of the parameters of the best epoch so far.
type earlyStop struct {
	valid  *dataset.Dataset
	keep   bool
	out    io.Writer
	best   float64
	epoch  int
	params [][]float64
}

func (e *env) earlyStop() *earlyStop {
	return &earlyStop{valid: e.valid, keep: e.o.earlyStop, out: e.stdout, best: math.Inf(-1)}
}

// observe evaluates the held-out images with log Z z after epoch.
func (s *earlyStop) observe(m runtime.Reflective, z float64, epoch int, res *Result) {
	if s.valid == nil {
		return
	}
	ll, err := estimators.LogLikelihood(m, s.valid, z)
	if err != nil {
		ll = math.NaN()
	}
	res.Validation = append(res.Validation, Point{Epoch: epoch, Value: ll})
	fmt.Fprintf(s.out, "  validation log-likelihood %.4f (%d held-out images)\n", ll, s.valid.Rows)
	if !s.keep || !(ll > s.best) {
		return
	}
	s.best, s.epoch = ll, epoch
	ps := m.Params()
	if s.params == nil {
		s.params = make([][]float64, len(ps))
	}
	for i, p := range ps {
		s.params[i] = append(s.params[i][:0], p.Data...)
	}
}

// restore writes the best epoch's parameters back into m.
func (s *earlyStop) restore(m runtime.Reflective, res *Result) {
	if !s.keep || s.params == nil {
		return
	}
	for i, p := range m.Params() {
		copy(p.Data, s.params[i])
	}
	res.StoppedAt = s.epoch
	fmt.Fprintf(s.out, "early stop: the parameters of epoch %d (validation log-likelihood %.4f)\n", s.epoch, s.best)
}

// trainEM trains a mixture by EM in closed form, one iteration at a time
// so that the curve holds the test log-likelihood after each.
func (e *env) trainEM(r *row, res *Result) (runtime.Reflective, error) {
	rc := *r.em
	rc.Iterations = e.scaled(rc.Iterations)
	res.Settings = rc
	m, _, err := r.newModel(e.o.seed, runtime.CDConfig{})
	if err != nil {
		return nil, err
	}
	initCentres(m, e.fit, e.o.seed)
	res.CurveWhat = "test log-likelihood, exact"
	start := time.Now()
	prev := math.Inf(-1)
	for it := 1; it <= rc.Iterations; it++ {
		out, err := training.EM(m, e.fit, training.EMConfig{Iterations: 1, Pseudo: rc.Pseudo, Seed: e.o.seed})
		if err != nil {
			return nil, err
		}
		if !out.ClosedForm {
			return nil, fmt.Errorf("EM did not find the mixture's closed form: %s", out.Why)
		}
		z, err := m.LogZ(0)
		if err != nil {
			return nil, err
		}
		ll, err := estimators.LogLikelihood(m, e.test, z)
		if err != nil {
			return nil, err
		}
		res.Curve = append(res.Curve, Point{Epoch: it, Value: ll})
		res.Epochs = it
		train := out.LogLik[len(out.LogLik)-1]
		el := time.Since(start)
		fmt.Fprintf(e.stdout, "EM iteration %d/%d  %.1fs  train %.4f  test %.4f  (ETA %s at most)\n", it, rc.Iterations, el.Seconds(), train, ll,
			(el / time.Duration(it) * time.Duration(rc.Iterations-it)).Round(time.Second))
		if train-prev < rc.Tol {
			break
		}
		prev = train
	}
	return m, nil
}

// initCentres sets a mixture's parameters so that component k has the
// mean μ_k = (v_k + λ·p̄)/(1 + λ) of a random training image v_k and the
// data's pixel means p̄, λ = 1 — each component starts nearest its own
// image, so that none is left without responsibility (a component built
// from an average of images can lose every image to the others and stay
// at μ = ½, dead) — and equal weight: W[i,k] = logit μ_ik, b = 0,
// c_k = Σ_i log(1 − μ_ik), so that p(h = k) ∝ e^{c_k}·Π_i(1 + e^{W[i,k]}) = 1.
func initCentres(m runtime.Model, d *dataset.Dataset, seed uint64) {
	w, b, c, k, err := naiveParams(m)
	if err != nil {
		panic(err) // the mixtures of the table have W, b and c
	}
	nv := len(b)
	clear(b)
	mean := make([]float64, nv)
	for r := 0; r < d.Rows; r++ {
		for i, v := range d.Row(r) {
			mean[i] += v / float64(d.Rows)
		}
	}
	const lambda = 1
	rng := runtime.NewRNG(seed, 7)
	for j := 0; j < k; j++ {
		c[j] = 0
		for i, v := range d.Row(rng.Intn(d.Rows)) {
			p := (v + lambda*mean[i]) / (1 + lambda)
			p = math.Min(math.Max(p, 1e-3), 1-1e-3)
			w[i*k+j] = math.Log(p) - math.Log1p(-p)
			c[j] += math.Log1p(-p)
		}
	}
}

// evaluate measures the test (and train) log-likelihood: exactly, with the
// independent check, where log Z can be enumerated; otherwise by AIS from
// the data's base rates (the reported figure), AIS from a uniform base and
// RAISE on the first raise-rows test images.
func (e *env) evaluate(r *row, m runtime.Reflective, res *Result) error {
	o := e.o
	if z, err := m.LogZ(0); err == nil {
		exact := "exact: −F(v) − log Z, log Z by enumeration"
		res.LogZ["exact"] = figure(z, z, z, "enumeration")
		te, err := estimators.LogLikelihood(m, e.test, z)
		if err != nil {
			return err
		}
		tr, err := estimators.LogLikelihood(m, e.train, z)
		if err != nil {
			return err
		}
		res.TestLogLik, res.TrainLogLik = figure(te, te, te, exact), figure(tr, tr, tr, exact)
		if r.naive != nil && o.checkExact {
			nz, nll, err := r.naive(m, e.test)
			if err != nil {
				return err
			}
			res.Check = &Check{LogZ: nz, LogZDiff: math.Abs(nz - z), LogLikDiff: math.Abs(nll - te)}
			fmt.Fprintf(e.stdout, "exact log Z %.6f; independent evaluation differs by %.1e in log Z, %.1e in the test log-likelihood\n", z, res.Check.LogZDiff, res.Check.LogLikDiff)
		}
		return nil
	}
	base, err := estimators.BaseRate(m, e.train, float64(e.train.Rows)/20)
	if err != nil {
		return err
	}
	ais, err := estimators.AIS(m, base, estimators.AISConfig{Betas: e.betas(), Runs: o.aisRuns, Seed: o.seed, Progress: e.stdout, Path: o.aisPath})
	if err != nil {
		return err
	}
	uni, err := estimators.AIS(m, estimators.Uniform(m), estimators.AISConfig{Betas: e.betas(), Runs: o.aisRuns, Seed: o.seed + 1, Progress: e.stdout})
	if err != nil {
		return err
	}
	rev, err := e.reverse("ais_reverse", m, base, ais, res, "", nil)
	if err != nil {
		return err
	}
	if rev != nil {
		v, err := estimators.LogLikelihood(m, e.test, rev.LogZ)
		if err != nil {
			return err
		}
		res.Estimates["ais_reverse"] = figure(v, v-(rev.High-rev.LogZ), v+(rev.LogZ-rev.Low), "−F(v) − log Z, log Z by "+rev.Method)
	}
	for name, est := range map[string]*estimators.Estimate{"ais_base_rates": ais, "ais_uniform": uni} {
		f := figure(est.LogZ, est.Low, est.High, est.Method)
		f.ESS = &est.ESS
		res.LogZ[name] = f
	}
	fmt.Fprintf(e.stdout, "log Z: AIS from base rates %.3f [%.3f, %.3f] (ESS %.1f of %d); from a uniform base %.3f [%.3f, %.3f] (ESS %.1f)\n",
		ais.LogZ, ais.Low, ais.High, ais.ESS, o.aisRuns, uni.LogZ, uni.Low, uni.High, uni.ESS)
	// log p = −F − log Z: the interval of log Z, reversed.
	ll := func(d *dataset.Dataset, est *estimators.Estimate) (Figure, error) {
		v, err := estimators.LogLikelihood(m, d, est.LogZ)
		if err != nil {
			return Figure{}, err
		}
		f := figure(v, v-(est.High-est.LogZ), v+(est.LogZ-est.Low), "−F(v) − log Z, log Z by "+est.Method+" from the base rates")
		f.ESS, f.Rows = &est.ESS, d.Rows
		return f, nil
	}
	if res.TestLogLik, err = ll(e.test, ais); err != nil {
		return err
	}
	if res.TrainLogLik, err = ll(e.train, ais); err != nil {
		return err
	}
	f, err := ll(e.test, uni)
	if err != nil {
		return err
	}
	f.Method = "−F(v) − log Z, log Z by " + uni.Method + " from a uniform base"
	res.Estimates["ais_uniform"] = f
	if o.raiseRows > 0 {
		sub, _ := e.test.Split(min(o.raiseRows, e.test.Rows))
		ra, err := estimators.RAISE(m, base, sub, estimators.RAISEConfig{Betas: e.betas(), Runs: o.raiseRuns, Seed: o.seed, Progress: e.stdout})
		if err != nil {
			return err
		}
		res.Estimates["raise_subset"] = raiseFigure(ra, sub.Rows)
		af, err := ll(sub, ais)
		if err != nil {
			return err
		}
		res.Estimates["ais_subset"] = af
		f, err := estimators.FreeEnergies(m, sub)
		if err != nil {
			return err
		}
		lp := make([]float64, len(f))
		for r := range f {
			lp[r] = -f[r] - ais.LogZ
		}
		diff := pairedDifference(ra.LogP, lp, ais.LogZ, ais.Low, ais.High,
			"RAISE − AIS per image, averaged: ±3 s.e. of the per-image differences, widened in quadrature by AIS's log Z interval; a lower bound minus an estimate, so below 0 up to noise when AIS is right")
		res.Estimates["raise_minus_ais_subset"] = diff
		fmt.Fprintf(e.stdout, "on the first %d test images: RAISE %.2f ± %.2f (3 s.e.), AIS %.2f; paired RAISE − AIS %s\n", sub.Rows, ra.Mean, 3*ra.SE, af.Value, diff)
	}
	return nil
}

// pictures writes samples.png (visible means after 1000 Gibbs sweeps from
// 64 random training images: chains started at noise can stay in a mode of
// tiny mass, as a mixture's component that EM left at μ = ½ is), curve.png
// and curve.json.
func (e *env) pictures(m runtime.Reflective, r *row, res *Result, dir string) error {
	const n = 64
	means := chains.SampleFromData(m, m.NewChains(n, e.o.seed+1), e.train, 1000, e.o.seed)
	if err := imaging.WriteTiles(filepath.Join(dir, "samples.png"), means, n, 28, 28, 8, false); err != nil {
		return err
	}
	return e.curve(r, res, dir)
}

// curve writes curve.png, a line per stage of the curve and one for the
// held-out images' log-likelihood (-validation), and curve.json.
func (e *env) curve(r *row, res *Result, dir string) error {
	var series []plot.Series
	for i, p := range res.Curve {
		if i == 0 || p.Stage != res.Curve[i-1].Stage {
			series = append(series, plot.Series{})
		}
		s := &series[len(series)-1]
		s.X, s.Y = append(s.X, float64(p.Epoch)), append(s.Y, p.Value)
	}
	if len(res.Validation) > 0 {
		v := plot.Series{}
		for _, p := range res.Validation {
			v.X, v.Y = append(v.X, float64(p.Epoch)), append(v.Y, p.Value)
		}
		series = append(series, v)
	}
	if err := plot.Write(filepath.Join(dir, "curve.png"), series, []float64{r.published[0].Value}); err != nil {
		return err
	}
	out := map[string]any{"row": r.id, "what": res.CurveWhat, "published": r.published[0], "points": res.Curve}
	if len(res.Validation) > 0 {
		out["validation_points"], out["early_stopped_at_epoch"] = res.Validation, res.StoppedAt
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return fileio.WriteFileAtomic(filepath.Join(dir, "curve.json"), append(b, '\n'))
}

// reverse estimates log Z by reverse AIS (-reverse-runs chains burned in
// for -burn sweeps at the model) next to forward AIS's fwd, stores it in
// res.LogZ["ais_reverse"], and adds a warning to res when the two
// disagree beyond their ±3σ intervals: forward AIS errs low, reverse high,
// so a wide gap means log Z is not settled — typically a model with modes
// that forward annealing from the base rates does not find. It returns nil
// when -reverse-runs is 0. Reverse AIS starts from the states start when
// they are not nil (the DBM's persistent chains, read from the checkpoint
// from by reverseChains), then -burn sweeps.
func (e *env) reverse(key string, m runtime.Reflective, base *estimators.Base, fwd *estimators.Estimate, res *Result, from string, start [][]float64) (*estimators.Estimate, error) {
	if e.o.reverseRuns == 0 {
		return nil, nil
	}
	cfg := estimators.AISConfig{Betas: e.betas(), Runs: e.o.reverseRuns, Seed: e.o.seed + 2, Path: e.o.aisPath}
	var rev *estimators.Estimate
	var err error
	if start != nil {
		cfg.Runs = 0
		if rev, err = estimators.ReverseAISFrom(m, base, cfg, start, e.o.burn); err != nil {
			return nil, fmt.Errorf("reverse AIS from the chains of %s: %w", from, err)
		}
		rev.Method += " (the chains of " + from + ")"
	} else if rev, err = estimators.ReverseAIS(m, base, cfg, e.o.burn); err != nil {
		return nil, err
	}
	f := figure(rev.LogZ, rev.Low, rev.High, rev.Method)
	f.ESS = &rev.ESS
	res.LogZ[key] = f
	fmt.Fprintf(e.stdout, "log Z: forward AIS %.3f [%.3f, %.3f] (ESS %.1f), reverse AIS %.3f [%.3f, %.3f] (ESS %.1f)\n",
		fwd.LogZ, fwd.Low, fwd.High, fwd.ESS, rev.LogZ, rev.Low, rev.High, rev.ESS)
	lo, hi := fwd.High, rev.Low // forward's upper end below reverse's lower end: no overlap
	if math.IsInf(lo, 1) || math.IsNaN(lo) {
		lo = fwd.LogZ
	}
	if math.IsInf(hi, -1) || math.IsNaN(hi) {
		hi = rev.LogZ
	}
	revHi, fwdLo := rev.High, fwd.Low // unbounded ends: the estimates themselves
	if !finite(revHi) {
		revHi = rev.LogZ
	}
	if !finite(fwdLo) {
		fwdLo = fwd.LogZ
	}
	if gap := fwd.LogZ - rev.LogZ; gap > 0.5 && revHi < fwdLo {
		w := fmt.Sprintf("log Z is not settled: reverse AIS gives %.2f, below forward AIS's %.2f and outside its interval, where reverse AIS errs high at equilibrium: its chains were not at equilibrium after %d sweeps, or forward AIS rests on a few runs (ESS %.1f). Raise -burn and -temps-scale before trusting either.",
			rev.LogZ, fwd.LogZ, e.o.burn, fwd.ESS)
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintln(e.stdout, "warning:", w)
	}
	if gap := rev.LogZ - fwd.LogZ; hi > lo && gap > 0.5 {
		w := fmt.Sprintf("log Z is not settled: forward AIS (which errs low) gives %.2f, reverse AIS (which errs high once its chains are at equilibrium) %.2f, and their ±3σ intervals do not meet. "+
			"Either forward AIS missed mass of the model, and a log-likelihood computed with it is up to %.1f nats too high, or the reverse chains were not burned in; RAISE, a stochastic lower bound, tells which. Raise -temps-scale and -burn.",
			fwd.LogZ, rev.LogZ, gap)
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintln(e.stdout, "warning:", w)
	}
	return rev, nil
}

// raiseFigure is RAISE's mean over rows images with ±3 standard errors.
func raiseFigure(ra *estimators.RAISEResult, rows int) Figure {
	f := figure(ra.Mean, ra.Mean-3*ra.SE, ra.Mean+3*ra.SE, ra.Method+" (±3 standard errors over the images)")
	f.Rows = rows
	return f
}

// reverseFromNoise is the -reverse-from value that starts the DBM's
// reverse AIS from noise even where its run saved persistent chains.
const reverseFromNoise = "noise"

// reverseStart is the checkpoint the DBM row r's reverse AIS starts from:
// the one -reverse-from names, else the row's own persistent chains when
// its run saved them (r.id/chains.safetensors beside the model, in -out
// for a run that trained it, in -load's folder for one that restores it),
// else "" — chains burned in from noise, as with -reverse-from noise.
// Chains SML kept near the model's modes are where reverse AIS needs to
// start; chains from noise may not reach them in -burn sweeps.
func (e *env) reverseStart(r *row) string {
	switch e.o.reverseFrom {
	case reverseFromNoise:
		return ""
	case "":
	default:
		return e.o.reverseFrom
	}
	dir := e.o.out
	if e.o.load != "" {
		dir = e.o.load
	}
	path := filepath.Join(dir, r.id, chainsFile)
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// reverseChains reads the states the DBM row r's reverse AIS starts from
// (the checkpoint reverseStart names; from is "" and start nil for chains
// burned in from noise, or when -reverse-runs is 0). Chains saved with the
// fingerprint of another model (chainsModelKey: the model was replaced or
// trained on after they were saved) are refused when -reverse-from named
// them, and passed over for noise with a warning in res when they were
// the row's own.
func (e *env) reverseChains(r *row, m runtime.Reflective, res *Result) (from string, start [][]float64, err error) {
	if e.o.reverseRuns == 0 {
		return "", nil, nil
	}
	if from = e.reverseStart(r); from == "" {
		return "", nil, nil
	}
	start, digest, err := chainStates(from, m)
	if err != nil {
		return "", nil, err
	}
	if want := paramsSHA256(m); digest != "" && digest != want {
		msg := fmt.Sprintf("the chains in %s were saved with another model (parameters' sha256 %.12s…, this model's %.12s…)", from, digest, want)
		if e.o.reverseFrom != "" {
			return "", nil, fmt.Errorf("reverse AIS's start: %s; give the chains saved with this model, or -reverse-from noise", msg)
		}
		w := msg + ": reverse AIS starts from noise instead"
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintln(e.stdout, "warning:", w)
		return "", nil, nil
	}
	return from, start, nil
}

// chainStates reads the persistent chains of m's layers from the
// checkpoint at path (tensors chain.<layer>, as a trainer's State names
// them), one slice per layer in m.Layers() order, and the fingerprint of
// the model they were saved with ("" when the file has none, as a
// trainer's checkpoint).
func chainStates(path string, m runtime.Reflective) ([][]float64, string, error) {
	c, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		return nil, "", fmt.Errorf("reverse AIS's start (-reverse-from noise: from noise): %w", err)
	}
	var out [][]float64
	for _, ly := range m.Layers() {
		i := slices.IndexFunc(c.Tensors, func(t runtime.Tensor) bool { return t.Name == "chain."+ly.Name })
		if i < 0 {
			return nil, "", fmt.Errorf("reverse AIS's start: %s holds no chain.%s (a DBM run's dbm/chains.safetensors or dbm/sml.safetensors holds the chains of every layer)", path, ly.Name)
		}
		out = append(out, c.Tensors[i].Data)
	}
	return out, c.Meta[chainsModelKey], nil
}
