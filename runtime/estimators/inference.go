package estimators

import (
	"fmt"
	"math"
	"strings"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// MAP inference and completion of partially observed inputs, generic over
// Reflective (Deep Learning §19.3; Besag 1986 for ICM).

// ICMResult describes a run of ICM.
type ICMResult struct {
	Sweeps int // sweeps done
	// Changed is the number of units (softmax groups count once) that the
	// last sweep changed, summed over chains.
	Changed int
	// Converged reports that the last sweep changed nothing: every free
	// unit is at a mode of its conditional, a local minimum of the energy
	// under single-unit changes.
	Converged bool
}

// ICM runs iterated conditional modes (Besag 1986), greedy descent on the
// energy: every unit that clamp does not hold (clamp as in SweepClamped:
// clamp[l] one flag per unit of layer l, nil for none; a softmax group is
// held when its first unit is) is set to the mode of its conditional given
// all other units,
//
//	bernoulli  x = 1 if a > 0, 0 if a < 0
//	spin       s = +1 if a > 0, −1 if a < 0
//	softmax    the category of the largest field in the group
//	gaussian   x = a/P
//
// with a the field and P the precision from Field (E = ½·P·x² − a·x +
// terms without x), sweeping over the layers in declaration order until a
// sweep changes nothing or after maxSweeps sweeps. A unit at a tie keeps
// its value, so every change lowers the energy strictly and the energy
// never increases. Layers without lateral couplings are updated all at
// once (their units are independent given the other layers); layers with
// them, found by probing Field, unit by unit. Units must hold valid
// values (0/1, ±1, one-hot); a bernoulli or spin unit that does not is set
// to its mode (ties: 0 and +1) by the first sweep. A gaussian unit counts
// as changed when it moves by more than 1e-12·(1+|x|).
func ICM(m runtime.Reflective, x runtime.Chains, clamp [][]bool, maxSweeps int) (ICMResult, error) {
	if m == nil || x == nil {
		return ICMResult{}, fmt.Errorf("runtime: ICM: nil model or chains")
	}
	if err := icmCheckClamp(m, clamp); err != nil {
		return ICMResult{}, fmt.Errorf("runtime: ICM of %s: %w", m.ModelName(), err)
	}
	if maxSweeps < 1 {
		return ICMResult{}, fmt.Errorf("runtime: ICM of %s: maxSweeps = %d, need at least 1", m.ModelName(), maxSweeps)
	}
	layers := m.Layers()
	lateral := icmLateral(m)
	n := x.Len()
	var res ICMResult
	bufs := make([][2][]float64, len(layers))
	for l, ly := range layers {
		size := n * layout.Product(ly.Shape)
		bufs[l] = [2][]float64{make([]float64, size), make([]float64, size)}
	}
	for res.Sweeps < maxSweeps {
		res.Sweeps++
		res.Changed = 0
		views := x.Layers()
		for l, ly := range layers {
			var cl []bool
			if l < len(clamp) {
				cl = clamp[l]
			}
			if runtime.AllTrue(cl) {
				continue
			}
			a, prec := bufs[l][0], bufs[l][1]
			size := layout.Product(ly.Shape)
			step := 1
			if ly.Kind == runtime.KindSoftmax {
				step = ly.Shape[len(ly.Shape)-1]
			}
			if !lateral[l] {
				m.Field(x, l, a, prec)
				for u := 0; u < size; u += step {
					if cl == nil || !cl[u] {
						res.Changed += icmMode(ly, views[l].Data, a, prec, n, size, u, step)
					}
				}
				continue
			}
			for u := 0; u < size; u += step {
				if cl == nil || !cl[u] {
					m.Field(x, l, a, prec)
					res.Changed += icmMode(ly, views[l].Data, a, prec, n, size, u, step)
				}
			}
		}
		if res.Changed == 0 {
			res.Converged = true
			break
		}
	}
	return res, nil
}

// icmMode sets unit u (the group u … u+step−1 for softmax) of every chain
// to the mode of its conditional and returns the number of chains changed.
func icmMode(ly runtime.LayerInfo, x, a, prec []float64, n, size, u, step int) int {
	changed := 0
	for c := 0; c < n; c++ {
		i := c*size + u
		switch ly.Kind {
		case runtime.KindBernoulli, runtime.KindSpin:
			lo := 0.0
			if ly.Kind == runtime.KindSpin {
				lo = -1
			}
			v := x[i]
			switch {
			case a[i] > 0:
				v = 1
			case a[i] < 0:
				v = lo
			case v != 1 && v != lo:
				v = 1
				if ly.Kind == runtime.KindBernoulli {
					v = 0
				}
			}
			if v != x[i] {
				x[i] = v
				changed++
			}
		case runtime.KindSoftmax:
			g, cur := x[i:i+step], -1
			best := 0
			for k := 1; k < step; k++ {
				if a[i+k] > a[i+best] {
					best = k
				}
			}
			for k, v := range g {
				if v == 1 && a[i+k] == a[i+best] {
					cur = k
				}
			}
			if cur >= 0 && icmOneHot(g, cur) {
				continue
			}
			for k := range g {
				g[k] = 0
			}
			g[best] = 1
			changed++
		case runtime.KindGaussian:
			v := a[i] / prec[i]
			if math.Abs(v-x[i]) > 1e-12*(1+math.Abs(v)) {
				changed++
			}
			x[i] = v
		}
	}
	return changed
}

// icmOneHot reports whether g is one-hot at k.
func icmOneHot(g []float64, k int) bool {
	for j, v := range g {
		if (j == k) != (v == 1) || (j != k && v != 0) {
			return false
		}
	}
	return true
}

// icmLateral reports, for every layer, whether its units are coupled to
// each other at the current parameters: whether its field changes when the
// layer's own state changes.
func icmLateral(m runtime.Reflective) []bool {
	layers := m.Layers()
	x := m.NewChains(1, 0x1c3)
	views := x.Layers()
	rng := runtime.NewRNG(0x1c4, 0)
	out := make([]bool, len(layers))
	for l, ly := range layers {
		size := layout.Product(ly.Shape)
		a1, a2, p := make([]float64, size), make([]float64, size), make([]float64, size)
		m.Field(x, l, a1, p)
		saved := append([]float64(nil), views[l].Data...)
		for i := range views[l].Data {
			views[l].Data[i] = 0.5 + rng.Float64()
		}
		m.Field(x, l, a2, p)
		copy(views[l].Data, saved)
		out[l] = dbmDiffers(a1, a2)
	}
	return out
}

// icmCheckClamp checks that clamp has at most one mask per layer, each nil
// or with one flag per unit.
func icmCheckClamp(m runtime.Reflective, clamp [][]bool) error {
	layers := m.Layers()
	if len(clamp) > len(layers) {
		return fmt.Errorf("clamp has %d masks for %d layers", len(clamp), len(layers))
	}
	for l, cl := range clamp {
		if cl != nil && len(cl) != layout.Product(layers[l].Shape) {
			return fmt.Errorf("clamp mask of layer %s has %d flags for %d units", layers[l].Name, len(cl), layout.Product(layers[l].Shape))
		}
	}
	return nil
}

// MeanFieldClamped runs mean-field inference over every unit that clamp
// does not hold, visible or hidden: coordinate ascent on the mean-field
// free energy in which each sweep replaces the free means of every layer,
// in declaration order, by μ ← (1−damping)·E[x | the others at their
// means] + damping·μ (unit by unit in layers with lateral couplings),
// until no mean moves more than tol or after iters sweeps. It starts
// from the chains' current values and returns the sweeps done. With the
// visible layers clamped and the hidden ones free it is the generated
// MeanField; with some visible units free it fills them in.
func MeanFieldClamped(m runtime.Reflective, x runtime.Chains, clamp [][]bool, iters int, tol, damping float64) (int, error) {
	if m == nil || x == nil {
		return 0, fmt.Errorf("runtime: mean field: nil model or chains")
	}
	if err := icmCheckClamp(m, clamp); err != nil {
		return 0, fmt.Errorf("runtime: mean field of %s: %w", m.ModelName(), err)
	}
	if !(damping >= 0 && damping < 1) {
		return 0, fmt.Errorf("runtime: mean field of %s: damping %v is outside [0, 1)", m.ModelName(), damping)
	}
	layers := m.Layers()
	lateral := icmLateral(m)
	n := x.Len()
	mu := make([][]float64, len(layers))
	for l, ly := range layers {
		mu[l] = make([]float64, n*layout.Product(ly.Shape))
	}
	for it := 1; it <= iters; it++ {
		moved := 0.0
		views := x.Layers()
		for l, ly := range layers {
			var cl []bool
			if l < len(clamp) {
				cl = clamp[l]
			}
			if runtime.AllTrue(cl) {
				continue
			}
			size := layout.Product(ly.Shape)
			step := 1
			if ly.Kind == runtime.KindSoftmax {
				step = ly.Shape[len(ly.Shape)-1]
			}
			set := func(u int) {
				for c := 0; c < n; c++ {
					for k := c*size + u; k < c*size+u+step; k++ {
						v := (1-damping)*mu[l][k] + damping*views[l].Data[k]
						moved = max(moved, math.Abs(v-views[l].Data[k]))
						views[l].Data[k] = v
					}
				}
			}
			if !lateral[l] {
				m.Mean(x, l, 1, mu[l])
			}
			for u := 0; u < size; u += step {
				if cl != nil && cl[u] {
					continue
				}
				if lateral[l] {
					m.Mean(x, l, 1, mu[l])
				}
				set(u)
			}
		}
		if moved <= tol {
			return it, nil
		}
	}
	return iters, nil
}

// CompletionMethod selects how Complete fills in missing units.
type CompletionMethod int

const (
	// CompleteICM is the local MAP completion: ICM from the mean-field
	// completion rounded to the modes of its means.
	CompleteICM CompletionMethod = iota
	// CompleteMeanField is the mean-field completion: the means of the
	// missing units under the factorized q that MeanFieldClamped fits.
	CompleteMeanField
	// CompleteGibbs is the posterior mean under Gibbs sampling: clamped
	// sweeps from a random start, the conditional means of the missing
	// units averaged over the sweeps after a burn-in.
	CompleteGibbs
)

func (c CompletionMethod) String() string {
	switch c {
	case CompleteICM:
		return "ICM"
	case CompleteMeanField:
		return "mean field"
	case CompleteGibbs:
		return "Gibbs"
	}
	return fmt.Sprintf("CompletionMethod(%d)", int(c))
}

// CompleteConfig configures Complete; zero values mean the defaults.
type CompleteConfig struct {
	Method CompletionMethod
	// Iters caps the sweeps of ICM and of mean field; 0 means 100.
	Iters int
	// Tol stops mean field when no mean moves more; 0 means 1e-6.
	Tol float64
	// Burn and Samples are the Gibbs sweeps discarded and averaged; 0
	// means 100 each.
	Burn, Samples int
	Seed          uint64
}

// Complete fills in the missing entries of the rows of d (the visible
// layers, concatenated in declaration order) by the chosen method and
// returns the completed rows; observed entries are copied unchanged.
// missing marks the missing entries: d.Cols flags shared by every row, or
// d.Rows·d.Cols, one set per row. The observed units are clamped and every
// missing and hidden unit is inferred. Rows with the same mask are
// completed together as one batch of chains. A softmax group counts as
// missing when its first unit is.
func Complete(m runtime.Reflective, d *dataset.Dataset, missing []bool, cfg CompleteConfig) (*dataset.Dataset, error) {
	if m == nil {
		return nil, fmt.Errorf("runtime: complete: nil model")
	}
	name := m.ModelName()
	switch {
	case d == nil || d.Rows <= 0:
		return nil, fmt.Errorf("runtime: complete %s: empty data set", name)
	case d.Cols != layout.VisibleSize(m):
		return nil, fmt.Errorf("runtime: complete %s: data has %d columns, the visible layers have %d units", name, d.Cols, layout.VisibleSize(m))
	case len(d.X) < d.Rows*d.Cols:
		return nil, fmt.Errorf("runtime: complete %s: data set declares %d×%d values, holds %d", name, d.Rows, d.Cols, len(d.X))
	case len(missing) != d.Cols && len(missing) != d.Rows*d.Cols:
		return nil, fmt.Errorf("runtime: complete %s: missing has %d flags; want %d (one mask) or %d (one per row)", name, len(missing), d.Cols, d.Rows*d.Cols)
	case cfg.Method < CompleteICM || cfg.Method > CompleteGibbs:
		return nil, fmt.Errorf("runtime: complete %s: unknown method %v", name, cfg.Method)
	}
	if cfg.Iters <= 0 {
		cfg.Iters = 100
	}
	if cfg.Tol <= 0 {
		cfg.Tol = 1e-6
	}
	if cfg.Burn <= 0 {
		cfg.Burn = 100
	}
	if cfg.Samples <= 0 {
		cfg.Samples = 100
	}
	mask := func(r int) []bool {
		if len(missing) == d.Cols {
			return missing
		}
		return missing[r*d.Cols : (r+1)*d.Cols]
	}
	var order []string
	groups := map[string][]int{}
	for r := 0; r < d.Rows; r++ {
		var b strings.Builder
		for _, v := range mask(r) {
			if v {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		k := b.String()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := &dataset.Dataset{Rows: d.Rows, Cols: d.Cols, X: make([]float64, d.Rows*d.Cols)}
	for g, k := range order {
		rows := groups[k]
		if err := icmCompleteGroup(m, d, rows, mask(rows[0]), cfg, uint64(g), out); err != nil {
			return nil, fmt.Errorf("runtime: complete %s (%v): %w", name, cfg.Method, err)
		}
	}
	return out, nil
}

// icmCompleteGroup completes the rows that share one mask.
func icmCompleteGroup(m runtime.Reflective, d *dataset.Dataset, rows []int, miss []bool, cfg CompleteConfig, group uint64, out *dataset.Dataset) error {
	layers := m.Layers()
	n := len(rows)
	x := m.NewChains(n, cfg.Seed^(group*0x9e3779b97f4a7c15))
	views := x.Layers()
	clamp := make([][]bool, len(layers))
	free := false
	off := 0
	for l, ly := range layers {
		if !ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		step := 1
		if ly.Kind == runtime.KindSoftmax {
			step = ly.Shape[len(ly.Shape)-1]
		}
		clamp[l] = make([]bool, size)
		for u := 0; u < size; u++ {
			clamp[l][u] = !miss[off+u-u%step]
			free = free || !clamp[l][u]
		}
		for c, r := range rows {
			src := d.X[r*d.Cols+off : r*d.Cols+off+size]
			dst := views[l].Data[c*size : (c+1)*size]
			for u := range dst {
				if clamp[l][u] || cfg.Method != CompleteGibbs {
					dst[u] = src[u]
				}
			}
		}
		off += size
	}
	if free {
		switch cfg.Method {
		case CompleteMeanField, CompleteICM:
			icmNeutral(layers, views, clamp)
			m.MeanField(x, cfg.Iters, cfg.Tol, 0)
			if _, err := MeanFieldClamped(m, x, clamp, cfg.Iters, cfg.Tol, 0); err != nil {
				return err
			}
			if cfg.Method == CompleteICM {
				icmRound(layers, views, clamp)
				if _, err := ICM(m, x, clamp, cfg.Iters); err != nil {
					return err
				}
			}
		case CompleteGibbs:
			sum := make([][]float64, len(layers))
			buf := make([][]float64, len(layers))
			for l, ly := range layers {
				if ly.Visible {
					sum[l], buf[l] = make([]float64, len(views[l].Data)), make([]float64, len(views[l].Data))
				}
			}
			for s := 0; s < cfg.Burn+cfg.Samples; s++ {
				m.SweepClamped(x, 1, clamp)
				if s < cfg.Burn {
					continue
				}
				for l := range sum {
					if sum[l] != nil {
						m.Mean(x, l, 1, buf[l])
						for i, v := range buf[l] {
							sum[l][i] += v
						}
					}
				}
			}
			for l := range sum {
				for i := range sum[l] {
					views[l].Data[i] = sum[l][i] / float64(cfg.Samples)
				}
			}
		}
	}
	off = 0
	for l, ly := range layers {
		if !ly.Visible {
			continue
		}
		size := layout.Product(ly.Shape)
		for c, r := range rows {
			src := d.X[r*d.Cols+off : r*d.Cols+off+size]
			dst := out.X[r*d.Cols+off : r*d.Cols+off+size]
			for u := range dst {
				if clamp[l][u] {
					dst[u] = src[u]
				} else {
					dst[u] = views[l].Data[c*size+u]
				}
			}
		}
		off += size
	}
	return nil
}

// icmNeutral sets the free units of the visible layers to the means of
// a uniform distribution (bernoulli ½, spin 0, softmax 1/K, gaussian 0).
func icmNeutral(layers []runtime.LayerInfo, views []runtime.Tensor, clamp [][]bool) {
	for l, ly := range layers {
		if clamp[l] == nil {
			continue
		}
		size := layout.Product(ly.Shape)
		v := 0.0
		switch ly.Kind {
		case runtime.KindBernoulli:
			v = 0.5
		case runtime.KindSoftmax:
			v = 1 / float64(ly.Shape[len(ly.Shape)-1])
		}
		for i := range views[l].Data {
			if !clamp[l][i%size] {
				views[l].Data[i] = v
			}
		}
	}
}

// icmRound replaces the means of every free unit by the mode of its
// factor: 1 if μ > ½ (bernoulli), the sign (spin), the largest category
// (softmax); gaussian means stay.
func icmRound(layers []runtime.LayerInfo, views []runtime.Tensor, clamp [][]bool) {
	for l, ly := range layers {
		size := layout.Product(ly.Shape)
		x := views[l].Data
		switch ly.Kind {
		case runtime.KindBernoulli, runtime.KindSpin:
			lo, mid := 0.0, 0.5
			if ly.Kind == runtime.KindSpin {
				lo, mid = -1, 0
			}
			for i, v := range x {
				if clamp[l] == nil || !clamp[l][i%size] {
					x[i] = lo
					if v > mid {
						x[i] = 1
					}
				}
			}
		case runtime.KindSoftmax:
			k := ly.Shape[len(ly.Shape)-1]
			for g := 0; g+k <= len(x); g += k {
				if clamp[l] != nil && clamp[l][g%size] {
					continue
				}
				best := 0
				for j := 1; j < k; j++ {
					if x[g+j] > x[g+best] {
						best = j
					}
				}
				for j := 0; j < k; j++ {
					x[g+j] = 0
				}
				x[g+best] = 1
			}
		}
	}
}

// dbmDiffers reports whether a and b differ beyond rounding.
func dbmDiffers(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9*(1+math.Abs(a[i])+math.Abs(b[i])) {
			return true
		}
	}
	return false
}
