package runtime

import (
	"math"
	"math/bits"

	"github.com/ebmc/ebmc/runtime/internal/kernels"
)

// RNG is a xoshiro256** pseudo-random generator (Blackman & Vigna, 2018)
// with a 256-bit state and period 2²⁵⁶ − 1.
//
// RNG is a plain value: copying it forks the sequence, and the zero value is
// not usable (construct it with NewRNG or SetState). Methods take a pointer
// and do not allocate. An RNG must not be used from several goroutines at
// once; give each chain or worker its own stream.
type RNG struct {
	s [4]uint64
}

// mix64 is the splitmix64 finaliser, a bijection on uint64 with good
// avalanche behaviour.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewRNG returns a generator for the given seed and stream. The pair is
// hashed with splitmix64 through a bijective Feistel mixing, so distinct
// (seed, stream) pairs give distinct, statistically independent-looking
// states: use one seed per run and stream = chain or worker index.
func NewRNG(seed, stream uint64) RNG {
	const golden = 0x9e3779b97f4a7c15
	a := mix64(seed + golden)
	b := mix64(stream ^ 0x6a09e667f3bcc909)
	// Three Feistel rounds: each is a bijection of (a, b).
	a ^= mix64(b + 0xa54ff53a5f1d36f1)
	b ^= mix64(a + 0x510e527fade682d1)
	a ^= mix64(b + 0x9b05688c2b3e6c1f)
	var r RNG
	r.s = [4]uint64{a, b, mix64(a ^ 0xbb67ae8584caa73b), mix64(b ^ 0x3c6ef372fe94f82b)}
	if r.s == [4]uint64{} {
		r.s[0] = golden
	}
	return r
}

// Uint64 returns 64 uniformly distributed random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	x := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return x
}

// Float64 returns a uniform number in [0, 1) with 53 random bits:
// U = ⌊b / 2¹¹⌋ · 2⁻⁵³ for 64 random bits b.
func (r *RNG) Float64() float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// FillUniform fills dst with independent uniform numbers in [0, 1), the
// same values successive calls to Float64 would return.
func (r *RNG) FillUniform(dst []float64) {
	for i := range dst {
		dst[i] = float64(r.Uint64()>>11) * 0x1p-53
	}
}

// Bernoulli returns 1 with probability p and 0 otherwise, by drawing one
// uniform U and returning 1 if U < p. Hence p ≤ 0 always gives 0 and p ≥ 1
// always gives 1 (the result for a NaN p is unspecified). It consumes
// exactly one Uint64 and has no data-dependent branch.
func (r *RNG) Bernoulli(p float64) float64 {
	// U − p is negative exactly when U < p; its sign bit is the result.
	return float64(math.Float64bits(r.Float64()-p) >> 63)
}

// Bernoullis replaces every probability x[k] by a draw, 1 with probability
// x[k] and 0 otherwise: the values, and the state left behind, of
// x[k] = r.Bernoulli(x[k]) in order, with the generator's state held in
// registers for the whole slice.
func (r *RNG) Bernoullis(x []float64) {
	s0, s1, s2, s3 := r.s[0], r.s[1], r.s[2], r.s[3]
	for k, p := range x {
		b := bits.RotateLeft64(s1*5, 7) * 9
		t := s1 << 17
		s2 ^= s0
		s3 ^= s1
		s1 ^= s2
		s0 ^= s3
		s2 ^= t
		s3 = bits.RotateLeft64(s3, 45)
		x[k] = float64(math.Float64bits(float64(b>>11)*0x1p-53-p) >> 63)
	}
	r.s = [4]uint64{s0, s1, s2, s3}
}

// BernoulliRows replaces every probability x[c·n + k] (k < n) of the rows
// c < len(rngs) by a draw from its row's generator rngs[c]: the values, and
// the states left behind, of rngs[c].Bernoullis(x[c·n : c·n+n]) for each
// row. With AVX-512 eight rows are drawn at once, one per vector lane.
func BernoulliRows(rngs []RNG, x []float64, n int) {
	if len(rngs) == 0 || n <= 0 {
		return
	}
	_ = x[len(rngs)*n-1]
	c := 0
	if kernels.Level == kernels.LevelAVX512 {
		for ; c+8 <= len(rngs); c += 8 {
			kernels.BernoulliRows8(n, &rngs[c].s, &x[c*n], n)
		}
	}
	for ; c < len(rngs); c++ {
		rngs[c].Bernoullis(x[c*n : c*n+n])
	}
}

// SpinRows is BernoulliRows for spins: every probability of +1 becomes a
// draw ±1, the values of rngs[c].Spins on each row.
func SpinRows(rngs []RNG, x []float64, n int) {
	BernoulliRows(rngs, x, n)
	x = x[:len(rngs)*n]
	for k, b := range x {
		x[k] = 2*b - 1
	}
}

// Spins replaces every probability x[k] of +1 by a draw ±1: the values of
// x[k] = 2·r.Bernoulli(x[k]) − 1 in order, as Bernoullis.
func (r *RNG) Spins(x []float64) {
	r.Bernoullis(x)
	for k, b := range x {
		x[k] = 2*b - 1
	}
}

// Intn returns a uniform integer in [0, n) using Lemire's unbiased
// multiply-and-reject method. It panics if n ≤ 0.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic("runtime: RNG.Intn: n must be positive")
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), bound)
		}
	}
	return int(hi)
}

// Categorical returns index i with probability p[i]. It draws one uniform U
// and returns the first i with U < p[0] + … + p[i]. The probabilities should
// sum to 1; if rounding makes the cumulative sum fall short of U, the last
// index with p[i] > 0 is returned (len(p)−1 if there is none). It panics if
// p is empty.
func (r *RNG) Categorical(p []float64) int {
	if len(p) == 0 {
		panic("runtime: RNG.Categorical: empty probability vector")
	}
	u := r.Float64()
	var c float64
	last := len(p) - 1
	for i, pi := range p {
		if pi > 0 {
			c += pi
			if u < c {
				return i
			}
			last = i
		}
	}
	return last
}

// Normal returns a standard normal deviate, N(0, 1), with density
// φ(x) = e^{−x²/2}/√(2π). It uses Marsaglia and Tsang's ziggurat with 128
// layers in Doornik's formulation (one Uint64 per draw about 98.8% of the
// time), so the generator keeps no cached spare and State captures
// everything.
func (r *RNG) Normal() float64 {
	for {
		b := r.Uint64()
		i := b & 0x7f
		// Top 53 bits as a signed number: u uniform in [−1, 1).
		u := float64(int64(b)>>11) * 0x1p-52
		if math.Abs(u) < zigRatio[i] {
			return u * zigX[i]
		}
		if i == 0 {
			return r.normalTail(u < 0)
		}
		x := u * zigX[i]
		f0 := math.Exp(-0.5 * (zigX[i]*zigX[i] - x*x))
		f1 := math.Exp(-0.5 * (zigX[i+1]*zigX[i+1] - x*x))
		if f1+r.Float64()*(f0-f1) < 1 {
			return x
		}
	}
}

// normalTail samples the normal tail |x| > zigR (Marsaglia, 1964).
func (r *RNG) normalTail(negative bool) float64 {
	for {
		x := math.Log(1-r.Float64()) / zigR // 1−U ∈ (0, 1]
		y := math.Log(1 - r.Float64())
		if -2*y >= x*x {
			if negative {
				return x - zigR
			}
			return zigR - x
		}
	}
}

// State returns the generator's complete state. Passing it to SetState
// reproduces the sequence exactly.
func (r *RNG) State() [4]uint64 { return r.s }

// SetState restores a state returned by State. The all-zero state, which
// xoshiro cannot leave, is replaced by the state of NewRNG(0, 0).
func (r *RNG) SetState(s [4]uint64) {
	if s == [4]uint64{} {
		*r = NewRNG(0, 0)
		return
	}
	r.s = s
}

// EncodeState stores the state in dst[0:4] as float64 bit patterns
// (math.Float64frombits), so an RNG can live in a float64 Tensor (shape [4])
// that round-trips exactly through an F64 checkpoint. The values are not
// meaningful as numbers. It panics if len(dst) < 4.
func (r *RNG) EncodeState(dst []float64) {
	_ = dst[3]
	for i, w := range r.s {
		dst[i] = math.Float64frombits(w)
	}
}

// DecodeState is the inverse of EncodeState: it sets the state from the
// bit patterns in src[0:4]. It panics if len(src) < 4.
func (r *RNG) DecodeState(src []float64) {
	_ = src[3]
	var s [4]uint64
	for i := range s {
		s[i] = math.Float64bits(src[i])
	}
	r.SetState(s)
}

// Ziggurat tables for Normal (Doornik, 2005: "An Improved Ziggurat Method
// to Generate Normal Random Samples"). zigX[i] is the right edge of layer i
// (zigX[0] = V/φ(R) is the virtual width of the base layer including its
// tail, zigX[1] = R, zigX[128] = 0) and zigRatio[i] = zigX[i+1]/zigX[i].
// They are computed once at initialisation and never written again.
const (
	zigLayers = 128
	zigR      = 3.442619855899
	zigV      = 9.91256303526217e-3
)

var zigX, zigRatio = zigTables()

func zigTables() (x [zigLayers + 1]float64, ratio [zigLayers]float64) {
	f := math.Exp(-0.5 * zigR * zigR)
	x[0] = zigV / f
	x[1] = zigR
	x[zigLayers] = 0
	for i := 2; i < zigLayers; i++ {
		x[i] = math.Sqrt(-2 * math.Log(zigV/x[i-1]+f))
		f = math.Exp(-0.5 * x[i] * x[i])
	}
	for i := range ratio {
		ratio[i] = x[i+1] / x[i]
	}
	return x, ratio
}
