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
// holds it); elsewhere, and for the tail of a slice, they fall back to the
// scalar functions. NaN stays NaN.

// ExpMaxRelError bounds |Exps(x) − e^x| / e^x for x in [−708, 709].
const ExpMaxRelError = 1e-15

// SoftplusMaxRelError bounds the relative error of each term of SoftplusSum.
const SoftplusMaxRelError = 2e-15

// SigmoidMaxAbsError bounds |Sigmoids(x) − σ(x)|.
const SigmoidMaxAbsError = 1e-15

// Exps writes e^src[i] into dst[i]; dst may be src.
func Exps(dst, src []float64) {
	dst = dst[:len(src)]
	for i := kernels.Exp(dst, src); i < len(src); i++ {
		dst[i] = math.Exp(src[i])
	}
}

// Sigmoids writes σ(scale·src[i]) = 1/(1 + e^{−scale·src[i]}) into dst[i];
// dst may be src.
func Sigmoids(dst, src []float64, scale float64) {
	dst = dst[:len(src)]
	for i := kernels.Sigmoid(dst, src, scale); i < len(src); i++ {
		dst[i] = Sigmoid(scale * src[i])
	}
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
