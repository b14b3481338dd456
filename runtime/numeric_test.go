package runtime

import (
	"math"
	"math/big"
	"testing"
)

// High-precision references (256-bit big.Float).

const prec = 256

func bigf(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }

// bigExp returns eˣ: halve x until |x| < 2⁻⁸, sum the Taylor series, then
// square back.
func bigExp(x *big.Float) *big.Float {
	y := new(big.Float).SetPrec(prec).Set(x)
	k := 0
	for y.Sign() != 0 && y.MantExp(nil) > -8 {
		y.SetMantExp(y, -1)
		k++
	}
	sum := bigf(1)
	term := bigf(1)
	for i := 1; i < 60; i++ {
		term.Mul(term, y)
		term.Quo(term, bigf(float64(i)))
		sum.Add(sum, term)
	}
	for range k {
		sum.Mul(sum, sum)
	}
	return sum
}

// bigLog returns log y for y > 0 by Newton's method on eᶻ = y, starting
// from the float64 logarithm.
func bigLog(y *big.Float) *big.Float {
	f, _ := y.Float64()
	z := bigf(math.Log(f))
	for range 6 {
		e := bigExp(z)
		d := new(big.Float).SetPrec(prec).Sub(y, e)
		d.Quo(d, e)
		z.Add(z, d)
	}
	return z
}

func toF(x *big.Float) float64 { f, _ := x.Float64(); return f }

func refSigmoid(x float64) float64 {
	e := bigExp(bigf(-x))
	return toF(new(big.Float).SetPrec(prec).Quo(bigf(1), e.Add(e, bigf(1))))
}

func refSoftplus(x float64) float64 {
	e := bigExp(bigf(x))
	return toF(bigLog(e.Add(e, bigf(1))))
}

func refLog2Cosh(x float64) float64 {
	a, b := bigExp(bigf(x)), bigExp(bigf(-x))
	return toF(bigLog(a.Add(a, b)))
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

// moderate arguments where e^{±x} is representable and naive formulas lose
// accuracy at the ends (log(1+e⁻³⁰) keeps only ~3 digits).
var moderate = []float64{-40, -30, -17.3, -5, -1, -0.3, -1e-9, 0, 1e-9, 0.3, 1, 2.5, 5, 17.3, 30, 40}

func TestSigmoidSoftplusLog2CoshAccuracy(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(float64) float64
		ref  func(float64) float64
	}{
		{"Sigmoid", Sigmoid, refSigmoid},
		{"Softplus", Softplus, refSoftplus},
		{"Log2Cosh", Log2Cosh, refLog2Cosh},
	} {
		for _, x := range moderate {
			got, want := c.f(x), c.ref(x)
			if e := relErr(got, want); e > 4e-16 {
				t.Errorf("%s(%v) = %.17g, want %.17g (relative error %.2g)", c.name, x, got, want, e)
			}
		}
	}
}

func TestNumericAsymptotes(t *testing.T) {
	ln2 := math.Ln2
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"Sigmoid(1000)", Sigmoid(1000), 1},
		{"Sigmoid(-1000)", Sigmoid(-1000), 0},
		{"Sigmoid(1e300)", Sigmoid(1e300), 1},
		{"Sigmoid(-1e300)", Sigmoid(-1e300), 0},
		{"Sigmoid(-700)", Sigmoid(-700), math.Exp(-700)},
		{"Sigmoid(+Inf)", Sigmoid(math.Inf(1)), 1},
		{"Sigmoid(-Inf)", Sigmoid(math.Inf(-1)), 0},
		{"Softplus(1000)", Softplus(1000), 1000},
		{"Softplus(-1000)", Softplus(-1000), 0},
		{"Softplus(1e300)", Softplus(1e300), 1e300},
		{"Softplus(-1e300)", Softplus(-1e300), 0},
		{"Softplus(-700)", Softplus(-700), math.Exp(-700)},
		{"Softplus(0)", Softplus(0), ln2},
		{"Log2Cosh(1000)", Log2Cosh(1000), 1000},
		{"Log2Cosh(-1000)", Log2Cosh(-1000), 1000},
		{"Log2Cosh(-1e300)", Log2Cosh(-1e300), 1e300},
		{"Log2Cosh(0)", Log2Cosh(0), ln2},
		{"LogSumExp(1000,1000)", LogSumExp([]float64{1000, 1000}), 1000 + ln2},
		{"LogSumExp(-1000,-1000)", LogSumExp([]float64{-1000, -1000}), -1000 + ln2},
		{"LogSumExp(1e300,1e300)", LogSumExp([]float64{1e300, 1e300}), 1e300},
		{"LogSumExp(-1e300,0)", LogSumExp([]float64{-1e300, 0}), 0},
		{"LogSumExp(-Inf,3)", LogSumExp([]float64{math.Inf(-1), 3}), 3},
		{"LogSumExp(-Inf,-Inf)", LogSumExp([]float64{math.Inf(-1), math.Inf(-1)}), math.Inf(-1)},
		{"LogSumExp(+Inf,1)", LogSumExp([]float64{1, math.Inf(1)}), math.Inf(1)},
		{"LogSumExp()", LogSumExp(nil), math.Inf(-1)},
		{"LogAddExp(1000,1000)", LogAddExp(1000, 1000), 1000 + ln2},
		{"LogAddExp(-1000,-1000)", LogAddExp(-1000, -1000), -1000 + ln2},
		{"LogAddExp(1e300,-1e300)", LogAddExp(1e300, -1e300), 1e300},
		{"LogAddExp(-Inf,2)", LogAddExp(math.Inf(-1), 2), 2},
		{"LogAddExp(2,-Inf)", LogAddExp(2, math.Inf(-1)), 2},
		{"LogAddExp(-Inf,-Inf)", LogAddExp(math.Inf(-1), math.Inf(-1)), math.Inf(-1)},
		{"LogAddExp(+Inf,+Inf)", LogAddExp(math.Inf(1), math.Inf(1)), math.Inf(1)},
		{"LogMeanExp(1000 ×3)", LogMeanExp([]float64{1000, 1000, 1000}), 1000},
		{"LogMeanExp(-1000,-1000)", LogMeanExp([]float64{-1000, -1000}), -1000},
		{"LogMeanExp()", LogMeanExp(nil), math.Inf(-1)},
	} {
		if c.got != c.want && relErr(c.got, c.want) > 1e-15 {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
}

func TestNumericNeverNaN(t *testing.T) {
	// Sweep |x| from 1e-300 to 1e300 on a log scale, both signs.
	for e := -300.0; e <= 300; e += 0.37 {
		for _, x := range []float64{math.Pow(10, e), -math.Pow(10, e)} {
			for name, v := range map[string]float64{
				"Sigmoid":   Sigmoid(x),
				"Softplus":  Softplus(x),
				"Log2Cosh":  Log2Cosh(x),
				"LogAddExp": LogAddExp(x, -x),
				"LogSumExp": LogSumExp([]float64{x, x / 2, -x}),
			} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s(%g) = %v", name, x, v)
				}
			}
			if s := Sigmoid(x); s < 0 || s > 1 {
				t.Fatalf("Sigmoid(%g) = %v outside [0,1]", x, s)
			}
			if s := Softplus(x); s < 0 || s < x {
				t.Fatalf("Softplus(%g) = %v below max(0,x)", x, s)
			}
		}
	}
}

func TestLogSumExpDirect(t *testing.T) {
	r := NewRNG(6, 0)
	for _, n := range []int{1, 2, 3, 10, 100} {
		x := make([]float64, n)
		var s float64
		for i := range x {
			x[i] = 20*r.Float64() - 10
			s += math.Exp(x[i])
		}
		want := math.Log(s)
		if got := LogSumExp(x); relErr(got, want) > 1e-14 {
			t.Errorf("LogSumExp(n=%d) = %.17g, want %.17g", n, got, want)
		}
		scaled := make([]float64, n)
		for i, v := range x {
			scaled[i] = 0.37 * v
		}
		if got, want := LogSumExpScaled(x, 0.37), LogSumExp(scaled); got != want {
			t.Errorf("LogSumExpScaled(n=%d, 0.37) = %.17g, LogSumExp of the scaled values %.17g", n, got, want)
		}
		if got, want := LogMeanExp(x), math.Log(s/float64(n)); math.Abs(got-want) > 1e-13 {
			t.Errorf("LogMeanExp(n=%d) = %.17g, want %.17g", n, got, want)
		}
		if n >= 2 {
			if got, want := LogAddExp(x[0], x[1]), math.Log(math.Exp(x[0])+math.Exp(x[1])); relErr(got, want) > 1e-14 {
				t.Errorf("LogAddExp(%v, %v) = %v, want %v", x[0], x[1], got, want)
			}
		}
	}
	// Shift invariance at huge magnitudes: LSE(x + c) = LSE(x) + c.
	x := []float64{0.5, -1, 2, 0}
	base := LogSumExp(x)
	for i := range x {
		x[i] += 1e5
	}
	if got := LogSumExp(x); math.Abs(got-(base+1e5)) > 1e-9 {
		t.Errorf("LogSumExp(x+1e5) = %v, want %v", got, base+1e5)
	}
}

func TestSoftmax(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		x    []float64
		want []float64
	}{
		{"moderate", []float64{1, 2, 3}, []float64{0.09003057317038046, 0.24472847105479764, 0.6652409557748219}},
		{"huge", []float64{1000, 1000}, []float64{0.5, 0.5}},
		{"huge apart", []float64{-1e300, 1e300}, []float64{0, 1}},
		{"all -Inf", []float64{-inf, -inf, -inf, -inf}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"+Inf shares", []float64{inf, 0, inf}, []float64{0.5, 0, 0.5}},
		{"single", []float64{-7}, []float64{1}},
		{"empty", nil, nil},
	} {
		dst := make([]float64, len(c.x))
		Softmax(dst, c.x)
		for i := range dst {
			if math.Abs(dst[i]-c.want[i]) > 1e-15 {
				t.Errorf("%s: Softmax = %v, want %v", c.name, dst, c.want)
				break
			}
		}
		// In place gives the same result.
		y := append([]float64(nil), c.x...)
		Softmax(y, y)
		for i := range y {
			if y[i] != dst[i] {
				t.Errorf("%s: in-place Softmax = %v, want %v", c.name, y, dst)
				break
			}
		}
	}
}

func TestIsFinite(t *testing.T) {
	for _, c := range []struct {
		x    []float64
		want bool
	}{
		{nil, true},
		{[]float64{0, -1, 1e308, -math.MaxFloat64, math.SmallestNonzeroFloat64}, true},
		{[]float64{1, math.NaN()}, false},
		{[]float64{math.Inf(1), 0}, false},
		{[]float64{0, 0, math.Inf(-1)}, false},
	} {
		if got := IsFinite(c.x); got != c.want {
			t.Errorf("IsFinite(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// Long slices, checked by blocks of 256: huge finite values, and one
	// NaN or infinity anywhere (in each lane of a block, at a block's edge,
	// in the tail after the last block).
	x := make([]float64, 1000)
	for i := range x {
		x[i] = math.MaxFloat64 * float64(1-2*(i%2))
	}
	if !IsFinite(x) {
		t.Error("1000 finite values of ±MaxFloat64 reported non-finite")
	}
	for _, at := range []int{0, 1, 2, 3, 255, 256, 511, 767, 768, 999} {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			old := x[at]
			x[at] = bad
			if IsFinite(x) {
				t.Errorf("%v at %d of 1000 not found", bad, at)
			}
			x[at] = old
		}
	}
}

var benchSink float64

func BenchmarkSigmoid(b *testing.B) {
	x := -4.0
	for b.Loop() {
		benchSink += Sigmoid(x)
		x += 1e-7
	}
}

func BenchmarkSoftplus(b *testing.B) {
	x := -4.0
	for b.Loop() {
		benchSink += Softplus(x)
		x += 1e-7
	}
}

func BenchmarkLogSumExp100(b *testing.B) {
	r := NewRNG(1, 0)
	x := make([]float64, 100)
	r.FillUniform(x)
	for b.Loop() {
		benchSink += LogSumExp(x)
	}
}

// SoftThreshold is sign(z)·max(|z| − t, 0).
func TestSoftThreshold(t *testing.T) {
	for _, c := range []struct{ z, t, want float64 }{
		{2, 0.5, 1.5}, {-2, 0.5, -1.5}, {0.3, 0.5, 0}, {-0.5, 0.5, 0}, {0.5, 0.5, 0}, {1, 0, 1}, {0, 1, 0},
	} {
		if got := SoftThreshold(c.z, c.t); got != c.want {
			t.Errorf("SoftThreshold(%g, %g) = %g, want %g", c.z, c.t, got, c.want)
		}
	}
}
