package verify

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/ir"
)

// DefaultLimit bounds the joint configurations of a model's discrete
// layers that verify enumerates.
const DefaultLimit = 1 << 12

// Shrink chooses sizes at which brute force can check a model: every
// const that defines does not set, and that is written as a number (an
// alias const = OTHER follows OTHER), starts at min(its value, 3) and is
// then lowered one at a time, the one that saves most first, down to 2,
// until the discrete layers have at most limit joint configurations. It
// returns the defines to compile with: those given and those chosen.
//
// A layer whose size is written as a literal cannot be shrunk; when that
// leaves the model too big the error names the layer.
func Shrink(filename string, src []byte, defines map[string]int, limit float64) (map[string]int, error) {
	f, err := dsl.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	defs := map[string]int{}
	for k, v := range defines {
		defs[k] = v
	}
	var free []string
	for _, c := range f.Consts {
		if _, given := defines[c.Name.Name]; given || c.Value.Name != "" {
			continue
		}
		v, err := strconv.Atoi(c.Value.Number)
		if err != nil || v <= 0 {
			continue // ir reports it
		}
		free = append(free, c.Name.Name)
		defs[c.Name.Name] = min(v, 3)
	}
	count := func(d map[string]int) (float64, *ir.Model, error) {
		m, err := ir.Compile(filename, src, ir.Options{Defines: d})
		if err != nil {
			return 0, nil, err
		}
		return DiscreteConfigs(m), m, nil
	}
	n, m, err := count(defs)
	if err != nil {
		return nil, err
	}
	for n > limit {
		best, bestN := "", n
		for _, c := range free {
			if defs[c] <= 2 {
				continue
			}
			defs[c]--
			if k, _, err := count(defs); err == nil && k < bestN {
				best, bestN = c, k
			}
			defs[c]++
		}
		if best == "" {
			return nil, tooBig(f, m, defines, n, limit)
		}
		defs[best]--
		if n, m, err = count(defs); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// DiscreteConfigs is the number of joint configurations of m's discrete
// layers (2 per bernoulli or spin unit, K per softmax group of K).
func DiscreteConfigs(m *ir.Model) float64 {
	n := 1.0
	for _, ly := range m.Layers {
		switch ly.Kind {
		case ir.Softmax:
			n *= math.Pow(float64(ly.Categories()), float64(ly.Groups()))
		case ir.Bernoulli, ir.Spin:
			n *= math.Pow(2, float64(ly.Size))
		}
	}
	return n
}

// tooBig explains why the model cannot be shrunk below limit.
func tooBig(f *dsl.File, m *ir.Model, defines map[string]int, n, limit float64) error {
	head := fmt.Sprintf("%s: at the smallest sizes verify can choose, the discrete layers of %s have %s joint configurations; brute force needs at most %s",
		f.Filename, m.Name, configsString(n), configsString(limit))
	var why []string
	for _, d := range f.Layers {
		ly := m.Layer(d.Name.Name)
		if ly == nil || !ly.Kind.Discrete() {
			continue
		}
		for _, s := range d.Dims {
			if s.Number != "" && s.Number != "1" && s.Number != "2" {
				why = append(why, fmt.Sprintf("%s:%d:%d: layer %s has %d units written as a literal; declare a const for its size so that verify can shrink it",
					f.Filename, d.Pos.Line, d.Pos.Column, ly.Name, ly.Size))
				break
			}
		}
	}
	var given []string
	for _, k := range slices.Sorted(maps.Keys(defines)) {
		given = append(given, fmt.Sprintf("-D %s=%d", k, defines[k]))
	}
	if len(given) > 0 {
		why = append(why, "sizes given: "+strings.Join(given, " ")+"; give smaller ones")
	}
	if len(why) == 0 {
		return fmt.Errorf("%s", head)
	}
	return fmt.Errorf("%s:\n\t%s", head, strings.Join(why, "\n\t"))
}

func configsString(n float64) string {
	if e := math.Log2(n); e == math.Round(e) && e >= 10 {
		return fmt.Sprintf("2^%.0f", e)
	}
	if n < 1e6 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.3g", n)
}
