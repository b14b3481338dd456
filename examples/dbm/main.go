// Command dbm trains a deep Boltzmann machine with two hidden layers by
// greedy layer-wise pretraining (with the weight-doubling correction of
// Salakhutdinov & Hinton 2009) followed by variational stochastic maximum
// likelihood — mean-field posteriors for the data, persistent Gibbs chains
// for the model — and measures it:
//
//	go run ./examples/dbm
//
// With Debian's dataset-fashion-mnist installed it trains, on binarized
// Fashion-MNIST (pixels > 0.5), the DBM of examples/dbm.ebm, 784-500-1000
// (or, with -small, the 784-500-500 variant, type DBM500 of examples/dbm/models), and
// reports the AIS estimate of log Z and the variational lower bound on the
// test log-likelihood (the mean-field ELBO with the AIS log Z) on the
// 10,000 test images, with error bars. Without the data set it trains a
// 16-16-8 DBM on the 30 embedded 4×4 bars-and-stripes patterns in
// seconds, where log Z and log p(v) are also exact. It prints progress and
// writes, under -out:
//
//	metrics.json  log Z (AIS, and exact where possible) with its ±3σ
//	              interval; the ELBO on the test (and a train) set: mean,
//	              standard error, ±3σ and the interval that adds log Z's;
//	              the exact log-likelihood where possible; seconds per
//	              epoch of pretraining and of training, and per SML epoch
//	              its seconds and the positive phase's mean-field sweeps
//	              per minibatch; inpainting errors
//	samples.png   visible means after a Gibbs chain of -sample-sweeps sweeps
//	chain.gif     Gibbs chains from noise, a frame every few sweeps
//	inpaint.png   test images (row 1), their lower half hidden (row 2, dark gray),
//	              completed by ICM (row 3), mean field (row 4) and Gibbs
//	              sampling (row 5)
//	model.safetensors  the trained parameters; -load evaluates them again
//	              (with other AIS settings, say) without training
//
// metrics.json is first written when training ends (stage "trained":
// the training figures and the learning curve) and again, complete, after
// the evaluation (stage "evaluated").
//
// -mf-iters and -mf-tol set the positive phase's mean field (cap and
// tolerance); -guide starts it from a recognition model's guesses
// (deep.Recognition as CDConfig.MeanFieldGuide) that learns alongside.
//
// The progress lines of SML show "recon 0.0000": the generated trainer
// measures reconstructions only for CD, not for persistent chains.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/internal/chains"
	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/training"
)

// memoryLimit is the soft memory limit the command runs under unless
// GOMEMLIMIT says otherwise (docs/performance.md, "Peak memory of the
// examples"): the heap that Go's collector would let grow to twice what is
// live is collected sooner instead.
const memoryLimit = 160 << 20

func main() {
	cli.SoftMemoryLimit(memoryLimit, os.Getenv)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	data, out          string
	small              bool
	pretrainEpochs     int
	epochs             int
	trainRows          int
	batch, chains, k   int
	pretrainLR, lr     float64
	momentum           float64
	load               string
	pseudo             float64
	temps, runs        int
	testRows, trainEva int
	inpaint            int
	sampleSweeps       int
	seed               uint64
	curveRows          int
	curveTemps         int
	curveRuns          int
	float32            bool
	recognition        int
	guide              bool
	centering          float64
	mfIters            int
	mfTol              float64
	reverseRuns        int
	burn               int
	// wrap, when set (by tests), wraps the SML trainer: the negative
	// control of the regression test breaks its step this way.
	wrap func(runtime.Trainer) runtime.Trainer
}

// job is the model and data to run. The images are binary and held as
// bits (the 60,000 Fashion-MNIST training images in 5.9 MB instead of
// 376 MB as float64); every use reads them a minibatch at a time.
type job struct {
	name        string
	model       runtime.Reflective
	train, test *dataset.BitDataset
	side        int
	every       int // print every this many epochs
	exact       bool
}

func run(args []string, stdout, stderr io.Writer) int { return runWrapped(args, stdout, stderr, nil) }

// runWrapped is run with the SML trainer wrapped by wrap, if not nil.
func runWrapped(args []string, stdout, stderr io.Writer, wrap func(runtime.Trainer) runtime.Trainer) int {
	c := cli.Command{Name: "dbm", Stdout: stdout, Stderr: stderr}
	fs := c.FlagSet()
	o := options{wrap: wrap}
	cli.DataFlag(fs, &o.data)
	cli.OutFlag(fs, &o.out, "results/dbm", "metrics.json and the pictures")
	fs.BoolVar(&o.small, "small", false, "train the 784-500-500 variant instead of 784-500-1000")
	fs.IntVar(&o.pretrainEpochs, "pretrain-epochs", 0, "epochs of each pretraining RBM (default 3 on Fashion-MNIST, 300 on bars and stripes)")
	fs.IntVar(&o.epochs, "epochs", 0, "epochs of variational SML (default 3 on Fashion-MNIST, 3000 on bars and stripes)")
	fs.IntVar(&o.trainRows, "train-rows", 0, "training images used (0: all)")
	fs.IntVar(&o.batch, "batch", 0, "minibatch size (default 100 on Fashion-MNIST, 10 on bars and stripes)")
	fs.IntVar(&o.chains, "chains", 100, "persistent chains of SML")
	fs.IntVar(&o.k, "k", 0, "Gibbs sweeps of the persistent chains per update (default 5, as in Salakhutdinov & Hinton)")
	fs.Float64Var(&o.pretrainLR, "pretrain-lr", 0.05, "learning rate of pretraining")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate of SML (default 0.001 on Fashion-MNIST, 0.01 on bars and stripes)")
	fs.Float64Var(&o.momentum, "momentum", 0.5, "momentum of SML")
	fs.IntVar(&o.temps, "temps", 0, "AIS temperatures (default 10000 on Fashion-MNIST, 1000 on bars and stripes)")
	fs.IntVar(&o.runs, "runs", 100, "AIS runs")
	fs.IntVar(&o.reverseRuns, "reverse-runs", 100, "reverse AIS runs (0: none), from chains burned in at the model, which err high where forward AIS errs low")
	fs.IntVar(&o.burn, "burn", 1000, "Gibbs sweeps of burn-in before reverse AIS")
	fs.Float64Var(&o.pseudo, "pseudo", -1, "pseudo-counts smoothing the unit means of AIS's base-rate model (default: training images/20)")
	fs.IntVar(&o.testRows, "test-rows", 0, "test images for the ELBO (0: all)")
	fs.IntVar(&o.trainEva, "train-eval-rows", 10000, "training images for the ELBO on the training set")
	fs.IntVar(&o.inpaint, "inpaint", 16, "test images to inpaint")
	fs.IntVar(&o.sampleSweeps, "sample-sweeps", 1000, "Gibbs sweeps before samples.png")
	cli.SeedFlag(fs, &o.seed)
	fs.IntVar(&o.curveRows, "curve-rows", 1000, "test images for the learning curve: the bound after pretraining and after every SML epoch (0: no curve)")
	fs.IntVar(&o.curveTemps, "curve-temps", 1000, "AIS temperatures of the learning curve's log Z")
	fs.IntVar(&o.curveRuns, "curve-runs", 50, "AIS runs of the learning curve's log Z")
	fs.IntVar(&o.recognition, "recognition", 0, "train a recognition model for mean field (Salakhutdinov & Larochelle 2010) for this many epochs on the first 10,000 training images and compare mean field from its guesses with mean field from zero on the first 1000 test images (0: none)")
	fs.BoolVar(&o.guide, "guide", false, "train with a recognition model as the positive phase's guide (CDConfig.MeanFieldGuide): each minibatch's mean field starts from its guesses, and it takes one step toward the fixed point reached")
	fs.Float64Var(&o.centering, "centering", 0, "train SML with the centered gradient (deep.Centering; Melchior et al. 2016), each layer's offsets a moving average of the positive phase's means at this rate per minibatch, e.g. 0.01 (0: the normal gradient)")
	fs.IntVar(&o.mfIters, "mf-iters", 25, "cap on the mean-field sweeps of each SML step's positive phase")
	fs.Float64Var(&o.mfTol, "mf-tol", 1e-6, "the positive phase's mean field stops once no mean moves more than this")
	fs.BoolVar(&o.float32, "float32", false, "variational SML's matrix products in float32 (CDConfig.Float32; on D1 about 2.1× faster with AVX2, 1.4× with AVX-512; needs AVX2 and FMA or AVX-512; the documented figures are float64)")
	fs.StringVar(&o.load, "load", "", "evaluate the parameters of this checkpoint (a model.safetensors written by an earlier run) instead of training")
	if code, ok := c.Parse(fs, args); !ok {
		return code
	}
	switch {
	case o.mfIters < 1:
		return c.Fail(fmt.Errorf("-mf-iters %d: the positive phase needs at least one mean-field sweep", o.mfIters))
	case o.guide && o.load != "":
		return c.Fail(errors.New("-guide guides training; -load evaluates a model without training"))
	case o.burn < 0:
		return c.Fail(fmt.Errorf("-burn %d: the sweeps of burn-in before reverse AIS cannot be negative", o.burn))
	case !(o.centering >= 0 && o.centering <= 1):
		return c.Fail(fmt.Errorf("-centering %v: the offsets' rate must lie in [0, 1] (0: no centering)", o.centering))
	}
	j, err := newJob(&o, stderr)
	if err != nil {
		return c.Fail(err)
	}
	met, err := j.run(o, stdout)
	if err != nil {
		return c.Fail(err)
	}
	if _, err := cli.WriteMetrics(o.out, met); err != nil {
		return c.Fail(err)
	}
	fmt.Fprintf(stdout, "wrote metrics.json, samples.png, chain.gif and inpaint.png to %s\n", o.out)
	return 0
}

// newJob loads Fashion-MNIST, or falls back to bars and stripes, and fills
// in the defaults that depend on which.
func newJob(o *options, stderr io.Writer) (*job, error) {
	def := func(v *int, fashion, bas int, isFashion bool) {
		if *v == 0 {
			*v = bas
			if isFashion {
				*v = fashion
			}
		}
	}
	train, errTrain := dataset.LoadIDXBits(filepath.Join(o.data, "train-images-idx3-ubyte.gz"), 0.5)
	test, errTest := dataset.LoadIDXBits(filepath.Join(o.data, "t10k-images-idx3-ubyte.gz"), 0.5)
	fashion := errTrain == nil && errTest == nil
	if !fashion && !errors.Is(errTrain, os.ErrNotExist) && !errors.Is(errTest, os.ErrNotExist) {
		return nil, errors.Join(errTrain, errTest)
	}
	def(&o.pretrainEpochs, 3, 300, fashion)
	def(&o.epochs, 3, 3000, fashion)
	def(&o.k, 5, 5, fashion)
	def(&o.batch, 100, 10, fashion)
	def(&o.temps, 10000, 1000, fashion)
	if o.lr == 0 {
		o.lr = 0.01
		if fashion {
			o.lr = 0.001
		}
	}
	if !fashion {
		fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\ntraining a 16-16-8 DBM on the embedded bars-and-stripes patterns instead.\n", o.data)
		d := dataset.Binarized(barsAndStripes(), 0.5)
		return &job{name: "bars-and-stripes-dbm16-16-8", model: models.NewBAS(o.seed).Reflect(), train: d, test: d, side: 4, every: 300, exact: true}, nil
	}
	if o.trainRows > 0 {
		train, _ = train.Split(o.trainRows)
	}
	if o.testRows > 0 {
		test, _ = test.Split(o.testRows)
	}
	if o.small {
		return &job{name: "fashion-dbm784-500-500", model: models.NewDBM500(o.seed).Reflect(), train: train, test: test, side: 28, every: 1}, nil
	}
	return &job{name: "fashion-dbm784-500-1000", model: models.NewDBM(o.seed).Reflect(), train: train, test: test, side: 28, every: 1}, nil
}

// barsAndStripes returns the 30 distinct 4×4 images whose rows, or columns, are all equal.
func barsAndStripes() *dataset.Dataset {
	d := &dataset.Dataset{Cols: 16}
	seen := map[[16]float64]bool{}
	for mask := 0; mask < 16; mask++ {
		for _, rows := range []bool{true, false} {
			var img [16]float64
			for r := 0; r < 4; r++ {
				for c := 0; c < 4; c++ {
					bit := c
					if rows {
						bit = r
					}
					img[r*4+c] = float64(mask >> bit & 1)
				}
			}
			if !seen[img] {
				seen[img] = true
				d.X = append(d.X, img[:]...)
				d.Rows++
			}
		}
	}
	return d
}

// Estimate is a value with the method that produced it and its interval
// (±3 standard errors unless the method says otherwise).
type Estimate struct {
	Value  number `json:"value"`
	Low    number `json:"low"`
	High   number `json:"high"`
	Method string `json:"method"`
}

// number is a float64 that JSON writes as null when it is not finite (an
// interval unbounded on one side).
type number float64

func (x number) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(x))
}

func (x *number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = number(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(x))
}

// Bound is a variational lower bound on the average log-likelihood.
type Bound struct {
	Mean   float64 `json:"mean"`
	StdErr float64 `json:"std_err"`
	// Low and High are mean ∓ 3 standard errors over the rows, widened by
	// the ±3σ interval of log Z.
	Low          number  `json:"low"`
	High         number  `json:"high"`
	Rows         int     `json:"rows"`
	Method       string  `json:"method"`
	MeanField    int     `json:"mean_field_sweeps_max"`
	Seconds      float64 `json:"seconds"`
	GapToExactLL float64 `json:"gap_to_exact_log_likelihood,omitempty"`
}

// Metrics is what metrics.json holds.
type Metrics struct {
	Model              string              `json:"model"`
	Layers             []string            `json:"layers"`
	TrainExamples      int                 `json:"train_examples"`
	TestExamples       int                 `json:"test_examples"`
	PretrainEpochs     int                 `json:"pretrain_epochs_per_rbm"`
	PretrainSeconds    float64             `json:"pretrain_seconds"`
	PretrainEpochSecs  []float64           `json:"pretrain_seconds_per_epoch"`
	PretrainRecon      []float64           `json:"pretrain_recon_last_epoch"`
	Epochs             int                 `json:"sml_epochs"`
	SecondsPerEpoch    float64             `json:"sml_seconds_per_epoch"`
	Training           string              `json:"training"`
	LogZ               map[string]Estimate `json:"log_z"`
	ELBOTest           Bound               `json:"elbo_test"`
	ELBOTrain          Bound               `json:"elbo_train"`
	ExactLogLikelihood *Estimate           `json:"exact_log_likelihood_test,omitempty"`
	// PretrainedLogLikelihood is the exact test log-likelihood right after
	// greedy pretraining, where it can be computed.
	PretrainedLogLikelihood *Estimate          `json:"pretrained_exact_log_likelihood_test,omitempty"`
	InpaintMSE              map[string]float64 `json:"inpaint_mse_missing_pixels"`
	InpaintImages           int                `json:"inpaint_images"`
	EvaluationSeconds       float64            `json:"evaluation_seconds"`
	TotalSeconds            float64            `json:"total_seconds"`
	AISTemperatures         int                `json:"ais_temperatures"`
	AISRuns                 int                `json:"ais_runs"`
	AISEffectiveRuns        float64            `json:"ais_effective_runs"`
	// ReverseAISEffectiveRuns is Kish's effective sample size of the
	// reverse runs' weights.
	ReverseAISEffectiveRuns float64            `json:"reverse_ais_effective_runs,omitempty"`
	Version                 string             `json:"version"`
	SampleSweeps            int                `json:"sample_sweeps"`
	PersistentChains        int                `json:"persistent_chains"`
	Float32Products         bool               `json:"float32_products,omitempty"`
	CenteringRate           float64            `json:"centering_rate,omitempty"` // -centering: the centered gradient's offsets' rate
	Recognition             *Recognition       `json:"recognition,omitempty"`
	LearningRates           map[string]float64 `json:"learning_rates"`
	Curve                   []CurvePoint       `json:"learning_curve,omitempty"`
	// PositivePhase is the mean field of SML's positive phase: its cap,
	// tolerance and whether a recognition model guided it.
	PositivePhase *PositivePhase `json:"positive_phase,omitempty"`
	// SMLEpochs holds, per SML epoch, its seconds and mean-field sweeps.
	SMLEpochs []SMLEpoch `json:"sml_epochs_detail,omitempty"`
	Seed      uint64     `json:"seed"`
	// Stage is "trained" in the metrics.json written when training ends,
	// before the evaluation (log Z, bounds, pictures) that can take longer
	// than training, and "evaluated" once everything is measured.
	Stage string `json:"stage"`
}

func (j *job) run(o options, stdout io.Writer) (*Metrics, error) {
	start := time.Now()
	m := j.model
	met := &Metrics{Model: j.name, TrainExamples: j.train.Rows, TestExamples: j.test.Rows, PretrainEpochs: o.pretrainEpochs,
		Epochs: o.epochs, LogZ: map[string]Estimate{}, AISTemperatures: o.temps, AISRuns: o.runs, SampleSweeps: o.sampleSweeps,
		PersistentChains: o.chains, LearningRates: map[string]float64{"pretrain": o.pretrainLR, "sml": o.lr, "sml_momentum": o.momentum}, Seed: o.seed, Version: cli.Version()}
	for _, ly := range m.Layers() {
		met.Layers = append(met.Layers, fmt.Sprintf("%s[%d] %s", ly.Name, ly.Shape[0], ly.Kind))
	}
	if o.load != "" {
		c, err := checkpoint.LoadCheckpoint(o.load)
		if err != nil {
			return nil, err
		}
		if err := c.Restore(m, nil); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "== %s: parameters from %s\n", j.name, o.load)
		met.Training = "loaded from " + o.load
	} else if err := j.fit(o, met, stdout); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	if o.load == "" {
		if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "model.safetensors"), checkpoint.CheckpointOf(m, nil, nil, map[string]string{"job": j.name})); err != nil {
			return nil, err
		}
		met.Stage = "trained"
		met.TotalSeconds = time.Since(start).Seconds()
		if _, err := cli.WriteMetrics(o.out, met); err != nil {
			return nil, err
		}
	}
	if err := j.evaluate(o, met, stdout); err != nil {
		return nil, err
	}
	if o.recognition > 0 {
		if err := j.recognition(o, met, stdout); err != nil {
			return nil, err
		}
	}
	if err := j.pictures(o, met, stdout); err != nil {
		return nil, err
	}
	met.EvaluationSeconds = time.Since(t0).Seconds()
	met.TotalSeconds = time.Since(start).Seconds()
	met.Stage = "evaluated"
	return met, nil
}

// fit pretrains the model greedily and then trains it by variational SML.
func (j *job) fit(o options, met *Metrics, stdout io.Writer) error {
	ctx := context.Background()
	m := j.model
	fmt.Fprintf(stdout, "== %s: %d training images; greedy pretraining, %d epochs per RBM\n", j.name, j.train.Rows, o.pretrainEpochs)
	pre, err := deep.PretrainDBM(ctx, m, j.train, deep.PretrainConfig{Epochs: o.pretrainEpochs, BatchSize: o.batch, K: 1, Seed: o.seed,
		Optimizer: runtime.SGD{LearningRate: o.pretrainLR, Momentum: 0.5, WeightDecay: 0.0005}, Progress: &cli.EveryNth{W: stdout, N: j.every}})
	if err != nil {
		return err
	}
	met.PretrainSeconds = pre.Seconds
	for _, st := range pre.RBMs {
		met.PretrainEpochSecs = append(met.PretrainEpochSecs, st.Seconds/float64(max(1, len(st.Recon))))
		if len(st.Recon) > 0 {
			met.PretrainRecon = append(met.PretrainRecon, st.Recon[len(st.Recon)-1])
		}
	}
	fmt.Fprintf(stdout, "pretraining took %.1fs\n", pre.Seconds)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "pretrained.safetensors"), checkpoint.CheckpointOf(m, nil, nil, map[string]string{"job": j.name, "stage": "greedy pretraining"})); err != nil {
		return err
	}
	if j.exact {
		z, err := m.LogZ(0)
		if err != nil {
			return err
		}
		ll, err := exactLogLikelihood(m, j.test, z)
		if err != nil {
			return err
		}
		met.PretrainedLogLikelihood = &Estimate{number(ll), number(ll), number(ll), "exact, after greedy pretraining"}
		fmt.Fprintf(stdout, "exact test log-likelihood after pretraining %.4f\n", ll)
	}
	curve := j.curve(o, met, stdout)
	curve()
	met.Training = fmt.Sprintf("variational SML: mean-field positive phase (generated trainer, Persistent; at most %d sweeps, tolerance %g), %d persistent chains started at training images with %d Gibbs sweep(s) per update, SGD lr %g decaying linearly to a tenth, momentum %g, weight decay 0.0002, batch %d",
		o.mfIters, o.mfTol, o.chains, o.k, o.lr, o.momentum, o.batch)
	met.PositivePhase = &PositivePhase{MaxSweeps: o.mfIters, Tol: o.mfTol}
	cfg := runtime.CDConfig{K: o.k, Persistent: true, Chains: o.chains, BatchSize: o.batch, Seed: o.seed, Float32: o.float32,
		MeanFieldIters: o.mfIters, MeanFieldTol: o.mfTol,
		Optimizer: runtime.SGD{LearningRate: o.lr, Momentum: o.momentum, WeightDecay: 0.0002, Schedule: runtime.LinearDecay(o.epochs, 0.1)}}
	if o.centering > 0 {
		c, err := deep.NewCentering(m, o.centering)
		if err != nil {
			return err
		}
		cfg.Transform = c
		met.CenteringRate = o.centering
		met.Training += fmt.Sprintf("; the centered gradient (deep.Centering), offsets averaged at rate %g", o.centering)
	}
	var guide *trainerGuide
	if o.guide {
		guide = &trainerGuide{}
		cfg.MeanFieldGuide = guide
	}
	tr, err := m.NewTrainer(cfg)
	if err != nil {
		return err
	}
	if guide != nil {
		// The recognition model's products run on the trainer's workspace
		// (one set of threads on the cores, float32 with -float32).
		var ws *runtime.Workspace
		if w, ok := tr.(interface{ Workspace() *runtime.Workspace }); ok {
			ws = w.Workspace()
		}
		if guide.r, err = deep.NewRecognition(m, o.batch, ws); err != nil {
			return err
		}
		defer guide.r.Close()
		met.PositivePhase.Guide = fmt.Sprintf("recognition model (deep.Recognition) learning alongside: one SGD step per minibatch, rate %g, momentum %g",
			guide.r.Optimizer.LearningRate, guide.r.Optimizer.Momentum)
		met.Training += "; " + met.PositivePhase.Guide
	}
	met.Float32Products = o.float32 // NewTrainer refused it where the CPU has no float32 kernels
	chains.StartAtData(m, tr, j.train, o.seed)
	if o.wrap != nil {
		tr = o.wrap(tr)
	}
	fmt.Fprintf(stdout, "== variational SML for %d epochs\n", o.epochs)
	t0 := time.Now()
	stats, err := training.Fit(ctx, tr, j.train, training.FitConfig{Epochs: o.epochs, BatchSize: o.batch, Shuffle: true, Seed: o.seed,
		Progress: &cli.EveryNth{W: stdout, N: j.every}, Proxy: curve})
	if err != nil {
		return err
	}
	met.SecondsPerEpoch = time.Since(t0).Seconds() / float64(max(1, o.epochs))
	for _, st := range stats {
		met.SMLEpochs = append(met.SMLEpochs, SMLEpoch{Epoch: st.Epoch, Seconds: st.Seconds, MeanFieldSweeps: st.MeanFieldSweeps})
	}
	return nil
}

// PositivePhase describes the mean field of variational SML's positive
// phase.
type PositivePhase struct {
	MaxSweeps int     `json:"max_sweeps"`
	Tol       float64 `json:"tolerance"`
	Guide     string  `json:"guide,omitempty"`
}

// SMLEpoch is one epoch of variational SML: the seconds its steps took
// (training.EpochStats.Seconds: the steps and batching, not the learning
// curve's evaluation) and the mean-field sweeps of its positive phase per
// minibatch (training.EpochStats.MeanFieldSweeps). The test bound after it,
// where measured, is in the learning curve.
type SMLEpoch struct {
	Epoch           int     `json:"epoch"`
	Seconds         float64 `json:"seconds"`
	MeanFieldSweeps float64 `json:"mean_field_sweeps_per_minibatch"`
}

// trainerGuide is the trainer's MeanFieldGuide: a recognition model made
// after the trainer, so that it can share the trainer's workspace.
type trainerGuide struct{ r *deep.Recognition }

func (g *trainerGuide) Guess(x runtime.Chains)            { g.r.Guess(x) }
func (g *trainerGuide) Learn(x runtime.Chains, epoch int) { g.r.Learn(x, epoch) }

// evaluate estimates log Z and the lower bounds.
func (j *job) evaluate(o options, met *Metrics, stdout io.Writer) error {
	m := j.model
	chosen := Estimate{}
	if z, err := m.LogZ(0); err == nil {
		chosen = Estimate{number(z), number(z), number(z), "exact (enumeration)"}
		met.LogZ["exact"] = chosen
		fmt.Fprintf(stdout, "exact log Z = %.4f\n", z)
	}
	pseudo := o.pseudo
	if pseudo < 0 {
		pseudo = float64(j.train.Rows) / 20
	}
	base, err := estimators.BaseRate(m, j.train, pseudo)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "== AIS: %d temperatures, %d runs\n", o.temps, o.runs)
	ais, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: o.temps, Runs: o.runs, Seed: o.seed, Progress: stdout})
	if err != nil {
		return err
	}
	aisEst := Estimate{number(ais.LogZ), number(ais.Low), number(ais.High), ais.Method + ", from the base-rate model; interval ±3σ of the mean importance weight"}
	met.LogZ["ais"] = aisEst
	met.AISEffectiveRuns = ais.ESS
	fmt.Fprintf(stdout, "AIS log Z = %.4f, ±3σ interval [%.4f, %.4f], %.1f effective runs of %d (%.1fs)\n",
		ais.LogZ, ais.Low, ais.High, met.AISEffectiveRuns, len(ais.LogW), ais.Seconds)
	if chosen.Method == "" {
		chosen = aisEst
	}
	if o.reverseRuns > 0 {
		fmt.Fprintf(stdout, "== reverse AIS: %d burn-in sweeps, %d temperatures, %d runs\n", o.burn, o.temps, o.reverseRuns)
		rev, err := estimators.ReverseAIS(m, base, estimators.AISConfig{Temperatures: o.temps, Runs: o.reverseRuns, Seed: o.seed}, o.burn)
		if err != nil {
			return err
		}
		met.LogZ["reverse_ais"] = Estimate{number(rev.LogZ), number(rev.Low), number(rev.High), rev.Method + ", from the base-rate model; interval ±3σ"}
		met.ReverseAISEffectiveRuns = rev.ESS
		fmt.Fprintf(stdout, "reverse AIS log Z = %.4f, ±3σ interval [%.4f, %.4f], %.1f effective runs of %d (%.1fs)\n",
			rev.LogZ, rev.Low, rev.High, met.ReverseAISEffectiveRuns, len(rev.LogW), rev.Seconds)
		if chosen.Method == aisEst.Method {
			chosen = sandwich(ais, rev)
			met.LogZ["sandwich"] = chosen
			fmt.Fprintf(stdout, "log Z for the bounds: %.4f, interval [%.4f, %.4f] (forward and reverse together)\n", chosen.Value, chosen.Low, chosen.High)
		}
	}
	bound := func(d *dataset.BitDataset, what string) (Bound, error) {
		fmt.Fprintf(stdout, "== ELBO on %d %s images (mean field, log Z %s)\n", d.Rows, what, chosen.Method)
		res, err := deep.ELBO(m, d, float64(chosen.Value), deep.ELBOConfig{Iters: 100, Tol: 1e-6})
		if err != nil {
			return Bound{}, err
		}
		b := Bound{Mean: res.Mean, StdErr: res.StdErr, Rows: d.Rows, MeanField: res.Sweeps, Seconds: res.Seconds,
			Low:  number(res.Mean - 3*res.StdErr - float64(chosen.High-chosen.Value)),
			High: number(res.Mean + 3*res.StdErr + float64(chosen.Value-chosen.Low)),
			Method: "mean over images of −E(v, μ) + H(q_μ) − log Z, q the mean-field posterior (≤ 100 sweeps, tol 1e-6); " +
				"interval: ±3 standard errors over images, widened by the ±3σ interval of log Z (" + chosen.Method + ")"}
		fmt.Fprintf(stdout, "ELBO %s: %.3f ± %.3f (s.e. over images); with log Z's uncertainty [%.3f, %.3f] nats (%.1fs)\n",
			what, b.Mean, b.StdErr, b.Low, b.High, b.Seconds)
		return b, nil
	}
	if met.ELBOTest, err = bound(j.test, "test"); err != nil {
		return err
	}
	trainEval, _ := j.train.Split(o.trainEva)
	if met.ELBOTrain, err = bound(trainEval, "training"); err != nil {
		return err
	}
	if j.exact {
		ll, err := exactLogLikelihood(m, j.test, float64(chosen.Value))
		if err != nil {
			return err
		}
		met.ExactLogLikelihood = &Estimate{number(ll), number(ll), number(ll), "exact: log Σ_{h2} exp(−F(v, h2)) − log Z, h1 summed out analytically"}
		met.ELBOTest.GapToExactLL = ll - met.ELBOTest.Mean
		fmt.Fprintf(stdout, "exact test log-likelihood %.4f; the bound is %.4f below\n", ll, met.ELBOTest.GapToExactLL)
	}
	return nil
}

// sandwich combines forward AIS, whose log Z errs low in expectation
// (Jensen's inequality on the mean weight), with reverse AIS, which errs
// high when its chains start at model samples: the value is forward's, and
// the interval runs from the lower of the two estimates' ±3σ ends to the
// higher, an end that is unbounded (a few runs carrying the estimate)
// replaced by the other direction's estimate. It is finite whenever both
// estimates are.
func sandwich(fwd, rev *estimators.Estimate) Estimate {
	lo, hi := math.Min(fwd.LogZ, rev.LogZ), math.Max(fwd.LogZ, rev.LogZ)
	for _, v := range []float64{fwd.Low, rev.Low} {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo = math.Min(lo, v)
		}
	}
	for _, v := range []float64{fwd.High, rev.High} {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			hi = math.Max(hi, v)
		}
	}
	return Estimate{number(fwd.LogZ), number(lo), number(hi),
		"forward AIS's estimate; interval from the lower to the higher of forward and reverse AIS with their ±3σ intervals (forward errs low, reverse high)"}
}

// exactLogLikelihood is the mean over rows of log p(v) = log Σ_h
// exp(−F(v, h)) − log Z, with F a free energy that sums out hidden layers
// only and keeps, besides the visible layers, bernoulli hidden layers of at
// most 16 units together, which it enumerates.
func exactLogLikelihood(m runtime.Reflective, d dataset.Source, logZ float64) (float64, error) {
	layers := m.Layers()
	index := map[string]int{}
	for l, ly := range layers {
		index[ly.Name] = l
	}
	units := func(l int) int {
		n := 1
		for _, s := range layers[l].Shape {
			n *= s
		}
		return n
	}
	for fe, info := range m.FreeEnergies() {
		var hidden []int
		bits, ok := 0, true
		for _, name := range info.SumOut {
			ok = ok && !layers[index[name]].Visible
		}
		for _, name := range info.Keep {
			if l := index[name]; !layers[l].Visible {
				hidden = append(hidden, l)
				bits += units(l)
				ok = ok && layers[l].Kind == runtime.KindBernoulli
			}
		}
		if !ok || bits > 16 || len(hidden) == len(info.Keep) {
			continue
		}
		n := 1 << bits
		x := m.NewChains(n, 0)
		views := x.Layers()
		for c := 0; c < n; c++ {
			bit := 0
			for _, l := range hidden {
				size := units(l)
				for u := 0; u < size; u++ {
					views[l].Data[c*size+u] = float64(c >> bit & 1)
					bit++
				}
			}
		}
		f := make([]float64, n)
		rows, cols := d.Shape()
		row, idx := make([]float64, cols), make([]int, 1)
		total := 0.0
		for r := 0; r < rows; r++ {
			idx[0] = r
			d.Gather(row, idx)
			off := 0
			for l, ly := range layers {
				if !ly.Visible {
					continue
				}
				size := units(l)
				for c := 0; c < n; c++ {
					copy(views[l].Data[c*size:(c+1)*size], row[off:off+size])
				}
				off += size
			}
			m.FreeEnergy(x, fe, 1, f)
			for c := range f {
				f[c] = -f[c]
			}
			total += runtime.LogSumExp(f) - logZ
		}
		return total / float64(rows), nil
	}
	return 0, fmt.Errorf("%s: no free energy leaves few enough hidden units to enumerate", m.ModelName())
}

// pictures writes samples.png, chain.gif and inpaint.png.
func (j *job) pictures(o options, met *Metrics, stdout io.Writer) error {
	m := j.model
	side := j.side
	nv := side * side
	f := max(1, 28/side)
	big := side * f
	const n, frames = 64, 100
	x := m.NewChains(n, o.seed+1)
	means := make([]float64, n*nv)
	every := max(1, o.sampleSweeps/frames)
	var gif [][]float64
	fmt.Fprintf(stdout, "== %d Gibbs sweeps of %d chains for samples.png and chain.gif\n", o.sampleSweeps, n)
	for s := 0; s < o.sampleSweeps; s++ {
		m.Sweep(x, 1)
		if s%every == 0 {
			m.Mean(x, 0, 1, means)
			gif = append(gif, imaging.Upscale(means, n, side, side, f))
		}
	}
	m.Mean(x, 0, 1, means)
	if err := imaging.WriteTiles(filepath.Join(o.out, "samples.png"), imaging.Upscale(means, n, side, side, f), n, big, big, 8, false); err != nil {
		return err
	}
	if err := imaging.WriteGIF(filepath.Join(o.out, "chain.gif"), gif, n, big, big, 8, 8); err != nil {
		return err
	}
	k := min(o.inpaint, j.test.Rows)
	if k == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "== inpainting the lower half of %d test images\n", k)
	head, _ := j.test.Split(k)
	rows := head.Dense()
	missing := make([]bool, nv)
	for i := nv / 2; i < nv; i++ {
		missing[i] = true
	}
	masked := append([]float64(nil), rows.X...)
	for r := 0; r < k; r++ {
		for i := nv / 2; i < nv; i++ {
			masked[r*nv+i] = 0.3
		}
	}
	tiles := append(append([]float64(nil), rows.X...), masked...)
	met.InpaintMSE = map[string]float64{}
	met.InpaintImages = k
	for _, method := range []estimators.CompletionMethod{estimators.CompleteICM, estimators.CompleteMeanField, estimators.CompleteGibbs} {
		t0 := time.Now()
		out, err := estimators.Complete(m, rows, missing, estimators.CompleteConfig{Method: method, Iters: 100, Burn: 100, Samples: 100, Seed: o.seed})
		if err != nil {
			return err
		}
		mse := 0.0
		for r := 0; r < k; r++ {
			for i := nv / 2; i < nv; i++ {
				d := out.X[r*nv+i] - rows.X[r*nv+i]
				mse += d * d
			}
		}
		mse /= float64(k * (nv - nv/2))
		met.InpaintMSE[method.String()] = mse
		fmt.Fprintf(stdout, "%-10s completion: mean squared error on the hidden pixels %.4f (%.1fs)\n", method, mse, time.Since(t0).Seconds())
		tiles = append(tiles, out.X...)
	}
	return imaging.WriteTiles(filepath.Join(o.out, "inpaint.png"), imaging.Upscale(tiles, 5*k, side, side, f), 5*k, big, big, k, false)
}

// CurvePoint is the test bound at one point of training: after pretraining
// (epoch 0) or after an epoch of SML, on the first -curve-rows test images
// with a cheaper (forward) AIS log Z than the final evaluation's, at about
// ten points of training.
type CurvePoint struct {
	Epoch    int     `json:"sml_epoch"`
	Bound    float64 `json:"test_bound"`
	StdErr   float64 `json:"std_err"`
	LogZ     float64 `json:"log_z"`
	LogZLow  number  `json:"log_z_low"`
	LogZHigh number  `json:"log_z_high"`
	ESS      float64 `json:"ais_effective_runs"`
}

// curve returns a function that measures the bound, records it in met and
// prints it; as a Fit proxy it reports the bound. With -curve-rows 0 it
// measures nothing.
func (j *job) curve(o options, met *Metrics, stdout io.Writer) func() (string, float64) {
	if o.curveRows <= 0 {
		return func() (string, float64) { return "test bound", math.NaN() }
	}
	rows, _ := j.test.Split(min(o.curveRows, j.test.Rows))
	epoch, last := 0, math.NaN()
	every := max(1, o.epochs/10) // at most about ten points
	return func() (string, float64) {
		defer func() { epoch++ }()
		if epoch%every != 0 && epoch != o.epochs {
			return "test bound", last
		}
		m := j.model
		base, err := estimators.BaseRate(m, j.train, float64(j.train.Rows)/20)
		if err != nil {
			return "test bound", math.NaN()
		}
		ais, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: o.curveTemps, Runs: o.curveRuns, Seed: o.seed + uint64(epoch)})
		if err != nil {
			return "test bound", math.NaN()
		}
		res, err := deep.ELBO(m, rows, ais.LogZ, deep.ELBOConfig{Iters: 100, Tol: 1e-6})
		if err != nil {
			return "test bound", math.NaN()
		}
		p := CurvePoint{Epoch: epoch, Bound: res.Mean, StdErr: res.StdErr, LogZ: ais.LogZ, LogZLow: number(ais.Low), LogZHigh: number(ais.High), ESS: ais.ESS}
		met.Curve = append(met.Curve, p)
		last = p.Bound
		fmt.Fprintf(stdout, "curve: after %d SML epochs, test bound %.2f ± %.2f on %d images (log Z %.2f, %.1f effective runs of %d)\n",
			epoch, p.Bound, p.StdErr, rows.Rows, p.LogZ, p.ESS, o.curveRuns)
		return "test bound", p.Bound
	}
}

// Recognition is the learned-inference experiment of -recognition: the
// recognition model's training and mean field from its guesses against
// mean field from zero (deep.CompareMeanField), at two tolerances.
type Recognition struct {
	TrainRows int                         `json:"train_rows"`
	TestRows  int                         `json:"test_rows"`
	Rate      float64                     `json:"rate"`
	Momentum  float64                     `json:"momentum"`
	TargetTol float64                     `json:"target_tolerance"`
	Epochs    []deep.RecognitionEpoch     `json:"epochs"`
	Untrained []*deep.MeanFieldComparison `json:"untrained"`
	Trained   []*deep.MeanFieldComparison `json:"trained"`
	Seconds   float64                     `json:"seconds"`
}

// recognition trains a recognition model on the first 10,000 training
// images and compares mean field from its guesses (and, as a control, from
// the untrained model's ½) with mean field from zero on the first 1000 test
// images, to 1e-4 and 1e-6 (at most 200 sweeps) and after 10 sweeps.
func (j *job) recognition(o options, met *Metrics, stdout io.Writer) error {
	start := time.Now()
	train, _ := j.train.Split(min(10000, j.train.Rows))
	test, _ := j.test.Split(min(1000, j.test.Rows))
	batch := min(100, train.Rows, test.Rows)
	r, err := deep.NewRecognition(j.model, batch, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	rec := &Recognition{TrainRows: train.Rows, TestRows: test.Rows, Rate: 0.1, Momentum: 0.9, TargetTol: 1e-6}
	compare := func() ([]*deep.MeanFieldComparison, error) {
		var out []*deep.MeanFieldComparison
		for _, tol := range []float64{1e-4, 1e-6} {
			c, err := deep.CompareMeanField(j.model, r, test, 200, tol, 10)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(stdout, "mean field to %g: %.1f sweeps per batch from zero, %.1f from the guesses; bound after 10 sweeps %.4f and %.4f (+ log Z)\n",
				tol, c.SweepsFromZero, c.SweepsFromGuess, c.BudgetBoundFromZero, c.BudgetBoundFromGuess)
			out = append(out, c)
		}
		return out, nil
	}
	fmt.Fprintf(stdout, "== recognition model: untrained (every guess ½)\n")
	if rec.Untrained, err = compare(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "== recognition model: %d epochs on %d training images\n", o.recognition, train.Rows)
	rec.Epochs, err = deep.TrainRecognition(context.Background(), j.model, r, train, deep.RecognitionConfig{Epochs: o.recognition, BatchSize: batch,
		Rate: rec.Rate, Momentum: rec.Momentum, Iters: 200, Tol: rec.TargetTol, Seed: o.seed, Progress: stdout})
	if err != nil {
		return err
	}
	if rec.Trained, err = compare(); err != nil {
		return err
	}
	rec.Seconds = time.Since(start).Seconds()
	met.Recognition = rec
	return nil
}
