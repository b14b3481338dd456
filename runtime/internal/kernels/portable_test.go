package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The portable kernels GemmGo and GatherGo against references that sum in
// the plainest order. The operands are small integers and α, β dyadic, so
// that every product and sum is exact: any order of summation, fused or
// not (Go fuses x·y + z on arm64), gives the same bits, and the results
// must match to the bit on every architecture.

// intFloats returns n random nonzero integers in [−4, 4] as float64 (none
// zero, so that every term of a sum counts).
func intFloats(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(r.IntN(4) + 1)
		if r.IntN(2) == 0 {
			x[i] = -x[i]
		}
	}
	return x
}

// gemmGoRef is GemmGo written out: C[i,j] = α·Σ_p a[2p+i]·b[3p+j] + β·C[i,j].
func gemmGoRef(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
	for i := range rows {
		for j := range cols {
			acc := 0.0
			for p := range k {
				acc += a[GemmMR*p+i] * b[GemmNR*p+j]
			}
			v := alpha * acc
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
}

type gemmGoKernel func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int)

// checkGemmGo runs kern and the reference on packed panels of depth k whose
// padding rows and columns hold values (which must not reach C), C with
// ldc = 5 and a row past the tile, NaN in the tile when β = 0 (C must not
// be read): every element of C must match to the bit.
func checkGemmGo(r *rand.Rand, kern gemmGoKernel, k, rows, cols int, alpha, beta float64) error {
	const ldc = 5
	a := intFloats(r, GemmMR*k+1)
	b := intFloats(r, GemmNR*k+1)
	c := intFloats(r, (GemmMR+1)*ldc)
	if beta == 0 {
		for i := range rows {
			for j := range cols {
				c[i*ldc+j] = math.NaN()
			}
		}
	}
	want := slices.Clone(c)
	gemmGoRef(k, a, b, want, ldc, alpha, beta, rows, cols)
	kern(k, a, b, c, ldc, alpha, beta, rows, cols)
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("k=%d rows=%d cols=%d α=%g β=%g: C[%d,%d] = %g, want %g", k, rows, cols, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

// The edge shapes: k = 0 (C = β·C), 1, 2, 3, 17 and 256, every row count
// 1…GemmMR and column count 0…GemmNR (0: nothing written), every α, β.
func TestGemmGo(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range []int{0, 1, 2, 3, 17, 256} {
		for rows := 1; rows <= GemmMR; rows++ {
			for cols := 0; cols <= GemmNR; cols++ {
				for _, ab := range alphaBetas {
					if err := checkGemmGo(r, GemmGo, k, rows, cols, ab[0], ab[1]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

// Negative controls: the check fails on a kernel one ulp off in one
// element, on one that writes a column or a row past the tile, on one that
// reads C when β = 0, and on one that drops the last step of p.
func TestGemmGoControl(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	controls := []struct {
		name string
		kern gemmGoKernel
	}{
		{"ulp", func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
			GemmGo(k, a, b, c, ldc, alpha, beta, rows, cols)
			c[1] = math.Nextafter(c[1], math.Inf(1))
		}},
		{"extraCol", func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
			GemmGo(k, a, b, c, ldc, alpha, beta, rows, cols+1)
		}},
		{"extraRow", func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
			GemmGo(k, a, b, c, ldc, alpha, beta, rows+1, cols)
		}},
		{"readsC", func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
			if beta == 0 {
				beta = 0x1p-1000
			}
			GemmGo(k, a, b, c, ldc, alpha, beta, rows, cols)
		}},
		{"shortK", func(k int, a, b, c []float64, ldc int, alpha, beta float64, rows, cols int) {
			GemmGo(k-1, a, b, c, ldc, alpha, beta, rows, cols)
		}},
	}
	for _, c := range controls {
		if err := checkGemmGo(r, c.kern, 9, 1, GemmNR-1, 1.5, 0); err == nil {
			t.Errorf("%s: a broken kernel passed the check", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// gatherGoRef is GatherGo written out.
func gatherGoRef(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
	for r := range m {
		for j := range cols {
			acc := 0.0
			for e := start[r]; e < start[r+1]; e++ {
				v := vals[e]
				if unit {
					v = 1
				}
				acc += v * b[int(idx[e])+j]
			}
			x := alpha * acc
			if beta != 0 {
				x += beta * c[r*ldc+j]
			}
			c[r*ldc+j] = x
		}
	}
}

type gatherGoKernel func(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool)

// checkGatherGo lists, for m rows, the nonzeros of random rows of depth kb
// (about a third nonzero, row 1 empty; values 1 when unit, otherwise
// integers that are not all 1), and compares kern with the reference on a
// strip of w columns (row p at p·w, values past cols that must not reach
// C); C has ldc = 19, a row past the tile, and NaN where β = 0 must not
// read it.
func checkGatherGo(r *rand.Rand, kern gatherGoKernel, m, kb, w, cols int, unit bool, alpha, beta float64) error {
	const ldc = 19
	b := intFloats(r, kb*w)
	start := make([]int32, m+1)
	var idx []int32
	var vals []float64
	for i := range m {
		start[i] = int32(len(idx))
		for p := range kb {
			if i == 1 || r.IntN(3) != 0 {
				continue
			}
			idx = append(idx, int32(p*w))
			if unit {
				vals = append(vals, 1)
			} else {
				vals = append(vals, float64(r.IntN(7)-3))
			}
		}
	}
	start[m] = int32(len(idx))
	c := intFloats(r, (m+1)*ldc)
	if beta == 0 {
		for i := range m {
			for j := range cols {
				c[i*ldc+j] = math.NaN()
			}
		}
	}
	want := slices.Clone(c)
	gatherGoRef(m, start, idx, vals, b, want, ldc, alpha, beta, cols, unit)
	kern(m, start, idx, vals, b, c, ldc, alpha, beta, cols, unit)
	if i, ok := sameBits(c, want); !ok {
		return fmt.Errorf("m=%d kb=%d w=%d cols=%d unit=%v α=%g β=%g: C[%d,%d] = %g, want %g", m, kb, w, cols, unit, alpha, beta, i/ldc, i%ldc, c[i], want[i])
	}
	return nil
}

// Strips of 8 and 16 columns, every column count from 1 to the width (the
// ragged last strip of a product), depths 1, 2, 5 and 96 (odd and even
// list lengths), 0, 1 and 3 rows, unit and valued lists, every α, β.
func TestGatherGo(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, m := range []int{0, 1, 3} {
		for _, kb := range []int{1, 2, 5, 96} {
			for _, w := range []int{8, 16} {
				for cols := 1; cols <= w; cols++ {
					for _, unit := range []bool{false, true} {
						for _, ab := range alphaBetas {
							if err := checkGatherGo(r, GatherGo, m, kb, w, cols, unit, ab[0], ab[1]); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
			}
		}
	}
}

// Negative controls: a kernel that reads the wrong row of B for the first
// entry, one that takes the values as 1 when they are not, one that writes
// a column past cols, and one that reads C when β = 0.
func TestGatherGoControl(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	controls := []struct {
		name string
		kern gatherGoKernel
	}{
		{"wrongRow", func(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
			first := idx[0]
			idx[0] = 0 // row 0 of the strip (row 1 if it was row 0)
			if first == 0 {
				idx[0] = 8
			}
			GatherGo(m, start, idx, vals, b, c, ldc, alpha, beta, cols, unit)
			idx[0] = first
		}},
		{"asUnit", func(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
			GatherGo(m, start, idx, vals, b, c, ldc, alpha, beta, cols, true)
		}},
		{"extraCol", func(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
			GatherGo(m, start, idx, vals, b, c, ldc, alpha, beta, cols+1, unit)
		}},
		{"readsC", func(m int, start, idx []int32, vals, b, c []float64, ldc int, alpha, beta float64, cols int, unit bool) {
			if beta == 0 {
				beta = 0x1p-1000
			}
			GatherGo(m, start, idx, vals, b, c, ldc, alpha, beta, cols, unit)
		}},
	}
	for _, c := range controls {
		if err := checkGatherGo(r, c.kern, 3, 20, 8, 7, false, 1, 0); err == nil {
			t.Errorf("%s: a broken kernel passed the check", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// checkRowsList compares SumRowsList8 (unit) or DotRowsList4 (values),
// through rowsList, with sums written out, on rows of n columns (lda = n +
// 3, values past n that must not be read) against a vector of which about a
// third of the entries (and always the last, when last) are listed.
func checkRowsList(r *rand.Rand, rowsList func(a []float64, lda int, idx []int32, vals []float64) []float64, rows, n int, unit, last bool) error {
	lda := n + 3
	a := intFloats(r, rows*lda)
	var idx []int32
	var vals []float64
	for j := range n {
		if r.IntN(3) == 0 || last && j == n-1 {
			idx = append(idx, int32(j))
			v := 1.0
			if !unit {
				v = float64(r.IntN(7) - 3)
			}
			vals = append(vals, v)
		}
	}
	got := rowsList(a, lda, idx, vals)
	for t := range rows {
		want := 0.0
		for e, j := range idx {
			want += vals[e] * a[t*lda+int(j)]
		}
		if math.Float64bits(got[t]) != math.Float64bits(want) {
			return fmt.Errorf("rows=%d n=%d unit=%v %d listed: row %d: %g, want %g", rows, n, unit, len(idx), t, got[t], want)
		}
	}
	return nil
}

func sumRowsList8(a []float64, lda int, idx []int32, _ []float64) []float64 {
	s0, s1, s2, s3, s4, s5, s6, s7 := SumRowsList8(a, lda, idx)
	return []float64{s0, s1, s2, s3, s4, s5, s6, s7}
}

func dotRowsList4(a []float64, lda int, idx []int32, vals []float64) []float64 {
	s0, s1, s2, s3 := DotRowsList4(a, lda, idx, vals)
	return []float64{s0, s1, s2, s3}
}

// Lengths 1, 2, 7 and 500, with and without the last column listed (an
// empty list among the short ones).
func TestRowsList(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	for _, n := range []int{1, 2, 7, 500} {
		for _, last := range []bool{false, true} {
			if err := checkRowsList(r, sumRowsList8, 8, n, true, last); err != nil {
				t.Fatal("SumRowsList8: ", err)
			}
			if err := checkRowsList(r, dotRowsList4, 4, n, false, last); err != nil {
				t.Fatal("DotRowsList4: ", err)
			}
		}
	}
}

// Negative controls: a sum that skips the first listed entry, one that
// reads the first entry's neighbouring column, and values taken as 1.
func TestRowsListControl(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	controls := []struct {
		name     string
		rows     int
		unit     bool
		rowsList func(a []float64, lda int, idx []int32, vals []float64) []float64
	}{
		{"skipsFirst", 8, true, func(a []float64, lda int, idx []int32, vals []float64) []float64 {
			return sumRowsList8(a, lda, idx[1:], nil)
		}},
		{"nextColumn", 8, true, func(a []float64, lda int, idx []int32, vals []float64) []float64 {
			moved := slices.Clone(idx)
			moved[0]++ // the first entry read one column to the right
			return sumRowsList8(a, lda, moved, nil)
		}},
		{"asUnit", 4, false, func(a []float64, lda int, idx []int32, vals []float64) []float64 {
			s0, s1, s2, s3, _, _, _, _ := SumRowsList8(append(a, make([]float64, 4*lda)...), lda, idx)
			return []float64{s0, s1, s2, s3}
		}},
	}
	for _, c := range controls {
		if err := checkRowsList(r, c.rowsList, c.rows, 50, c.unit, true); err == nil {
			t.Errorf("%s: a broken kernel passed the check", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}
