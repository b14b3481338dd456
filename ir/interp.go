package ir

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// The reference interpreter. It evaluates the derived quantities directly
// from the IR by looping over every index assignment: slow, simple and the
// semantics that generated code is tested against. Functions named Brute*
// compute the same quantities from the energy alone, by enumeration.

// Params holds every parameter's values, by Param.Index, row-major.
type Params [][]float64

// State holds every unit's value, by Layer.Index, row-major. Bernoulli and
// softmax units are 0 or 1, spins ±1.
type State [][]float64

// NewParams returns zeroed storage for m's parameters.
func (m *Model) NewParams() Params {
	p := make(Params, len(m.Params))
	for i, q := range m.Params {
		p[i] = make([]float64, q.Size)
	}
	return p
}

// NewState returns storage for a state of m with every unit at its lowest value.
func (m *Model) NewState() State {
	x := make(State, len(m.Layers))
	for i, ly := range m.Layers {
		x[i] = make([]float64, ly.Size)
		if low := ly.Kind.Info().Lowest; low != 0 {
			for k := range x[i] {
				x[i][k] = low
			}
		}
		if ly.Kind == Softmax {
			for g := 0; g < ly.Groups(); g++ {
				x[i][g*ly.Categories()] = 1
			}
		}
	}
	return x
}

// InitParams fills p from the declared initializers with a seeded generator.
func (m *Model) InitParams(p Params, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for i, q := range m.Params {
		for k := range p[i] {
			switch q.Init.Kind {
			case InitZeros:
				p[i][k] = 0
			case InitConstant:
				p[i][k] = q.Init.A
			case InitNormal:
				p[i][k] = q.Init.A + q.Init.B*r.NormFloat64()
			case InitUniform:
				p[i][k] = q.Init.A + (q.Init.B-q.Init.A)*r.Float64()
			}
		}
	}
}

// RandomState draws every unit uniformly (gaussian units from N(0, 1)).
func (m *Model) RandomState(x State, r *rand.Rand) {
	for i, ly := range m.Layers {
		if ly.Kind == Softmax {
			clear(x[i])
			K := ly.Categories()
			for g := 0; g < ly.Groups(); g++ {
				x[i][g*K+r.IntN(K)] = 1
			}
			continue
		}
		random := ly.Kind.Info().Random
		for k := range x[i] {
			x[i][k] = random(r)
		}
	}
}

// forEach calls f for every assignment of idx written into at, skipping
// those that violate a distinct constraint.
func forEach(idx []*Index, distinct []Distinct, at []int, f func()) {
	if len(idx) == 0 {
		for _, d := range distinct {
			if tupleEqual(d.A, d.B, at) {
				return
			}
		}
		f()
		return
	}
	ix := idx[0]
	for v := 0; v < ix.Size; v++ {
		at[ix.ID] = v
		forEach(idx[1:], distinct, at, f)
	}
}

func tupleEqual(a, b []*Index, at []int) bool {
	for k := range a {
		if at[a[k].ID] != at[b[k].ID] {
			return false
		}
	}
	return true
}

// unitValue gives the value of a unit reference (raised to its power) at an assignment.
type unitValue func(u UnitRef, at []int) float64

func stateValue(x State) unitValue {
	return func(u UnitRef, at []int) float64 {
		v := x[u.Layer.Index][offset(u.Layer.Shape, u.Index, at)]
		if u.Power == 2 {
			return v * v
		}
		return v
	}
}

// sumProduct evaluates Σ_{sum, distinct} coef · Π units.
func sumProduct(coef *Expr, units []UnitRef, sum []*Index, distinct []Distinct, p Params, val unitValue, at []int) float64 {
	s := 0.0
	forEach(sum, distinct, at, func() {
		v := coef.Eval(p, at)
		for _, u := range units {
			v *= val(u, at)
		}
		s += v
	})
	return s
}

func (m *Model) at() []int { return make([]int, len(m.Indices)) }

// Energy is E(x) with parameters p.
func (m *Model) Energy(p Params, x State) float64 {
	at := m.at()
	e := 0.0
	for _, t := range m.Terms {
		e += sumProduct(t.Coef, t.Units, t.Sum, t.Distinct, p, stateValue(x), at)
	}
	if len(m.Penalties) > 0 {
		e += m.Penalty(p, x)
	}
	return e
}

// setUnit writes the multi-index of the flat unit k of ly into at.
func setUnit(unit []*Index, shape []int, k int, at []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		at[unit[d].ID] = k % shape[d]
		k /= shape[d]
	}
}

// Field returns the derived field a_u and precision P_u of unit k of layer ly.
func (m *Model) Field(ly *Layer, p Params, x State, k int) (a, prec float64) {
	return m.field(m.Conditionals[ly.Index], p, stateValue(x), k)
}

func (m *Model) field(c *Conditional, p Params, val unitValue, k int) (a, prec float64) {
	at := m.at()
	setUnit(c.Unit, c.Layer.Shape, k, at)
	for _, ct := range c.Field {
		a += sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, val, at)
	}
	for _, ct := range c.Precision {
		prec += sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, val, at)
	}
	return a, prec
}

// UnitProbs returns the derived conditional distribution of a discrete unit
// at inverse temperature beta: [p(0), p(1)] for bernoulli, [p(−1), p(+1)] for
// spin, and for softmax the probabilities of the categories of unit k's group.
func (m *Model) UnitProbs(ly *Layer, p Params, x State, k int, beta float64) []float64 {
	if two := ly.Kind.Info().Two; two != nil {
		// p(high) = σ(β·a·(high − low))
		a, _ := m.Field(ly, p, x, k)
		q := apply(OpSigmoid, (two[1]-two[0])*beta*a)
		return []float64{1 - q, q}
	}
	switch ly.Kind {
	case Softmax:
		K := ly.Categories()
		g := k / K
		logits := make([]float64, K)
		for c := range logits {
			a, _ := m.Field(ly, p, x, g*K+c)
			logits[c] = beta * a
		}
		return softmax(logits)
	}
	panic("ir: UnitProbs of a gaussian layer; use NormalParams")
}

func softmax(l []float64) []float64 {
	mx := slices.Max(l)
	s := 0.0
	out := make([]float64, len(l))
	for i, v := range l {
		out[i] = math.Exp(v - mx)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// NormalParams returns the mean a/P and variance 1/(βP) of gaussian unit k.
func (m *Model) NormalParams(ly *Layer, p Params, x State, k int, beta float64) (mean, variance float64) {
	a, prec := m.Field(ly, p, x, k)
	return a / prec, 1 / (beta * prec)
}

// values lists the values a discrete unit can take, in UnitProbs order.
func values(ly *Layer) []float64 { return ly.Kind.Info().Two }

// BruteUnitProbs computes UnitProbs from energy differences alone.
func (m *Model) BruteUnitProbs(ly *Layer, p Params, x State, k int, beta float64) []float64 {
	y := x.Clone()
	row := y[ly.Index]
	var logits []float64
	if ly.Kind == Softmax {
		K := ly.Categories()
		g := k / K
		for c := 0; c < K; c++ {
			clear(row[g*K : g*K+K])
			row[g*K+c] = 1
			logits = append(logits, -beta*m.Energy(p, y))
		}
	} else {
		for _, v := range values(ly) {
			row[k] = v
			logits = append(logits, -beta*m.Energy(p, y))
		}
	}
	return softmax(logits)
}

// Clone returns a deep copy of x.
func (x State) Clone() State {
	y := make(State, len(x))
	for i := range x {
		y[i] = slices.Clone(x[i])
	}
	return y
}

// Clone returns a deep copy of p.
func (p Params) Clone() Params { return Params(State(p).Clone()) }

// logPartition is log Σ_x exp(βa·x − ½βP·x²) for one unit of a layer.
func logPartition(ly *Layer, a, prec, beta float64) float64 {
	lp := ly.Kind.Info().LogPartition
	if lp == nil {
		panic("ir: logPartition of softmax is per group")
	}
	return lp(a, prec, beta)
}

// FreeEnergy returns the derived F_β(x) = −log Σ_{SumOut} exp(−βE(x)) at the
// kept layers' values in x (the summed-out layers' values are ignored).
func (m *Model) FreeEnergy(fe *FreeEnergy, p Params, x State, beta float64) float64 {
	at := m.at()
	f := 0.0
	for _, t := range fe.Rest {
		f += beta * sumProduct(t.Coef, t.Units, t.Sum, t.Distinct, p, stateValue(x), at)
	}
	for _, ly := range fe.SumOut {
		if ly.Kind == Softmax {
			K := ly.Categories()
			logits := make([]float64, K)
			for g := 0; g < ly.Groups(); g++ {
				for c := range logits {
					a, _ := m.Field(ly, p, x, g*K+c)
					logits[c] = beta * a
				}
				f -= logSumExp(logits)
			}
			continue
		}
		for k := 0; k < ly.Size; k++ {
			a, prec := m.Field(ly, p, x, k)
			f -= logPartition(ly, a, prec, beta)
		}
	}
	return f
}

func logSumExp(x []float64) float64 {
	mx := slices.Max(x)
	if math.IsInf(mx, -1) {
		return mx
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// Configs returns how many joint configurations the discrete layers have, or
// an error naming a continuous layer or a count above limit.
func Configs(layers []*Layer, limit float64) (int, error) {
	lg, err := Log2Configs(layers)
	if err != nil {
		return 0, err
	}
	if lg > math.Log2(limit) || lg > 62 {
		return 0, fmt.Errorf("enumerating %s takes %s configurations; the limit is %.3g", layerNames(layers), ConfigCount(lg), limit)
	}
	n := 1
	for _, ly := range layers {
		k := 2
		if ly.Kind == Softmax {
			k = ly.Categories()
		}
		for range ly.Groups() {
			n *= k
		}
	}
	return n, nil
}

// Log2Configs returns log₂ of how many joint configurations the discrete
// layers have (finite however large the count), or an error naming a
// continuous layer.
func Log2Configs(layers []*Layer) (float64, error) {
	lg := 0.0
	for _, ly := range layers {
		if !ly.Kind.Discrete() {
			return 0, fmt.Errorf("layer %s is gaussian and cannot be enumerated", ly.Name)
		}
		k := 2.0
		if ly.Kind == Softmax {
			k = float64(ly.Categories())
		}
		lg += float64(ly.Groups()) * math.Log2(k)
	}
	return lg, nil
}

// ConfigCount writes a count of configurations given by its log₂: the
// number itself up to 2⁶², else as a power of two ("2^784").
func ConfigCount(log2 float64) string {
	if log2 <= 62 {
		return fmt.Sprintf("%.0f", math.Exp2(log2))
	}
	return fmt.Sprintf("2^%.4g", log2)
}

func layerNames(layers []*Layer) string {
	s := ""
	for i, ly := range layers {
		if i > 0 {
			s += ", "
		}
		s += ly.Name
	}
	return s
}

// SetConfig writes configuration number k (mixed radix over the units of
// layers, first unit most significant) into x.
func SetConfig(layers []*Layer, k int, x State) {
	for li := len(layers) - 1; li >= 0; li-- {
		ly := layers[li]
		row := x[ly.Index]
		if ly.Kind == Softmax {
			K := ly.Categories()
			for g := ly.Groups() - 1; g >= 0; g-- {
				clear(row[g*K : g*K+K])
				row[g*K+k%K] = 1
				k /= K
			}
			continue
		}
		vals := values(ly)
		for u := ly.Size - 1; u >= 0; u-- {
			row[u] = vals[k%2]
			k /= 2
		}
	}
}

// ConfigOf is the inverse of SetConfig.
func ConfigOf(layers []*Layer, x State) int {
	k := 0
	for _, ly := range layers {
		row := x[ly.Index]
		if ly.Kind == Softmax {
			K := ly.Categories()
			for g := 0; g < ly.Groups(); g++ {
				c := 0
				for j := 0; j < K; j++ {
					if row[g*K+j] != 0 {
						c = j
					}
				}
				k = k*K + c
			}
			continue
		}
		for _, v := range row {
			b := 0
			if v > 0 {
				b = 1
			}
			k = k*2 + b
		}
	}
	return k
}

// DefaultEnumerationLimit bounds brute-force enumeration.
const DefaultEnumerationLimit = 1 << 24

// BruteFreeEnergy computes F(x) by enumerating the summed-out layers.
func (m *Model) BruteFreeEnergy(fe *FreeEnergy, p Params, x State, beta float64) (float64, error) {
	n, err := Configs(fe.SumOut, DefaultEnumerationLimit)
	if err != nil {
		return 0, fmt.Errorf("brute-force free energy: %w", err)
	}
	y := x.Clone()
	terms := make([]float64, n)
	for k := range terms {
		SetConfig(fe.SumOut, k, y)
		terms[k] = -beta * m.Energy(p, y)
	}
	return -logSumExp(terms), nil
}

// LogZ computes log Z_β = log Σ_x exp(−βE(x)) exactly: it enumerates the
// kept layers of the cheapest free energy (all layers if none applies).
func (m *Model) LogZ(p Params, beta float64, limit float64) (float64, error) {
	var best *FreeEnergy
	bestN := math.Inf(1)
	for _, fe := range m.FreeEnergies {
		if n, err := Configs(fe.Keep, limit); err == nil && float64(n) < bestN {
			best, bestN = fe, float64(n)
		}
	}
	x := m.NewState()
	if best == nil {
		n, err := Configs(m.Layers, limit)
		if err != nil {
			return 0, fmt.Errorf("log Z of %s: %w", m.Name, err)
		}
		terms := make([]float64, n)
		for k := range terms {
			SetConfig(m.Layers, k, x)
			terms[k] = -beta * m.Energy(p, x)
		}
		return logSumExp(terms), nil
	}
	terms := make([]float64, int(bestN))
	for k := range terms {
		SetConfig(best.Keep, k, x)
		terms[k] = -m.FreeEnergy(best, p, x, beta)
	}
	return logSumExp(terms), nil
}

// Distribution returns p(x) for every configuration of a fully discrete
// model, indexed as SetConfig over m.Layers.
func (m *Model) Distribution(p Params, limit float64) ([]float64, error) {
	n, err := Configs(m.Layers, limit)
	if err != nil {
		return nil, fmt.Errorf("distribution of %s: %w", m.Name, err)
	}
	x := m.NewState()
	logp := make([]float64, n)
	for k := range logp {
		SetConfig(m.Layers, k, x)
		logp[k] = -m.Energy(p, x)
	}
	z := logSumExp(logp)
	for k := range logp {
		logp[k] = math.Exp(logp[k] - z)
	}
	return logp, nil
}
