package runtime

import "math"

// Sigmoid returns the logistic function σ(x) = 1/(1+e⁻ˣ), evaluated as
// e^x/(1+e^x) for x < 0 so that it never overflows: σ(−∞) = 0, σ(+∞) = 1.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus returns log(1+eˣ), evaluated as max(x, 0) + log1p(e^{−|x|}).
// It is ≈ eˣ for x ≪ 0 and ≈ x for x ≫ 0, with full relative accuracy.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Log2Cosh returns log(2 cosh x) = log(eˣ + e⁻ˣ), evaluated as
// |x| + log1p(e^{−2|x|}). It is the log partition function of a ±1 unit
// with field x.
func Log2Cosh(x float64) float64 {
	a := math.Abs(x)
	return a + math.Log1p(math.Exp(-2*a))
}

// LogAddExp returns log(eᵃ + eᵇ) = max(a, b) + log1p(e^{−|a−b|}) without
// overflow. LogAddExp(a, −∞) = a.
func LogAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, 0) || math.IsInf(b, -1) {
		// a = ±∞ dominates (or both are −∞); b = −∞ contributes nothing.
		if math.IsNaN(b) {
			return b
		}
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// LogSumExp returns log Σᵢ e^{xᵢ} = m + log Σᵢ e^{xᵢ−m} with m = maxᵢ xᵢ,
// which neither overflows nor underflows. It returns −∞ for an empty slice
// (the log of an empty sum) and +∞ if some xᵢ = +∞.
func LogSumExp(x []float64) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m || math.IsNaN(v) {
			m = v
		}
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// LogSumExpScaled returns log Σᵢ e^{β·xᵢ}, LogSumExp of β·x without a
// buffer for the scaled values.
func LogSumExpScaled(x []float64, beta float64) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	m := beta * x[0]
	for _, v := range x[1:] {
		if bv := beta * v; bv > m || math.IsNaN(bv) {
			m = bv
		}
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var s float64
	for _, v := range x {
		// float64(·) rounds β·v as LogSumExp of the scaled values does:
		// arm64 would otherwise fuse the product into the subtraction.
		s += math.Exp(float64(beta*v) - m)
	}
	return m + math.Log(s)
}

// LogMeanExp returns log((1/n) Σᵢ e^{xᵢ}) = LogSumExp(x) − log n, the
// stable log of a mean of exponentials (as in importance-sampling
// estimates of a partition function). It returns −∞ for an empty slice.
func LogMeanExp(x []float64) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	return LogSumExp(x) - math.Log(float64(len(x)))
}

// Softmax sets dst[i] = e^{x[i]−m} / Σⱼ e^{x[j]−m} with m = maxⱼ x[j], the
// normalised exponentials of x. dst may be x itself. If every x[i] is −∞
// the result is uniform; if some are +∞ they share the mass equally. It
// panics if len(dst) != len(x).
func Softmax(dst, x []float64) {
	if len(dst) != len(x) {
		panic("runtime: Softmax: length mismatch")
	}
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	switch {
	case math.IsInf(m, -1):
		u := 1 / float64(len(x))
		for i := range dst {
			dst[i] = u
		}
		return
	case math.IsInf(m, 1):
		var n float64
		for i, v := range x {
			if math.IsInf(v, 1) {
				dst[i] = 1
				n++
			} else {
				dst[i] = 0
			}
		}
		for i := range dst {
			dst[i] /= n
		}
		return
	}
	var s float64
	for i, v := range x {
		e := math.Exp(v - m)
		dst[i] = e
		s += e
	}
	inv := 1 / s
	for i := range dst {
		dst[i] *= inv
	}
}

// IsFinite reports whether no element of x is NaN or ±∞.
func IsFinite(x []float64) bool {
	// v − v is 0 for a finite v and NaN otherwise, and a NaN stays in a
	// sum: four independent sums of blocks of x, tested once per block,
	// instead of a branch per element (Fit checks every parameter after
	// every step).
	for len(x) >= 256 {
		var s0, s1, s2, s3 float64
		for i := 0; i < 256; i += 4 {
			b := x[i : i+4 : i+4]
			s0 += b[0] - b[0]
			s1 += b[1] - b[1]
			s2 += b[2] - b[2]
			s3 += b[3] - b[3]
		}
		if s0+s1+s2+s3 != 0 {
			return false
		}
		x = x[256:]
	}
	for _, v := range x {
		if v-v != 0 { // NaN − NaN and ∞ − ∞ are NaN
			return false
		}
	}
	return true
}

// ScaleMatrix writes src (n rows of cols values) with row r multiplied by
// rowW[r] and column c by colW[c] into dst and returns dst[:n*cols]; either
// weight slice may be nil (no scaling).
func ScaleMatrix(dst, src []float64, n, cols int, rowW, colW []float64) []float64 {
	dst = dst[:n*cols]
	for r := range n {
		s, d := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		w := 1.0
		if rowW != nil {
			w = rowW[r]
		}
		if colW == nil {
			for i, v := range s {
				d[i] = w * v
			}
			continue
		}
		for i, v := range s {
			d[i] = w * v * colW[i]
		}
	}
	return dst
}

// AddScaled adds src (n rows of cols values) with column c multiplied by
// w[c] into dst.
func AddScaled(dst, src []float64, n, cols int, w []float64) {
	for r := range n {
		s, d := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		for i, v := range s {
			d[i] += w[i] * v
		}
	}
}

// SoftThreshold is the proximal operator of t·|x| (t ≥ 0), soft thresholding:
//
//	S_t(z) = argmin_x ½·(x − z)² + t·|x| = sign(z)·max(|z| − t, 0).
func SoftThreshold(z, t float64) float64 {
	switch {
	case z > t:
		return z - t
	case z < -t:
		return z + t
	}
	return 0
}
