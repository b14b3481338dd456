package runtime

import (
	"math"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// Vectorized elementary functions for the generated samplers. With AVX2 and
// FMA they evaluate four values per instruction: e^x as 2^k·p(r), x = k·ln 2 + r,
// |r| ≤ ln 2 / 2, p the Taylor polynomial of degree 12 (truncation below
// 2·10⁻¹⁶ relative), with x clamped to [−708, 709] (on arm64 NEON runs
// the same algorithm two values per instruction, with the same results to
// the bit); with AVX-512, eight
// values at a time, the sigmoid and softplus sums take e^x as
// 2^q·2^{j/8}·p(r), x = (8q + j)·(ln 2)/8 + r, |r| ≤ ln 2 / 16, p of degree 7
// (truncation below 3.2·10⁻¹⁶), 2^{j/8} from a table. Their relative error
// against math.Exp is at most ExpMaxRelError over that range (vmath_test.go
// holds it); elsewhere, and for the tail of a slice, they fall back to Go:
// the scalar functions, except for e^x in [−708, 709] and σ, which take
// expGo's algorithm (the AVX2 one, without vectors, fused multiply-adds or
// branches; within the same error bounds). NaN stays NaN.

// ExpMaxRelError bounds |Exps(x) − e^x| / e^x for x in [−708, 709].
const ExpMaxRelError = 1e-15

// SoftplusMaxRelError bounds the relative error of each term of SoftplusSum.
const SoftplusMaxRelError = 2e-15

// SigmoidMaxAbsError bounds |Sigmoids(x) − σ(x)|.
const SigmoidMaxAbsError = 1e-15

// Exps writes e^src[i] into dst[i]; dst may be src.
func Exps(dst, src []float64) {
	dst = dst[:len(src)]
	i := kernels.Exp(dst, src)
	for j, x := range src[i:] {
		// The vector kernels' clamps: e^x is 0 below −745 and +Inf past
		// 709.78 (math.Exp's limits); inside them expGo is exact enough.
		if -708 <= x && x <= 709 {
			dst[i+j] = expGo(x)
		} else {
			dst[i+j] = math.Exp(x)
		}
	}
}

// expGo returns e^x for x in [−708, 709] (NaN for NaN) in Go, without
// branches: x = k·ln 2 + r with k the integer nearest x/ln 2 and |r| ≤
// ln 2 / 2 (ln 2 in two parts, k·ln2Hi exact), e^r by its Taylor
// polynomial of degree 12 (the AVX2 kernel's), evaluated in Estrin's
// scheme — a dependency chain of five multiply-adds rather than Horner's
// twelve, since without vectors the latency bounds the throughput — times
// 2^k built in the exponent bits. Its relative error is within
// ExpMaxRelError.
func expGo(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		round = 0x1.8p52 // adding and subtracting it rounds to an integer
	)
	k := (x*log2e + round) - round
	r := (x - k*ln2Hi) - k*ln2Lo
	r2 := r * r
	r4 := r2 * r2
	q0 := 1 + r
	q1 := 1.0/2 + r*(1.0/6)
	q2 := 1.0/24 + r*(1.0/120)
	q3 := 1.0/720 + r*(1.0/5040)
	q4 := 1.0/40320 + r*(1.0/362880)
	q5 := 1.0/3628800 + r*(1.0/39916800)
	s0 := q0 + r2*q1
	s1 := q2 + r2*q3
	s2 := q4 + r2*q5
	t0 := s0 + r4*s1
	t1 := s2 + r4*(1.0/479001600)
	p := t0 + (r4*r4)*t1
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// Sigmoids writes σ(scale·src[i]) = 1/(1 + e^{−scale·src[i]}) into dst[i];
// dst may be src.
func Sigmoids(dst, src []float64, scale float64) {
	dst = dst[:len(src)]
	i := kernels.Sigmoid(dst, src, scale)
	sigmoidsGo(dst[i:], src[i:], scale)
}

// SoftplusSum returns Σ_i softplus(scale·src[i]), softplus(x) = log(1 + eˣ)
// = max(x, 0) + log1p(e^{−|x|}): the free energy of a layer of binary units.
// The vector path evaluates log1p on (0, 1] as 2·atanh of a reduced argument
// by a polynomial of degree 19.
func SoftplusSum(src []float64, scale float64) float64 {
	s, i := kernels.SoftplusSum(src, scale)
	for ; i < len(src); i++ {
		s += Softplus(scale * src[i])
	}
	return s
}

// Tanhs writes tanh(scale·src[i]) = 2·σ(2·scale·src[i]) − 1 into dst[i];
// dst may be src. Its error is at most 2·SigmoidMaxAbsError plus rounding,
// absolute (not relative: near zero math.Tanh is closer).
func Tanhs(dst, src []float64, scale float64) {
	Sigmoids(dst, src, 2*scale)
	for i, s := range dst {
		dst[i] = 2*s - 1
	}
}

// Relax moves each mean the fraction 1 − damping of the way to its target,
// μ[i] ← (1 − damping)·target[i] + damping·μ[i], and returns the largest
// |change| (NaN if a change is NaN): one damped mean-field update of a
// layer.
func Relax(mu, target []float64, damping float64) float64 {
	target = target[:len(mu)]
	var m0, m1 float64 // two running maxima, for two chains of comparisons
	nan := false
	i := 0
	for ; i+1 < len(mu); i += 2 {
		v0 := (1-damping)*target[i] + damping*mu[i]
		v1 := (1-damping)*target[i+1] + damping*mu[i+1]
		d0, d1 := math.Abs(v0-mu[i]), math.Abs(v1-mu[i+1])
		nan = nan || d0 != d0 || d1 != d1
		if d0 > m0 {
			m0 = d0
		}
		if d1 > m1 {
			m1 = d1
		}
		mu[i], mu[i+1] = v0, v1
	}
	for ; i < len(mu); i++ {
		v := (1-damping)*target[i] + damping*mu[i]
		d := math.Abs(v - mu[i])
		nan = nan || d != d
		if d > m0 {
			m0 = d
		}
		mu[i] = v
	}
	if nan {
		return math.NaN()
	}
	return max(m0, m1)
}

// sigmoidsGo is Sigmoids in Go, without branches on the values (their
// signs are random in a sampler): with e = e^{−|x|} (clamped at e^{−708}),
// σ(|x|) = 1/(1 + e) and σ(−|x|) = e·σ(|x|), the one taken chosen by the
// sign bit of x. e is expGo's, written out here because the compiler does
// not inline expGo, and a call per value costs as much as the rest.
func sigmoidsGo(dst, src []float64, scale float64) {
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		round = 0x1.8p52
	)
	dst = dst[:len(src)]
	for i, v := range src {
		x := scale * v
		y := max(-math.Abs(x), -708)
		k := (y*log2e + round) - round
		r := (y - k*ln2Hi) - k*ln2Lo
		r2 := r * r
		r4 := r2 * r2
		s0 := (1 + r) + r2*(1.0/2+r*(1.0/6))
		s1 := (1.0/24 + r*(1.0/120)) + r2*(1.0/720+r*(1.0/5040))
		s2 := (1.0/40320 + r*(1.0/362880)) + r2*(1.0/3628800+r*(1.0/39916800))
		p := (s0 + r4*s1) + (r4*r4)*(s2+r4*(1.0/479001600))
		e := p * math.Float64frombits(uint64(int64(k)+1023)<<52)
		s := 1 / (1 + e)
		neg := uint64(int64(math.Float64bits(x)) >> 63) // all ones when x < 0 (or −0)
		dst[i] = math.Float64frombits(math.Float64bits(s)&^neg | math.Float64bits(e*s)&neg)
	}
}
