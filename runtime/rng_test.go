package runtime

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime/internal/stats"
)

func TestRNGReferenceSequence(t *testing.T) {
	// xoshiro256** from the state {1, 2, 3, 4}, as produced by the
	// reference C implementation (Blackman & Vigna).
	var r RNG
	r.SetState([4]uint64{1, 2, 3, 4})
	want := []uint64{11520, 0, 1509978240, 1215971899390074240}
	for i, w := range want {
		if got := r.Uint64(); got != w {
			t.Fatalf("output %d = %d, want %d", i, got, w)
		}
	}
}

func TestRNGUniformMoments(t *testing.T) {
	const n = 1 << 20
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		r := NewRNG(seed, 7)
		var sum, sum2 float64
		for range n {
			u := r.Float64()
			if u < 0 || u >= 1 {
				t.Fatalf("seed %d: Float64() = %v outside [0,1)", seed, u)
			}
			sum += u
			sum2 += (u - 0.5) * (u - 0.5)
		}
		// U ~ U[0,1): mean 1/2 with σ² = 1/12; (U−½)² has mean 1/12 and
		// variance 1/80 − 1/144 = 1/180.
		mean, variance := sum/n, sum2/n
		if tol := 4 * math.Sqrt(1.0/12/n); math.Abs(mean-0.5) > tol {
			t.Errorf("seed %d: mean %.6f, want 0.5 ± %.6f", seed, mean, tol)
		}
		if tol := 4 * math.Sqrt(1.0/180/n); math.Abs(variance-1.0/12) > tol {
			t.Errorf("seed %d: variance %.6f, want 1/12 ± %.6f", seed, variance, tol)
		}
	}
}

func TestRNGUniformChiSquare(t *testing.T) {
	const n, bins = 1 << 20, 100
	r := NewRNG(3, 0)
	counts := make([]int, bins)
	expected := make([]float64, bins)
	for i := range expected {
		expected[i] = float64(n) / bins
	}
	for range n {
		counts[int(r.Float64()*bins)]++
	}
	if x2, crit := stats.ChiSquare(counts, expected), stats.ChiSquareCritical(bins-1); x2 > crit {
		t.Errorf("χ² = %.1f over %d bins exceeds critical value %.1f", x2, bins, crit)
	}
	// The low bits of Uint64 are uniform too (xoshiro256** has no weak
	// low bits, unlike xoshiro256+).
	low := make([]int, 16)
	lowExpected := make([]float64, 16)
	for i := range lowExpected {
		lowExpected[i] = float64(n) / 16
	}
	for range n {
		low[r.Uint64()&15]++
	}
	if x2, crit := stats.ChiSquare(low, lowExpected), stats.ChiSquareCritical(15); x2 > crit {
		t.Errorf("low 4 bits: χ² = %.1f exceeds %.1f", x2, crit)
	}
}

func TestRNGFillUniformMatchesFloat64(t *testing.T) {
	a, b := NewRNG(5, 5), NewRNG(5, 5)
	dst := make([]float64, 37)
	a.FillUniform(dst)
	for i, v := range dst {
		if w := b.Float64(); v != w {
			t.Fatalf("FillUniform[%d] = %v, Float64 gives %v", i, v, w)
		}
	}
}

// Bernoullis and Spins draw exactly what Bernoulli draws, value for value,
// and leave the generator where the same calls to Bernoulli would.
func TestRNGBernoullisMatchBernoulli(t *testing.T) {
	a, b := NewRNG(9, 3), NewRNG(9, 3)
	p := make([]float64, 101)
	for i := range p {
		p[i] = float64(i%11)/10 - 0.05 // below 0, inside, above 1
	}
	for _, spins := range []bool{false, true} {
		x := append([]float64(nil), p...)
		if spins {
			a.Spins(x)
		} else {
			a.Bernoullis(x)
		}
		for i, pi := range p {
			w := b.Bernoulli(pi)
			if spins {
				w = 2*w - 1
			}
			if x[i] != w {
				t.Fatalf("spins=%v: draw %d for p = %v is %v, Bernoulli gives %v", spins, i, pi, x[i], w)
			}
		}
		if a.State() != b.State() {
			t.Fatalf("spins=%v: states differ after the slice", spins)
		}
	}
}

func TestRNGBernoulli(t *testing.T) {
	const n = 200000
	for _, p := range []float64{0, 1e-3, 0.1, 0.5, 0.9, 1, -0.5, 1.5} {
		r := NewRNG(11, 0)
		var ones float64
		for range n {
			v := r.Bernoulli(p)
			if v != 0 && v != 1 {
				t.Fatalf("Bernoulli(%v) = %v", p, v)
			}
			ones += v
		}
		q := min(1, max(0, p))
		tol := 4 * math.Sqrt(q*(1-q)/n)
		if got := ones / n; math.Abs(got-q) > tol {
			t.Errorf("Bernoulli(%v): frequency %.5f, want %.5f ± %.5f", p, got, q, tol)
		}
	}
}

func TestRNGNormalMoments(t *testing.T) {
	const n = 1 << 21
	for _, seed := range []uint64{1, 2} {
		r := NewRNG(seed, 99)
		var m1, m2, m3, m4 float64
		for range n {
			x := r.Normal()
			x2 := x * x
			m1 += x
			m2 += x2
			m3 += x2 * x
			m4 += x2 * x2
		}
		m1, m2, m3, m4 = m1/n, m2/n, m3/n, m4/n
		// For Z ~ N(0,1): E Zᵏ = 0, 1, 0, 3 and Var Zᵏ = 1, 2, 15, 96.
		for _, c := range []struct {
			name      string
			got, want float64
			variance  float64
		}{
			{"mean", m1, 0, 1}, {"E[x²]", m2, 1, 2}, {"E[x³]", m3, 0, 15}, {"E[x⁴] (kurtosis)", m4, 3, 96},
		} {
			if tol := 4 * math.Sqrt(c.variance/n); math.Abs(c.got-c.want) > tol {
				t.Errorf("seed %d: %s = %.5f, want %v ± %.5f", seed, c.name, c.got, c.want, tol)
			}
		}
	}
}

func TestRNGNormalDistribution(t *testing.T) {
	// χ² of Normal() against Φ on bins that separate the ziggurat's
	// rectangles, wedges and tail (which starts at R ≈ 3.4426).
	edges := []float64{math.Inf(-1), -4.5, -4, -zigR, -3, -2.5}
	for x := -2.0; x < 2.01; x += 0.25 {
		edges = append(edges, x)
	}
	edges = append(edges, 2.5, 3, zigR, 4, 4.5, math.Inf(1))
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	const n = 1 << 22
	bins := len(edges) - 1
	expected := make([]float64, bins)
	for i := range expected {
		expected[i] = n * (phi(edges[i+1]) - phi(edges[i]))
	}
	counts := make([]int, bins)
	r := NewRNG(2024, 1)
	for range n {
		x := r.Normal()
		lo, hi := 0, bins // edges[lo] ≤ x < edges[hi]
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if x < edges[mid] {
				hi = mid
			} else {
				lo = mid
			}
		}
		counts[lo]++
	}
	if x2, crit := stats.ChiSquare(counts, expected), stats.ChiSquareCritical(bins-1); x2 > crit {
		t.Errorf("Normal: χ² = %.1f over %d bins exceeds critical value %.1f\ncounts %v", x2, bins, crit, counts)
	}
}

func TestRNGCategorical(t *testing.T) {
	const n = 400000
	for _, c := range []struct {
		name string
		p    []float64
	}{
		{"four", []float64{0.1, 0.2, 0.3, 0.4}},
		{"zeros inside", []float64{0, 0.5, 0, 0.25, 0.25, 0}},
		{"skewed", []float64{0.9, 0.05, 0.03, 0.02}},
	} {
		r := NewRNG(8, 8)
		counts := make([]int, len(c.p))
		for range n {
			counts[r.Categorical(c.p)]++
		}
		var obs []int
		var exp []float64
		for i, p := range c.p {
			if p == 0 {
				if counts[i] != 0 {
					t.Errorf("%s: index %d with p = 0 drawn %d times", c.name, i, counts[i])
				}
				continue
			}
			obs = append(obs, counts[i])
			exp = append(exp, n*p)
		}
		if x2, crit := stats.ChiSquare(obs, exp), stats.ChiSquareCritical(len(obs)-1); x2 > crit {
			t.Errorf("%s: χ² = %.2f exceeds critical value %.2f (counts %v)", c.name, x2, crit, counts)
		}
	}
}

func TestRNGCategoricalRounding(t *testing.T) {
	// p sums to 0.5: whenever U ≥ 0.5 the last positive index is returned,
	// never an index with p = 0.
	r := NewRNG(1, 2)
	p := []float64{0.3, 0.2, 0, 0}
	const n = 100000
	var ones int
	for range n {
		switch k := r.Categorical(p); k {
		case 0:
		case 1:
			ones++
		default:
			t.Fatalf("Categorical(%v) = %d", p, k)
		}
	}
	if got, tol := float64(ones)/n, 4*math.Sqrt(0.7*0.3/n); math.Abs(got-0.7) > tol {
		t.Errorf("frequency of index 1 = %.4f, want 0.7 ± %.4f", got, tol)
	}
	if k := r.Categorical([]float64{0, 0, 0}); k != 2 {
		t.Errorf("Categorical(all zero) = %d, want 2", k)
	}
}

func TestRNGIntn(t *testing.T) {
	const n, k = 700000, 7
	r := NewRNG(4, 4)
	counts := make([]int, k)
	expected := make([]float64, k)
	for i := range expected {
		expected[i] = float64(n) / k
	}
	for range n {
		counts[r.Intn(k)]++
	}
	if x2, crit := stats.ChiSquare(counts, expected), stats.ChiSquareCritical(k-1); x2 > crit {
		t.Errorf("Intn(%d): χ² = %.2f exceeds %.2f (counts %v)", k, x2, crit, counts)
	}
	// A bound near 2⁶³ where a biased modulo reduction would favour the
	// lower third: values below the bound/2 must be about half.
	big := 3 << 61
	var below int
	for range 100000 {
		v := r.Intn(big)
		if v < 0 || v >= big {
			t.Fatalf("Intn(%d) = %d out of range", big, v)
		}
		if v < big/2 {
			below++
		}
	}
	if f := float64(below) / 100000; math.Abs(f-0.5) > 4*math.Sqrt(0.25/100000) {
		t.Errorf("Intn(3·2⁶¹): fraction below half = %.4f, want 0.5", f)
	}
	if v := r.Intn(1); v != 0 {
		t.Errorf("Intn(1) = %d", v)
	}
	defer func() {
		if recover() == nil {
			t.Error("Intn(0) did not panic")
		}
	}()
	r.Intn(0)
}

func TestRNGStreams(t *testing.T) {
	// Distinct (seed, stream) pairs give distinct first outputs.
	seen := make(map[uint64][2]uint64)
	for seed := range uint64(40) {
		for stream := range uint64(40) {
			r := NewRNG(seed, stream)
			v := r.Uint64()
			if prev, ok := seen[v]; ok {
				t.Fatalf("NewRNG(%d,%d) and NewRNG(%d,%d) start with the same output", seed, stream, prev[0], prev[1])
			}
			seen[v] = [2]uint64{seed, stream}
		}
	}
	// Adjacent streams are uncorrelated: the sample correlation of paired
	// uniforms is within 4/√n of 0.
	const n = 1 << 18
	a, b := NewRNG(1, 0), NewRNG(1, 1)
	var sab float64
	for range n {
		sab += (a.Float64() - 0.5) * (b.Float64() - 0.5)
	}
	if corr := sab / n * 12; math.Abs(corr) > 4/math.Sqrt(n) {
		t.Errorf("correlation between streams 0 and 1 = %.5f", corr)
	}
	// Same arguments give the same sequence.
	c, d := NewRNG(9, 3), NewRNG(9, 3)
	for range 10 {
		if c.Uint64() != d.Uint64() {
			t.Fatal("NewRNG is not deterministic")
		}
	}
}

func TestRNGStateRoundTrip(t *testing.T) {
	r := NewRNG(77, 1)
	for range 13 {
		r.Normal()
	}
	s := r.State()
	want := make([]float64, 50)
	for i := range want {
		want[i] = r.Normal() + r.Float64()
	}
	var q RNG
	q.SetState(s)
	enc := make([]float64, 4)
	q.EncodeState(enc)
	var e RNG
	e.DecodeState(enc)
	for i, w := range want {
		if got := q.Normal() + q.Float64(); got != w {
			t.Fatalf("SetState: value %d = %v, want %v", i, got, w)
		}
		if got := e.Normal() + e.Float64(); got != w {
			t.Fatalf("DecodeState: value %d = %v, want %v", i, got, w)
		}
	}
	// A copy forks the sequence.
	f := r
	if f.Uint64() != r.Uint64() {
		t.Error("copied RNG diverges from the original")
	}
	var z RNG
	z.SetState([4]uint64{})
	if want := NewRNG(0, 0); z.State() != want.State() {
		t.Error("SetState(zero) did not substitute a valid state")
	}
}

func TestRNGNoAllocs(t *testing.T) {
	r := NewRNG(1, 1)
	p := []float64{0.2, 0.3, 0.5}
	dst := make([]float64, 16)
	var sink float64
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Float64", func() { sink += r.Float64() }},
		{"Bernoulli", func() { sink += r.Bernoulli(0.3) }},
		{"Normal", func() { sink += r.Normal() }},
		{"Categorical", func() { sink += float64(r.Categorical(p)) }},
		{"Intn", func() { sink += float64(r.Intn(10)) }},
		{"FillUniform", func() { r.FillUniform(dst) }},
		{"Bernoullis", func() { r.Bernoullis(dst) }},
	} {
		if a := testing.AllocsPerRun(1000, c.f); a != 0 {
			t.Errorf("%s allocates %v times per call", c.name, a)
		}
	}
	_ = sink
}

func BenchmarkRNGUint64(b *testing.B) {
	r := NewRNG(1, 0)
	var s uint64
	for b.Loop() {
		s += r.Uint64()
	}
	_ = s
}

func BenchmarkRNGFloat64(b *testing.B) {
	r := NewRNG(1, 0)
	var s float64
	for b.Loop() {
		s += r.Float64()
	}
	_ = s
}

func BenchmarkRNGNormal(b *testing.B) {
	r := NewRNG(1, 0)
	var s float64
	for b.Loop() {
		s += r.Normal()
	}
	_ = s
}

func BenchmarkRNGBernoulli(b *testing.B) {
	r := NewRNG(1, 0)
	var s float64
	for b.Loop() {
		s += r.Bernoulli(0.3)
	}
	_ = s
}

// BernoulliRows gives every row the draws, and leaves every generator in
// the state, of Bernoullis on that row, on every kernel level and for row
// counts around the vector width, probabilities including 0, 1 and values
// outside [0, 1].
func TestBernoulliRows(t *testing.T) {
	for _, l := range levels() {
		withLevel(l, func() {
			for _, rows := range []int{1, 7, 8, 9, 17, 24} {
				for _, n := range []int{1, 5, 784} {
					src := NewRNG(uint64(rows), uint64(n))
					x := make([]float64, rows*n)
					for i := range x {
						x[i] = []float64{0, 1, -0.5, 2, src.Float64(), src.Float64()}[i%6]
					}
					want := append([]float64(nil), x...)
					rngs, ref := make([]RNG, rows), make([]RNG, rows)
					for c := range rngs {
						rngs[c] = NewRNG(9, uint64(c))
						ref[c] = rngs[c]
						ref[c].Bernoullis(want[c*n : c*n+n])
					}
					BernoulliRows(rngs, x, n)
					for i := range x {
						if x[i] != want[i] {
							t.Fatalf("%s, %d rows of %d: element %d = %v, want %v", levelNames[l], rows, n, i, x[i], want[i])
						}
					}
					for c := range rngs {
						if rngs[c] != ref[c] {
							t.Fatalf("%s, %d rows of %d: generator %d left in another state", levelNames[l], rows, n, c)
						}
					}
				}
			}
		})
	}
}

func BenchmarkBernoulliRows(b *testing.B) {
	const rows, n = 48, 784
	rngs := make([]RNG, rows)
	for c := range rngs {
		rngs[c] = NewRNG(1, uint64(c))
	}
	x := make([]float64, rows*n)
	for _, name := range []string{"rows", "each"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for i := range x {
					x[i] = 0.5
				}
				if name == "rows" {
					BernoulliRows(rngs, x, n)
					continue
				}
				for c := range rngs {
					rngs[c].Bernoullis(x[c*n : c*n+n])
				}
			}
		})
	}
}
