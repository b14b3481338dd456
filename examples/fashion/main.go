// Command fashion trains restricted Boltzmann machines with code generated
// by ebmc, measures them and writes what they learned:
//
//	go run ./examples/fashion
//
// With Debian's dataset-fashion-mnist installed it trains, by CD-1 on
// binarized Fashion-MNIST, the 784×20 RBM (whose log Z is exact: 2²⁰
// hidden configurations) and the 784×500 RBM of examples/rbm.ebm (whose
// log Z is estimated by AIS). Without it, it trains the same model at 16×16
// by CD-10 on the 30 bars-and-stripes patterns it carries. For every model
// it prints progress and writes, under -out:
//
//	metrics.json   log-likelihoods with method and ±3σ interval, log Z by
//	               every method that applies, pseudo-likelihood,
//	               reconstruction error, free-energy gap, epochs, seconds
//	NAME/model.safetensors  the trained model
//	NAME/samples.png  64 Gibbs chains started at different training images,
//	               visible means after 1000 sweeps
//	NAME/filters.png  each hidden unit's weights
//	NAME/chain.gif    Gibbs chains from noise, a frame per sweep
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ebmc/ebmc/examples/bas"
	"github.com/ebmc/ebmc/examples/internal/chains"
	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/examples/rbm20"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/training"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	data, out        string
	epochs, epochs20 int
	temps, runs      int
	plRows           int
	seed             uint64
	// wrap, when set (by tests), wraps every trainer before training: the
	// negative control of the regression test breaks its step this way.
	wrap func(runtime.Trainer) runtime.Trainer
}

// job is one model to train and measure.
type job struct {
	name    string
	model   runtime.Reflective
	trainer runtime.Trainer
	// train is what the model is fitted to: Fashion-MNIST's 60,000 images
	// held as bits (6 MB, expanded per minibatch, instead of 376 MB of
	// float64); trainEval its first rows, for the evaluation; test the
	// test images, also as bits (the evaluation expands 1000 rows at once).
	train     *dataset.BitDataset
	trainEval *dataset.BitDataset
	test      *dataset.BitDataset
	side      int // images are side×side
	epochs    int
	batch     int
	every     int // print progress every this many epochs
	settings  string
}

func run(args []string, stdout, stderr io.Writer) int { return runWrapped(args, stdout, stderr, nil) }

// runWrapped is run with the trainers wrapped by wrap, if not nil.
func runWrapped(args []string, stdout, stderr io.Writer, wrap func(runtime.Trainer) runtime.Trainer) int {
	c := cli.Command{Name: "fashion", Stdout: stdout, Stderr: stderr}
	fs := c.FlagSet()
	o := options{wrap: wrap}
	cli.DataFlag(fs, &o.data)
	cli.OutFlag(fs, &o.out, "results", "metrics.json and the pictures")
	fs.IntVar(&o.epochs, "epochs", 0, "epochs of the large model (default 1 on Fashion-MNIST, 2000 on bars and stripes)")
	fs.IntVar(&o.epochs20, "epochs20", 5, "epochs of the 784×20 model")
	fs.IntVar(&o.temps, "temps", 0, "AIS temperatures, evenly spaced (0: the 14,500 of Salakhutdinov & Murray, which give a finite interval; raise -runs or this when the effective sample size is small)")
	fs.IntVar(&o.runs, "runs", 100, "AIS runs")
	fs.IntVar(&o.plRows, "pl-rows", 100, "test rows for the exact pseudo-likelihood (every unit flipped)")
	cli.SeedFlag(fs, &o.seed)
	if code, ok := c.Parse(fs, args); !ok {
		return code
	}
	jobs, err := newJobs(o, stderr)
	if err != nil {
		return c.Fail(err)
	}
	var all []*Metrics
	for _, j := range jobs {
		if o.wrap != nil {
			j.trainer = o.wrap(j.trainer)
		}
		met, err := j.run(o, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "fashion: %s: %v\n", j.name, err)
			return 1
		}
		all = append(all, met)
	}
	path, err := cli.WriteMetrics(o.out, all)
	if err != nil {
		return c.Fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return 0
}

func cd1(seed uint64, k, batch int, lr float64) runtime.CDConfig {
	return runtime.CDConfig{K: k, BatchSize: batch, Seed: seed, MeanVisible: true,
		Optimizer: runtime.SGD{LearningRate: lr, Momentum: 0.5}}
}

// evalRows is how many training images the evaluation expands (the
// base rates of AIS, the training log-likelihood, the free-energy gap).
const evalRows = 10000

func newJobs(o options, stderr io.Writer) ([]*job, error) {
	train, errTrain := dataset.LoadIDXBits(filepath.Join(o.data, "train-images-idx3-ubyte.gz"), 0.5)
	test, errTest := dataset.LoadIDXBits(filepath.Join(o.data, "t10k-images-idx3-ubyte.gz"), 0.5)
	if errTrain == nil && errTest == nil {
		trainEval, _ := train.Split(evalRows)
		m20 := rbm20.NewRBM(o.seed)
		t20, err := rbm20.NewRBMTrainer(m20, cd1(o.seed, 1, 100, 0.05))
		if err != nil {
			return nil, err
		}
		m := rbm.NewRBM(o.seed)
		t, err := rbm.NewRBMTrainer(m, cd1(o.seed, 1, 100, 0.05))
		if err != nil {
			return nil, err
		}
		epochs := o.epochs
		if epochs == 0 {
			epochs = 1
		}
		settings := "binarized Fashion-MNIST (pixel/255 > 0.5), CD-1 with the negative phase's visible units as means, SGD learning rate 0.05, momentum 0.5, minibatches of 100, weights N(0, 0.01²), biases 0"
		return []*job{
			{name: "rbm784x20", model: m20.Reflect(), trainer: t20, train: train, trainEval: trainEval, test: test, side: 28, epochs: o.epochs20, batch: 100, every: 1, settings: settings},
			{name: "rbm784x500", model: m.Reflect(), trainer: t, train: train, trainEval: trainEval, test: test, side: 28, epochs: epochs, batch: 100, every: 1, settings: settings},
		}, nil
	}
	if !errors.Is(errTrain, os.ErrNotExist) && !errors.Is(errTest, os.ErrNotExist) {
		return nil, errors.Join(errTrain, errTest)
	}
	fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\ntraining on the embedded bars-and-stripes patterns instead.\n", o.data)
	m := bas.NewRBM(o.seed)
	t, err := bas.NewRBMTrainer(m, runtime.CDConfig{K: 10, BatchSize: 30, Seed: o.seed,
		Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.5}})
	if err != nil {
		return nil, err
	}
	d := dataset.Binarized(barsAndStripes(), 0.5)
	epochs := o.epochs
	if epochs == 0 {
		epochs = 2000
	}
	return []*job{{name: "bars-and-stripes-rbm16x16", model: m.Reflect(), trainer: t, train: d, trainEval: d, test: d, side: 4, epochs: epochs, batch: 30, every: 200,
		settings: "the 30 bars-and-stripes patterns of 4×4 pixels (train = test), CD-10, SGD learning rate 0.1, momentum 0.5, minibatches of 30"}}, nil
}

// barsAndStripes returns the 30 distinct 4×4 images whose rows, or columns, are all equal.
func barsAndStripes() *dataset.Dataset {
	d := &dataset.Dataset{Cols: 16}
	seen := map[string]bool{}
	for mask := 0; mask < 16; mask++ {
		for _, rows := range []bool{true, false} {
			img := make([]float64, 16)
			for r := 0; r < 4; r++ {
				for c := 0; c < 4; c++ {
					bit := c
					if rows {
						bit = r
					}
					img[r*4+c] = float64(mask >> bit & 1)
				}
			}
			if key := fmt.Sprint(img); !seen[key] {
				seen[key] = true
				d.X = append(d.X, img...)
				d.Rows++
			}
		}
	}
	return d
}

// Metrics is one model's entry in metrics.json.
type Metrics struct {
	Model             string                  `json:"model"`
	Settings          string                  `json:"settings"`
	Seed              uint64                  `json:"seed"`
	Version           string                  `json:"version"`
	SamplesCaption    string                  `json:"samples_png"`
	Examples          int                     `json:"train_examples"`
	Epochs            int                     `json:"epochs"`
	SecondsPerEpoch   float64                 `json:"seconds_per_epoch"`
	ReconTrainEpoch   float64                 `json:"recon_error_train_last_epoch"`
	ReconTest         float64                 `json:"recon_error_test"`
	LogZ              map[string]cli.Estimate `json:"log_z"`
	LogLikelihoodTr   cli.Estimate            `json:"log_likelihood_train"`
	LogLikelihoodTe   cli.Estimate            `json:"log_likelihood_test"`
	PseudoLikelihood  map[string]float64      `json:"pseudo_likelihood_test"`
	FreeEnergyGap     float64                 `json:"free_energy_gap_test_minus_train"`
	EvaluationSeconds float64                 `json:"evaluation_seconds"`
}

func (j *job) run(o options, stdout io.Writer) (*Metrics, error) {
	rows, _ := j.train.Shape()
	fmt.Fprintf(stdout, "== %s: training on %d examples for %d epochs\n", j.name, rows, j.epochs)
	start := time.Now()
	// Each epoch reports scikit-learn's cheap pseudo-likelihood on up to 1000 test rows.
	probe, _ := j.test.Split(min(1000, j.test.Rows))
	proxy := func() (string, float64) {
		pl, err := estimators.SampledPseudoLikelihood(j.model, probe, o.seed)
		if err != nil {
			return "pseudo-likelihood", math.NaN()
		}
		return "pseudo-likelihood", pl
	}
	stats, err := training.Fit(context.Background(), j.trainer, j.train, training.FitConfig{
		Epochs: j.epochs, BatchSize: j.batch, Shuffle: true, Seed: o.seed, Progress: &cli.EveryNth{W: stdout, N: j.every}, Proxy: proxy,
	})
	if err != nil {
		return nil, err
	}
	met := &Metrics{Model: j.name, Examples: rows, Epochs: j.epochs, Settings: j.settings, Seed: o.seed, Version: cli.Version(), SamplesCaption: samplesCaption, SecondsPerEpoch: time.Since(start).Seconds() / float64(j.epochs),
		LogZ: map[string]cli.Estimate{}}
	if len(stats) > 0 {
		met.ReconTrainEpoch = stats[len(stats)-1].Recon
	}
	start = time.Now()
	if err := j.evaluate(o, met, stdout); err != nil {
		return nil, err
	}
	met.EvaluationSeconds = time.Since(start).Seconds()
	dir := filepath.Join(o.out, j.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := j.pictures(dir, o.seed); err != nil {
		return nil, err
	}
	meta := map[string]string{"epochs": fmt.Sprint(j.epochs), "seed": fmt.Sprint(o.seed)}
	if err := checkpoint.SaveCheckpoint(filepath.Join(dir, "model.safetensors"), checkpoint.CheckpointOf(j.model, nil, nil, meta)); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "wrote model.safetensors, samples.png, filters.png and chain.gif to %s\n", dir)
	return met, nil
}

func (j *job) evaluate(o options, met *Metrics, stdout io.Writer) error {
	m := j.model
	var err error
	if met.ReconTest, err = estimators.Reconstruction(m, j.test); err != nil {
		return err
	}
	if met.FreeEnergyGap, err = estimators.FreeEnergyGap(m, j.trainEval, j.test); err != nil {
		return err
	}
	// log Z: exactly where the model is small enough, and by AIS.
	var z, zLow, zHigh float64 // the log Z chosen and its interval
	chosen := ""               // and its method
	if exact, err := m.LogZ(0); err == nil {
		z, zLow, zHigh, chosen = exact, exact, exact, "exact (enumeration)"
		met.LogZ["exact"] = cli.Interval(z, z, z, chosen)
		fmt.Fprintf(stdout, "exact log Z = %.4f\n", z)
	}
	base, err := estimators.BaseRate(m, j.trainEval, float64(j.trainEval.Rows)/20)
	if err != nil {
		return err
	}
	ais, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: o.temps, Runs: o.runs, Seed: o.seed, Progress: stdout})
	if err != nil {
		return err
	}
	aisFig := cli.Interval(ais.LogZ, ais.Low, ais.High, ais.Method)
	aisFig.ESS = &ais.ESS
	met.LogZ["ais"] = aisFig
	fmt.Fprintf(stdout, "AIS log Z = %.4f, ±3σ interval [%.4f, %.4f], effective sample size %.1f of %d runs (%.1fs)\n", ais.LogZ, ais.Low, ais.High, ais.ESS, len(ais.LogW), ais.Seconds)
	if chosen == "" {
		z, zLow, zHigh, chosen = ais.LogZ, ais.Low, ais.High, ais.Method
	}
	for _, side := range []struct {
		d   dataset.Source
		dst *cli.Estimate
	}{{j.trainEval, &met.LogLikelihoodTr}, {j.test, &met.LogLikelihoodTe}} {
		ll, err := estimators.LogLikelihood(m, side.d, z)
		if err != nil {
			return err
		}
		// log p = −F − log Z: the interval of log Z, reversed.
		*side.dst = cli.Interval(ll, ll-(zHigh-z), ll+(z-zLow), "−F(v) − log Z, log Z "+chosen)
	}
	fmt.Fprintf(stdout, "average log-likelihood: train %.3f, test %.3f nats (%s)\n", met.LogLikelihoodTr.Value, met.LogLikelihoodTe.Value, chosen)
	rows := min(o.plRows, j.test.Rows)
	sub, _ := j.test.Split(rows)
	pl, err := estimators.Pseudo(m, sub, o.seed)
	if err != nil {
		return err
	}
	met.PseudoLikelihood = map[string]float64{"total": pl.Total, "per_unit": pl.PerUnit, "sampled_one_unit": pl.Sampled, "rows": float64(rows)}
	fmt.Fprintf(stdout, "pseudo-likelihood on %d test rows: %.3f in total, %.4f per unit (one random unit, scikit-learn's estimate: %.3f)\n", rows, pl.Total, pl.PerUnit, pl.Sampled)
	return nil
}

// samplesCaption says how samples.png is drawn.
const samplesCaption = "64 independent Gibbs chains, each started at a different random training image, after 1000 sweeps: the visible units' conditional means"

// pictures writes samples.png (samplesCaption), filters.png and chain.gif
// (chains from uniform noise, a frame per sweep).
func (j *job) pictures(out string, seed uint64) error {
	const n, frames = 64, 60
	nv := j.side * j.side
	x := j.model.NewChains(n, seed+1)
	f := max(1, 28/j.side) // show small images at 28 pixels or more
	side := j.side * f
	var gif [][]float64
	for s := 0; s < frames; s++ {
		j.model.Sweep(x, 1)
		gif = append(gif, imaging.Upscale(x.Layers()[0].Data, n, j.side, j.side, f)) // a copy, at any f
	}
	means := chains.SampleFromData(j.model, x, j.train, 1000, seed)
	if err := imaging.WriteTiles(filepath.Join(out, "samples.png"), imaging.Upscale(means, n, j.side, j.side, f), n, side, side, 8, false); err != nil {
		return err
	}
	if err := imaging.WriteGIF(filepath.Join(out, "chain.gif"), gif, n, side, side, 8, 10); err != nil {
		return err
	}
	w := j.model.Params()[0] // W[i, j]: visible × hidden
	nh := w.Shape[1]
	k := min(nh, 100)
	filters := make([]float64, k*nv)
	for h := 0; h < k; h++ {
		for i := 0; i < nv; i++ {
			filters[h*nv+i] = w.Data[i*nh+h]
		}
	}
	return imaging.WriteTiles(filepath.Join(out, "filters.png"), imaging.Upscale(filters, k, j.side, j.side, f), k, side, side, int(math.Ceil(math.Sqrt(float64(k)))), true)
}
