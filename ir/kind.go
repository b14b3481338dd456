package ir

import (
	"math"
	"math/rand/v2"
)

// KindInfo describes one unit kind, once: its values, how explanations and
// generated code name them, and the per-unit maths of its conditional
// p(x | a, P) ∝ exp(β·(a·x − ½·P·x²)) that the interpreter evaluates.
// Adding a unit kind means adding an entry to the table kinds (and the
// emitters' code for its sampler).
type KindInfo struct {
	Name   string // as declared in .ebm files and in runtime.UnitKind
	Values string // the value set, as explain writes it: "{0, 1}"
	Doc    string // the value set, as generated doc comments write it: "0 or 1"
	Symbol string // a generic unit in formulas: "x", or "s" for a spin
	Family Family // the family of the conditional

	// Two holds the values of a binary kind, low then high (nil for the
	// others): the order of UnitProbs and of enumeration.
	Two []float64

	// FlipDelta is E(x flipped) − E for a binary kind as explain writes it,
	// a format of the unit (argument 1) and its field (argument 2); FlipGo
	// the same delta in Go with the unit at row[u] and the field in a, and
	// FlipGoValue the flipped value.
	FlipDelta, FlipGo, FlipGoValue string

	// LogPartitionText is log Σ_x exp(a·x − ½·P·x²) as explain writes it,
	// a format of the field a (argument 1) and the precision P (argument 2);
	// empty for softmax, whose sum runs over a group.
	LogPartitionText string

	// Mean is E[x] at inverse temperature β, Second E[x²], and
	// LogPartition log Σ_x exp(β·(a·x − ½·P·x²)) (an integral for
	// gaussian units): nil for softmax, whose units are not independent.
	Mean, Second, LogPartition func(a, prec, beta float64) float64

	// The Go that generated code uses for one unit, as formats: GoMean its
	// conditional mean at inverse temperature beta from the field
	// (argument 1) and precision (argument 2); GoDraw a sample from the
	// tempered field (argument 1) and precision (argument 2), with rng the
	// chain's *runtime.RNG; GoRandom a uniformly random value. Empty for
	// softmax, which the emitters treat per group.
	GoMean, GoDraw, GoRandom string
	// GoMeans, where not empty, is the Go function, of the signature
	// func(dst, src []float64, beta float64), that writes the conditional
	// means at inverse temperature beta of a whole layer's fields: a vector
	// form of GoMean for kinds whose mean depends on the field alone.
	GoMeans string

	// Lowest is the value a new state starts at (softmax: category 0 of
	// each group), and Random draws a unit uniformly (gaussian: N(0, 1)).
	Lowest float64
	Random func(r *rand.Rand) float64

	// Prox is the proximal operator of the kind's non-smooth energy term
	// t·|x| (nil for kinds without one): prox(z) = argmin_x ½(x − z)² + t·|x|,
	// soft thresholding sign(z)·max(|z| − t, 0); ProxText writes it for
	// explain (arguments z and t) and GoProx in Go (z at argument 1, t at 2).
	Prox             func(z, t float64) float64
	ProxText, GoProx string
}

// kinds is the table of unit kinds, indexed by Kind.
var kinds = [...]KindInfo{
	Bernoulli: {
		Name: "bernoulli", Symbol: "x", Values: "{0, 1}", Doc: "0 or 1", Family: Logistic,
		Two:       []float64{0, 1},
		FlipDelta: "(2%[1]s − 1)·%[2]s", FlipGo: "(2*row[u] - 1) * a", FlipGoValue: "1 - row[u]",
		LogPartitionText: "softplus(%[1]s)",
		Mean:             func(a, _, beta float64) float64 { return apply(OpSigmoid, beta*a) },
		Second:           func(a, _, beta float64) float64 { return apply(OpSigmoid, beta*a) },
		LogPartition:     func(a, _, beta float64) float64 { return apply(OpSoftplus, beta*a) },
		GoMean:           "runtime.Sigmoid(beta * %[1]s)",
		GoMeans:          "runtime.Sigmoids",
		GoDraw:           "rng.Bernoulli(runtime.Sigmoid(%[1]s))",
		GoRandom:         "rng.Bernoulli(0.5)",
		Lowest:           0,
		Random:           func(r *rand.Rand) float64 { return float64(r.IntN(2)) },
	},
	Spin: {
		Name: "spin", Symbol: "s", Values: "{−1, +1}", Doc: "−1 or +1", Family: Tanh,
		Two:       []float64{-1, 1},
		FlipDelta: "2%[1]s·%[2]s", FlipGo: "2 * row[u] * a", FlipGoValue: "-row[u]",
		LogPartitionText: "log 2cosh(%[1]s)",
		Mean:             func(a, _, beta float64) float64 { return math.Tanh(beta * a) },
		Second:           func(float64, float64, float64) float64 { return 1 },
		LogPartition: func(a, _, beta float64) float64 {
			z := math.Abs(beta * a)
			return z + math.Log1p(math.Exp(-2*z))
		},
		GoMean:   "math.Tanh(beta * %[1]s)",
		GoMeans:  "runtime.Tanhs",
		GoDraw:   "2*rng.Bernoulli(runtime.Sigmoid(2*%[1]s)) - 1",
		GoRandom: "2*rng.Bernoulli(0.5) - 1",
		Lowest:   -1,
		Random:   func(r *rand.Rand) float64 { return float64(2*r.IntN(2) - 1) },
	},
	Gaussian: {
		Name: "gaussian", Symbol: "x", Values: "ℝ", Doc: "real", Family: Normal,
		LogPartitionText: "[%[1]s²/(2%[2]s) + ½ log(2π/%[2]s)]",
		Mean:             func(a, prec, _ float64) float64 { return a / prec },
		Second: func(a, prec, beta float64) float64 {
			m := a / prec
			return 1/(beta*prec) + m*m
		},
		LogPartition: func(a, prec, beta float64) float64 {
			return beta*a*a/(2*prec) + 0.5*math.Log(2*math.Pi/(beta*prec))
		},
		GoMean:   "%[1]s / %[2]s",
		GoDraw:   "%[1]s/%[2]s + rng.Normal()/math.Sqrt(%[2]s)",
		GoRandom: "rng.Normal()",
		Lowest:   0,
		Random:   func(r *rand.Rand) float64 { return r.NormFloat64() },
	},
	Softmax: {
		Name: "softmax", Symbol: "x", Values: "one-hot", Doc: "one-hot over the last dimension", Family: Categorical,
		Lowest: 0,
	},
	// Laplace units are real and carry an L1 term λ·|x| (a Laplace prior):
	// no conditional, mean, log-partition or sampler is derived for them
	// (Model.Refusal says why), only MAP inference by proximal gradient.
	Laplace: {
		Name: "laplace", Symbol: "x", Values: "ℝ", Doc: "real, with an L1 term (Laplace prior)", Family: Proximal,
		GoRandom: "rng.Normal()",
		Lowest:   0,
		Random:   func(r *rand.Rand) float64 { return r.NormFloat64() },
		Prox:     SoftThreshold,
		ProxText: "sign(%[1]s)·max(|%[1]s| − %[2]s, 0)",
		GoProx:   "runtime.SoftThreshold(%[1]s, %[2]s)",
	},
}

// SoftThreshold is the proximal operator of t·|x| (t ≥ 0):
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

// Info returns the table entry of kind k.
func (k Kind) Info() *KindInfo { return &kinds[k] }

// kindNamed returns the kind declared as name.
func kindNamed(name string) (Kind, bool) {
	for k := range kinds {
		if kinds[k].Name == name {
			return Kind(k), true
		}
	}
	return 0, false
}

// kindList lists the kinds' names for messages: "bernoulli, spin, gaussian or softmax".
func kindList() string {
	s := ""
	for k := range kinds {
		switch {
		case k == len(kinds)-1:
			s += " or "
		case k > 0:
			s += ", "
		}
		s += kinds[k].Name
	}
	return s
}
