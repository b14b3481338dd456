// Command methods trains the same small model with every training method
// ebmc offers and compares them by exact log-likelihood on held-out data,
// the comparison Marlin et al. (2010) made ("Inductive principles for
// restricted Boltzmann machine learning"):
//
//	go run ./examples/methods
//
// With Debian's dataset-fashion-mnist installed it trains, on the first
// -train images,
//
//   - a 784×12 binary RBM on binarized Fashion-MNIST by exact maximum
//     likelihood, CD-1, PCD-1, pseudo-likelihood, ratio matching and
//     noise-contrastive estimation;
//   - a 784×12 Gaussian–Bernoulli RBM (learned σ) on standardized pixel
//     intensities by exact maximum likelihood, CD-1, PCD-1, score matching,
//     denoising score matching and NCE;
//
// and reports for each the exact test log-likelihood (log Z by enumerating
// the 2¹² hidden configurations), the train log-likelihood and the seconds
// spent training. It also trains the 784×500 Gaussian–Bernoulli RBM of
// examples/grbm.ebm by CD-1 and draws samples from it. Without the data set
// it runs on noisy bars-and-stripes images it makes itself. It writes,
// under -out,
//
//	methods.json       the table, with every method's settings
//	MODEL-METHOD.safetensors  each trained model
//	grbm/samples.png   samples of the 784×500 GRBM (visible means), in pixel intensities
//	grbm/chain.gif     its Gibbs chains, a frame per sweep
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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ebmc/ebmc/examples/grbm"
	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/examples/methods/grbm12"
	"github.com/ebmc/ebmc/examples/methods/rbm12"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/training"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	data, out       string
	epochs, rows    int
	grbmEpochs      int
	grbmRows        int
	sweeps          int
	grbmLR          float64
	grbmPCD         bool
	methods         string
	seed            uint64
	batch           int
	skipGaussian    bool
	skipBinary      bool
	skipGRBMSamples bool
	// wrap, when set (by tests), wraps every compared method's trainer
	// before training: the negative control of the regression test breaks
	// its step this way.
	wrap func(runtime.Trainer) runtime.Trainer
}

func run(args []string, stdout, stderr io.Writer) int { return runWrapped(args, stdout, stderr, nil) }

// runWrapped is run with the compared methods' trainers wrapped by wrap, if
// not nil.
func runWrapped(args []string, stdout, stderr io.Writer, wrap func(runtime.Trainer) runtime.Trainer) int {
	o := options{wrap: wrap}
	c := cli.Command{Name: "methods", Stdout: stdout, Stderr: stderr}
	fs := c.FlagSet()
	cli.DataFlag(fs, &o.data)
	cli.OutFlag(fs, &o.out, "results/methods", "methods.json and the pictures")
	fs.IntVar(&o.epochs, "epochs", 0, "epochs per method (default 3 on Fashion-MNIST, 10 on the embedded data)")
	fs.IntVar(&o.rows, "train", 10000, "training images used for the comparison")
	fs.IntVar(&o.grbmEpochs, "grbm-epochs", 0, "epochs of the 784×500 GRBM (default 5 on Fashion-MNIST, 10 on the embedded data)")
	fs.IntVar(&o.grbmRows, "grbm-train", 20000, "training images of the 784×500 GRBM")
	fs.Float64Var(&o.grbmLR, "grbm-lr", 0.01, "learning rate of the 784×500 GRBM")
	fs.BoolVar(&o.grbmPCD, "grbm-pcd", false, "train the 784×500 GRBM by PCD-1 instead of CD-1 (with learned σ it diverges at -grbm-lr 0.01)")
	fs.IntVar(&o.sweeps, "sweeps", 1000, "Gibbs sweeps before the GRBM's samples are drawn")
	fs.StringVar(&o.methods, "methods", "", "comma-separated methods to run (default all that apply)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of initialization, minibatches and sampling")
	fs.IntVar(&o.batch, "batch", 100, "minibatch size")
	fs.BoolVar(&o.skipBinary, "no-binary", false, "skip the binary RBM")
	fs.BoolVar(&o.skipGaussian, "no-gaussian", false, "skip the Gaussian–Bernoulli RBM comparison")
	fs.BoolVar(&o.skipGRBMSamples, "no-samples", false, "skip training the 784×500 GRBM for samples")
	if code, ok := c.Parse(fs, args); !ok {
		return code
	}
	if err := o.run(stdout, stderr); err != nil {
		return c.Fail(err)
	}
	return 0
}

// Row is one line of the comparison.
type Row struct {
	Model           string  `json:"model"`
	Method          string  `json:"method"`
	Settings        string  `json:"settings"`
	TestLL          float64 `json:"test_log_likelihood"`
	TrainLL         float64 `json:"train_log_likelihood"`
	LogZ            float64 `json:"log_z"`
	Seconds         float64 `json:"train_seconds"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	Epochs          int     `json:"epochs"`
	Error           string  `json:"error,omitempty"`
	File            string  `json:"model_file,omitempty"` // the trained model, under -out
}

// Report is methods.json.
type Report struct {
	Data          string `json:"data"`
	TrainExamples int    `json:"train_examples"`
	TestExamples  int    `json:"test_examples"`
	Rows          []Row  `json:"rows"`
	GRBM          *GRBM  `json:"grbm_samples,omitempty"`
}

// GRBM describes the 784×500 Gaussian–Bernoulli RBM trained for samples.
type GRBM struct {
	Epochs          int     `json:"epochs"`
	TrainExamples   int     `json:"train_examples"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	ReconLastEpoch  float64 `json:"recon_error_last_epoch"`
	Samples         string  `json:"samples"`
	Chain           string  `json:"chain"`
}

// data are the two data sets of the comparison: binary images and
// standardized intensities, each split into train and test.
type data struct {
	name                             string
	binTrain, binTest                *dataset.Dataset
	realTrain, realTest              *dataset.Dataset
	realAll                          *dataset.Dataset // for the 784×500 GRBM, standardized
	mean, std                        []float64        // of the standardization
	defaultEpochs, defaultGRBMEpochs int
}

func (o options) run(stdout, stderr io.Writer) error {
	d, err := o.load(stderr)
	if err != nil {
		return err
	}
	if o.epochs == 0 {
		o.epochs = d.defaultEpochs
	}
	if o.grbmEpochs == 0 {
		o.grbmEpochs = d.defaultGRBMEpochs
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	rep := &Report{Data: d.name, TrainExamples: d.binTrain.Rows, TestExamples: d.binTest.Rows}
	want := map[string]bool{}
	for _, m := range strings.Split(o.methods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			want[m] = true
		}
	}
	for _, job := range o.jobs(d) {
		if len(want) > 0 && !want[job.method] {
			continue
		}
		fmt.Fprintf(stdout, "%s by %s (%s), %d epochs\n", job.model, job.method, job.settings, o.epochs)
		row := job.run(o, stdout)
		rep.Rows = append(rep.Rows, row)
		if row.Error != "" {
			fmt.Fprintf(stdout, "  %s\n", row.Error)
		} else {
			fmt.Fprintf(stdout, "  test log-likelihood %.2f, train %.2f, %.1f s\n", row.TestLL, row.TrainLL, row.Seconds)
		}
		if err := writeJSON(filepath.Join(o.out, "methods.json"), rep); err != nil {
			return err
		}
	}
	printTable(stdout, rep.Rows)
	if !o.skipGRBMSamples {
		g, err := o.grbmSamples(d, stdout)
		if err != nil {
			return err
		}
		rep.GRBM = g
	}
	return writeJSON(filepath.Join(o.out, "methods.json"), rep)
}

// load reads Fashion-MNIST or makes the embedded data.
func (o options) load(stderr io.Writer) (*data, error) {
	train, errTrain := dataset.LoadIDX(filepath.Join(o.data, "train-images-idx3-ubyte.gz"))
	test, errTest := dataset.LoadIDX(filepath.Join(o.data, "t10k-images-idx3-ubyte.gz"))
	if errTrain != nil || errTest != nil {
		if !errors.Is(errTrain, os.ErrNotExist) && !errors.Is(errTest, os.ErrNotExist) {
			return nil, errors.Join(errTrain, errTest)
		}
		fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\nusing noisy 28×28 bars-and-stripes images instead.\n", o.data)
		train, test = noisyBars(300, o.seed), noisyBars(200, o.seed+1)
		d := split(train, test, train.Rows, "noisy bars and stripes (28×28)")
		d.defaultEpochs, d.defaultGRBMEpochs = 10, 10
		return d, nil
	}
	d := split(train, test, o.rows, "Fashion-MNIST")
	d.defaultEpochs, d.defaultGRBMEpochs = 3, 5
	all, _ := train.Split(min(o.grbmRows, train.Rows))
	d.realAll = standardizeWith(all, d.mean, d.std)
	return d, nil
}

// split makes the binary (> 0.5) and standardized copies of the first rows
// training images and of the test images.
func split(train, test *dataset.Dataset, rows int, name string) *data {
	head, _ := train.Split(min(rows, train.Rows))
	d := &data{name: name}
	d.binTrain, d.binTest = clone(head), clone(test)
	d.binTrain.Binarize(0.5)
	d.binTest.Binarize(0.5)
	d.realTrain = clone(head)
	d.mean, d.std = d.realTrain.StandardizeFloor(0.1)
	d.realTest = standardizeWith(test, d.mean, d.std)
	d.realAll = d.realTrain
	return d
}

func clone(d *dataset.Dataset) *dataset.Dataset {
	return &dataset.Dataset{Rows: d.Rows, Cols: d.Cols, X: append([]float64(nil), d.X[:d.Rows*d.Cols]...)}
}

// standardizeWith returns a copy of d standardized by the training set's mean and std.
func standardizeWith(d *dataset.Dataset, mean, std []float64) *dataset.Dataset {
	out := clone(d)
	out.Shift(mean, std)
	return out
}

// noisyBars returns n 28×28 images: one of the 30 bars-and-stripes
// patterns of 4×4 blocks at intensities 0.1 and 0.9, plus N(0, 0.05²)
// pixel noise, clipped to [0, 1].
func noisyBars(n int, seed uint64) *dataset.Dataset {
	rng := runtime.NewRNG(seed, 7)
	d := &dataset.Dataset{Rows: n, Cols: 784, X: make([]float64, n*784)}
	for r := range n {
		mask, rows := rng.Intn(16), rng.Intn(2) == 0
		img := d.Row(r)
		for y := range 28 {
			for x := range 28 {
				bit := x / 7
				if rows {
					bit = y / 7
				}
				v := 0.1 + 0.8*float64(mask>>bit&1) + 0.05*rng.Normal()
				img[y*28+x] = math.Min(1, math.Max(0, v))
			}
		}
	}
	return d
}

// job is one model trained by one method.
type job struct {
	model, method, settings string
	newModel                func() runtime.Reflective
	how                     training.Method
	opts                    training.Options
	train, test             *dataset.Dataset
}

// jobs lists the comparison. The learning rates are set by hand, one per
// method, not searched; Marlin et al. tuned each principle separately, and a
// search could change the order of the close ones.
func (o options) jobs(d *data) []job {
	sgd := func(lr float64) runtime.SGD { return runtime.SGD{LearningRate: lr, Momentum: 0.5} }
	var out []job
	if !o.skipBinary {
		bin := func(settings string, how training.Method, lr float64) job {
			opts := training.Options{BatchSize: o.batch, Seed: o.seed, Optimizer: sgd(lr)}
			return job{model: "rbm784x12", method: how.Name(), settings: settings, how: how, opts: opts, train: d.binTrain, test: d.binTest,
				newModel: func() runtime.Reflective { return rbm12.NewRBM(o.seed).Reflect() }}
		}
		noise, _ := estimators.BaseRate(rbm12.NewRBM(0).Reflect(), d.binTrain, 1)
		out = append(out,
			bin("lr 0.1, momentum 0.5", training.Exact{}, 0.1),
			bin("CD-1, lr 0.1, momentum 0.5", training.CD{K: 1}, 0.1),
			bin("PCD-1, 100 chains, lr 0.03, momentum 0.5", training.PCD{K: 1, Chains: 100}, 0.03),
			bin("20 sampled units per image, lr 0.1, momentum 0.5", training.PL{Sites: 20}, 0.1),
			bin("20 sampled units per image, lr 0.3, momentum 0.5", training.Ratio{Sites: 20}, 0.3),
			bin("noise: base rates of the data, 5 per image, lr 0.1, momentum 0.5", training.NCE{Noise: noise, Ratio: 5}, 0.1),
		)
	}
	if !o.skipGaussian {
		gau := func(settings string, how training.Method, lr float64) job {
			opts := training.Options{BatchSize: o.batch, Seed: o.seed, Optimizer: sgd(lr), Rates: map[string]float64{"z": 0.1}}
			return job{model: "grbm784x12", method: how.Name(), settings: settings + ", σ at a tenth of the rate", how: how, opts: opts, train: d.realTrain, test: d.realTest,
				newModel: func() runtime.Reflective { return grbm12.NewGRBM(o.seed).Reflect() }}
		}
		noise, _ := estimators.BaseRate(grbm12.NewGRBM(0).Reflect(), d.realTrain, 1)
		out = append(out,
			gau("lr 0.003, momentum 0.5", training.Exact{}, 0.003),
			gau("CD-1, lr 0.003, momentum 0.5", training.CD{K: 1}, 0.003),
			gau("PCD-1, 100 chains, lr 0.003, momentum 0.5", training.PCD{K: 1, Chains: 100}, 0.003),
			gau("sliced, 1 projection per image, lr 0.001, momentum 0.5", training.Score{Slices: 1}, 0.001),
			gau("σ_noise 0.3, lr 0.001, momentum 0.5", training.DSM{NoiseStd: 0.3}, 0.001),
			gau("noise: the data's per-pixel Gaussian, 5 per image, lr 0.003, momentum 0.5", training.NCE{Noise: noise, Ratio: 5}, 0.003),
		)
	}
	return out
}

// run trains a fresh model and measures it; failures become the row's Error.
func (j job) run(o options, stdout io.Writer) Row {
	row := Row{Model: j.model, Method: j.method, Settings: j.settings, Epochs: o.epochs}
	m := j.newModel()
	t, err := training.NewTrainer(m, j.how, j.opts)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	if o.wrap != nil {
		t = o.wrap(t)
	}
	start := time.Now()
	_, err = training.Fit(context.Background(), t, j.train, training.FitConfig{Epochs: o.epochs, BatchSize: o.batch, Shuffle: true, Seed: o.seed,
		Progress: &indent{stdout}})
	row.Seconds = time.Since(start).Seconds()
	row.SecondsPerEpoch = row.Seconds / float64(o.epochs)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	logZ, err := m.LogZ(0)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.LogZ = logZ
	path := filepath.Join(o.out, j.model+"-"+j.method+".safetensors")
	meta := map[string]string{"method": j.method, "settings": j.settings, "epochs": fmt.Sprint(o.epochs), "seed": fmt.Sprint(o.seed)}
	if err := checkpoint.SaveCheckpoint(path, checkpoint.CheckpointOf(m, nil, nil, meta)); err != nil {
		row.Error = err.Error()
		return row
	}
	row.File = filepath.Base(path)
	if row.TestLL, err = estimators.LogLikelihood(m, j.test, logZ); err != nil {
		row.Error = err.Error()
	}
	if row.TrainLL, err = estimators.LogLikelihood(m, j.train, logZ); err != nil {
		row.Error = err.Error()
	}
	return row
}

// indent prefixes progress lines.
type indent struct{ w io.Writer }

func (i *indent) Write(b []byte) (int, error) {
	if _, err := fmt.Fprintf(i.w, "    %s", b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func printTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tmethod\ttest log-likelihood\ttrain log-likelihood\tseconds\t")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\tfailed\t\t%.1f\t\n", r.Model, r.Method, r.Seconds)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%.1f\t\n", r.Model, r.Method, r.TestLL, r.TrainLL, r.Seconds)
	}
	tw.Flush()
}

// grbmSamples trains the 784×500 GRBM by CD-1 (or PCD-1) on standardized
// intensities and writes samples and a chain in pixel intensities.
func (o options) grbmSamples(d *data, stdout io.Writer) (*GRBM, error) {
	m := grbm.NewGRBM(o.seed)
	t, err := grbm.NewGRBMTrainer(m, runtime.CDConfig{K: 1, Persistent: o.grbmPCD, Chains: 100, BatchSize: o.batch, Seed: o.seed,
		Optimizer: runtime.SGD{LearningRate: o.grbmLR, Momentum: 0.5}, Rates: map[string]float64{"z": 0.1}})
	if err != nil {
		return nil, err
	}
	how := "CD-1"
	if o.grbmPCD {
		how = "PCD-1"
	}
	fmt.Fprintf(stdout, "grbm784x500 by %s (lr %g, σ at a tenth of it) on %d standardized images, %d epochs\n", how, o.grbmLR, d.realAll.Rows, o.grbmEpochs)
	stats, err := training.Fit(context.Background(), t, d.realAll, training.FitConfig{Epochs: o.grbmEpochs, BatchSize: o.batch, Shuffle: true, Seed: o.seed,
		Progress: &indent{stdout}})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.out, "grbm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	const n, frames = 64, 60
	x := grbm.NewGRBMChains(n, o.seed+1)
	var gif [][]float64
	for s := range o.sweeps {
		m.Sweep(x, 1)
		if s < frames {
			gif = append(gif, pixels(x.V[:n*784], d))
		}
	}
	means := make([]float64, n*784)
	m.MeanV(x, 1, means)
	g := &GRBM{Epochs: o.grbmEpochs, TrainExamples: d.realAll.Rows, Samples: filepath.Join(dir, "samples.png"), Chain: filepath.Join(dir, "chain.gif")}
	for _, s := range stats {
		g.SecondsPerEpoch += s.Seconds / float64(len(stats))
		g.ReconLastEpoch = s.Recon
	}
	if err := imaging.WriteTiles(g.Samples, pixels(means, d), n, 28, 28, 8, false); err != nil {
		return nil, err
	}
	if err := imaging.WriteGIF(g.Chain, gif, n, 28, 28, 8, 10); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "  wrote %s and %s after %d Gibbs sweeps\n", g.Samples, g.Chain, o.sweeps)
	return g, nil
}

// pixels maps standardized values back to intensities in [0, 1].
func pixels(x []float64, d *data) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		c := i % 784
		out[i] = math.Min(1, math.Max(0, v*d.std[c]+d.mean[c]))
	}
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
