package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The kernels that list the nonzeros of a vector (CompressNZx2, CountNZx2,
// and on AVX-512 machines CompressNZ, CountNZ) against compressRef, the
// runtime's Go loop: the same count, the same nonunit flag, and the same
// indices and values to the bit. The vectors mix zeros of both signs with
// ones, other values, ±Inf and NaN (which counts as nonzero and nonunit),
// and with stride 3 the skipped elements are nonzero, so that a kernel that
// reads them is caught.

type compressKernel func(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)

type countKernel func(n int, x *float64) int

// compressRef is compressList's Go loop: the nonzero x[p·stride] (p < n) in
// order in vals, p·scale in idx, their number, and whether one is not 1.
func compressRef(n int, x []float64, stride, scale int, idx []int32, vals []float64) (int, bool) {
	cnt := 0
	nonunit := false
	for p := range n {
		v := x[p*stride]
		if v != 0 {
			idx[cnt] = int32(p * scale)
			vals[cnt] = v
			cnt++
			nonunit = nonunit || v != 1
		}
	}
	return cnt, nonunit
}

type compressRefFunc func(n int, x []float64, stride, scale int, idx []int32, vals []float64) (int, bool)

// sparseVector returns (n−1)·stride+1 values: at the multiples of stride,
// zero with probability 1−density and otherwise 1 (binary) or a value drawn
// from nonunitValues; elsewhere 7, which no kernel may list.
func sparseVector(r *rand.Rand, n, stride int, density float64, binary bool) []float64 {
	if n == 0 {
		return nil
	}
	x := make([]float64, (n-1)*stride+1)
	for i := range x {
		if i%stride != 0 {
			x[i] = 7
			continue
		}
		switch {
		case r.Float64() >= density:
			x[i] = 0
			if r.IntN(2) == 0 {
				x[i] = math.Copysign(0, -1)
			}
		case binary:
			x[i] = 1
		default:
			x[i] = nonunitValues[r.IntN(len(nonunitValues))]
		}
	}
	return x
}

var nonunitValues = []float64{1, 1, 1, -1, 0.5, 1 + 0x1p-52, 1 - 0x1p-53, 3, 5e-324, math.Inf(1), math.Inf(-1), math.NaN()}

// guard is the number of elements past n+8 that must stay unwritten.
const guard = 4

// checkCompress runs kern and ref on the same vector and compares them.
func checkCompress(kern compressKernel, ref compressRefFunc, x []float64, n, stride, scale int) error {
	idx := make([]int32, n+8+guard)
	vals := make([]float64, n+8+guard)
	for i := range idx {
		idx[i] = -1
		vals[i] = -2
	}
	wantIdx := make([]int32, n)
	wantVals := make([]float64, n)
	want, wantNU := ref(n, x, stride, scale, wantIdx, wantVals)
	var xp *float64
	if len(x) > 0 {
		xp = &x[0]
	}
	cnt, nu := kern(n, xp, stride, scale, &idx[0], &vals[0])
	where := fmt.Sprintf("n=%d stride=%d scale=%d", n, stride, scale)
	if cnt != want {
		return fmt.Errorf("%s: cnt = %d, want %d", where, cnt, want)
	}
	if (nu != 0) != wantNU {
		return fmt.Errorf("%s: nonunit = %d, want %t", where, nu, wantNU)
	}
	for i := range cnt {
		if idx[i] != wantIdx[i] {
			return fmt.Errorf("%s: idx[%d] = %d, want %d", where, i, idx[i], wantIdx[i])
		}
		if math.Float64bits(vals[i]) != math.Float64bits(wantVals[i]) {
			return fmt.Errorf("%s: vals[%d] = %g, want %g", where, i, vals[i], wantVals[i])
		}
	}
	for i := n + 8; i < len(idx); i++ {
		if idx[i] != -1 || vals[i] != -2 {
			return fmt.Errorf("%s: element %d past n+8 written", where, i)
		}
	}
	return nil
}

// checkCount compares kern with the number of x[p·stride] ≠ 0 (stride 1).
func checkCount(kern countKernel, x []float64, n int) error {
	want := 0
	for _, v := range x[:n] {
		if v != 0 {
			want++
		}
	}
	var xp *float64
	if n > 0 {
		xp = &x[0]
	}
	if got := kern(n, xp); got != want {
		return fmt.Errorf("n=%d: count = %d, want %d", n, got, want)
	}
	return nil
}

// compressCases runs check on vectors of lengths 0…37, strides 1 and 3,
// densities from 0 to 1, binary and not, and returns the first error.
func compressCases(r *rand.Rand, check func(x []float64, n, stride, scale int) error) error {
	for n := range 38 {
		for _, stride := range []int{1, 3} {
			for _, density := range []float64{0, 0.1, 0.5, 0.9, 1} {
				for _, binary := range []bool{true, false} {
					for range 3 {
						x := sparseVector(r, n, stride, density, binary)
						scale := []int{1, 8, 96}[r.IntN(3)]
						if err := check(x, n, stride, scale); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

func compressKernels() map[string]compressKernel {
	ks := map[string]compressKernel{}
	if Supported(LevelAVX2) {
		ks["CompressNZx2"] = CompressNZx2
	}
	if Supported(LevelAVX512) {
		ks["CompressNZ"] = CompressNZ
	}
	return ks
}

func TestCompressNZ(t *testing.T) {
	avx2(t)
	for name, kern := range compressKernels() {
		r := rand.New(rand.NewPCG(41, 42))
		err := compressCases(r, func(x []float64, n, stride, scale int) error {
			return checkCompress(kern, compressRef, x, n, stride, scale)
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCountNZ(t *testing.T) {
	avx2(t)
	kerns := map[string]countKernel{"CountNZx2": CountNZx2}
	if Supported(LevelAVX512) {
		kerns["CountNZ"] = CountNZ
	}
	for name, kern := range kerns {
		r := rand.New(rand.NewPCG(43, 44))
		err := compressCases(r, func(x []float64, n, stride, scale int) error {
			if stride != 1 {
				return nil
			}
			return checkCount(kern, x, n)
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Negative controls: a reference off by one in scale, one that counts NaN
// as unit, and kernels that drop the last element, report every list as
// unit, read with stride 1, or count one element short must all fail.
func TestCompressNZControl(t *testing.T) {
	avx2(t)
	refs := map[string]compressRefFunc{
		"scale+1": func(n int, x []float64, stride, scale int, idx []int32, vals []float64) (int, bool) {
			return compressRef(n, x, stride, scale+1, idx, vals)
		},
		"nanUnit": func(n int, x []float64, stride, scale int, idx []int32, vals []float64) (int, bool) {
			cnt, nu := compressRef(n, x, stride, scale, idx, vals)
			if nu {
				nu = false
				for _, v := range vals[:cnt] {
					nu = nu || (v != 1 && !math.IsNaN(v))
				}
			}
			return cnt, nu
		},
	}
	kerns := map[string]compressKernel{
		"short": func(n int, x *float64, stride, scale int, idx *int32, vals *float64) (int, int) {
			return CompressNZx2(max(n-1, 0), x, stride, scale, idx, vals)
		},
		"unit": func(n int, x *float64, stride, scale int, idx *int32, vals *float64) (int, int) {
			cnt, _ := CompressNZx2(n, x, stride, scale, idx, vals)
			return cnt, 0
		},
		"stride1": func(n int, x *float64, stride, scale int, idx *int32, vals *float64) (int, int) {
			return CompressNZx2(n, x, 1, scale, idx, vals)
		},
	}
	for name, ref := range refs {
		r := rand.New(rand.NewPCG(45, 46))
		if err := compressCases(r, func(x []float64, n, stride, scale int) error {
			return checkCompress(CompressNZx2, ref, x, n, stride, scale)
		}); err == nil {
			t.Errorf("reference %s: the check passed a wrong reference", name)
		} else {
			t.Logf("reference %s: %v", name, err)
		}
	}
	for name, kern := range kerns {
		r := rand.New(rand.NewPCG(47, 48))
		if err := compressCases(r, func(x []float64, n, stride, scale int) error {
			return checkCompress(kern, compressRef, x, n, stride, scale)
		}); err == nil {
			t.Errorf("kernel %s: a broken kernel passed the check", name)
		} else {
			t.Logf("kernel %s: %v", name, err)
		}
	}
	short := func(n int, x *float64) int { return CountNZx2(max(n-1, 0), x) }
	r := rand.New(rand.NewPCG(49, 50))
	if err := compressCases(r, func(x []float64, n, stride, scale int) error {
		if stride != 1 {
			return nil
		}
		return checkCount(short, x, n)
	}); err == nil {
		t.Errorf("count short: a broken kernel passed the check")
	} else {
		t.Logf("count short: %v", err)
	}
}
