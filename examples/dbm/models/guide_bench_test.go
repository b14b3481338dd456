package models

import (
	"testing"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
)

// BenchmarkDBMPositivePhaseParts measures, interleaved in every iteration
// so that a busy machine slows each part alike, what a variational SML step
// of the 784-500-1000 DBM (batch 100, five Gibbs sweeps of 100 persistent
// chains, products in float32 where the CPU has the kernels) spends on:
//
//	ms/sweep  one mean-field sweep of the positive phase (weights held)
//	ms/guide  a recognition model's Guess and Learn (the guide's cost)
//	ms/step1  a whole TrainStep with mean field capped at one sweep
//
// so that a step with s sweeps costs about step1 + (s − 1)·sweep, plus
// guide when guided: the measured sweeps per minibatch of a training run
// turn into its time (docs/deep.md, "Learned approximate inference").
func BenchmarkDBMPositivePhaseParts(b *testing.B) {
	const n = 100
	m := NewDBM(1)
	tr, err := NewDBMTrainer(m, runtime.CDConfig{K: 5, Persistent: true, Chains: n, BatchSize: n, Seed: 1,
		MeanFieldIters: 1, Optimizer: runtime.SGD{LearningRate: 1e-9}})
	if err != nil {
		b.Fatal(err)
	}
	ws := tr.Workspace()
	ws.SetFloat32(true)
	r, err := deep.NewRecognition(m.Reflect(), n, ws)
	if err != nil {
		b.Fatal(err)
	}
	x := newDBMChains(n, 2, ws)
	rng := runtime.NewRNG(3, 0)
	batch := make([]float64, n*784)
	for i := range batch {
		if rng.Float64() < 0.3 {
			batch[i] = 1
		}
	}
	copy(x.V, batch)
	x.N = n
	const sweeps = 10
	var tSweep, tGuide, tStep time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		m.Hold(x)
		clear(x.H1)
		clear(x.H2)
		m.MeanFieldFrom(x, sweeps, -1, 0)
		ws.Release()
		t1 := time.Now()
		r.Guess(x)
		r.Learn(x, 0)
		t2 := time.Now()
		tr.TrainStep(batch, n, 0)
		t3 := time.Now()
		tSweep += t1.Sub(t0)
		tGuide += t2.Sub(t1)
		tStep += t3.Sub(t2)
	}
	ms := func(d time.Duration, k int) float64 { return d.Seconds() * 1e3 / float64(b.N*k) }
	b.ReportMetric(ms(tSweep, sweeps), "ms/sweep")
	b.ReportMetric(ms(tGuide, 1), "ms/guide")
	b.ReportMetric(ms(tStep, 1), "ms/step1")
}
