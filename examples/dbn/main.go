// Command dbn trains a labelled deep belief network (Hinton, Osindero & Teh
// 2006) built from models that ebmc generates, measures it, and writes what
// it learned:
//
//	go run ./examples/dbn
//
// With Debian's dataset-fashion-mnist installed it stacks the 784×500 RBM of
// rbm1.ebm (type RBM of package models) under the 500 + 10 labels × 2000 RBM
// of top.ebm (type TopRBM), trains them greedily by CD-1 on binarized Fashion-MNIST
// (pixels > 0.5), optionally fine-tunes the whole network by up-down
// (contrastive wake-sleep), then fine-tunes the top RBM's label conditional
// p(y | h) discriminatively (the hybrid objective of Larochelle & Bengio
// 2008 on the recognition means of the training images), then fine-tunes
// the recognition weights and the top RBM together by backpropagation of
// −log p(y | v) (Hinton & Salakhutdinov 2006), on grey levels read as pixel
// probabilities unless -grey=false, and after each
// stage reports on the 10,000 test images the
// variational lower bound on log p(v) with log Z of the top RBM from AIS
// (forward, and reverse for the low end of its interval),
// the accuracy of p(y | v), and, trained in the same run on the raw pixels,
// a multinomial logistic regression to compare with. Without the data set it
// does the same in a few seconds on 8×8 shapes of four classes that it
// generates (the types Small1 and SmallTop of package models, where log Z of
// the top RBM is exact). It prints progress and writes, under -out:
//
//	metrics.json  per stage (greedy, up-down, disc, backprop): the lower bound with method,
//	              standard error and ±3σ interval (its low end with log Z
//	              from reverse AIS), log Z by forward and reverse AIS,
//	              accuracy with its binomial interval (after every epoch
//	              of the disc and backprop stages too, and for backprop
//	              on grey levels its accuracy on binarized images as
//	              well), seconds per epoch; per layer
//	              seconds per epoch and reconstruction error; the logistic
//	              regression's accuracy
//	samples.png   label-conditioned samples, a row per class (the top
//	              RBM's label clamped, 1000 Gibbs sweeps, then the ancestral
//	              pass with the pixels' conditional means)
//	chain.gif     top-level Gibbs chains (label free) rendered through the
//	              ancestral pass, a frame every few sweeps
//	greedy-*.safetensors, updown-*.safetensors, disc-*.safetensors,
//	backprop-*.safetensors
//	              the parameters of every model after each stage (-load
//	              restores the greedy ones instead of training)
//
// The layer sizes are those of the generated packages; change them with
// ebmc gen -D (see models/doc.go).
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

	"github.com/ebmc/ebmc/examples/dbn/models"
	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/examples/internal/labelled"
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
const memoryLimit = 140 << 20

func main() {
	cli.SoftMemoryLimit(memoryLimit, os.Getenv)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags; zero epochs mean the data set's default.
type options struct {
	data, out, load          string
	epochs1, epochsTop       int
	updown, disc, backprop   int
	batch                    int
	lr, lrUpDown, lrDisc     float64
	lrBackprop               float64
	discHybrid               float64
	grey, float32            bool
	k                        int
	temps, runs, samples     int
	trainRows, testRows      int
	lrEpochs                 int
	seed                     uint64
	sweeps, gifEvery, frames int
	copies                   int
	// wrap, when set (by tests), wraps every trainer before training: the
	// greedy stage's (which DBN.Pretrain makes by the models' NewTrainer,
	// see wrappedTrainers), up-down's and the disc and backprop stages'. The
	// negative control of the regression test breaks its step this way.
	wrap func(runtime.Trainer) runtime.Trainer
}

// problem is a labelled data set and the DBN to train on it.
type problem struct {
	name        string
	train, test *dataset.BitDataset // binarized, for the DBN
	// grey reads the grey levels (pixel/255) of the same images, for the
	// logistic regression and backpropagation with -grey, the last stages:
	// raw holds them from its first call on, not before.
	grey                   func() (train, test *dataset.ByteDataset, err error)
	rawTrain, rawTest      *dataset.ByteDataset
	trainLabels, testLabs  []int
	classes, side          int
	dbn                    *deep.DBN
	recognition            []runtime.Reflective // untied copies of the lower models
	epochs1, epochsTop     int
	updown, disc, backprop int
	lrEpochs               int
	every                  int // progress every this many epochs
}

func run(args []string, stdout, stderr io.Writer) int { return runWrapped(args, stdout, stderr, nil) }

// runWrapped is run with every trainer wrapped by wrap, if not nil.
func runWrapped(args []string, stdout, stderr io.Writer, wrap func(runtime.Trainer) runtime.Trainer) int {
	c := cli.Command{Name: "dbn", Stdout: stdout, Stderr: stderr}
	fs := c.FlagSet()
	o := options{wrap: wrap}
	cli.DataFlag(fs, &o.data)
	cli.OutFlag(fs, &o.out, filepath.Join("results", "dbn"), "metrics.json, samples.png, chain.gif and the checkpoints")
	fs.StringVar(&o.load, "load", "", "directory holding greedy-*.safetensors of an earlier run: restore the greedily trained models instead of training them")
	fs.IntVar(&o.epochs1, "epochs1", 0, "CD-1 epochs of the bottom RBM (default 10 on Fashion-MNIST, 100 on the shapes)")
	fs.IntVar(&o.epochsTop, "epochs-top", 0, "CD-1 epochs of the top RBM (default 10 on Fashion-MNIST, 100 on the shapes)")
	fs.IntVar(&o.updown, "updown", -1, "epochs of up-down fine-tuning, 0 for none (default 1 on Fashion-MNIST, 20 on the shapes)")
	fs.IntVar(&o.disc, "disc", -1, "epochs of discriminative fine-tuning of the top RBM's p(y | h), 0 for none (default 10 on Fashion-MNIST, 20 on the shapes)")
	fs.IntVar(&o.backprop, "backprop", -1, "epochs of discriminative fine-tuning of the whole up-pass and the top RBM by backpropagation of −log p(y | v), 0 for none (default 10 on Fashion-MNIST, 20 on the shapes)")
	fs.IntVar(&o.batch, "batch", 100, "minibatch size")
	fs.Float64Var(&o.lr, "lr", 0.05, "learning rate of greedy CD-1 training")
	fs.Float64Var(&o.lrUpDown, "lr-updown", 0.005, "learning rate of up-down fine-tuning")
	fs.Float64Var(&o.lrDisc, "lr-disc", 0.01, "learning rate of discriminative fine-tuning")
	fs.Float64Var(&o.lrBackprop, "lr-backprop", 0.005, "learning rate of backpropagation fine-tuning (momentum 0.9)")
	fs.BoolVar(&o.grey, "grey", true, "backpropagation fine-tunes on, and then classifies, grey levels (pixel/255 as the probability that a pixel is on) instead of binarized pixels")
	fs.IntVar(&o.copies, "copies", 256, "label copies (rows × classes, a chain of the top RBM each) whose free energies and gradients the disc stage evaluates at once, in whole rows; 0: a whole minibatch's (batch × classes); backpropagation shares each row's input among its copies and holds n + C + 1 chains")
	fs.Float64Var(&o.discHybrid, "disc-hybrid", 0.01, "weight α of the generative CD-1 step in discriminative fine-tuning (learning rate α·lr-disc; 0: purely discriminative)")
	fs.IntVar(&o.k, "k", 3, "Gibbs sweeps in the top RBM per up-down step")
	fs.BoolVar(&o.float32, "float32", false, "greedy CD-1 and up-down fine-tuning run their products in float32 (CDConfig.Float32, DBNUpDownConfig.Float32; needs AVX2 and FMA, or AVX-512); evaluation, disc and backprop stay float64")
	fs.IntVar(&o.temps, "temps", 3000, "AIS temperatures for log Z of the top RBM (when it cannot be enumerated)")
	fs.IntVar(&o.runs, "runs", 20, "AIS runs (forward, and as many reverse)")
	fs.IntVar(&o.samples, "bound-samples", 2, "draws of q(h | v) per test image for the lower bound")
	fs.IntVar(&o.trainRows, "train-rows", 0, "use only the first N training images (0: all)")
	fs.IntVar(&o.testRows, "test-rows", 0, "use only the first N test images (0: all)")
	fs.IntVar(&o.lrEpochs, "logreg-epochs", 0, "epochs of the logistic regression (default 30 on Fashion-MNIST, 100 on the shapes)")
	fs.IntVar(&o.sweeps, "sweeps", 1000, "Gibbs sweeps in the top RBM before the samples in samples.png")
	fs.IntVar(&o.frames, "frames", 60, "frames of chain.gif")
	fs.IntVar(&o.gifEvery, "gif-every", 5, "sweeps between frames of chain.gif")
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

func (o options) check() error {
	switch {
	case o.epochs1 < 0 || o.epochsTop < 0 || o.lrEpochs < 0:
		return errors.New("epochs must not be negative")
	case o.batch <= 0:
		return fmt.Errorf("batch size %d is not positive", o.batch)
	case !(o.lr > 0) || !(o.lrUpDown > 0) || !(o.lrDisc > 0) || !(o.lrBackprop > 0):
		return errors.New("learning rates must be positive")
	case !(o.discHybrid >= 0) || math.IsInf(o.discHybrid, 1):
		return fmt.Errorf("-disc-hybrid %v is not a finite weight ≥ 0", o.discHybrid)
	case o.k <= 0 || o.temps <= 0 || o.runs <= 0 || o.samples <= 0:
		return errors.New("-k, -temps, -runs and -bound-samples must be positive")
	case o.trainRows < 0 || o.testRows < 0:
		return errors.New("row counts must not be negative")
	case o.copies < 0:
		return fmt.Errorf("-copies %d is negative", o.copies)
	case o.sweeps <= 0 || o.frames <= 0 || o.gifEvery <= 0:
		return errors.New("-sweeps, -frames and -gif-every must be positive")
	}
	return nil
}

// load reads Fashion-MNIST, or falls back to the generated shapes when the
// files are absent, and builds the DBN.
func load(o options, stderr io.Writer) (*problem, error) {
	f, err := labelled.LoadFashionBits(o.data, 0.5)
	var p *problem
	switch {
	case err == nil:
		d, err := deep.NewDBN(models.NewRBM(o.seed).Reflect(), models.NewTopRBM(o.seed+1).Reflect())
		if err != nil {
			return nil, err
		}
		grey := func() (*dataset.ByteDataset, *dataset.ByteDataset, error) {
			g, err := labelled.LoadFashion(o.data)
			if err != nil {
				return nil, nil, err
			}
			return g.Train, g.Test, nil
		}
		p = &problem{name: "Fashion-MNIST", train: f.Train, test: f.Test, grey: grey, trainLabels: f.TrainLabels, testLabs: f.TestLabels,
			classes: 10, side: 28, dbn: d, recognition: []runtime.Reflective{models.ZeroRBM().Reflect()},
			epochs1: 10, epochsTop: 10, updown: 1, disc: 10, backprop: 10, lrEpochs: 30, every: 1}
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\ntraining on 8×8 shapes of four classes generated here instead.\n", o.data)
		rawTrain, trainLabels := labelled.ShapeBytes(2000, o.seed)
		rawTest, testLabels := labelled.ShapeBytes(1000, o.seed+1)
		d, err := deep.NewDBN(models.NewSmall1(o.seed).Reflect(), models.NewSmallTop(o.seed+1).Reflect())
		if err != nil {
			return nil, err
		}
		grey := func() (*dataset.ByteDataset, *dataset.ByteDataset, error) { return rawTrain, rawTest, nil }
		p = &problem{name: "shapes 8×8", train: rawTrain.Binarized(0.5), test: rawTest.Binarized(0.5), grey: grey, trainLabels: trainLabels, testLabs: testLabels,
			classes: 4, side: 8, dbn: d, recognition: []runtime.Reflective{models.ZeroSmall1().Reflect()},
			epochs1: 100, epochsTop: 100, updown: 20, disc: 20, backprop: 20, lrEpochs: 100, every: 20}
	default:
		return nil, err
	}
	if o.epochs1 > 0 {
		p.epochs1 = o.epochs1
	}
	if o.epochsTop > 0 {
		p.epochsTop = o.epochsTop
	}
	if o.updown >= 0 {
		p.updown = o.updown
	}
	if o.disc >= 0 {
		p.disc = o.disc
	}
	if o.backprop >= 0 {
		p.backprop = o.backprop
	}
	if o.lrEpochs > 0 {
		p.lrEpochs = o.lrEpochs
	}
	if o.trainRows > 0 && o.trainRows < p.train.Rows {
		p.train, _ = p.train.Split(o.trainRows)
		p.trainLabels = p.trainLabels[:o.trainRows]
	}
	if o.testRows > 0 && o.testRows < p.test.Rows {
		p.test, _ = p.test.Split(o.testRows)
		p.testLabs = p.testLabs[:o.testRows]
	}
	return p, nil
}

// raw returns the grey levels of the training and test images (the rows
// of train and test), reading them on the first call.
func (p *problem) raw() (train, test *dataset.ByteDataset, err error) {
	if p.rawTrain == nil {
		train, test, err := p.grey()
		if err != nil {
			return nil, nil, err
		}
		p.rawTrain, _ = train.Split(p.train.Rows)
		p.rawTest, _ = test.Split(p.test.Rows)
	}
	return p.rawTrain, p.rawTest, nil
}

// LayerMetrics describes the greedy training of one model.
type LayerMetrics struct {
	Model           string  `json:"model"`
	Units           string  `json:"units"`
	Rows            int     `json:"rows"`
	Epochs          int     `json:"epochs"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	ReconFirstEpoch float64 `json:"recon_error_first_epoch"`
	ReconLastEpoch  float64 `json:"recon_error_last_epoch"`
}

// StageMetrics are the measurements of the DBN after a stage of training.
type StageMetrics struct {
	Stage           string    `json:"stage"`
	Training        string    `json:"training,omitempty"`
	Epochs          int       `json:"epochs,omitempty"`
	SecondsPerEpoch float64   `json:"seconds_per_epoch,omitempty"`
	AccuracyByEpoch []float64 `json:"accuracy_test_by_epoch,omitempty"`
	Input           string    `json:"classifier_input,omitempty"`
	// LabelCopies is -copies for the disc stage, the label copies
	// evaluated at once (0: a whole minibatch's), which sets the order in
	// which their gradients are summed.
	LabelCopies    *int          `json:"label_copies_at_once,omitempty"`
	LogZTop        cli.Estimate  `json:"log_z_top"`
	LogZTopReverse *cli.Estimate `json:"log_z_top_reverse_ais,omitempty"`
	LowerBound     cli.Estimate  `json:"log_likelihood_test_lower_bound"`
	Accuracy       cli.Estimate  `json:"accuracy_test"`
	// AccuracyBinarized is the accuracy on binarized test images when the
	// stage classifies grey levels.
	AccuracyBinarized *cli.Estimate `json:"accuracy_test_binarized,omitempty"`
	EvalSeconds       float64       `json:"evaluation_seconds"`
}

// LogRegMetrics describe the logistic regression on raw pixels.
type LogRegMetrics struct {
	Epochs          int          `json:"epochs"`
	SecondsPerEpoch float64      `json:"seconds_per_epoch"`
	TrainAccuracy   float64      `json:"accuracy_train"`
	Accuracy        cli.Estimate `json:"accuracy_test"`
}

// Metrics is metrics.json.
type Metrics struct {
	Data        string         `json:"data"`
	DBN         string         `json:"dbn"`
	TrainRows   int            `json:"train_examples"`
	TestRows    int            `json:"test_examples"`
	Layers      []LayerMetrics `json:"greedy_layers"`
	Stages      []StageMetrics `json:"stages"`
	LogReg      LogRegMetrics  `json:"logistic_regression_raw_pixels"`
	Seconds     float64        `json:"seconds"`
	Pictures    []string       `json:"pictures"`
	Description string         `json:"description"`
	Seed        uint64         `json:"seed"`
	Version     string         `json:"version"`
	// Float32Products: greedy training and up-down ran their products in
	// float32 (-float32).
	Float32Products bool `json:"float32_products,omitempty"`
}

func (p *problem) run(o options, stdout io.Writer) (*Metrics, error) {
	start := time.Now()
	d := p.dbn
	met := &Metrics{Data: p.name, DBN: d.String(), TrainRows: p.train.Rows, TestRows: p.test.Rows, Seed: o.seed, Version: cli.Version(), Float32Products: o.float32,
		Description: "Greedy CD-1 training of each RBM on binarized images (pixels > 0.5), the top RBM on the bottom RBM's hidden means with one-hot labels; " +
			"up-down fine-tuning with untied recognition weights; discriminative fine-tuning of the top RBM's p(y | h) on the recognition means (hybrid with CD-1); the bound is E_q[log p(v,h) − log q(h|v)] − log Z_top on the test images; " +
			"accuracy is argmax_y p(y | v) from the top RBM's free energies on the recognition means"}
	fmt.Fprintf(stdout, "== DBN %s on %s: %d training and %d test images\n", d, p.name, p.train.Rows, p.test.Rows)
	cd := func(lr float64) runtime.CDConfig {
		return runtime.CDConfig{K: 1, BatchSize: o.batch, MeanVisible: true, Seed: o.seed, Float32: o.float32,
			Optimizer: runtime.SGD{LearningRate: lr, Momentum: 0.5, WeightDecay: 0.0002}}
	}
	progress := &cli.EveryNth{W: stdout, N: p.every}
	fit := func(epochs int) training.FitConfig {
		return training.FitConfig{Epochs: epochs, BatchSize: o.batch, Shuffle: true, Seed: o.seed, Progress: progress}
	}
	var stats [][]training.EpochStats
	if o.load != "" {
		if err := loadModels(d, o.load, "greedy"); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "restored the greedily trained models from %s\n", o.load)
	} else {
		pre, err := wrappedTrainers(d, o.wrap)
		if err != nil {
			return nil, err
		}
		stats, err = pre.Pretrain(context.Background(), p.train, p.trainLabels, deep.DBNPretrainConfig{
			Layers: []deep.DBNLayerTraining{{CD: cd(o.lr), Fit: fit(p.epochs1)}, {CD: cd(o.lr), Fit: fit(p.epochsTop)}},
			Seed:   o.seed,
		})
		if err != nil {
			return nil, err
		}
		if err := saveModels(d, o.out, "greedy"); err != nil {
			return nil, err
		}
	}
	for k, st := range stats {
		m := d.Generative(k)
		lm := LayerMetrics{Model: m.ModelName(), Units: layerUnits(m), Epochs: len(st), Rows: p.train.Rows}
		if len(st) > 0 {
			for _, e := range st {
				lm.SecondsPerEpoch += e.Seconds / float64(len(st))
			}
			lm.ReconFirstEpoch, lm.ReconLastEpoch = st[0].Recon, st[len(st)-1].Recon
		}
		fmt.Fprintf(stdout, "layer %d (%s): %.2f s per epoch, reconstruction error %.4f → %.4f\n", k+1, lm.Units, lm.SecondsPerEpoch, lm.ReconFirstEpoch, lm.ReconLastEpoch)
		met.Layers = append(met.Layers, lm)
	}
	greedy, err := p.evaluate(o, stdout, "greedy")
	if err != nil {
		return nil, err
	}
	met.Stages = append(met.Stages, *greedy)
	if p.updown > 0 {
		if err := d.Untie(p.recognition...); err != nil {
			return nil, err
		}
		t, err := d.UpDown(deep.DBNUpDownConfig{K: o.k, Seed: o.seed, MeanVisible: true, Float32: o.float32,
			Optimizer: runtime.SGD{LearningRate: o.lrUpDown, Momentum: 0.5, WeightDecay: 0.0002}})
		if err != nil {
			return nil, err
		}
		var tr runtime.Trainer = t
		if o.wrap != nil {
			tr = o.wrap(t)
		}
		train, err := d.WithLabels(p.train, p.trainLabels)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "up-down fine-tuning (CD-%d in the top RBM) for %d epochs\n", o.k, p.updown)
		st, err := training.Fit(context.Background(), tr, train, training.FitConfig{Epochs: p.updown, BatchSize: o.batch, Shuffle: true, Seed: o.seed + 7, Progress: progress})
		if err != nil {
			return nil, err
		}
		if err := saveModels(d, o.out, "updown"); err != nil {
			return nil, err
		}
		ud, err := p.evaluate(o, stdout, "up-down")
		if err != nil {
			return nil, err
		}
		ud.Epochs = len(st)
		ud.Training = fmt.Sprintf("up-down, CD-%d in the top RBM", o.k)
		if t.Float32Active() {
			ud.Training += ", float32 products"
		}
		for _, e := range st {
			ud.SecondsPerEpoch += e.Seconds / float64(len(st))
		}
		met.Stages = append(met.Stages, *ud)
	}
	if p.disc > 0 {
		ds, err := p.discriminative(o, stdout, progress)
		if err != nil {
			return nil, err
		}
		met.Stages = append(met.Stages, *ds)
	}
	if p.backprop > 0 {
		bs, err := p.backpropagation(o, stdout, progress)
		if err != nil {
			return nil, err
		}
		met.Stages = append(met.Stages, *bs)
	}
	lr, err := p.logisticRegression(o, stdout)
	if err != nil {
		return nil, err
	}
	met.LogReg = *lr
	if err := p.pictures(o, stdout); err != nil {
		return nil, err
	}
	met.Pictures = []string{"samples.png", "chain.gif"}
	met.Seconds = time.Since(start).Seconds()
	return met, nil
}

// discriminative fine-tunes the top RBM for p.disc epochs on the
// recognition means μ of the training images with their labels (TopData),
// descending the hybrid objective of Larochelle & Bengio (2008)
//
//	−log p(y | μ) − α·log p(μ, y),  p(y | μ) = exp(−F(μ, y)) / Σ_k exp(−F(μ, e_k)),
//
// the first term exactly through the free energies, the second by a CD-1
// step at α times the learning rate. The lower models stay as they are, so
// the classifier is the same up-pass followed by a top RBM tuned to label
// it. It saves the "disc" checkpoints and measures the DBN as after the
// other stages, with the test accuracy after every epoch.
func (p *problem) discriminative(o options, stdout io.Writer, progress io.Writer) (*StageMetrics, error) {
	d := p.dbn
	top := d.Generative(d.Len() - 1)
	label, err := labelLayer(top)
	if err != nil {
		return nil, fmt.Errorf("discriminative fine-tuning: %w", err)
	}
	// The top RBM's rows are computed from the images as each minibatch is
	// gathered: no copy of the data set at the top level.
	train, err := d.TopSource(p.train, p.trainLabels)
	if err != nil {
		return nil, fmt.Errorf("discriminative fine-tuning: %w", err)
	}
	t, err := training.NewTrainer(top, training.Conditional{Label: label, Hybrid: o.discHybrid, K: 1},
		training.Options{BatchSize: o.batch, Seed: o.seed + 13, Optimizer: runtime.SGD{LearningRate: o.lrDisc, Momentum: 0.5, WeightDecay: 0.0002},
			EvalRows: o.copies})
	if err != nil {
		return nil, fmt.Errorf("discriminative fine-tuning: %w", err)
	}
	training := fmt.Sprintf("−log p(y | h) of the top RBM on the recognition means + %g × CD-1, SGD (learning rate %g, momentum 0.5, weight decay 0.0002), minibatches of %d",
		o.discHybrid, o.lrDisc, o.batch)
	fmt.Fprintf(stdout, "discriminative fine-tuning of the top RBM for %d epochs: %s\n", p.disc, training)
	// The top RBM's free energies on the recognition means of the test images.
	classify := func() ([]float64, error) { return d.ClassProbs(p.test) }
	met, err := p.fineTune(o, stdout, progress, "disc", t, train, p.disc, o.seed+17, classify)
	if err != nil {
		return nil, fmt.Errorf("discriminative fine-tuning: %w", err)
	}
	met.Training, met.LabelCopies = training, &o.copies
	return met, nil
}

// fineTune trains t on train for epochs epochs with the test accuracy of
// classify after every epoch, saves the checkpoints of stage and measures
// the DBN (evaluate), with the epochs, their mean seconds and the accuracy
// by epoch.
func (p *problem) fineTune(o options, stdout, progress io.Writer, stage string, t runtime.Trainer, train dataset.Source, epochs int, seed uint64,
	classify func() ([]float64, error)) (*StageMetrics, error) {
	if o.wrap != nil {
		t = o.wrap(t)
	}
	var byEpoch []float64
	accuracy := func() (string, float64) {
		acc := math.NaN() // an error shows as a missing accuracy
		if probs, err := classify(); err == nil {
			if a, err := estimators.Accuracy(probs, p.testLabs); err == nil {
				acc = a
			}
		}
		byEpoch = append(byEpoch, acc)
		return "test accuracy", acc
	}
	st, err := training.Fit(context.Background(), t, train, training.FitConfig{Epochs: epochs, BatchSize: o.batch, Shuffle: true, Seed: seed,
		Progress: progress, Proxy: accuracy})
	if err != nil {
		return nil, err
	}
	if err := saveModels(p.dbn, o.out, stage); err != nil {
		return nil, err
	}
	met, err := p.evaluate(o, stdout, stage)
	if err != nil {
		return nil, err
	}
	met.Epochs, met.AccuracyByEpoch = len(st), byEpoch
	for _, e := range st {
		met.SecondsPerEpoch += e.Seconds / float64(len(st))
	}
	return met, nil
}

// backpropagation fine-tunes the DBN as a classifier for p.backprop
// epochs: the recognition weights of the lower models (untied first, so
// that the generative layers stay as they are) and the top RBM descend
//
//	−log p(y | v),  p(y | v) = exp(−F(μ, y)) / Σ_k exp(−F(μ, e_k)),
//
// with μ the deterministic up-pass of v, by backpropagation through the
// free energies and the recognition conditionals (deep.DBNBackprop).
// With o.grey the inputs v are grey levels, read as the probabilities that
// the bernoulli pixels are on (Hinton & Salakhutdinov 2006), in training and
// in the stage's accuracy; the lower bound stays that of the binarized test
// images. It saves the "backprop" checkpoints and measures the DBN as after
// the other stages, with the test accuracy after every epoch.
func (p *problem) backpropagation(o options, stdout io.Writer, progress io.Writer) (*StageMetrics, error) {
	d := p.dbn
	if d.Tied() {
		if err := d.Untie(p.recognition...); err != nil {
			return nil, fmt.Errorf("backpropagation: %w", err)
		}
	}
	t, err := d.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: o.lrBackprop, Momentum: 0.9}})
	if err != nil {
		return nil, fmt.Errorf("backpropagation: %w", err)
	}
	var trainIn, testIn dataset.Source = p.train, p.test
	input := "binarized pixels"
	if o.grey {
		rawTrain, rawTest, err := p.raw()
		if err != nil {
			return nil, fmt.Errorf("backpropagation: %w", err)
		}
		trainIn, testIn, input = rawTrain, rawTest, "grey levels (pixel/255 as the probability that a pixel is on)"
	}
	train, err := d.WithLabels(trainIn, p.trainLabels)
	if err != nil {
		return nil, fmt.Errorf("backpropagation: %w", err)
	}
	training := fmt.Sprintf("−log p(y | v) through the up-pass and the top RBM's free energies on %s, recognition weights untied, SGD (learning rate %g, momentum 0.9), minibatches of %d",
		input, o.lrBackprop, o.batch)
	fmt.Fprintf(stdout, "backpropagation fine-tuning for %d epochs: %s\n", p.backprop, training)
	classify := func() ([]float64, error) { return d.ClassProbs(testIn) }
	met, err := p.fineTune(o, stdout, progress, "backprop", t, train, p.backprop, o.seed+19, classify)
	if err != nil {
		return nil, fmt.Errorf("backpropagation: %w", err)
	}
	met.Training, met.Input = training, input
	if o.grey {
		probs, err := d.ClassProbs(testIn)
		if err != nil {
			return nil, fmt.Errorf("backpropagation: %w", err)
		}
		acc, err := estimators.Accuracy(probs, p.testLabs)
		if err != nil {
			return nil, fmt.Errorf("backpropagation: %w", err)
		}
		fmt.Fprintf(stdout, "[backprop] test accuracy of p(y | v) on grey levels: %.4f\n", acc)
		binarized := met.Accuracy
		met.AccuracyBinarized = &binarized
		met.Accuracy = cli.Accuracy(acc, p.test.Rows, "argmax_y p(y | v), the top RBM's free energies on the recognition means of the grey-level test images")
	}
	return met, nil
}

// wrappedTrainers returns d, or with wrap (options.wrap) a DBN of the same
// models (so training it trains d's) whose NewTrainer wraps its trainers.
func wrappedTrainers(d *deep.DBN, wrap func(runtime.Trainer) runtime.Trainer) (*deep.DBN, error) {
	if wrap == nil {
		return d, nil
	}
	models := make([]runtime.Reflective, d.Len())
	for k := range models {
		models[k] = wrapping{d.Generative(k), wrap}
	}
	return deep.NewDBN(models...)
}

// wrapping is a model whose trainers are wrapped by wrap.
type wrapping struct {
	runtime.Reflective
	wrap func(runtime.Trainer) runtime.Trainer
}

func (m wrapping) NewTrainer(cfg runtime.CDConfig) (runtime.Trainer, error) {
	t, err := m.Reflective.NewTrainer(cfg)
	if err != nil {
		return nil, err
	}
	return m.wrap(t), nil
}

// labelLayer names the label layer of a top model: its visible softmax layer.
func labelLayer(m runtime.Reflective) (string, error) {
	for _, ly := range m.Layers() {
		if ly.Visible && ly.Kind == runtime.KindSoftmax {
			return ly.Name, nil
		}
	}
	return "", fmt.Errorf("the top model %s has no label layer to fine-tune discriminatively", m.ModelName())
}

// checkpointPaths names the checkpoints of a stage: the generative models
// "<stage>-<k>-<model>.safetensors" and, when untied, the recognition
// models "<stage>-rec<k>-<model>.safetensors".
func checkpointPaths(d *deep.DBN, dir, stage string) (paths []string, models []runtime.Reflective) {
	for k := 0; k < d.Len(); k++ {
		m := d.Generative(k)
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("%s-%d-%s.safetensors", stage, k, m.ModelName())))
		models = append(models, m)
	}
	if !d.Tied() {
		for k := 0; k < d.Len()-1; k++ {
			m := d.Recognition(k)
			paths = append(paths, filepath.Join(dir, fmt.Sprintf("%s-rec%d-%s.safetensors", stage, k, m.ModelName())))
			models = append(models, m)
		}
	}
	return paths, models
}

// saveModels writes the parameters of every model of d (safetensors).
func saveModels(d *deep.DBN, dir, stage string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	paths, models := checkpointPaths(d, dir, stage)
	for i, m := range models {
		if err := checkpoint.SaveCheckpoint(paths[i], checkpoint.CheckpointOf(m, nil, nil, map[string]string{"stage": stage, "dbn": d.String()})); err != nil {
			return err
		}
	}
	return nil
}

// loadModels restores the models of d from saveModels's checkpoints.
func loadModels(d *deep.DBN, dir, stage string) error {
	paths, models := checkpointPaths(d, dir, stage)
	for i, m := range models {
		c, err := checkpoint.LoadCheckpoint(paths[i])
		if err != nil {
			return err
		}
		if err := c.Restore(m, nil); err != nil {
			return fmt.Errorf("%s: %w", paths[i], err)
		}
	}
	return nil
}

func layerUnits(m runtime.Reflective) string {
	s := ""
	for _, ly := range m.Layers() {
		if s != "" {
			s += " "
		}
		n := 1
		for _, d := range ly.Shape {
			n *= d
		}
		s += fmt.Sprintf("%s[%d]", ly.Name, n)
	}
	return s
}

// evaluate measures the DBN: log Z of the top RBM, the lower bound on the
// test log-likelihood and the test accuracy.
func (p *problem) evaluate(o options, stdout io.Writer, stage string) (*StageMetrics, error) {
	start := time.Now()
	d := p.dbn
	// The base rate of AIS needs only unit means: 10,000 training rows suffice.
	rows := min(p.train.Rows, 10000)
	train, _ := p.train.Split(rows)
	ais := estimators.AISConfig{Temperatures: o.temps, Runs: o.runs, Seed: o.seed, Progress: stdout}
	z, err := d.TopLogZ(train, p.trainLabels[:rows], ais)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "[%s] log Z of the top RBM = %.4f, ±3σ [%.4f, %.4f] (%s, %.1fs)\n", stage, z.LogZ, z.Low, z.High, z.Method, z.Seconds)
	met := &StageMetrics{Stage: stage, Input: "binarized pixels", LogZTop: cli.Estimate{Value: z.LogZ, Low: cli.Finite(z.Low), High: cli.Finite(z.High), Method: z.Method}}
	// Forward AIS errs low on log Z (so high on the bound), reverse AIS
	// errs high: the two bracket the bound.
	zRev := z
	if z.Low != z.High {
		base, err := d.TopBase(train, p.trainLabels[:rows])
		if err != nil {
			return nil, err
		}
		ais.Progress = nil
		if zRev, err = estimators.ReverseAIS(d.Generative(d.Len()-1), base, ais, 100); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "[%s] reverse AIS: log Z = %.4f, ±3σ [%.4f, %.4f] (%.1fs)\n", stage, zRev.LogZ, zRev.Low, zRev.High, zRev.Seconds)
		met.LogZTopReverse = &cli.Estimate{Value: zRev.LogZ, Low: cli.Finite(zRev.Low), High: cli.Finite(zRev.High), Method: zRev.Method}
	}
	b, err := d.LowerBound(p.test, z, deep.DBNBoundConfig{Samples: o.samples, Seed: o.seed})
	if err != nil {
		return nil, err
	}
	se := b.StdErr
	low, high := b.Value-3*se-math.Max(0, zRev.LogZ-z.LogZ), b.Value+3*se
	method := b.Method + "; the interval is ±3 standard errors over the test images, its low end with log Z from reverse AIS"
	if zRev == z {
		low, high, method = b.Low, b.High, b.Method+"; the interval is ±3 standard errors over the test images"
	}
	fmt.Fprintf(stdout, "[%s] test log-likelihood ≥ %.3f ± %.3f nats (log Z by %s; standard error over %d images; with reverse AIS's log Z %.3f; %.1fs)\n",
		stage, b.Value, b.StdErr, z.Method, p.test.Rows, b.Value-(zRev.LogZ-z.LogZ), b.Seconds)
	met.LowerBound = cli.Estimate{Value: b.Value, StdErr: &se, Low: cli.Finite(low), High: cli.Finite(high), Method: method}
	probs, err := d.ClassProbs(p.test)
	if err != nil {
		return nil, err
	}
	acc, err := estimators.Accuracy(probs, p.testLabs)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "[%s] test accuracy of p(y | v): %.4f\n", stage, acc)
	met.Accuracy = cli.Accuracy(acc, p.test.Rows, "argmax_y p(y | v), the top RBM's free energies on the recognition means")
	met.EvalSeconds = time.Since(start).Seconds()
	return met, nil
}

// pictures writes samples.png (a row of label-conditioned samples per
// class) and chain.gif (free top-level chains through the ancestral pass).
func (p *problem) pictures(o options, stdout io.Writer) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	const perClass = 10
	labels := make([]int, perClass*p.classes)
	for i := range labels {
		labels[i] = i / perClass
	}
	v, err := p.dbn.Sample(len(labels), deep.DBNSampleConfig{Sweeps: o.sweeps, Labels: labels, Means: true, Seed: o.seed + 11})
	if err != nil {
		return err
	}
	f := max(1, 28/p.side)
	side := p.side * f
	if err := imaging.WriteTiles(filepath.Join(o.out, "samples.png"), imaging.Upscale(v, len(labels), p.side, p.side, f), len(labels), side, side, perClass, false); err != nil {
		return err
	}
	const chains = 64
	var frames [][]float64
	_, err = p.dbn.Sample(chains, deep.DBNSampleConfig{Sweeps: o.frames * o.gifEvery, Seed: o.seed + 12, Every: o.gifEvery,
		Frame: func(_ int, v []float64) { frames = append(frames, imaging.Upscale(v, chains, p.side, p.side, f)) }})
	if err != nil {
		return err
	}
	if err := imaging.WriteGIF(filepath.Join(o.out, "chain.gif"), frames, chains, side, side, 8, 10); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote samples.png and chain.gif to %s\n", o.out)
	return nil
}
