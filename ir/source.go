package ir

import (
	"math"

	"github.com/ebmc/ebmc/dsl"
)

// SourceEnergy evaluates the energy exactly as written in the .ebm file, by
// walking its syntax tree with explicit loops for every sum. It applies no
// identity and no normalization, so it checks both: Energy (the normalized
// monomials) must agree with it on every state.
func (m *Model) SourceEnergy(p Params, x State) float64 {
	return m.evalSource(m.Source, p, x, map[string]int{})
}

func (m *Model) evalSource(e dsl.Expr, p Params, x State, env map[string]int) float64 {
	switch e := e.(type) {
	case *dsl.Number:
		return e.Value
	case *dsl.Unary:
		return -m.evalSource(e.X, p, x, env)
	case *dsl.Call:
		if e.Func.Name == "abs" {
			return math.Abs(m.evalSource(e.Arg, p, x, env))
		}
		return apply(functions[e.Func.Name], m.evalSource(e.Arg, p, x, env))
	case *dsl.Binary:
		a, b := m.evalSource(e.X, p, x, env), m.evalSource(e.Y, p, x, env)
		switch e.Op {
		case '+':
			return a + b
		case '-':
			return a - b
		case '*':
			return a * b
		case '/':
			return a / b
		default:
			return math.Pow(a, b)
		}
	case *dsl.Sum:
		return m.evalSum(e, 0, p, x, env)
	case *dsl.Ref:
		for _, c := range m.Consts {
			if c.Name == e.Name {
				return float64(c.Value)
			}
		}
		if ly := m.Layer(e.Name); ly != nil {
			return x[ly.Index][sourceOffset(ly.Shape, e.Indices, env)]
		}
		q := m.Param(e.Name)
		return p[q.Index][sourceOffset(q.Shape, e.Indices, env)]
	}
	panic("ir: unexpected expression")
}

// evalSum loops over the d-th index of a sum; the index's range is found
// where the body uses it.
func (m *Model) evalSum(s *dsl.Sum, d int, p Params, x State, env map[string]int) float64 {
	if d == len(s.Indices) {
		return m.evalSource(s.Body, p, x, env)
	}
	name := s.Indices[d].Name
	n := m.sourceRange(s.Body, name)
	total := 0.0
	for v := 0; v < n; v++ {
		env[name] = v
		total += m.evalSum(s, d+1, p, x, env)
	}
	delete(env, name)
	return total
}

// sourceRange is the size of the dimension that index name indexes in e.
func (m *Model) sourceRange(e dsl.Expr, name string) int {
	switch e := e.(type) {
	case *dsl.Ref:
		var shape []int
		if ly := m.Layer(e.Name); ly != nil {
			shape = ly.Shape
		} else if q := m.Param(e.Name); q != nil {
			shape = q.Shape
		}
		for d, id := range e.Indices {
			if id.Name == name {
				return shape[d]
			}
		}
	case *dsl.Unary:
		return m.sourceRange(e.X, name)
	case *dsl.Call:
		return m.sourceRange(e.Arg, name)
	case *dsl.Binary:
		if n := m.sourceRange(e.X, name); n > 0 {
			return n
		}
		return m.sourceRange(e.Y, name)
	case *dsl.Sum:
		return m.sourceRange(e.Body, name)
	}
	return 0
}

func sourceOffset(shape []int, idx []dsl.Ident, env map[string]int) int {
	k := 0
	for d, id := range idx {
		k = k*shape[d] + env[id.Name]
	}
	return k
}
