package runtime

import (
	"math"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// Vectorized elementary functions for the generated samplers. With AVX2 and
// FMA they evaluate four values per instruction: e^x as 2^k·p(r), x = k·ln 2 + r,
// |r| ≤ ln 2 / 2, p the Taylor polynomial of degree 12 (truncation below
// 2·10⁻¹⁶ relative), with x clamped to [−708, 709]; with AVX-512, eight
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
