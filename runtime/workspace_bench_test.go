package runtime

import (
	"fmt"
	"syscall"
	"testing"
)

// cpuSeconds returns the CPU time used by the process so far. Benchmarks
// report it per operation (cpu-ns/op, summed over threads) beside the wall
// time, which other processes on the machine inflate.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// loop runs f b.N times and reports the GFLOP/s of flops per call (if
// flops > 0) and the CPU time per call.
func loop(b *testing.B, flops float64, f func()) {
	b.ReportAllocs()
	t0 := cpuSeconds()
	for b.Loop() {
		f()
	}
	b.ReportMetric((cpuSeconds()-t0)*1e9/float64(b.N), "cpu-ns/op")
	if flops > 0 {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// Benchmarks of the products of the W1 benchmark (a 784×500 RBM, 100
// chains): fields of hidden units V·W (NN), of visible units H·Wᵀ (NT) and
// the gradient Vᵀ·H (TN), with binary (half zeros) or dense left operands,
// on nil (package-level path), 1 and 2 threads, and 2 threads with float32
// products (SetFloat32). GFLOP/s counts 2·m·n·k
// (zeros included).

func benchWorkspaces(b *testing.B) []*Workspace {
	f32 := NewWorkspace(2)
	f32.SetFloat32(true)
	ws := []*Workspace{nil, NewWorkspace(1), NewWorkspace(2), f32}
	b.Cleanup(func() {
		for _, w := range ws {
			w.Close()
		}
	})
	return ws
}

func wsName(w *Workspace) string {
	if w == nil {
		return "nil"
	}
	if w.Float32() {
		return fmt.Sprintf("threads=%d-float32", w.Threads())
	}
	return fmt.Sprintf("threads=%d", w.Threads())
}

func BenchmarkWorkspaceGemm100x784x500(b *testing.B) {
	const N, nv, nh = 100, 784, 500
	r := NewRNG(1, 0)
	w := randSlice(&r, nv*nh)
	for _, kind := range []int{opBinary, opDense} {
		v, h := make([]float64, N*nv), make([]float64, N*nh)
		fillOperand(&r, v, kind)
		fillOperand(&r, h, kind)
		fields, grad := make([]float64, N*max(nv, nh)), make([]float64, nv*nh)
		kn := map[int]string{opBinary: "binary", opDense: "dense"}[kind]
		for _, ws := range benchWorkspaces(b) {
			for _, p := range []struct {
				name string
				f    func()
			}{
				{"NN", func() { ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, fields, nh) }},
				{"NT", func() { ws.Gemm(false, true, N, nv, nh, 1, h, nh, w, nh, 0, fields, nv) }},
				{"TN", func() { ws.Gemm(true, false, nv, nh, N, 0.01, v, nv, h, nh, 1, grad, nh) }},
			} {
				b.Run(p.name+"-"+kn+"/"+wsName(ws), func(b *testing.B) {
					loop(b, 2*N*nv*nh, p.f)
				})
			}
		}
	}
}

// One Gibbs sweep of the W1 benchmark: hidden fields from binary visible
// states (NN) and visible fields from binary hidden states (NT), reported
// as chain-sweeps per second (sampling itself excluded).
func BenchmarkWorkspaceSweep100x784x500(b *testing.B) {
	const N, nv, nh = 100, 784, 500
	r := NewRNG(2, 0)
	w := randSlice(&r, nv*nh)
	v, h := make([]float64, N*nv), make([]float64, N*nh)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	ah, av := make([]float64, N*nh), make([]float64, N*nv)
	for _, ws := range benchWorkspaces(b) {
		b.Run(wsName(ws), func(b *testing.B) {
			loop(b, 0, func() {
				ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, ah, nh)
				ws.Gemm(false, true, N, nv, nh, 1, h, nh, w, nh, 0, av, nv)
			})
			b.ReportMetric(N*float64(b.N)/b.Elapsed().Seconds(), "chain-sweeps/s")
		})
	}
}

func BenchmarkWorkspaceAddRows784x500(b *testing.B) {
	r := NewRNG(3, 0)
	a, y := randSlice(&r, 784*500), make([]float64, 500)
	for _, kind := range []int{opBinary, opDense} {
		x := make([]float64, 784)
		fillOperand(&r, x, kind)
		kn := map[int]string{opBinary: "binary", opDense: "dense"}[kind]
		for _, ws := range benchWorkspaces(b) {
			b.Run(kn+"/"+wsName(ws), func(b *testing.B) {
				loop(b, 2*784*500, func() { ws.AddRows(y, x, a, 784, 500, 500, 1) })
			})
		}
	}
}

func BenchmarkWorkspaceGemv784x500(b *testing.B) {
	r := NewRNG(4, 0)
	a := randSlice(&r, 784*500)
	x, y := randSlice(&r, 500), make([]float64, 784)
	for _, ws := range benchWorkspaces(b) {
		b.Run(wsName(ws), func(b *testing.B) {
			loop(b, 2*784*500, func() { ws.Gemv(false, 784, 500, 1, a, 500, x, 0, y) })
		})
	}
}

// One single-chain sweep: hidden fields by AddRows over the binary visible
// state, visible fields by Gemv (W·h).
func BenchmarkWorkspaceSingleSweep784x500(b *testing.B) {
	r := NewRNG(5, 0)
	w := randSlice(&r, 784*500)
	v, h := make([]float64, 784), make([]float64, 500)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	ah, av := make([]float64, 500), make([]float64, 784)
	for _, ws := range benchWorkspaces(b) {
		b.Run(wsName(ws), func(b *testing.B) {
			loop(b, 0, func() {
				clear(ah)
				ws.AddRows(ah, v, w, 784, 500, 500, 1)
				ws.Gemv(false, 784, 500, 1, w, 500, h, 0, av)
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sweeps/s")
		})
	}
}
