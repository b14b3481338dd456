// Package exact enumerates every joint configuration of a small model
// with discrete layers through runtime.Reflective, so that tests can
// compare samplers, bounds and inference with exact answers.
package exact

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
)

// Joint is the exact distribution p(x) = exp(−E(x))/Z of a model over all
// its layers. Configuration k assigns layer l the digit (k / Stride[l]) mod
// Count[l]: for bernoulli and spin layers the bits of the digit are the
// units (1 for the bit set, 0 or −1 for the bit clear), for softmax
// layers its base-K digits are the categories of the groups.
type Joint struct {
	Layers []runtime.LayerInfo
	Count  []int
	Stride []int
	LogZ   float64
	LogP   []float64 // log p of every configuration
}

// Enumerate computes the joint distribution of m, refusing more than
// limit configurations and gaussian layers.
func Enumerate(m runtime.Reflective, limit int) (*Joint, error) {
	return enumerate(m, -1, limit)
}

// EnumerateKept computes the exact distribution of the layers that free
// energy fe of m keeps, p(kept) ∝ exp(−F(kept)), the others summed out
// analytically by the generated free energy. Configurations range over the
// kept layers only (the digits of the others are 0).
func EnumerateKept(m runtime.Reflective, fe, limit int) (*Joint, error) {
	if fe < 0 || fe >= len(m.FreeEnergies()) {
		return nil, fmt.Errorf("exact: no free energy %d", fe)
	}
	return enumerate(m, fe, limit)
}

func enumerate(m runtime.Reflective, fe, limit int) (*Joint, error) {
	j := &Joint{Layers: m.Layers()}
	kept := map[string]bool{}
	if fe >= 0 {
		for _, n := range m.FreeEnergies()[fe].Keep {
			kept[n] = true
		}
	}
	total := 1
	for _, ly := range j.Layers {
		if fe >= 0 && !kept[ly.Name] {
			j.Stride = append(j.Stride, total)
			j.Count = append(j.Count, 1)
			continue
		}
		size := ly.Units()
		c := 1
		switch ly.Kind {
		case "bernoulli", "spin":
			if size >= 31 {
				return nil, fmt.Errorf("exact: layer %s has %d units", ly.Name, size)
			}
			c = 1 << size
		case "softmax":
			k := ly.Shape[len(ly.Shape)-1]
			for g := 0; g < size/k; g++ {
				c *= k
			}
		default:
			return nil, fmt.Errorf("exact: layer %s is %s", ly.Name, ly.Kind)
		}
		j.Stride = append(j.Stride, total)
		j.Count = append(j.Count, c)
		total *= c
		if total > limit {
			return nil, fmt.Errorf("exact: more than %d configurations", limit)
		}
	}
	j.LogP = make([]float64, total)
	const batch = 4096
	x := m.NewChains(min(batch, total), 0)
	e := make([]float64, x.Len())
	for lo := 0; lo < total; lo += batch {
		n := min(batch, total-lo)
		if n < x.Len() {
			x = m.NewChains(n, 0)
		}
		for c := 0; c < n; c++ {
			j.Set(x, c, lo+c)
		}
		if fe >= 0 {
			m.FreeEnergy(x, fe, 1, e[:n])
		} else {
			m.Energy(x, e[:n])
		}
		for c := 0; c < n; c++ {
			j.LogP[lo+c] = -e[c]
		}
	}
	j.LogZ = runtime.LogSumExp(j.LogP)
	for k := range j.LogP {
		j.LogP[k] -= j.LogZ
	}
	return j, nil
}

// Set writes configuration k into chain c of x.
func (j *Joint) Set(x runtime.Chains, c, k int) {
	for l, t := range x.Layers() {
		ly := j.Layers[l]
		size := ly.Units()
		row := t.Data[c*size : (c+1)*size]
		digit := k / j.Stride[l] % j.Count[l]
		switch ly.Kind {
		case "bernoulli", "spin":
			off := 0.0
			if ly.Kind == runtime.KindSpin {
				off = -1
			}
			for u := range row {
				row[u] = off
				if digit>>u&1 == 1 {
					row[u] = 1
				}
			}
		case "softmax":
			kk := ly.Shape[len(ly.Shape)-1]
			for g := 0; g < size/kk; g++ {
				for u := 0; u < kk; u++ {
					row[g*kk+u] = 0
				}
				row[g*kk+digit%kk] = 1
				digit /= kk
			}
		}
	}
}

// digit returns the digit of layer l for the values row, or false if row
// is not a valid state of the layer.
func (j *Joint) digit(l int, row []float64) (int, bool) {
	ly := j.Layers[l]
	d := 0
	switch ly.Kind {
	case "bernoulli", "spin":
		off := 0.0
		if ly.Kind == runtime.KindSpin {
			off = -1
		}
		for u, v := range row {
			switch v {
			case 1:
				d |= 1 << u
			case off:
			default:
				return 0, false
			}
		}
	case "softmax":
		kk := ly.Shape[len(ly.Shape)-1]
		mul := 1
		for g := 0; g < len(row)/kk; g++ {
			cat := -1
			for u := 0; u < kk; u++ {
				switch row[g*kk+u] {
				case 1:
					if cat >= 0 {
						return 0, false
					}
					cat = u
				case 0:
				default:
					return 0, false
				}
			}
			if cat < 0 {
				return 0, false
			}
			d += cat * mul
			mul *= kk
		}
	}
	return d, true
}

// Index returns the configuration of chain c of x, or false if it is not valid.
func (j *Joint) Index(x runtime.Chains, c int) (int, bool) {
	k := 0
	for l, t := range x.Layers() {
		if j.Count[l] == 1 {
			continue // summed out
		}
		size := j.Layers[l].Units()
		d, ok := j.digit(l, t.Data[c*size:(c+1)*size])
		if !ok {
			return 0, false
		}
		k += d * j.Stride[l]
	}
	return k, true
}

// P returns the probabilities of the configurations.
func (j *Joint) P() []float64 {
	p := make([]float64, len(j.LogP))
	for k, lp := range j.LogP {
		p[k] = math.Exp(lp)
	}
	return p
}

// visibleKey is the part of configuration k that the visible layers fix.
func (j *Joint) visibleKey(k int) int {
	key := 0
	for l, ly := range j.Layers {
		if ly.Visible {
			key += (k / j.Stride[l] % j.Count[l]) * j.Stride[l]
		}
	}
	return key
}

// LogPVisible returns the exact log p(v) = log Σ_h p(v, h) of a row of the
// visible layers (concatenated in declaration order).
func (j *Joint) LogPVisible(v []float64) (float64, error) {
	key, off := 0, 0
	for l, ly := range j.Layers {
		if !ly.Visible {
			continue
		}
		size := ly.Units()
		if j.Count[l] == 1 {
			return 0, fmt.Errorf("exact: visible layer %s is summed out", ly.Name)
		}
		if off+size > len(v) {
			return 0, fmt.Errorf("exact: row has %d values, too few", len(v))
		}
		d, ok := j.digit(l, v[off:off+size])
		if !ok {
			return 0, fmt.Errorf("exact: %v is not a state of %s", v[off:off+size], ly.Name)
		}
		key += d * j.Stride[l]
		off += size
	}
	var terms []float64
	for k, lp := range j.LogP {
		if j.visibleKey(k) == key {
			terms = append(terms, lp)
		}
	}
	return runtime.LogSumExp(terms), nil
}

// ConditionalMeans returns E[x_u | the visible units that observed marks]
// for every visible unit u, given the observed values in v (visible
// layers concatenated; unobserved entries are ignored).
func (j *Joint) ConditionalMeans(x runtime.Chains, v []float64, observed []bool) ([]float64, error) {
	var vis []int
	size := 0
	for l, ly := range j.Layers {
		if ly.Visible {
			vis = append(vis, l)
			size += ly.Units()
		}
	}
	if len(v) != size || len(observed) != size {
		return nil, fmt.Errorf("exact: row has %d values and %d flags for %d visible units", len(v), len(observed), size)
	}
	mean := make([]float64, size)
	norm := 0.0
	for k, lp := range j.LogP {
		j.Set(x, 0, k)
		views := x.Layers()
		ok := true
		var row []float64
		for _, l := range vis {
			row = append(row, views[l].Data[:j.Layers[l].Units()]...)
		}
		for u, o := range observed {
			if o && row[u] != v[u] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		p := math.Exp(lp)
		norm += p
		for u, r := range row {
			mean[u] += p * r
		}
	}
	if norm == 0 {
		return nil, fmt.Errorf("exact: the observed values have probability 0")
	}
	for u := range mean {
		mean[u] /= norm
	}
	return mean, nil
}
