// Command classrbm trains a classification RBM (Larochelle & Bengio 2008),
// the model of examples/classrbm.ebm, measures it and writes what it
// learned:
//
//	go run ./examples/classrbm
//
// The model's hidden layer h sees the image v and a one-hot label y,
//
//	E(v, y, h) = −vᵀWh − yᵀUh − bᵀv − dᵀy − cᵀh,
//
// so the class posterior is exact through the free energy F(v, y) =
// −bᵀv − dᵀy − Σ_j softplus(c_j + (Wᵀv)_j + U_yj):
//
//	p(y | v) = exp(−F(v, y)) / Σ_k exp(−F(v, e_k)).
//
// -method chooses how it is trained:
//
//	generative   CD-k (PCD-k with -persistent) on the joint p(v, y): rows
//	             of pixels followed by the one-hot label
//	conditional  the discriminative RBM: SGD on −log p(y | v)
//	hybrid       −log p(y | v) − α·log p(v, y): every step a conditional
//	             step and a CD-k step at α times the learning rate (the
//	             default, with α = 0.01: it classified best in the
//	             measurements of docs/deep.md, by less than its error bar
//	             over conditional, and models the images far better)
//
// With Debian's dataset-fashion-mnist installed it trains the 784 + 10 × 500
// model on binarized Fashion-MNIST (pixels > 0.5) and evaluates it on the
// 10,000 test images. Without the data set it trains the 64 + 4 × 20
// variant (type Small of package models, log Z exact) on 8×8 shapes of four
// classes that it generates, in a few seconds. It prints progress and
// writes, under -out:
//
//	metrics.json       test accuracy with its binomial standard error and
//	                   ±3σ interval, the mean test log p(y | v), log Z (AIS,
//	                   and exact where it can be enumerated), the test
//	                   log p(v, y), the reconstruction error, the share of
//	                   label-clamped samples the model classifies as their
//	                   class, seconds per epoch; every figure with its
//	                   method and error bar
//	samples.png        a row per class: Gibbs chains with y clamped to the
//	                   class, started from noise, the visible means
//	                   E[v | h] after -sweeps sweeps
//	chain.gif          those chains, a frame every -sweeps/-frames sweeps
//	model.safetensors  the trained parameters (-load evaluates them again)
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ebmc/ebmc/examples/classrbm/models"
	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/examples/internal/labelled"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// The training methods -method accepts.
const (
	methodGenerative  = "generative"
	methodConditional = "conditional"
	methodHybrid      = "hybrid"
)

var methods = []string{methodGenerative, methodConditional, methodHybrid}

// labelLayer is the name of the label layer in classrbm.ebm.
const labelLayer = "y"

// options are the command's flags; zero values of epochs and lr mean the
// data set's and method's defaults.
type options struct {
	data, out, load, method string
	epochs, batch, k        int
	lr, lrFinal, alpha      float64
	momentum, decay         float64
	persistent              bool
	trainRows, testRows     int
	temps, runs             int
	sweeps, frames          int
	seed                    uint64
	// wrap, when set (by tests), wraps the trainer before training: the
	// negative control of the regression test breaks its step this way.
	wrap func(runtime.Trainer) runtime.Trainer
}

func run(args []string, stdout, stderr io.Writer) int { return runWrapped(args, stdout, stderr, nil) }

// runWrapped is run with the trainer wrapped by wrap, if not nil.
func runWrapped(args []string, stdout, stderr io.Writer, wrap func(runtime.Trainer) runtime.Trainer) int {
	c := cli.Command{Name: "classrbm", Stdout: stdout, Stderr: stderr}
	fs := c.FlagSet()
	o := options{wrap: wrap}
	cli.DataFlag(fs, &o.data)
	cli.OutFlag(fs, &o.out, filepath.Join("results", "classrbm"), "metrics.json, samples.png, chain.gif and model.safetensors")
	fs.StringVar(&o.load, "load", "", "evaluate the parameters of this checkpoint (a model.safetensors of an earlier run) instead of training")
	fs.StringVar(&o.method, "method", methodHybrid, "training method: generative (CD-k on p(v, y)), conditional (−log p(y | v)) or hybrid (both, the generative part weighted by -alpha)")
	fs.IntVar(&o.epochs, "epochs", 0, "training epochs (default 10 on Fashion-MNIST, 50 on the shapes)")
	fs.IntVar(&o.batch, "batch", 20, "minibatch size")
	fs.IntVar(&o.k, "k", 1, "Gibbs sweeps of the CD-k step (generative and hybrid)")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate (default 0.01 generative, 0.05 conditional and hybrid on Fashion-MNIST; 0.1 on the shapes)")
	fs.Float64Var(&o.lrFinal, "lr-final", 0.1, "the learning rate falls linearly to this multiple of -lr over the epochs")
	fs.Float64Var(&o.alpha, "alpha", 0.01, "hybrid: weight α of the generative CD step, taken at α times the learning rate")
	fs.Float64Var(&o.momentum, "momentum", 0.9, "momentum of SGD")
	fs.Float64Var(&o.decay, "decay", 0.0001, "L2 weight decay")
	fs.BoolVar(&o.persistent, "persistent", false, "generative and hybrid: persistent chains (PCD-k) instead of CD-k")
	fs.IntVar(&o.trainRows, "train-rows", 0, "use only the first N training images (0: all)")
	fs.IntVar(&o.testRows, "test-rows", 0, "use only the first N test images (0: all)")
	fs.IntVar(&o.temps, "temps", 1000, "AIS temperatures for log Z")
	fs.IntVar(&o.runs, "runs", 100, "AIS runs")
	fs.IntVar(&o.sweeps, "sweeps", 1000, "label-clamped Gibbs sweeps before samples.png")
	fs.IntVar(&o.frames, "frames", 50, "frames of chain.gif, spread over the sweeps")
	cli.SeedFlag(fs, &o.seed)
	if code, ok := c.Parse(fs, args); !ok {
		return code
	}
	if err := o.check(); err != nil {
		return c.Usage(err)
	}
	p, err := load(o, stderr)
	if err != nil {
		return c.Fail(err)
	}
	met, err := p.run(o, stdout)
	if err != nil {
		return c.Fail(err)
	}
	path, err := cli.WriteMetrics(o.out, met)
	if err != nil {
		return c.Fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return 0
}

// check says what is wrong with the flags.
func (o options) check() error {
	switch {
	case !slices.Contains(methods, o.method):
		return fmt.Errorf("-method %q: choose generative, conditional or hybrid", o.method)
	case o.epochs < 0:
		return fmt.Errorf("-epochs %d is negative", o.epochs)
	case o.batch <= 0:
		return fmt.Errorf("-batch %d is not positive", o.batch)
	case o.k <= 0:
		return fmt.Errorf("-k %d is not positive", o.k)
	case !(o.lr >= 0):
		return fmt.Errorf("-lr %v must be positive (0: the default)", o.lr)
	case !(o.lrFinal >= 0 && o.lrFinal <= 1):
		return fmt.Errorf("-lr-final %v is outside [0, 1]", o.lrFinal)
	case !(o.alpha > 0):
		return fmt.Errorf("-alpha %v is not positive", o.alpha)
	case !(o.momentum >= 0 && o.momentum < 1):
		return fmt.Errorf("-momentum %v is outside [0, 1)", o.momentum)
	case !(o.decay >= 0):
		return fmt.Errorf("-decay %v is negative", o.decay)
	case o.trainRows < 0 || o.testRows < 0:
		return errors.New("-train-rows and -test-rows must not be negative")
	case o.temps <= 0 || o.runs <= 0:
		return errors.New("-temps and -runs must be positive")
	case o.sweeps <= 0 || o.frames <= 0:
		return errors.New("-sweeps and -frames must be positive")
	}
	return nil
}

// problem is a labelled data set and the class RBM to train on it. The
// model is used only through runtime.Reflective, so the same code drives
// every size of classrbm.ebm.
type problem struct {
	name                    string
	model                   runtime.Reflective
	train, test             *dataset.BitDataset // binarized pixels, one bit each
	trainLabels, testLabels []int
	classes, side           int
	epochs                  int
	lr                      float64
	every                   int // progress every this many epochs
}

// load reads Fashion-MNIST, or generates the shapes when the files are
// absent, and fills in the defaults that depend on which.
func load(o options, stderr io.Writer) (*problem, error) {
	sets, err := labelled.LoadFashionBits(o.data, 0.5)
	var p *problem
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\ntraining on 8×8 shapes of four classes generated here instead.\n", o.data)
		train, trainLabels := labelled.Shapes(2000, o.seed)
		test, testLabels := labelled.Shapes(1000, o.seed+1)
		p = &problem{name: "shapes 8×8", model: models.NewSmall(o.seed).Reflect(), train: dataset.Binarized(train, 0.5), test: dataset.Binarized(test, 0.5),
			trainLabels: trainLabels, testLabels: testLabels, classes: 4, side: 8, epochs: 50, lr: 0.1, every: 10}
	case err != nil:
		return nil, err
	default:
		// The images are held as bits (6 MB for the 60,000 training images)
		// and expanded a minibatch at a time.
		p = &problem{name: "Fashion-MNIST", model: models.NewClassRBM(o.seed).Reflect(), train: sets.Train, test: sets.Test,
			trainLabels: sets.TrainLabels, testLabels: sets.TestLabels, classes: 10, side: 28, epochs: 10, lr: 0.05, every: 1}
		if o.method == methodGenerative {
			p.lr = 0.01
		}
	}
	if o.epochs > 0 {
		p.epochs = o.epochs
	}
	if o.lr > 0 {
		p.lr = o.lr
	}
	if o.trainRows > 0 && o.trainRows < p.train.Rows {
		p.train, _ = p.train.Split(o.trainRows)
		p.trainLabels = p.trainLabels[:o.trainRows]
	}
	if o.testRows > 0 && o.testRows < p.test.Rows {
		p.test, _ = p.test.Split(o.testRows)
		p.testLabels = p.testLabels[:o.testRows]
	}
	if err := checkLayout(p.model, p.side*p.side, p.classes); err != nil {
		return nil, err
	}
	return p, nil
}

// checkLayout makes sure m has the layers of classrbm.ebm at the data's
// sizes: visible bernoulli pixels first, then the visible softmax label.
func checkLayout(m runtime.Reflective, pixels, classes int) error {
	var visible []runtime.LayerInfo
	for _, ly := range m.Layers() {
		if ly.Visible {
			visible = append(visible, ly)
		}
	}
	if len(visible) != 2 || visible[0].Kind != runtime.KindBernoulli || visible[1].Name != labelLayer || visible[1].Kind != runtime.KindSoftmax ||
		size(visible[0]) != pixels || size(visible[1]) != classes {
		return fmt.Errorf("model %s has visible layers %s; want %d bernoulli pixels then the softmax label %s[%d]",
			m.ModelName(), units(m), pixels, labelLayer, classes)
	}
	return nil
}

func size(ly runtime.LayerInfo) int {
	n := 1
	for _, d := range ly.Shape {
		n *= d
	}
	return n
}

// units describes the layers of m, e.g. "v[784] y[10] h[500]".
func units(m runtime.Reflective) string {
	s := ""
	for _, ly := range m.Layers() {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%s[%d]", ly.Name, size(ly))
	}
	return s
}

// run trains (or restores) the model, evaluates it and draws the pictures.
func (p *problem) run(o options, stdout io.Writer) (*Metrics, error) {
	start := time.Now()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	met := &Metrics{Data: p.name, Model: p.model.ModelName() + " " + units(p.model), TrainRows: p.train.Rows, TestRows: p.test.Rows, Seed: o.seed, Version: cli.Version()}
	fmt.Fprintf(stdout, "== class RBM %s on %s: %d training and %d test images\n", units(p.model), p.name, p.train.Rows, p.test.Rows)
	if o.load != "" {
		c, err := checkpoint.LoadCheckpoint(o.load)
		if err != nil {
			return nil, err
		}
		if err := c.Restore(p.model, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", o.load, err)
		}
		met.Method, met.Training = "loaded", "parameters loaded from "+o.load
		if c.Meta["method"] != "" {
			met.Method = c.Meta["method"]
		}
		fmt.Fprintf(stdout, "restored the parameters from %s\n", o.load)
	} else {
		if err := p.fit(o, met, stdout); err != nil {
			return nil, err
		}
		path := filepath.Join(o.out, "model.safetensors")
		meta := map[string]string{"method": o.method, "data": p.name, "training": met.Training}
		if err := checkpoint.SaveCheckpoint(path, checkpoint.CheckpointOf(p.model, nil, nil, meta)); err != nil {
			return nil, err
		}
		met.Checkpoint = "model.safetensors"
	}
	t0 := time.Now()
	if err := p.evaluate(o, met, stdout); err != nil {
		return nil, err
	}
	if err := p.pictures(o, met, stdout); err != nil {
		return nil, err
	}
	met.Pictures = []string{"samples.png", "chain.gif"}
	met.EvalSeconds = time.Since(t0).Seconds()
	met.Seconds = time.Since(start).Seconds()
	return met, nil
}
