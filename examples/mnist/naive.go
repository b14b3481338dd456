package main

import (
	"fmt"
	"math"
	"sync"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// An independent evaluation of the exactly evaluated rows, written from the
// formulas with plain loops and nothing of runtime's or the generated code's
// arithmetic, to check their exact log-likelihoods against.

// naiveParams returns the parameters W (784×K, row-major), b and c of the
// bilinear models E = −vᵀWh − bᵀv − cᵀh the table uses, by name.
func naiveParams(m runtime.Model) (w, b, c []float64, k int, err error) {
	for _, p := range m.Params() {
		switch p.Name {
		case "W":
			w, k = p.Data, p.Shape[1]
		case "b":
			b = p.Data
		case "c":
			c = p.Data
		}
	}
	if w == nil || b == nil || c == nil {
		return nil, nil, nil, 0, fmt.Errorf("%s has no parameters W, b and c", m.ModelName())
	}
	return w, b, c, k, nil
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func logSumExp(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// naiveRBM returns log Z and the average log p(v) of d for a binary RBM:
//
//	log Z = log Σ_h exp(cᵀh + Σ_i softplus(b_i + Σ_j W_ij h_j)),
//	log p(v) = bᵀv + Σ_j softplus(c_j + Σ_i v_i W_ij) − log Z,
//
// the sum over h in Gray-code order, one hidden unit flipped per step, in
// 2⁸ parts (each starting from fields computed afresh) on every core.
func naiveRBM(m runtime.Model, d *dataset.Dataset) (logZ, ll float64, err error) {
	w, b, c, nh, err := naiveParams(m)
	if err != nil {
		return 0, 0, err
	}
	nv := len(b)
	if nh > 24 {
		return 0, 0, fmt.Errorf("%d hidden units are too many to enumerate", nh)
	}
	top := min(8, nh) // the high bits fix a part; the low bits are Gray-coded
	low := nh - top
	parts := make([]float64, 1<<top)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := make([]float64, nv)
			h := make([]float64, nh)
			terms := make([]float64, 1<<low)
			for p := range next {
				clear(h)
				for j := 0; j < top; j++ {
					h[low+j] = float64(p >> j & 1)
				}
				for i := range a {
					a[i] = b[i]
					for j := range h {
						a[i] += w[i*nh+j] * h[j]
					}
				}
				for g := 0; g < 1<<low; g++ {
					if g > 0 { // flip the bit where g's Gray code changes
						j := 0
						for g>>j&1 == 0 {
							j++
						}
						sign := 1 - 2*h[j]
						h[j] = 1 - h[j]
						for i := range a {
							a[i] += sign * w[i*nh+j]
						}
					}
					t := 0.0
					for j := range h {
						t += c[j] * h[j]
					}
					for i := range a {
						t += softplus(a[i])
					}
					terms[g] = t
				}
				parts[p] = logSumExp(terms)
			}
		}()
	}
	for p := range parts {
		next <- p
	}
	close(next)
	wg.Wait()
	logZ = logSumExp(parts)
	sum := 0.0
	for r := 0; r < d.Rows; r++ {
		v := d.Row(r)
		t := 0.0
		for i := range v {
			t += b[i] * v[i]
		}
		for j := 0; j < nh; j++ {
			a := c[j]
			for i := range v {
				a += v[i] * w[i*nh+j]
			}
			t += softplus(a)
		}
		sum += t - logZ
	}
	return logZ, sum / float64(d.Rows), nil
}

// naiveMixture returns log Z and the average log p(v) of d for a mixture of
// Bernoullis E = −vᵀWh − bᵀv − cᵀh with h one-hot: with θ_ik = W_ik + b_i,
//
//	log Z = log Σ_k exp(c_k + Σ_i softplus(θ_ik)),
//	log p(v) = log Σ_k exp(c_k + Σ_i v_i θ_ik) − log Z.
func naiveMixture(m runtime.Model, d *dataset.Dataset) (logZ, ll float64, err error) {
	w, b, c, k, err := naiveParams(m)
	if err != nil {
		return 0, 0, err
	}
	nv := len(b)
	terms := make([]float64, k)
	for j := range terms {
		terms[j] = c[j]
		for i := 0; i < nv; i++ {
			terms[j] += softplus(w[i*k+j] + b[i])
		}
	}
	logZ = logSumExp(terms)
	sum := 0.0
	for r := 0; r < d.Rows; r++ {
		v := d.Row(r)
		for j := range terms {
			terms[j] = c[j]
			for i := range v {
				terms[j] += v[i] * (w[i*k+j] + b[i])
			}
		}
		sum += logSumExp(terms) - logZ
	}
	return logZ, sum / float64(d.Rows), nil
}
