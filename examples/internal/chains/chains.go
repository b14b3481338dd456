// Package chains starts the persistent chains of generated trainers.
package chains

import (
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// StartAtData puts random rows of d into the visible layers of the
// trainer's persistent chains (its "chain.<layer>" state tensors) and
// zeros into the hidden ones, which the first sweep samples: chains that
// start near the data instead of at uniform noise.
func StartAtData(m runtime.Reflective, tr runtime.Trainer, d *dataset.Dataset, seed uint64) {
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
		case len(t.Shape) == 2 && t.Shape[1] == d.Cols:
			for c := 0; c < t.Shape[0]; c++ {
				copy(t.Data[c*d.Cols:(c+1)*d.Cols], d.Row(rng.Intn(d.Rows)))
			}
		}
	}
}
