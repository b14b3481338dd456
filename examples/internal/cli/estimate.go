package cli

import "math"

// Estimate is a figure of metrics.json: a value with the method that
// produced it, its standard error where it has one, its ±3σ interval (null
// where the interval is unbounded, as AIS's often is below) and, for AIS,
// the effective sample size of its importance weights.
type Estimate struct {
	Value  float64  `json:"value"`
	StdErr *float64 `json:"stderr,omitempty"`
	Low    *float64 `json:"low"`
	High   *float64 `json:"high"`
	Method string   `json:"method"`
	ESS    *float64 `json:"ess,omitempty"`
}

// Interval returns the estimate value in [low, high] by method, with the
// bounds that are not finite left null.
func Interval(value, low, high float64, method string) Estimate {
	return Estimate{Value: value, Low: Finite(low), High: Finite(high), Method: method}
}

// Finite returns &v, or nil when v is NaN or infinite (null in JSON).
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// OrNaN is *v, or NaN for nil.
func OrNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Mean is the mean m of x with its standard error se = sd/√n over the
// entries and the interval m ± 3·se.
func Mean(x []float64, method string) Estimate {
	n := float64(len(x))
	m, s2 := 0.0, 0.0
	for _, v := range x {
		m += v / n
	}
	for _, v := range x {
		s2 += (v - m) * (v - m)
	}
	se := math.Sqrt(s2 / (n - 1) / n)
	return Estimate{Value: m, StdErr: Finite(se), Low: Finite(m - 3*se), High: Finite(m + 3*se), Method: method}
}

// Accuracy gives an accuracy a over n rows its binomial standard error
// √(a(1−a)/n) and the interval a ± 3σ clipped to [0, 1].
func Accuracy(acc float64, n int, method string) Estimate {
	se := math.Sqrt(acc * (1 - acc) / float64(n))
	lo, hi := math.Max(0, acc-3*se), math.Min(1, acc+3*se)
	return Estimate{Value: acc, StdErr: &se, Low: &lo, High: &hi, Method: method}
}
