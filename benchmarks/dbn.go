package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"syscall"

	dbnmodels "github.com/ebmc/ebmc/examples/dbn/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/training"
)

// The DBN fine-tuning workloads: one epoch of up-down (contrastive
// wake-sleep, CD-3 in the top RBM) or of backpropagation on the
// 784-500-(500+10)-2000 DBN of examples/dbn, over the 60,000 Fashion-MNIST
// training images in shuffled minibatches of 100, with the example's
// settings (learning rates, momenta, weight decay, seeds). The timed region
// is training.Fit's epoch, as the example reports it.

const (
	dbnLabelsTrain = "train-labels-idx1-ubyte.gz"
	dbnClasses     = 10
)

// dbnFlops counts the multiply-adds (×2) of the dense products of one step
// on n rows as the trainers run them (2·m·n·k for an m×k by k×n product,
// whatever the sparse kernel skips), with nv, nh, nt, ny, nj = 784, 500,
// 500, 10, 2000 and C = 10 classes:
//
// up-down (k sweeps in the top RBM): 8 products of n×nv×nh (wake: the
// recognition sample, the reconstruction's means, two gradient products;
// sleep: the generative sample or means, the recognition means, two
// gradient products) and 4 + 2k of n×(nt+ny)×nj (two free-energy
// gradients, a means and a gradient product each, and k sweeps). Before
// the reconstruction shared the generative gradient's means: 9 + 10.
//
// backprop: the up-pass and one gradient product of n×nv×nh; the top
// model's fields of h on n + C + 1 chains and its free energy on C + 1,
// the gradient over n + C + 2 chains (2n + 2C + 1 before the chains with
// h = 0 were summed into one), the input layer's field (nj → nt) on
// n + C + 1, and the sums g_r and q_c (2·n·C·nj each). Before, with a
// chain per label copy: 3 products of n×nv×nh and 5 of n·C×(nt+ny)×nj.
func dbnFlops(workload string, n, k int) float64 {
	const nv, nh, nt, ny, nj, C = 784, 500, 500, 10, 2000, 10
	low := 2.0 * float64(n) * nv * nh
	top := func(rows int) float64 { return 2.0 * float64(rows) * (nt + ny) * nj }
	if workload == "updown" {
		return 8*low + float64(4+2*k)*top(n)
	}
	return 2*low + top(n) + 2*top(C+1) + top(n+C+2) + 2.0*float64(n+C+1)*nj*nt + 2*2.0*float64(n*C*nj)
}

// dbnWorkload runs one epoch of workload ("updown" or "backprop").
func dbnWorkload(res *result, workload, dir, load string, rows, batch, k int, seed uint64, float32 bool) error {
	if float32 && workload != "updown" {
		return fmt.Errorf("-float32: the %s workload has no float32 products (up-down has)", workload)
	}
	bits, err := dataset.LoadIDXBits(filepath.Join(dir, trainFile), 0.5)
	if err != nil {
		return err
	}
	labelSet, err := dataset.LoadIDX(filepath.Join(dir, dbnLabelsTrain))
	if err != nil {
		return err
	}
	labels := make([]int, labelSet.Rows)
	for i := range labels {
		labels[i] = int(labelSet.X[i])
	}
	var images dataset.Source = bits
	if workload == "backprop" { // the example's -grey default: pixel/255
		grey, err := dataset.LoadIDXBytes(filepath.Join(dir, trainFile))
		if err != nil {
			return err
		}
		images = grey
	}
	if rows > 0 && rows < labelSet.Rows {
		switch x := images.(type) {
		case *dataset.BitDataset:
			images, _ = x.Split(rows)
		case *dataset.ByteDataset:
			images, _ = x.Split(rows)
		}
		labels = labels[:rows]
	}
	low, top := dbnmodels.NewRBM(seed), dbnmodels.NewTopRBM(seed+1)
	res.Init = "random: N(0, 0.01²) weights, zero biases"
	if load != "" {
		for _, c := range []struct {
			file string
			m    runtime.Model
		}{{"greedy-0-RBM.safetensors", low}, {"greedy-1-TopRBM.safetensors", top}} {
			ck, err := checkpoint.LoadCheckpoint(filepath.Join(load, c.file))
			if err != nil {
				return err
			}
			if err := ck.Restore(c.m, nil); err != nil {
				return fmt.Errorf("%s: %w", c.file, err)
			}
		}
		res.Init = "greedy checkpoints from " + load
	}
	d, err := deep.NewDBN(low.Reflect(), top.Reflect())
	if err != nil {
		return err
	}
	if err := d.Untie(dbnmodels.ZeroRBM().Reflect()); err != nil {
		return err
	}
	train, err := d.WithLabels(images, labels)
	if err != nil {
		return err
	}
	var t runtime.Trainer
	var fitSeed uint64
	switch workload {
	case "updown":
		res.LR, res.Momentum, res.WeightDecay, res.K = 0.005, 0.5, 0.0002, k
		t, err = d.UpDown(deep.DBNUpDownConfig{K: k, Seed: seed, MeanVisible: true, Float32: float32,
			Optimizer: runtime.SGD{LearningRate: res.LR, Momentum: res.Momentum, WeightDecay: res.WeightDecay}})
		fitSeed = seed + 7
	default:
		res.LR, res.Momentum = 0.005, 0.9
		t, err = d.Backprop(deep.DBNBackpropConfig{Optimizer: runtime.SGD{LearningRate: res.LR, Momentum: res.Momentum}})
		fitSeed = seed + 19
	}
	if err != nil {
		return err
	}
	cpu0 := cpuSeconds()
	st, err := training.Fit(context.Background(), t, train, training.FitConfig{Epochs: 1, BatchSize: batch, Shuffle: true, Seed: fitSeed})
	if err != nil {
		return err
	}
	res.CPUSeconds = cpuSeconds() - cpu0
	if ud, ok := t.(*deep.DBNUpDown); ok && float32 && !ud.Float32Active() {
		return errors.New("-float32: the DBN's chains did not take float32 products")
	}
	r, _ := train.Shape()
	steps := (r + batch - 1) / batch
	flop := dbnFlops(workload, batch, k) * float64(steps)
	res.Model = d.String()
	res.Epochs, res.Batch = 1, batch
	if rows > 0 {
		res.Rows = r
	}
	res.Seconds, res.SecondsPerEp = st[0].Seconds, st[0].Seconds
	res.TFlop = flop / 1e12
	res.GFlops = flop / st[0].Seconds / 1e9
	res.ReconErrEpoch = ptr(st[0].Recon)
	res.WAbsMean = absMean(low.W)
	h := fnv.New64a()
	var b [8]byte
	for _, p := range t.Params() {
		for _, v := range p.Data {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	res.ParamsFNV = fmt.Sprintf("%016x", h.Sum64())
	return nil
}

// cpuSeconds returns the user and system CPU time of the process so far:
// on a machine shared with other work, the epoch's CPU time varies less
// than its wall-clock time (though it counts the threads' spinning while
// they wait for each other).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
