// Command track trains an RBM by PCD on binarized Fashion-MNIST and prints
// its test log-likelihood after every epoch from a log Z tracked during
// training (estimators.Tracker: bridge sampling between the parameters of
// successive updates, Desjardins, Courville & Bengio 2011), without
// annealing; at a few epochs it also runs AIS, and for a model whose log Z
// enumerates (-model rbm20) it computes log Z exactly after every epoch:
//
//	go run ./examples/track -out docs/results/track-fashion
//
// It writes, under -out:
//
//	metrics.json       settings, seed, version, and per epoch the tracked
//	                   log Z (±3σ), the test log-likelihood it gives, and
//	                   where computed AIS's (or the exact) log Z and
//	                   log-likelihood
//	curve.png          test log-likelihood per epoch: tracked (blue),
//	                   tracked ±3σ (thin), AIS or exact (red)
//	model.safetensors  the trained model
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/examples/internal/plot"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/examples/rbm20"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/fileio"
	"github.com/ebmc/ebmc/runtime/training"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	data, out, model string
	epochs, every    int
	chains, sweeps   int
	trackChains      int
	ladder           int
	minBeta          float64
	lr, momentum     float64
	trainRows        int
	testRows         int
	aisEpochs        []int
	temps, runs      int
	seed             uint64
	load             string
	probe, burn      int
	warm             int
	filter           bool
	filterBase       string
	processVar       float64
	oneSided         bool
	estimateNoise    bool
	noiseBatch       int
}

// Interval is a value with its ±3σ interval; an end that is not finite
// (AIS whose mean weight is within 3σ of zero) is null.
type Interval struct {
	Value     float64
	Low, High *float64
	Method    string  `json:",omitempty"`
	ESS       float64 `json:",omitempty"`
	Seconds   float64 `json:",omitempty"`
}

// interval returns the Interval of v in [low, high].
func interval(v, low, high float64, method string) Interval {
	end := func(x float64) *float64 {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		return &x
	}
	return Interval{Value: v, Low: end(low), High: end(high), Method: method}
}

// Epoch is what the command measured after one epoch.
type Epoch struct {
	Epoch         int
	TrainSeconds  float64 // training and tracking, this epoch
	Recon         float64
	TrackedLogZ   Interval
	TrackedTestLL float64
	// With -filter: the sum of the β = 1 time ratios alone (the tracker
	// without the filter, on the same chains), the ladder's between-rung
	// ratios and anchor alone at this moment, and the swap rates.
	SummedLogZ  *Interval `json:",omitempty"`
	BridgedLogZ *Interval `json:",omitempty"`
	SwapRates   []float64 `json:",omitempty"`
	// With -estimate-noise: every rung's estimated integrated
	// autocorrelation time and the factor of the time ratios' variances.
	NoiseTau    []float64 `json:",omitempty"`
	NoiseScale  float64   `json:",omitempty"`
	AISLogZ     *Interval `json:",omitempty"`
	AISTestLL   *float64  `json:",omitempty"`
	ExactLogZ   *float64  `json:",omitempty"`
	ExactTestLL *float64  `json:",omitempty"`
}

// Metrics is metrics.json.
type Metrics struct {
	Model, Data, Settings string
	Seed                  uint64
	Version               string
	TrainRows, TestRows   int
	StartLogZ             Interval
	Epochs                []Epoch
	Seconds               float64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("track", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	ais := ""
	fs.StringVar(&o.data, "data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST IDX files")
	fs.StringVar(&o.out, "out", "results/track", "directory for metrics.json, curve.png and model.safetensors")
	fs.StringVar(&o.model, "model", "rbm500", "rbm500 (784×500, examples/rbm.ebm) or rbm20 (784×20, log Z exact after every epoch)")
	fs.IntVar(&o.epochs, "epochs", 10, "epochs of PCD")
	fs.IntVar(&o.every, "every", 1, "updates between observations of the tracker")
	fs.IntVar(&o.chains, "chains", 100, "persistent chains of PCD and of the tracker (each)")
	fs.IntVar(&o.trackChains, "track-chains", 0, "chains of the tracker (0: as many as -chains)")
	fs.IntVar(&o.sweeps, "sweeps", 1, "Gibbs sweeps of the tracker's chains per observation")
	fs.IntVar(&o.ladder, "ladder", 0, "inverse temperatures of the tracker's parallel tempering ladder (0: plain Gibbs chains)")
	fs.Float64Var(&o.minBeta, "min-beta", 0.5, "the ladder's smallest inverse temperature (geometric spacing from 1)")
	fs.Float64Var(&o.lr, "lr", 0.001, "learning rate")
	fs.Float64Var(&o.momentum, "momentum", 0.5, "momentum")
	fs.IntVar(&o.trainRows, "train-rows", 0, "training images used (0: all 60,000)")
	fs.IntVar(&o.testRows, "test-rows", 0, "test images evaluated (0: all 10,000)")
	fs.StringVar(&ais, "ais-epochs", "1,5,10", "epochs after which AIS checks the tracked log Z (comma-separated)")
	fs.IntVar(&o.temps, "temps", 0, "AIS temperatures, evenly spaced (0: the 14,500 of Salakhutdinov & Murray)")
	fs.IntVar(&o.runs, "runs", 100, "AIS runs")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.StringVar(&o.load, "load", "", "with -probe: the model to start from (of the -model kind)")
	fs.IntVar(&o.probe, "probe", 0, "instead of training: burn the tracker's chains in -burn sweeps on the -load model, then make this many PCD updates, printing after each the exact change of log Z (the model must enumerate) and the tracker's estimate")
	fs.IntVar(&o.burn, "burn", 1000, "with -probe: burn-in sweeps of the tracker's chains")
	fs.IntVar(&o.warm, "warm", 0, "with -probe: PCD updates (the tracker observing after each) before the measured ones, so that the PCD chains are those of a training run")
	fs.BoolVar(&o.filter, "filter", false, "track log Z at every rung of a ladder of -ladder evenly spaced inverse temperatures from 1 down to 0 (the base model) and combine time and between-rung ratios by a Kalman filter")
	fs.StringVar(&o.filterBase, "filter-base", "rates", "with -filter: the path's base model, rates (the data's base rates, as AIS) or uniform")
	fs.BoolVar(&o.oneSided, "one-sided", false, "estimate the time ratios by importance sampling from the chains before each update alone, instead of bridge sampling from the chains before and after")
	fs.Float64Var(&o.processVar, "process-var", 0, "with -filter: variance added per observation and rung to the filter's prediction")
	fs.BoolVar(&o.estimateNoise, "estimate-noise", false, "with -filter: weigh the observations by their real scatter (between-rung variances times the chains' integrated autocorrelation time, time-ratio variances scaled to their drift against the between-rung ratios) instead of BAR's standard errors, and widen σ by the slow error the innovations show")
	fs.IntVar(&o.noiseBatch, "noise-batch", 0, "with -estimate-noise: observations per batch of the batch means (0: 50)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	for _, f := range strings.Split(ais, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		e, err := strconv.Atoi(f)
		if err != nil || e < 1 {
			fmt.Fprintf(stderr, "track: -ais-epochs: %q is not an epoch\n", f)
			return 2
		}
		o.aisEpochs = append(o.aisEpochs, e)
	}
	if _, err := o.trackConfig(nil, 0); err != nil {
		fmt.Fprintf(stderr, "track: %v\n", err)
		return 2
	}
	if o.trackChains == 0 {
		o.trackChains = o.chains
	}
	do := o.train
	if o.probe > 0 {
		do = o.probeSteps
	}
	if err := do(stdout); err != nil {
		fmt.Fprintf(stderr, "track: %v\n", err)
		return 1
	}
	return 0
}

// newModel returns the model -model names.
func (o options) newModel() (runtime.Reflective, error) {
	switch o.model {
	case "rbm500":
		return rbm.NewRBM(o.seed).Reflect(), nil
	case "rbm20":
		return rbm20.NewRBM(o.seed).Reflect(), nil
	}
	return nil, fmt.Errorf("-model %q: want rbm500 or rbm20", o.model)
}

func (o options) train(stdout io.Writer) error {
	version := cli.Version()
	begin := time.Now()
	train, err := dataset.LoadIDXBits(filepath.Join(o.data, "train-images-idx3-ubyte.gz"), 0.5)
	if err != nil {
		return err
	}
	test, err := dataset.LoadIDXBits(filepath.Join(o.data, "t10k-images-idx3-ubyte.gz"), 0.5)
	if err != nil {
		return err
	}
	if o.trainRows > 0 {
		train, _ = train.Split(o.trainRows)
	}
	if o.testRows > 0 {
		test, _ = test.Split(o.testRows)
	}
	m, err := o.newModel()
	if err != nil {
		return err
	}
	rows, _ := train.Shape()
	testN, _ := test.Shape()
	base, err := estimators.BaseRate(m, train, float64(rows)/20)
	if err != nil {
		return err
	}
	if _, err := base.SetBiases(m); err != nil {
		return err
	}
	met := &Metrics{Model: o.model, Seed: o.seed, Version: version, TrainRows: rows, TestRows: testN,
		Data: fmt.Sprintf("Fashion-MNIST from %s, pixel/255 > 0.5; the first %d training and %d test images", o.data, rows, testN),
		Settings: fmt.Sprintf("PCD-1, %d persistent chains, minibatches of 100, SGD learning rate %g, momentum %g; weights N(0, 0.01²), visible biases at the base rates; "+
			"tracker: %d chains of its own, %d Gibbs sweeps and one bridge-sampling step every %d updates; AIS from the base rates, %s, %d runs",
			o.chains, o.lr, o.momentum, o.trackChains, o.sweeps, o.every, temps(o.temps), o.runs) + o.ladderSettings()}
	fmt.Fprintf(stdout, "%s on %d images: %s\n", o.model, rows, met.Settings)

	// log Z at the start: AIS (weights N(0, 0.01²) are close to the base model).
	start, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: 1000, Runs: o.runs, Seed: o.seed})
	if err != nil {
		return err
	}
	met.StartLogZ = interval(start.LogZ, start.Low, start.High, start.Method)
	met.StartLogZ.ESS, met.StartLogZ.Seconds = start.ESS, start.Seconds
	if z, err := m.LogZ(0); err == nil {
		start = &estimators.Estimate{Method: "exact", LogZ: z, Low: z, High: z}
		met.StartLogZ = interval(z, z, z, "exact")
	}
	fmt.Fprintf(stdout, "log Z at the start: %.4f [%.4f, %.4f] (%s)\n", start.LogZ, start.Low, start.High, met.StartLogZ.Method)

	tr, err := training.NewTrainer(m, training.PCD{K: 1, Chains: o.chains},
		training.Options{BatchSize: 100, Optimizer: runtime.SGD{LearningRate: o.lr, Momentum: o.momentum}, Seed: o.seed})
	if err != nil {
		return err
	}
	tc, err := o.trackConfig(base, 10)
	if err != nil {
		return err
	}
	track, err := estimators.NewTracker(m, start, tc)
	if err != nil {
		return err
	}
	ll := estimators.TrackedLogLikelihood(m, track, test)
	for e := 0; e < o.epochs; e++ {
		stats, err := training.Fit(context.Background(), tr, train, training.FitConfig{
			Epochs: e + 1, StartEpoch: e, BatchSize: 100, Shuffle: true, Seed: o.seed,
			Track: track, TrackEvery: o.every})
		if err != nil {
			return err
		}
		st := stats[0]
		_, testLL := ll()
		ep := Epoch{Epoch: e + 1, TrainSeconds: st.Seconds, Recon: st.Recon, TrackedTestLL: testLL,
			TrackedLogZ: interval(st.LogZ, st.LogZ-3*st.LogZSD, st.LogZ+3*st.LogZSD, "tracked")}
		line := fmt.Sprintf("epoch %d/%d  %.1fs  recon %.2f  tracked log Z %.2f ± %.2f  test log-lik %.2f",
			e+1, o.epochs, st.Seconds, st.Recon/784, st.LogZ, 3*st.LogZSD, testLL)
		if o.filter {
			z, sd := track.Accumulated()
			b, bsd := track.Bridged()
			si, bi := interval(z, z-3*sd, z+3*sd, "summed time ratios at β = 1"), interval(b, b-3*bsd, b+3*bsd, "anchor and between-rung ratios")
			ep.SummedLogZ, ep.BridgedLogZ, ep.SwapRates = &si, &bi, track.SwapRates()
			if o.estimateNoise {
				ep.NoiseTau = make([]float64, o.ladder)
				ep.NoiseScale = track.NoiseFactors(ep.NoiseTau)
				line += fmt.Sprintf("  | τ %.0f, time-ratio factor %.0f", ep.NoiseTau, ep.NoiseScale)
			}
			line += fmt.Sprintf("  | summed %.2f ± %.2f, ladder alone %.2f ± %.2f", z, 3*sd, b, 3*bsd)
		}
		if z, err := m.LogZ(0); err == nil {
			l, err := estimators.LogLikelihood(m, test, z)
			if err != nil {
				return err
			}
			ep.ExactLogZ, ep.ExactTestLL = &z, &l
			line += fmt.Sprintf("  | exact log Z %.2f, test log-lik %.2f", z, l)
		}
		if slices.Contains(o.aisEpochs, e+1) {
			cfg := estimators.AISConfig{Temperatures: o.temps, Runs: o.runs, Seed: o.seed + uint64(e+1)}
			a, err := estimators.AIS(m, base, cfg)
			if err != nil {
				return err
			}
			l, err := estimators.LogLikelihood(m, test, a.LogZ)
			if err != nil {
				return err
			}
			ai := interval(a.LogZ, a.Low, a.High, a.Method)
			ai.ESS, ai.Seconds = a.ESS, a.Seconds
			ep.AISLogZ = &ai
			ep.AISTestLL = &l
			line += fmt.Sprintf("  | AIS log Z %.2f [%.2f, %.2f] (ESS %.0f, %.0fs), test log-lik %.2f", a.LogZ, a.Low, a.High, a.ESS, a.Seconds, l)
		}
		if r := track.SwapRates(); r != nil {
			line += fmt.Sprintf("  | swap rates %.2f", r)
		}
		fmt.Fprintln(stdout, line)
		met.Epochs = append(met.Epochs, ep)
	}
	met.Seconds = time.Since(begin).Seconds()
	return o.write(m, met, stdout)
}

// trackConfig is the tracker's configuration from the flags: plain chains,
// a geometric tempering ladder (-ladder, -min-beta), or with -filter a
// ladder of -ladder rungs evenly spaced from 1 down to 0 on the path from
// the base model (-filter-base) and the Kalman filter.
func (o options) trackConfig(rates *estimators.Base, burn int) (estimators.TrackConfig, error) {
	tc := estimators.TrackConfig{Chains: o.trackChains, Sweeps: o.sweeps, Burn: burn, Seed: o.seed ^ 0x747261, OneSided: o.oneSided}
	switch {
	case o.filter:
		if o.ladder < 2 {
			return tc, fmt.Errorf("-filter needs a -ladder of at least 2 rungs, got %d", o.ladder)
		}
		tc.Betas, tc.Filter, tc.ProcessVar = estimators.LinearLadder(o.ladder), true, o.processVar
		tc.EstimateNoise, tc.NoiseBatch = o.estimateNoise, o.noiseBatch
		if o.noiseBatch < 0 {
			return tc, fmt.Errorf("-noise-batch %d: want 0 (the default, 50) or more", o.noiseBatch)
		}
		switch o.filterBase {
		case "rates":
			tc.Base = rates
		case "uniform":
		default:
			return tc, fmt.Errorf("-filter-base %q: want rates or uniform", o.filterBase)
		}
	case o.estimateNoise:
		return tc, errors.New("-estimate-noise weighs the Kalman filter's observations and needs -filter")
	case o.ladder > 1:
		tc.Betas = estimators.GeometricLadder(o.ladder, o.minBeta)
	}
	return tc, nil
}

// ladderSettings describes the tracker's time ratios and ladder, if any,
// for metrics.json.
func (o options) ladderSettings() string {
	if o.oneSided {
		o.oneSided = false
		return "; time ratios by importance sampling from the chains before each update" + o.ladderSettings()
	}
	switch {
	case o.filter:
		s := fmt.Sprintf("; Kalman filter over %d rungs evenly spaced from β = 1 to β = 0 on the path from the %s base (%d chains each), process variance %g", o.ladder, o.filterBase, o.trackChains, o.processVar)
		if o.estimateNoise {
			b := o.noiseBatch
			if b == 0 {
				b = 50
			}
			s += fmt.Sprintf("; observation noise estimated (between-rung variances times the chains' integrated autocorrelation time by batch means of %d observations, time-ratio variances scaled to their drift against the between-rung ratios, σ widened by the slow error the innovations' batch means show)", b)
		}
		return s
	case o.ladder > 1:
		return fmt.Sprintf("; tempering ladder of %d rungs from β = 1 to %g, geometric", o.ladder, o.minBeta)
	}
	return ""
}

func temps(n int) string {
	if n == 0 {
		return "the 14,500 temperatures of Salakhutdinov & Murray"
	}
	return fmt.Sprintf("%d evenly spaced temperatures", n)
}

// write saves metrics.json, curve.png and model.safetensors under o.out.
func (o options) write(m runtime.Reflective, met *Metrics, stdout io.Writer) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(met, "", "  ")
	if err != nil {
		return err
	}
	if err := fileio.WriteFileAtomic(filepath.Join(o.out, "metrics.json"), append(b, '\n')); err != nil {
		return err
	}
	var x, tracked, lo, hi, rx, ry []float64
	for _, e := range met.Epochs {
		x = append(x, float64(e.Epoch))
		tracked = append(tracked, e.TrackedTestLL)
		// log p = −F − log Z: the log Z interval maps to the log-likelihood's, reversed.
		lo = append(lo, e.TrackedTestLL-(*e.TrackedLogZ.High-e.TrackedLogZ.Value))
		hi = append(hi, e.TrackedTestLL+(e.TrackedLogZ.Value-*e.TrackedLogZ.Low))
		switch {
		case e.ExactTestLL != nil:
			rx, ry = append(rx, float64(e.Epoch)), append(ry, *e.ExactTestLL)
		case e.AISTestLL != nil:
			rx, ry = append(rx, float64(e.Epoch)), append(ry, *e.AISTestLL)
		}
	}
	thin := plot.Palette[0]
	thin.A = 110
	series := []plot.Series{
		{X: x, Y: tracked, Color: plot.Palette[0]},
		{X: x, Y: lo, Color: thin}, {X: x, Y: hi, Color: thin},
		{X: rx, Y: ry, Color: plot.Palette[1]},
	}
	if err := plot.Write(filepath.Join(o.out, "curve.png"), series, nil); err != nil {
		return err
	}
	if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "model.safetensors"), checkpoint.CheckpointOf(m, nil, nil,
		map[string]string{"seed": strconv.FormatUint(o.seed, 10), "epochs": strconv.Itoa(len(met.Epochs))})); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote metrics.json, curve.png and model.safetensors to %s (%.0fs in all)\n", o.out, met.Seconds)
	return nil
}

// probeSteps starts from the saved model o.load, burns the tracker's chains
// in and makes o.probe PCD updates on consecutive minibatches, printing
// after each the exact change of log Z and the tracker's bridge-sampling
// estimate with its standard error: whether the chains represent the model.
func (o options) probeSteps(stdout io.Writer) error {
	train, err := dataset.LoadIDXBits(filepath.Join(o.data, "train-images-idx3-ubyte.gz"), 0.5)
	if err != nil {
		return err
	}
	m, err := o.newModel()
	if err != nil {
		return err
	}
	c, err := checkpoint.LoadCheckpoint(o.load)
	if err != nil {
		return err
	}
	if err := c.Restore(m, nil); err != nil {
		return err
	}
	rows, cols := train.Shape()
	z0, err := m.LogZ(0)
	if err != nil {
		return fmt.Errorf("-probe needs a model whose log Z enumerates: %w", err)
	}
	base, err := estimators.BaseRate(m, train, float64(rows)/20)
	if err != nil {
		return err
	}
	tc, err := o.trackConfig(base, o.burn)
	if err != nil {
		return err
	}
	track, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0}, tc)
	if err != nil {
		return err
	}
	tr, err := training.NewTrainer(m, training.PCD{K: 1, Chains: o.chains},
		training.Options{BatchSize: 100, Optimizer: runtime.SGD{LearningRate: o.lr, Momentum: o.momentum}, Seed: o.seed})
	if err != nil {
		return err
	}
	buf, idx := make([]float64, 100*cols), make([]int, 100)
	fmt.Fprintf(stdout, "%s from %s, log Z %.4f; tracker: %d chains, %d burn-in sweeps, %d per update\n", o.model, o.load, z0, tc.Chains, o.burn, o.sweeps)
	for s := range o.warm {
		for i := range idx {
			idx[i] = (s*100 + i) % rows
		}
		train.Gather(buf, idx)
		tr.TrainStep(buf, 100, 0)
		track.Observe()
	}
	if o.warm > 0 {
		if z0, err = m.LogZ(0); err != nil {
			return err
		}
		zt, _ := track.LogZ()
		fmt.Fprintf(stdout, "after %d updates to warm the PCD chains: exact log Z %.4f, tracked %.4f\n", o.warm, z0, zt)
	}
	prev := z0
	var errs, ses []float64
	for s := range o.probe {
		for i := range idx {
			idx[i] = ((o.warm+s)*100 + i) % rows
		}
		train.Gather(buf, idx)
		tr.TrainStep(buf, 100, 0)
		track.Observe()
		z, err := m.LogZ(0)
		if err != nil {
			return err
		}
		d, se := track.Last()
		zt, _ := track.LogZ()
		fmt.Fprintf(stdout, "update %d: exact change of log Z %+.4f, bridge estimate %+.4f ± %.4f (se); tracked − exact log Z %+.4f\n", s+1, z-prev, d, se, zt-z)
		errs = append(errs, d-(z-prev))
		ses = append(ses, se)
		prev = z
	}
	// Is the error of the steps systematic? Its mean against the spread
	// the steps' own standard errors allow.
	mean, msq, mse := 0.0, 0.0, 0.0
	for i, e := range errs {
		mean += e
		msq += e * e
		mse += ses[i]
	}
	k := float64(len(errs))
	mean, msq, mse = mean/k, msq/k, mse/k
	sem := math.Sqrt(math.Max(msq-mean*mean, 0) / math.Max(k-1, 1))
	fmt.Fprintf(stdout, "over %d updates: mean error of a step %+.5f ± %.5f (standard error of the mean), mean se of a step %.5f; summed error %+.4f\n",
		len(errs), mean, sem, mse, mean*k)
	return nil
}
