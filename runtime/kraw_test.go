package runtime

import (
	"fmt"
	"syscall"
	"testing"
)

func BenchmarkRawGemm8x24(b *testing.B) {
	const k = 256
	ap, bp, c := make([]float64, 8*k), make([]float64, 24*k), make([]float64, 8*24)
	m := [3]uint16{255, 255, 255}
	for b.Loop() {
		gemm8x24(k, &ap[0], &bp[0], &c[0], 24, 1, 1, 8, &m[0])
	}
	b.ReportMetric(2*8*24*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkRawGather64(b *testing.B) {
	const k, m = 64, 100
	bp := make([]float64, 64*k)
	c := make([]float64, m*64)
	start := make([]int32, m+1)
	idx := make([]int32, m*k/2)
	vals := make([]float64, m*k/2)
	for r := range m {
		start[r+1] = int32((r + 1) * k / 2)
	}
	for i := range idx {
		idx[i] = int32(i*7) % k
		vals[i] = 1
	}
	masks := [4]uint16{255, 255, 255, 255}
	for _, unit := range []int{0, 1} {
		b.Run("", func(b *testing.B) {
			for b.Loop() {
				gather64(m, &start[0], &idx[0], &vals[0], &bp[0], &c[0], 64, 1, 1, &masks[0], unit)
			}
			b.ReportMetric(2*64*float64(len(idx))*float64(b.N)/b.Elapsed().Seconds()/1e9, "usefulGFLOP/s")
		})
	}
}

func cpuNow() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func BenchmarkRawCPU(b *testing.B) {
	const k = 256
	ap, bp, c := make([]float64, 8*k), make([]float64, 24*k), make([]float64, 8*24)
	m := [3]uint16{255, 255, 255}
	t0 := cpuNow()
	for b.Loop() {
		gemm8x24(k, &ap[0], &bp[0], &c[0], 24, 1, 1, 8, &m[0])
	}
	b.ReportMetric(2*8*24*k*float64(b.N)/(cpuNow()-t0)/1e9, "cpuGFLOP/s")
	b.ReportMetric(2*8*24*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

var sinkU uint64

func BenchmarkRawFreq(b *testing.B) {
	t0 := cpuNow()
	x := uint64(1)
	n := 0
	for b.Loop() {
		for i := 0; i < 1000; i++ {
			x = x*x + 1 // 3-cycle IMUL + 1-cycle ADD
		}
		n++
	}
	sinkU = x
	b.ReportMetric(4*1000*float64(n)/(cpuNow()-t0)/1e9, "GHz")
}

func BenchmarkRawGatherCPU(b *testing.B) {
	const k, m = 64, 100
	bp := make([]float64, 64*k)
	c := make([]float64, m*64)
	start := make([]int32, m+1)
	idx := make([]int32, m*k/2)
	vals := make([]float64, m*k/2)
	for r := range m {
		start[r+1] = int32((r + 1) * k / 2)
	}
	for i := range idx {
		idx[i] = int32(i*7) % k
		vals[i] = 1
	}
	masks := [4]uint16{255, 255, 255, 255}
	for _, unit := range []int{0, 1} {
		b.Run("", func(b *testing.B) {
			t0 := cpuNow()
			for b.Loop() {
				gather64(m, &start[0], &idx[0], &vals[0], &bp[0], &c[0], 64, 1, 1, &masks[0], unit)
			}
			b.ReportMetric(8*float64(len(idx))*float64(b.N)/(cpuNow()-t0)/1e9, "zmmops/ns")
		})
	}
}

func BenchmarkRawTune(b *testing.B) {
	const N, nv, nh = 100, 784, 500
	r := NewRNG(1, 0)
	w := randSlice(&r, nv*nh)
	v, h := make([]float64, N*nv), make([]float64, N*nh)
	fillOperand(&r, v, opDense)
	fillOperand(&r, h, opDense)
	c := make([]float64, N*nv)
	ws := NewWorkspace(1)
	old := shapes[levelAVX512]
	for range 2 {
		for _, kc := range []int{128, 192, 256, 384} {
			b.Run(fmt.Sprint("NN", kc), func(b *testing.B) {
				shapes[levelAVX512].kc = kc
				t0 := cpuNow()
				for b.Loop() {
					ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, c, nh)
				}
				b.ReportMetric((cpuNow()-t0)*1e9/float64(b.N), "cpu-ns/op")
				shapes[levelAVX512] = old
			})
			b.Run(fmt.Sprint("NT", kc), func(b *testing.B) {
				shapes[levelAVX512].kc = kc
				t0 := cpuNow()
				for b.Loop() {
					ws.Gemm(false, true, N, nv, nh, 1, h, nh, w, nh, 0, c, nv)
				}
				b.ReportMetric((cpuNow()-t0)*1e9/float64(b.N), "cpu-ns/op")
				shapes[levelAVX512] = old
			})
		}
	}
}

func BenchmarkRawDensity(b *testing.B) {
	const N, nv, nh = 100, 784, 500
	r := NewRNG(1, 0)
	w := randSlice(&r, nv*nh)
	c := make([]float64, N*nv)
	var s gemmScratch
	for _, d := range []float64{0.5, 0.7, 0.8, 0.9} {
		v := make([]float64, N*nv)
		for i := range v {
			if r.Float64() < d {
				v[i] = r.Float64()
			}
		}
		for _, sp := range []bool{false, true} {
			b.Run(fmt.Sprint(d, sp), func(b *testing.B) {
				t0 := cpuNow()
				for b.Loop() {
					s.gemmSerial(levelAVX512, sp, false, false, N, nh, nv, 1, v, nv, w, nh, 0, c, nh)
				}
				b.ReportMetric((cpuNow()-t0)*1e9/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

func BenchmarkRawLevels(b *testing.B) {
	const N, nv, nh = 100, 784, 500
	r := NewRNG(2, 0)
	w := randSlice(&r, nv*nh)
	v, h := make([]float64, N*nv), make([]float64, N*nh)
	fillOperand(&r, v, opBinary)
	fillOperand(&r, h, opBinary)
	vd := randSlice(&r, N*nv)
	ah, av := make([]float64, N*nh), make([]float64, N*nv)
	ws := NewWorkspace(1)
	for _, l := range levels() {
		b.Run(levelNames[l]+"-sweep", func(b *testing.B) {
			old := setKernelLevel(l)
			defer setKernelLevel(old)
			t0 := cpuNow()
			for b.Loop() {
				ws.Gemm(false, false, N, nh, nv, 1, v, nv, w, nh, 0, ah, nh)
				ws.Gemm(false, true, N, nv, nh, 1, h, nh, w, nh, 0, av, nv)
			}
			b.ReportMetric((cpuNow()-t0)*1e9/float64(b.N), "cpu-ns/op")
		})
		b.Run(levelNames[l]+"-NNdense", func(b *testing.B) {
			old := setKernelLevel(l)
			defer setKernelLevel(old)
			t0 := cpuNow()
			for b.Loop() {
				ws.Gemm(false, false, N, nh, nv, 1, vd, nv, w, nh, 0, ah, nh)
			}
			b.ReportMetric((cpuNow()-t0)*1e9/float64(b.N), "cpu-ns/op")
		})
	}
}
