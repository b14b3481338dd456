// Package chains starts the persistent chains of generated trainers.
package chains

import (
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// StartAtData puts random rows of d into the visible layers of the
// trainer's persistent chains (its "chain.<layer>" state tensors) and
// zeros into the hidden ones, which the first sweep samples: chains that
// start near the data instead of at uniform noise. d is read a row at a
// time.
func StartAtData(m runtime.Reflective, tr runtime.Trainer, d dataset.Source, seed uint64) {
	rows, cols := d.Shape()
	idx := make([]int, 1)
	visible := map[string]bool{}
	for _, ly := range m.Layers() {
		visible["chain."+ly.Name] = ly.Visible
	}
	rng := runtime.NewRNG(seed, 77)
	for _, t := range tr.State() {
		vis, ok := visible[t.Name]
		switch {
		case !ok:
		case !vis:
			clear(t.Data)
		case len(t.Shape) == 2 && t.Shape[1] == cols:
			for c := 0; c < t.Shape[0]; c++ {
				idx[0] = rng.Intn(rows)
				d.Gather(t.Data[c*cols:(c+1)*cols], idx)
			}
		}
	}
}

// SampleFromData puts a random row of d (rows drawn by NewRNG(seed, 8))
// into the first visible layer of each chain of x, runs sweeps Gibbs
// sweeps with the parameters held, and returns that layer's conditional
// means after the last one: pictures of what the model generates near the
// data, smoother than the binary states. Chains started at noise in a
// sharp model seldom leave the first mode they fall into; these start in
// many.
func SampleFromData(m runtime.Reflective, x runtime.Chains, d dataset.Source, sweeps int, seed uint64) []float64 {
	rows, _ := d.Shape()
	v := x.Layers()[0].Data
	rng := runtime.NewRNG(seed, 8)
	idx := make([]int, x.Len())
	for c := range idx {
		idx[c] = rng.Intn(rows)
	}
	d.Gather(v, idx)
	m.HoldParams(x, true)
	for range sweeps {
		m.Sweep(x, 1)
	}
	m.HoldParams(x, false)
	means := make([]float64, len(v))
	m.Mean(x, 0, 1, means)
	return means
}
