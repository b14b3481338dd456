package rbm

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

// Sweeps holds the weights for its run: in float64 the held products give
// the very values of unheld ones, so n sweeps in one call end where n calls
// of Sweep do, for one chain (Gemv and AddRows) and for a batch (Gemm); the
// hold ends with the call.
func TestSweepsMatchesSweep(t *testing.T) {
	m := NewRBM(7)
	for _, n := range []int{1, 100} {
		a, b := NewRBMChains(n, 9), NewRBMChains(n, 9)
		for range 5 {
			m.Sweep(a, 1)
		}
		m.Sweeps(b, 1, 5)
		if !slices.Equal(a.V, b.V) || !slices.Equal(a.H, b.H) {
			t.Errorf("%d chains: Sweeps(5) and five Sweeps end in different states", n)
		}
		if b.Workspace.Held(m.W) {
			t.Errorf("%d chains: W is still held after Sweeps", n)
		}
	}
}

// The float32 products of one chain read float32 copies of the weights only
// while they are held; the fields then stay within the float32 bound of the
// float64 ones, 2⁻²⁴·(1 + active units)·Σ|W[i,j]|.
func TestSweepsFloat32OneChain(t *testing.T) {
	m := NewRBM(7)
	x := NewRBMChains(1, 3)
	if !x.Workspace.SetFloat32(true) {
		t.Skip("no float32 kernels on this CPU")
	}
	ref := NewRBMChains(1, 3)
	copy(ref.V, x.V)
	m.fieldH(ref)
	m.Hold(x)
	m.fieldH(x)
	x.Workspace.Release()
	differ := 0
	for j := range 500 {
		var scale float64
		for i := range 784 {
			scale += math.Abs(m.W[i*500+j] * x.V[i])
		}
		d := math.Abs(x.aH[j] - ref.aH[j])
		if d != 0 {
			differ++
		}
		if d > 785*0x1p-24*scale {
			t.Fatalf("h[%d]: held float32 field %v, float64 %v", j, x.aH[j], ref.aH[j])
		}
	}
	if differ == 0 {
		t.Error("the held float32 field equals the float64 one: are the float32 copies read?")
	}
}

// PCD's reconstruction monitor on ReconRows rows leaves the updates alone
// and, scaled to the batch, stays near the monitor on every row.
func TestPCDReconRows(t *testing.T) {
	const rows = 40
	data := NewRBMChains(rows, 11)
	batch := data.V[:rows*784]
	train := func(reconRows int) (*RBM, float64) {
		m := NewRBM(5)
		tr, err := NewRBMTrainer(m, runtime.CDConfig{BatchSize: rows, Persistent: true, ReconRows: reconRows, Seed: 2,
			Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}})
		if err != nil {
			t.Fatal(err)
		}
		var recon float64
		for e := range 3 {
			recon = tr.TrainStep(batch, rows, e)
		}
		return m, recon
	}
	full, rf := train(0)
	all, ra := train(rows)
	part, rp := train(10)
	if !slices.Equal(full.W, part.W) || !slices.Equal(full.B, part.B) || !slices.Equal(full.C, part.C) {
		t.Error("ReconRows changed the parameters")
	}
	if ra != rf || !slices.Equal(full.W, all.W) {
		t.Errorf("ReconRows = rows: recon %v, want %v as with 0", ra, rf)
	}
	if rp == rf || math.Abs(rp/rf-1) > 0.2 {
		t.Errorf("recon on 10 rows scaled to %d: %v, on all rows %v", rows, rp, rf)
	}
	_, err := NewRBMTrainer(NewRBM(1), runtime.CDConfig{BatchSize: rows, Persistent: true, ReconRows: -1})
	if err == nil || !strings.Contains(err.Error(), "ReconRows") {
		t.Errorf("ReconRows = −1: error %v, want one that names ReconRows", err)
	}
}

// CDConfig.Float32 makes the trainer's products float32, as
// Workspace().SetFloat32(true) after NewRBMTrainer does, to the bit;
// without it they stay float64 and the parameters differ. A CPU without
// float32 kernels refuses it.
func TestCDConfigFloat32(t *testing.T) {
	const rows = 40
	data := NewRBMChains(rows, 11)
	batch := data.V[:rows*784]
	train := func(cfgF32, setF32 bool) (*RBM, error) {
		m := NewRBM(5)
		tr, err := NewRBMTrainer(m, runtime.CDConfig{BatchSize: rows, K: 2, MeanVisible: true, Seed: 2, Float32: cfgF32,
			Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}})
		if err != nil {
			return nil, err
		}
		if setF32 {
			tr.Workspace().SetFloat32(true)
		}
		if tr.Workspace().Float32() != (cfgF32 || setF32) {
			t.Errorf("Float32 %v, SetFloat32 %v: the workspace's Float32 is %v", cfgF32, setF32, tr.Workspace().Float32())
		}
		for e := range 3 {
			tr.TrainStep(batch, rows, e)
		}
		return m, nil
	}
	if !runtime.HasFloat32() {
		if _, err := train(true, false); err == nil || !strings.Contains(err.Error(), "float32 kernels") {
			t.Errorf("Float32 without the kernels: error %v", err)
		}
		t.Skip("no float32 kernels on this CPU")
	}
	byCfg, _ := train(true, false)
	bySet, _ := train(false, true)
	f64, _ := train(false, false)
	if !slices.Equal(byCfg.W, bySet.W) || !slices.Equal(byCfg.C, bySet.C) {
		t.Error("CDConfig.Float32 and SetFloat32 after NewRBMTrainer train differently")
	}
	if slices.Equal(byCfg.W, f64.W) {
		t.Error("CDConfig.Float32 trains the same bits as float64: the products did not run in float32")
	}
}
