package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/fileio"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// ErrDiverged is wrapped by the error Fit returns when a parameter becomes
// NaN or ±∞, a parameter grows beyond FitConfig.MaxParam or the loss beyond
// what FitConfig.LossFactor allows (test with errors.Is).
var ErrDiverged = errors.New("training diverged")

// Defaults of FitConfig's divergence checks: lenient, so that they stop
// runaway training but not a slow drift (see FitConfig.LossFactor).
const (
	DefaultLossFactor = 1000
	DefaultMaxParam   = 1e4
	// DefaultMaxParamDiscrete is the default of FitConfig.MaxParam for a
	// trainer whose model (its Reflect method) has only bernoulli, spin
	// and softmax units, where a field of 40 already makes a unit
	// deterministic: a value beyond 1000 is a saturated, dead model.
	DefaultMaxParamDiscrete = 1e3
)

// FitConfig configures Fit.
type FitConfig struct {
	// Epochs is the total number of passes over the data; BatchSize (> 0)
	// the number of rows per TrainStep (the last batch of an epoch may be
	// smaller).
	Epochs, BatchSize int
	// Shuffle reorders the rows every epoch. The order of epoch e depends
	// only on Seed and e, so a resumed run sees the same batches.
	Shuffle bool
	Seed    uint64
	// Progress, if not nil, receives one human-readable line per epoch,
	// ending with the time the remaining epochs will take at the pace so
	// far:
	// "epoch 3/10  1.52s  recon 12.3456" followed by the Proxy value if set
	// (and the mean sweeps per minibatch of a runtime.MeanFieldCounter).
	Progress io.Writer
	// Proxy, if not nil, is called after each epoch and returns the name and
	// value of a likelihood proxy (for example a pseudo-log-likelihood).
	Proxy func() (name string, value float64)
	// Checkpoint, if not empty, is the path where a checkpoint (parameters,
	// State tensors, metadata "epoch" and "seed") is saved atomically after
	// every completed epoch.
	Checkpoint string
	// Metrics, if not nil, receives one JSON object per epoch and line:
	// {"epoch":3,"seconds":1.52,"recon":12.3456,"<proxy name>":-98.7}, with
	// null for a non-finite proxy value, and "mean_field_sweeps" for a
	// trainer that counts them (runtime.MeanFieldCounter).
	Metrics io.Writer
	// StartEpoch is the number of epochs already completed when resuming
	// from a checkpoint (its "epoch" metadata); Fit runs the epochs
	// StartEpoch+1 … Epochs. Zero for a fresh run.
	StartEpoch int
	// BestLoss and BestEpoch carry the loss-growth check (LossFactor)
	// across a resumed run: the lowest epoch loss of the epochs up to
	// StartEpoch and the epoch that reached it, which Fit writes to every
	// checkpoint's metadata ("best_loss", "best_epoch") and Resume reads
	// back. BestEpoch 0 means none: the check starts afresh.
	BestLoss  float64
	BestEpoch int
	// LossFactor and MaxParam catch divergence that stays finite, as a
	// learning rate far too high for the model causes. After every epoch
	// Fit checks, besides the NaN and ±∞ it checks after every step, that
	//
	//	loss − best ≤ (LossFactor − 1)·max(|best|, n)
	//
	// where loss is the epoch's loss per row (EpochStats.Recon: the
	// reconstruction error, or the trainer's LossName loss), best the
	// lowest loss of the earlier epochs (of this call, and before it
	// BestLoss when resuming) and n the number of
	// visible units per row (VisibleSize). For a loss per row above n this
	// is "at most LossFactor times the best". The floor of one unit of loss
	// per visible unit keeps the rule meaningful for losses that come near
	// zero (the sampled reconstruction of a small binary data set is often
	// exact) or take either sign (score matching): small changes there are
	// not growth. A reconstruction error of binary units, at most n per
	// row, never trips it; their divergence shows in the parameters.
	//
	// Zero means DefaultLossFactor (1000); a negative value turns the check
	// off; other values must be at least 1. The default stops a blow-up,
	// which multiplies the loss within a few epochs, and lets a run whose
	// loss merely climbs (a hundredfold over 50 epochs, say) finish; set a
	// smaller factor, such as 10, to stop those too.
	LossFactor float64
	// MaxParam bounds the magnitude of the values of the trained (not
	// Fixed) parameters after every epoch. Zero means DefaultMaxParam
	// (10⁴), or DefaultMaxParamDiscrete (10³) for a trainer whose model has
	// only discrete units (generated trainers say so through Reflect); a
	// negative value turns the check off. Trained models stay far
	// below it on binary units (where a weight of 40 already makes a unit
	// deterministic) and on standardized data (Dataset.Standardize); raise
	// it for Gaussian units on data in large units. A learning rate too
	// high for binary units can saturate them and leave the weights at a
	// few thousand, the reconstruction error at chance and the loss flat:
	// a bound such as 100 catches that.
	MaxParam float64
	// Track, if not nil, follows log Z during training without annealing
	// (estimators.Tracker, Desjardins et al. 2011): Fit calls its Observe
	// after every TrackEvery-th step (0 means every step) and after the last
	// step of every epoch, and reports the tracked log Z and its standard
	// deviation in EpochStats, the progress lines and the metrics. The
	// tracker must have been started on the trainer's model at its
	// parameters before the first step. (After a divergence Fit restores
	// earlier parameters; the tracker is not rewound.)
	Track      *estimators.Tracker
	TrackEvery int
}

// lossName is what a trainer's TrainStep returns: "recon" for the
// reconstruction error of CD trainers, or the trainer's LossName.
func lossName(t runtime.Trainer) string {
	if n, ok := t.(interface{ LossName() string }); ok {
		return n.LossName()
	}
	return "recon"
}

// maxBatch is the most rows t's TrainStep takes, its MaxBatch, or 0 for
// no limit.
func maxBatch(t runtime.Trainer) int {
	if m, ok := t.(interface{ MaxBatch() int }); ok {
		return m.MaxBatch()
	}
	return 0
}

// EpochStats describes one completed epoch. Epoch counts from 1; Seconds is
// the time spent in TrainStep and batching; Recon is the summed squared
// reconstruction error divided by the number of rows; ProxyName and Proxy
// are set when FitConfig.Proxy is; LogZ and LogZSD, the tracked log Z and
// its standard deviation at the end of the epoch, when FitConfig.Track is;
// MeanFieldSweeps, for a trainer whose positive phase runs mean field
// (runtime.MeanFieldCounter), the epoch's mean-field sweeps divided by its
// steps: the mean sweeps per minibatch (0 for other trainers).
type EpochStats struct {
	Epoch           int
	Seconds         float64
	Recon           float64
	ProxyName       string
	Proxy           float64
	LogZ            float64
	LogZSD          float64
	MeanFieldSweeps float64
}

// short reports whether data is a Dataset holding fewer values than its
// shape declares.
func short(data dataset.Source) bool {
	d, ok := data.(*dataset.Dataset)
	return ok && len(d.X) < d.Rows*d.Cols
}

// Fit trains t on the rows of data (a Dataset, or a BitDataset for binary
// data held compactly): each epoch it splits the rows into
// minibatches, gathers each into a buffer and calls TrainStep (whose epoch
// argument counts from 0), then reports progress and metrics and saves the
// checkpoint. It refuses minibatches larger than a trainer with a MaxBatch
// method takes (see Trainer).
//
// Before the first step Fit checks that the checkpoint, if any, can be
// written: that its directory exists and takes a new file.
//
// After every step Fit checks that the parameters and the returned
// reconstruction error are finite, and after every epoch that neither the
// loss nor the parameters grew beyond FitConfig.LossFactor and
// FitConfig.MaxParam. If one fails, it restores the parameters and the
// State tensors from the snapshot taken at the end of the last good epoch
// (or at the start), leaves the checkpoint file as it was, and returns an
// error wrapping ErrDiverged that names the epoch (and step), what grew,
// and says to lower the learning rate.
//
// Cancelling ctx stops training between two steps; the parameters are then
// those after the last completed step and the error wraps ctx.Err(). In
// every case Fit returns the statistics of the completed epochs.
func Fit(ctx context.Context, t runtime.Trainer, data dataset.Source, cfg FitConfig) ([]EpochStats, error) {
	name := t.ModelName()
	var rows, cols int
	if data != nil {
		rows, cols = data.Shape()
	}
	switch {
	case rows <= 0:
		return nil, fmt.Errorf("runtime: fit %s: empty data set", name)
	case cols != t.VisibleSize():
		return nil, fmt.Errorf("runtime: fit %s: data has %d columns, model has %d visible units", name, cols, t.VisibleSize())
	case short(data):
		d := data.(*dataset.Dataset)
		return nil, fmt.Errorf("runtime: fit %s: data set declares %d×%d values, holds %d", name, d.Rows, d.Cols, len(d.X))
	case cfg.BatchSize <= 0:
		return nil, fmt.Errorf("runtime: fit %s: batch size %d is not positive", name, cfg.BatchSize)
	case cfg.StartEpoch < 0:
		return nil, fmt.Errorf("runtime: fit %s: start epoch %d is negative", name, cfg.StartEpoch)
	case cfg.BestEpoch < 0 || cfg.BestEpoch > cfg.StartEpoch || cfg.BestEpoch > 0 && !isFinite(cfg.BestLoss):
		return nil, fmt.Errorf("runtime: fit %s: best loss %v of epoch %d is not a finite loss of an epoch up to the start epoch %d", name, cfg.BestLoss, cfg.BestEpoch, cfg.StartEpoch)
	case math.IsNaN(cfg.LossFactor):
		return nil, fmt.Errorf("runtime: fit %s: FitConfig.LossFactor is NaN; use 0 for the default (%d), a factor of at least 1, or a negative value to turn the check off",
			name, DefaultLossFactor)
	case cfg.LossFactor > 0 && cfg.LossFactor < 1:
		return nil, fmt.Errorf("runtime: fit %s: FitConfig.LossFactor %v is less than 1; use 0 for the default (%d), a factor of at least 1, or a negative value to turn the check off",
			name, cfg.LossFactor, DefaultLossFactor)
	case cfg.TrackEvery < 0:
		return nil, fmt.Errorf("runtime: fit %s: FitConfig.TrackEvery %d is negative; 0 observes log Z after every step", name, cfg.TrackEvery)
	case math.IsNaN(cfg.MaxParam):
		return nil, fmt.Errorf("runtime: fit %s: FitConfig.MaxParam is NaN; use 0 for the default (%g), a positive bound, or a negative value to turn the check off",
			name, DefaultMaxParam)
	}
	if n, max := min(cfg.BatchSize, rows), maxBatch(t); max > 0 && n > max {
		return nil, fmt.Errorf("runtime: fit %s: batch size %d is more than the %d rows the trainer takes per step; use a FitConfig.BatchSize of at most %d or build the trainer with a larger BatchSize",
			name, n, max, max)
	}
	if cfg.Checkpoint != "" {
		if err := fileio.CheckWritable(cfg.Checkpoint); err != nil {
			return nil, fmt.Errorf("runtime: fit %s: cannot write checkpoint %s: %w", name, cfg.Checkpoint, err)
		}
	}
	lossFactor, maxParam := cfg.LossFactor, cfg.MaxParam
	if lossFactor == 0 {
		lossFactor = DefaultLossFactor
	}
	if maxParam == 0 {
		maxParam = DefaultMaxParam
		if r, ok := t.(interface{ Reflect() runtime.Reflective }); ok && discreteOnly(r.Reflect()) {
			maxParam = DefaultMaxParamDiscrete
		}
	}
	params, state := t.Params(), t.State()
	snap := newSnapshot(params, state)
	batches := NewBatches(rows, cfg.BatchSize, cfg.Shuffle, runtime.RNG{})
	buf := make([]float64, min(cfg.BatchSize, rows)*cols)
	var stats []EpochStats
	good := cfg.StartEpoch // epochs completed when snap was taken
	// diverged restores the snapshot and returns the error for divergence
	// at where (an epoch, and a step) because of what; hint names the
	// setting that allows more.
	diverged := func(where, what, hint string) error {
		snap.restore(params, state)
		kept := "the initial parameters were restored"
		if good > 0 {
			kept = fmt.Sprintf("the last good parameters, from the end of epoch %d, were restored", good)
		}
		if cfg.Checkpoint != "" {
			kept += "; checkpoint " + cfg.Checkpoint + " was not overwritten"
		}
		return fmt.Errorf("runtime: fit %s: %w at %s (%s); %s; lower the learning rate%s", name, ErrDiverged, where, what, kept, hint)
	}
	best, bestEpoch := math.Inf(1), 0 // the lowest epoch loss so far
	if cfg.BestEpoch > 0 {
		best, bestEpoch = cfg.BestLoss, cfg.BestEpoch
	}
	counter, counted := t.(runtime.MeanFieldCounter)
	fitStart := time.Now()
	for e := cfg.StartEpoch; e < cfg.Epochs; e++ {
		batches.restart(runtime.NewRNG(cfg.Seed, uint64(e)))
		start := time.Now()
		var recon float64
		var sweeps0, steps0 int
		if counted {
			sweeps0, steps0 = counter.MeanFieldSweeps()
		}
		observed := true // whether the tracker has seen the latest step
		for step := 1; ; step++ {
			idx, ok := batches.Next()
			if !ok {
				break
			}
			if err := ctx.Err(); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: stopped in epoch %d/%d before step %d: %w", name, e+1, cfg.Epochs, step, err)
			}
			x := buf[:len(idx)*cols]
			data.Gather(x, idx)
			r := t.TrainStep(x, len(idx), e)
			bad := ""
			if math.IsNaN(r) || math.IsInf(r, 0) {
				bad = fmt.Sprintf("reconstruction error is %v", r)
			}
			for _, p := range params {
				if !runtime.IsFinite(p.Data) {
					bad = fmt.Sprintf("param %s has non-finite values", p.Name)
					break
				}
			}
			if bad != "" {
				return stats, diverged(fmt.Sprintf("epoch %d step %d", e+1, step), bad, "")
			}
			recon += r
			observed = false
			if cfg.Track != nil && step%max(cfg.TrackEvery, 1) == 0 {
				cfg.Track.Observe()
				observed = true
			}
		}
		if cfg.Track != nil && !observed {
			cfg.Track.Observe()
		}
		loss := recon / float64(rows)
		where := fmt.Sprintf("epoch %d", e+1)
		if maxParam > 0 {
			if p, k, ok := largest(params); ok && math.Abs(p.Data[k]) > maxParam {
				return stats, diverged(where,
					fmt.Sprintf("param %s holds %.6g at element %s, beyond FitConfig.MaxParam %g in magnitude", p.Name, p.Data[k], layout.ElementString(p.Shape, k), maxParam),
					", or raise FitConfig.MaxParam if the data's scale calls for such values")
			}
		}
		if lossFactor > 0 && bestEpoch > 0 && loss-best > (lossFactor-1)*max(math.Abs(best), float64(cols)) {
			return stats, diverged(where,
				fmt.Sprintf("%s per row rose to %.6g, more than FitConfig.LossFactor %g allows above its best %.6g (epoch %d)", lossName(t), loss, lossFactor, best, bestEpoch),
				", or raise FitConfig.LossFactor if such a rise is expected")
		}
		if loss < best {
			best, bestEpoch = loss, e+1
		}
		st := EpochStats{Epoch: e + 1, Seconds: time.Since(start).Seconds(), Recon: loss}
		if counted {
			sweeps, steps := counter.MeanFieldSweeps()
			st.MeanFieldSweeps = float64(sweeps-sweeps0) / float64(max(1, steps-steps0))
		}
		if cfg.Track != nil {
			st.LogZ, st.LogZSD = cfg.Track.LogZ()
		}
		if cfg.Proxy != nil {
			st.ProxyName, st.Proxy = cfg.Proxy()
		}
		stats = append(stats, st)
		snap.take(params, state)
		good = e + 1
		if cfg.Progress != nil {
			line := fmt.Sprintf("epoch %d/%d  %.2fs  %s %.4f", st.Epoch, cfg.Epochs, st.Seconds, lossName(t), st.Recon)
			if cfg.Proxy != nil {
				line += fmt.Sprintf("  %s %.4f", st.ProxyName, st.Proxy)
			}
			if cfg.Track != nil {
				line += fmt.Sprintf("  log Z %.4f ± %.4f", st.LogZ, 3*st.LogZSD)
			}
			if counted {
				line += fmt.Sprintf("  mean field %.2f sweeps", st.MeanFieldSweeps)
			}
			if left := cfg.Epochs - (e + 1); left > 0 {
				per := time.Since(fitStart) / time.Duration(e+1-cfg.StartEpoch)
				line += fmt.Sprintf("  ETA %s", (per * time.Duration(left)).Round(time.Second))
			}
			if _, err := io.WriteString(cfg.Progress, line+"\n"); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: write progress: %w", name, err)
			}
		}
		if cfg.Metrics != nil {
			if _, err := cfg.Metrics.Write(st.appendJSON(nil, cfg.Proxy != nil, cfg.Track != nil, counted)); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: write metrics: %w", name, err)
			}
		}
		if cfg.Checkpoint != "" {
			meta := map[string]string{"epoch": strconv.Itoa(e + 1), "seed": strconv.FormatUint(cfg.Seed, 10),
				"best_loss": strconv.FormatFloat(best, 'g', -1, 64), "best_epoch": strconv.Itoa(bestEpoch)}
			if err := checkpoint.SaveCheckpoint(cfg.Checkpoint, checkpoint.CheckpointOf(t, state, nil, meta)); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: %w", name, err)
			}
		}
	}
	return stats, nil
}

// largest returns the trained (not Fixed) parameter holding the value of
// largest magnitude and that value's index; ok is false if no trained
// parameter has values.
func largest(params []runtime.Tensor) (p runtime.Tensor, k int, ok bool) {
	mag := -1.0
	for _, q := range params {
		if q.Fixed {
			continue
		}
		for i, v := range q.Data {
			if a := math.Abs(v); a > mag {
				p, k, ok, mag = q, i, true, a
			}
		}
	}
	return p, k, ok
}

// appendJSON appends st as one line of JSON.
func (st EpochStats) appendJSON(b []byte, proxy, track, meanField bool) []byte {
	num := func(b []byte, v float64) []byte {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	b = append(b, `{"epoch":`...)
	b = strconv.AppendInt(b, int64(st.Epoch), 10)
	b = append(b, `,"seconds":`...)
	b = num(b, st.Seconds)
	b = append(b, `,"recon":`...)
	b = num(b, st.Recon)
	if proxy {
		key, _ := json.Marshal(st.ProxyName)
		b = append(append(append(b, ','), key...), ':')
		b = num(b, st.Proxy)
	}
	if track {
		b = append(b, `,"logz":`...)
		b = num(b, st.LogZ)
		b = append(b, `,"logz_sd":`...)
		b = num(b, st.LogZSD)
	}
	if meanField {
		b = append(b, `,"mean_field_sweeps":`...)
		b = num(b, st.MeanFieldSweeps)
	}
	return append(b, "}\n"...)
}

// snapshot holds a copy of the parameter and state tensors.
type snapshot struct{ data []float64 }

func newSnapshot(params, state []runtime.Tensor) *snapshot {
	n := 0
	for _, t := range params {
		n += len(t.Data)
	}
	for _, t := range state {
		n += len(t.Data)
	}
	s := &snapshot{data: make([]float64, n)}
	s.take(params, state)
	return s
}

func (s *snapshot) take(params, state []runtime.Tensor) {
	k := 0
	for _, ts := range [2][]runtime.Tensor{params, state} {
		for _, t := range ts {
			k += copy(s.data[k:], t.Data)
		}
	}
}

func (s *snapshot) restore(params, state []runtime.Tensor) {
	k := 0
	for _, ts := range [2][]runtime.Tensor{params, state} {
		for _, t := range ts {
			k += copy(t.Data, s.data[k:k+len(t.Data)])
		}
	}
}

// discreteOnly reports whether every layer of m is bernoulli, spin or
// softmax.
func discreteOnly(m runtime.Reflective) bool {
	for _, ly := range m.Layers() {
		if ly.Kind == runtime.KindGaussian {
			return false
		}
	}
	return true
}

// Resume sets StartEpoch, BestLoss and BestEpoch from the metadata of a
// checkpoint Fit wrote ("epoch", "best_loss", "best_epoch"), so that Fit
// continues the run, its loss-growth check included. A checkpoint without
// the best loss (written before Fit kept it) leaves BestEpoch 0: the check
// starts afresh. Malformed values are refused.
func (cfg *FitConfig) Resume(meta map[string]string) error {
	epoch, err := strconv.Atoi(meta["epoch"])
	if err != nil || epoch < 0 {
		return fmt.Errorf("runtime: resume: checkpoint metadata epoch %q is not a count of epochs", meta["epoch"])
	}
	cfg.StartEpoch, cfg.BestLoss, cfg.BestEpoch = epoch, 0, 0
	if meta["best_epoch"] == "" && meta["best_loss"] == "" {
		return nil
	}
	best, err1 := strconv.ParseFloat(meta["best_loss"], 64)
	at, err2 := strconv.Atoi(meta["best_epoch"])
	if err1 != nil || err2 != nil || at < 0 || at > epoch || at > 0 && !isFinite(best) {
		return fmt.Errorf("runtime: resume: checkpoint metadata best_loss %q, best_epoch %q are not a finite loss of an epoch up to %d", meta["best_loss"], meta["best_epoch"], epoch)
	}
	if at > 0 {
		cfg.BestLoss, cfg.BestEpoch = best, at
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
