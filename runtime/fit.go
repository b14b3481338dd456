package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// ErrDiverged is wrapped by the error Fit returns when a parameter becomes
// NaN or ±∞ (test with errors.Is).
var ErrDiverged = errors.New("training diverged")

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
	// Progress, if not nil, receives one human-readable line per epoch:
	// "epoch 3/10  1.52s  recon 12.3456" followed by the Proxy value if set.
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
	// null for a non-finite proxy value.
	Metrics io.Writer
	// StartEpoch is the number of epochs already completed when resuming
	// from a checkpoint (its "epoch" metadata); Fit runs the epochs
	// StartEpoch+1 … Epochs. Zero for a fresh run.
	StartEpoch int
}

// lossName is what a trainer's TrainStep returns: "recon" for the
// reconstruction error of CD trainers, or the trainer's LossName.
func lossName(t Trainer) string {
	if n, ok := t.(interface{ LossName() string }); ok {
		return n.LossName()
	}
	return "recon"
}

// maxBatch is the most rows t's TrainStep takes, its MaxBatch, or 0 for
// no limit.
func maxBatch(t Trainer) int {
	if m, ok := t.(interface{ MaxBatch() int }); ok {
		return m.MaxBatch()
	}
	return 0
}

// EpochStats describes one completed epoch. Epoch counts from 1; Seconds is
// the time spent in TrainStep and batching; Recon is the summed squared
// reconstruction error divided by the number of rows; ProxyName and Proxy
// are set when FitConfig.Proxy is.
type EpochStats struct {
	Epoch     int
	Seconds   float64
	Recon     float64
	ProxyName string
	Proxy     float64
}

// short reports whether data is a Dataset holding fewer values than its
// shape declares.
func short(data Source) bool {
	d, ok := data.(*Dataset)
	return ok && len(d.X) < d.Rows*d.Cols
}

// Fit trains t on the rows of data (a Dataset, or a BitDataset for binary
// data held compactly): each epoch it splits the rows into
// minibatches, gathers each into a buffer and calls TrainStep (whose epoch
// argument counts from 0), then reports progress and metrics and saves the
// checkpoint. It refuses minibatches larger than a trainer with a MaxBatch
// method takes (see Trainer).
//
// After every step Fit checks that the parameters and the returned
// reconstruction error are finite. If not, it restores the parameters and
// the State tensors from the snapshot taken at the end of the last good
// epoch (or at the start), leaves the checkpoint file as it was, and returns
// an error wrapping ErrDiverged that names the epoch and step.
//
// Cancelling ctx stops training between two steps; the parameters are then
// those after the last completed step and the error wraps ctx.Err(). In
// every case Fit returns the statistics of the completed epochs.
func Fit(ctx context.Context, t Trainer, data Source, cfg FitConfig) ([]EpochStats, error) {
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
		d := data.(*Dataset)
		return nil, fmt.Errorf("runtime: fit %s: data set declares %d×%d values, holds %d", name, d.Rows, d.Cols, len(d.X))
	case cfg.BatchSize <= 0:
		return nil, fmt.Errorf("runtime: fit %s: batch size %d is not positive", name, cfg.BatchSize)
	case cfg.StartEpoch < 0:
		return nil, fmt.Errorf("runtime: fit %s: start epoch %d is negative", name, cfg.StartEpoch)
	}
	if n, max := min(cfg.BatchSize, rows), maxBatch(t); max > 0 && n > max {
		return nil, fmt.Errorf("runtime: fit %s: batch size %d is more than the %d rows the trainer takes per step; use a FitConfig.BatchSize of at most %d or build the trainer with a larger BatchSize",
			name, n, max, max)
	}
	params, state := t.Params(), t.State()
	snap := newSnapshot(params, state)
	batches := NewBatches(rows, cfg.BatchSize, cfg.Shuffle, RNG{})
	buf := make([]float64, min(cfg.BatchSize, rows)*cols)
	var stats []EpochStats
	good := cfg.StartEpoch // epochs completed when snap was taken
	for e := cfg.StartEpoch; e < cfg.Epochs; e++ {
		batches.restart(NewRNG(cfg.Seed, uint64(e)))
		start := time.Now()
		var recon float64
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
				if !IsFinite(p.Data) {
					bad = fmt.Sprintf("param %s has non-finite values", p.Name)
					break
				}
			}
			if bad != "" {
				snap.restore(params, state)
				kept := "the initial parameters were restored"
				if good > 0 {
					kept = fmt.Sprintf("the last good parameters, from the end of epoch %d, were restored", good)
				}
				if cfg.Checkpoint != "" {
					kept += "; checkpoint " + cfg.Checkpoint + " was not overwritten"
				}
				return stats, fmt.Errorf("runtime: fit %s: %w at epoch %d step %d (%s); %s", name, ErrDiverged, e+1, step, bad, kept)
			}
			recon += r
		}
		st := EpochStats{Epoch: e + 1, Seconds: time.Since(start).Seconds(), Recon: recon / float64(rows)}
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
			if _, err := io.WriteString(cfg.Progress, line+"\n"); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: write progress: %w", name, err)
			}
		}
		if cfg.Metrics != nil {
			if _, err := cfg.Metrics.Write(st.appendJSON(nil, cfg.Proxy != nil)); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: write metrics: %w", name, err)
			}
		}
		if cfg.Checkpoint != "" {
			meta := map[string]string{"epoch": strconv.Itoa(e + 1), "seed": strconv.FormatUint(cfg.Seed, 10)}
			if err := SaveCheckpoint(cfg.Checkpoint, CheckpointOf(t, state, nil, meta)); err != nil {
				return stats, fmt.Errorf("runtime: fit %s: %w", name, err)
			}
		}
	}
	return stats, nil
}

// appendJSON appends st as one line of JSON.
func (st EpochStats) appendJSON(b []byte, proxy bool) []byte {
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
	return append(b, "}\n"...)
}

// snapshot holds a copy of the parameter and state tensors.
type snapshot struct{ data []float64 }

func newSnapshot(params, state []Tensor) *snapshot {
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

func (s *snapshot) take(params, state []Tensor) {
	k := 0
	for _, ts := range [2][]Tensor{params, state} {
		for _, t := range ts {
			k += copy(s.data[k:], t.Data)
		}
	}
}

func (s *snapshot) restore(params, state []Tensor) {
	k := 0
	for _, ts := range [2][]Tensor{params, state} {
		for _, t := range ts {
			k += copy(t.Data, s.data[k:k+len(t.Data)])
		}
	}
}
