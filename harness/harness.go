// Package harness runs generated models on request, so that tests and
// ebmc verify can compare them with the reference interpreter. A driver
// program registers generated models and calls Serve; requests and
// responses are JSON lines.
package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

// Request asks for one operation on a model.
type Request struct {
	Model  string
	Op     string      // "eval", "sample", "hold", "train", "allocs" or "logz"
	Params [][]float64 // in Params order
	Layers [][]float64 // per layer, N × size
	N      int
	Beta   float64
	Seed   uint64
	Sweeps int // sample: sweeps before each chain's state is recorded; hold: sweeps of each run
	// Sampler picks the transition of "sample": "gibbs" (the default),
	// "metropolis" (flips for binary layers, a random walk of width Step for
	// gaussian ones, Gibbs for softmax), "langevin" or "mala" (Langevin
	// steps of size Step for gaussian layers, Gibbs for the others).
	Sampler string
	Step    float64
	// Weights, when set, weight the chains' contributions to the gradients of "eval".
	Weights []float64
	Train   *Train
	LogZ    *LogZ
}

// LogZ asks for every estimate of log Z: exact, AIS, importance sampling
// with as many samples as AIS has runs × temperatures, bridged AIS, and
// bridge sampling to the same model with parameters Params2.
type LogZ struct {
	Data         [][]float64 // for the base-rate model; uniform base when empty
	Temperatures int
	Runs         int
	Burn         int
	Params2      [][]float64
}

// Train configures a training run.
type Train struct {
	Data       [][]float64 // rows of visible values
	Epochs     int
	Batch      int
	K          int
	Persistent bool
	Chains     int
	LR         float64
	Momentum   float64
}

// Response carries the results; slices follow the model's layer, free
// energy and parameter order.
type Response struct {
	Error        string
	Energy       []float64
	Fields       [][]float64
	Precisions   [][]float64
	Means        [][]float64
	FreeEnergies [][]float64
	EnergyGrad   [][]float64
	FEGrads      [][][]float64
	MeanField    [][]float64
	LogZ         float64
	LogZError    string
	States       [][]float64 // sample, hold: every chain's final state, layers concatenated
	Held         [][]float64 // hold: the final states of the run with the parameters held
	Params       [][]float64 // train: the parameters afterwards
	Allocs       map[string]float64
	Estimates    map[string]Interval
	Accepted     int // sample: accepted and proposed Metropolis moves
	Proposed     int
}

// Interval is an estimate with its ±3σ interval.
type Interval struct{ LogZ, Low, High float64 }

// Serve answers requests from r until EOF.
func Serve(models map[string]func() runtime.Reflective, r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(r))
	enc := json.NewEncoder(w)
	for {
		var req Request
		if err := dec.Decode(&req); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("harness: decode request: %w", err)
		}
		mk, ok := models[req.Model]
		var resp Response
		if !ok {
			resp.Error = "unknown model " + req.Model
		} else {
			resp = run(mk(), mk, req)
		}
		if err := enc.Encode(sanitize(resp)); err != nil {
			return fmt.Errorf("harness: encode response: %w", err)
		}
	}
}

// sanitize replaces non-finite numbers, which JSON cannot carry, by a huge value.
func sanitize(r Response) Response {
	fix := func(x []float64) {
		for i, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				x[i] = math.MaxFloat64
			}
		}
	}
	for _, xs := range [][][]float64{r.Fields, r.Precisions, r.Means, r.FreeEnergies, r.EnergyGrad, r.MeanField, r.Params} {
		for _, x := range xs {
			fix(x)
		}
	}
	fix(r.Energy)
	one := func(v float64) float64 {
		switch {
		case math.IsInf(v, -1):
			return -math.MaxFloat64
		case math.IsNaN(v) || math.IsInf(v, 1):
			return math.MaxFloat64
		}
		return v
	}
	r.LogZ = one(r.LogZ)
	for k, e := range r.Estimates {
		r.Estimates[k] = Interval{one(e.LogZ), one(e.Low), one(e.High)}
	}
	return r
}

func setParams(m runtime.Reflective, ps [][]float64) {
	for i, t := range m.Params() {
		if i < len(ps) {
			copy(t.Data, ps[i])
		}
	}
}

func chains(m runtime.Reflective, req Request) runtime.Chains {
	x := m.NewChains(req.N, req.Seed)
	for i, t := range x.Layers() {
		if i < len(req.Layers) && req.Layers[i] != nil {
			copy(t.Data, req.Layers[i])
		}
	}
	return x
}

func zeroGrads(m runtime.Reflective) []runtime.Tensor { return runtime.ZerosLike(m.Params()) }

func data(ts []runtime.Tensor) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = append([]float64(nil), t.Data...)
	}
	return out
}

func run(m runtime.Reflective, mk func() runtime.Reflective, req Request) (resp Response) {
	defer func() {
		if r := recover(); r != nil {
			resp.Error = fmt.Sprint("panic: ", r)
		}
	}()
	setParams(m, req.Params)
	switch req.Op {
	case "eval":
		return eval(m, req)
	case "sample":
		x := chains(m, req)
		smp := estimators.Sampler{Name: req.Sampler, Beta: req.Beta, Step: req.Step, Burn: req.Sweeps}
		st, err := smp.Draw(m, x, 0, nil)
		if err != nil {
			resp.Error = err.Error()
			return resp
		}
		resp.Accepted, resp.Proposed = st.Accepted, st.Proposed
		resp.States = states(x)
	case "hold":
		return hold(m, req)
	case "train":
		return train(m, req)
	case "allocs":
		return allocs(m, req)
	case "logz":
		return logZ(m, mk, req)
	default:
		resp.Error = "unknown op " + req.Op
	}
	return resp
}

// hold runs req.Sweeps sweeps from the same start twice, the second time
// with the parameters held (HoldParams): States are the first run's final
// states, Held the second's.
func hold(m runtime.Reflective, req Request) (resp Response) {
	a, b := chains(m, req), chains(m, req)
	for range req.Sweeps {
		m.Sweep(a, req.Beta)
	}
	m.HoldParams(b, true)
	for range req.Sweeps {
		m.Sweep(b, req.Beta)
	}
	m.HoldParams(b, false)
	resp.States, resp.Held = states(a), states(b)
	return resp
}

// states returns every chain's state, layers concatenated.
func states(x runtime.Chains) [][]float64 {
	out := make([][]float64, x.Len())
	for _, t := range x.Layers() {
		size := len(t.Data) / x.Len()
		for c := range out {
			out[c] = append(out[c], t.Data[c*size:(c+1)*size]...)
		}
	}
	return out
}

func eval(m runtime.Reflective, req Request) (resp Response) {
	x := chains(m, req)
	n := x.Len()
	resp.Energy = make([]float64, n)
	m.Energy(x, resp.Energy)
	for i, ly := range m.Layers() {
		size := 1
		for _, d := range ly.Shape {
			size *= d
		}
		a, prec, mean := make([]float64, n*size), make([]float64, n*size), make([]float64, n*size)
		m.Field(x, i, a, prec)
		m.Mean(x, i, req.Beta, mean)
		resp.Fields = append(resp.Fields, a)
		resp.Precisions = append(resp.Precisions, prec)
		resp.Means = append(resp.Means, mean)
	}
	x.SetWeights(req.Weights)
	for fe := range m.FreeEnergies() {
		f := make([]float64, n)
		m.FreeEnergy(x, fe, req.Beta, f)
		resp.FreeEnergies = append(resp.FreeEnergies, f)
		g := zeroGrads(m)
		m.FreeEnergyGrad(x, fe, 1, g)
		resp.FEGrads = append(resp.FEGrads, data(g))
	}
	g := zeroGrads(m)
	m.EnergyGrad(x, 1, g)
	resp.EnergyGrad = data(g)
	if z, err := m.LogZ(0); err != nil {
		resp.LogZError = err.Error()
	} else {
		resp.LogZ = z
	}
	m.MeanField(x, 500, 1e-12, 0)
	resp.MeanField = data(x.Layers())
	return resp
}

func train(m runtime.Reflective, req Request) (resp Response) {
	tr := req.Train
	t, err := m.NewTrainer(runtime.CDConfig{K: tr.K, Persistent: tr.Persistent, Chains: tr.Chains, BatchSize: tr.Batch, Seed: req.Seed,
		Optimizer: runtime.SGD{LearningRate: tr.LR, Momentum: tr.Momentum}})
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	ds := &dataset.Dataset{Rows: len(tr.Data), Cols: t.VisibleSize()}
	for _, row := range tr.Data {
		ds.X = append(ds.X, row...)
	}
	if _, err := training.Fit(context.Background(), t, ds, training.FitConfig{Epochs: tr.Epochs, BatchSize: tr.Batch, Shuffle: true, Seed: req.Seed}); err != nil {
		resp.Error = err.Error()
	}
	resp.Params = data(m.Params())
	return resp
}

// allocs measures the allocations of the hot paths, which must be zero.
func allocs(m runtime.Reflective, req Request) (resp Response) {
	x := chains(m, req)
	resp.Allocs = map[string]float64{}
	resp.Allocs["sweep"] = testing.AllocsPerRun(5, func() { m.Sweep(x, 1) })
	m.HoldParams(x, true)
	resp.Allocs["held sweep"] = testing.AllocsPerRun(5, func() { m.Sweep(x, 1) })
	m.HoldParams(x, false)
	for i, ly := range m.Layers() {
		resp.Allocs["sample "+ly.Name] = testing.AllocsPerRun(5, func() { m.Sample(x, i, 1) })
		resp.Allocs["metropolis "+ly.Name] = testing.AllocsPerRun(5, func() { m.Metropolis(x, i, 1, 0.1) })
		resp.Allocs["mala "+ly.Name] = testing.AllocsPerRun(5, func() { m.Langevin(x, i, 1, 0.01, true) })
	}
	resp.Allocs["meanfield"] = testing.AllocsPerRun(5, func() { m.MeanField(x, 3, 0, 0) })
	t, err := m.NewTrainer(runtime.CDConfig{K: 1, BatchSize: req.N, Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	batch := make([]float64, req.N*t.VisibleSize())
	resp.Allocs["train step"] = testing.AllocsPerRun(5, func() { t.TrainStep(batch, req.N, 0) })
	tp, _ := m.NewTrainer(runtime.CDConfig{K: 1, Persistent: true, BatchSize: req.N, ReconRows: 1, Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})
	resp.Allocs["pcd train step"] = testing.AllocsPerRun(5, func() { tp.TrainStep(batch, req.N, 0) })
	return resp
}

func logZ(m runtime.Reflective, mk func() runtime.Reflective, req Request) (resp Response) {
	lz := req.LogZ
	resp.Estimates = map[string]Interval{}
	put := func(name string, e *estimators.Estimate, err error) {
		if err != nil {
			resp.Error = err.Error()
			return
		}
		resp.Estimates[name] = Interval{e.LogZ, e.Low, e.High}
	}
	if z, err := m.LogZ(0); err == nil {
		resp.Estimates["exact"] = Interval{z, z, z}
	}
	base := estimators.Uniform(m)
	if len(lz.Data) > 0 {
		d := &dataset.Dataset{Rows: len(lz.Data), Cols: len(lz.Data[0])}
		for _, row := range lz.Data {
			d.X = append(d.X, row...)
		}
		var err error
		if base, err = estimators.BaseRate(m, d, float64(d.Rows)/20); err != nil {
			resp.Error = err.Error()
			return resp
		}
	}
	cfg := estimators.AISConfig{Temperatures: lz.Temperatures, Runs: lz.Runs, Seed: req.Seed}
	e, err := estimators.AIS(m, base, cfg)
	put("ais", e, err)
	e, err = estimators.AIS(m, base, estimators.AISConfig{Temperatures: 1, Runs: lz.Runs * lz.Temperatures, Seed: req.Seed})
	put("is", e, err)
	e, err = estimators.BridgedAIS(m, base, cfg, lz.Burn)
	put("bridged", e, err)
	if lz.Params2 != nil {
		m2 := mk()
		setParams(m2, lz.Params2)
		e, err = estimators.Bridge(m, m2, estimators.BridgeConfig{Samples: lz.Runs * 10, Burn: lz.Burn, Seed: req.Seed})
		put("bridge", e, err)
		if z2, err := m2.LogZ(0); err == nil {
			resp.Estimates["exact2"] = Interval{z2, z2, z2}
		}
	}
	return resp
}
