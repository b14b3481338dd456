package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/imaging"
)

// clamped is a batch of Gibbs chains of a class RBM whose label layer is
// held at one class per chain, so that the chains sample p(v, h | y). It
// works through runtime.Reflective (SweepClamped with the label layer's
// mask set), so it drives any size of classrbm.ebm.
type clamped struct {
	m             runtime.Reflective
	x             runtime.Chains
	clamp         [][]bool
	pixels, label int // layer indices
	means         []float64
}

// newClamped returns len(classes) chains from uniform noise, chain c with
// the one-hot label classes[c].
func newClamped(m runtime.Reflective, classes []int, seed uint64) (*clamped, error) {
	s := &clamped{m: m, x: m.NewChains(len(classes), seed), pixels: -1, label: -1}
	layers := m.Layers()
	s.clamp = make([][]bool, len(layers))
	for i, ly := range layers {
		switch {
		case ly.Visible && ly.Name == labelLayer:
			s.label = i
		case ly.Visible:
			s.pixels = i
		}
	}
	if s.label < 0 || s.pixels < 0 {
		return nil, fmt.Errorf("label-clamped sampling of %s: want a visible layer %s and a visible pixel layer, have %s", m.ModelName(), labelLayer, units(m))
	}
	k := size(layers[s.label])
	y := s.x.Layers()[s.label].Data
	clear(y)
	for c, class := range classes {
		if class < 0 || class >= k {
			return nil, fmt.Errorf("label-clamped sampling of %s: class %d of chain %d is outside 0…%d", m.ModelName(), class, c, k-1)
		}
		y[c*k+class] = 1
	}
	s.clamp[s.label] = runtime.Mask(k, true)
	s.means = make([]float64, len(classes)*size(layers[s.pixels]))
	return s, nil
}

// sweep runs one block-Gibbs sweep with the labels held: h ~ p(h | v, y),
// then v ~ p(v | h).
func (s *clamped) sweep() { s.m.SweepClamped(s.x, 1, s.clamp) }

// pixelMeans returns E[v | h] of every chain (reused by the next call).
func (s *clamped) pixelMeans() []float64 {
	s.m.Mean(s.x, s.pixels, 1, s.means)
	return s.means
}

// pictures writes samples.png (a row per class of label-clamped samples)
// and chain.gif (the same chains from noise, a frame every few sweeps),
// and measures how class-specific the samples are: the share of chains
// whose final pixel means the model itself classifies, by argmax_y
// p(y | v), as the class they were clamped to.
func (p *problem) pictures(o options, met *Metrics, stdout io.Writer) error {
	t0 := time.Now()
	const perClass = 10
	classes := make([]int, perClass*p.classes)
	for i := range classes {
		classes[i] = i / perClass
	}
	s, err := newClamped(p.model, classes, o.seed+11)
	if err != nil {
		return err
	}
	f := max(1, 28/p.side)
	side, n := p.side*f, len(classes)
	every := max(1, o.sweeps/o.frames)
	var frames [][]float64
	for sweep := 1; sweep <= o.sweeps; sweep++ {
		s.sweep()
		if sweep%every == 0 || sweep == 1 {
			frames = append(frames, imaging.Upscale(s.pixelMeans(), n, p.side, p.side, f))
		}
	}
	means := s.pixelMeans()
	if err := imaging.WriteTiles(filepath.Join(o.out, "samples.png"), imaging.Upscale(means, n, p.side, p.side, f), n, side, side, perClass, false); err != nil {
		return err
	}
	probs, err := estimators.ClassProbs(p.model, labelLayer, &dataset.Dataset{Rows: n, Cols: p.side * p.side, X: means})
	if err != nil {
		return err
	}
	agree, err := estimators.Accuracy(probs, classes)
	if err != nil {
		return err
	}
	met.SampleAgreement = cli.Accuracy(agree, n, fmt.Sprintf("share of the %d label-clamped chains (%d sweeps from noise) whose pixel means E[v | h] the model classifies as the clamped class; binomial standard error, interval ±3σ", n, o.sweeps))
	fmt.Fprintf(stdout, "%.2f of the label-clamped samples are classified as their clamped class (chance %.2f)\n", agree, 1/float64(p.classes))
	if err := imaging.WriteGIF(filepath.Join(o.out, "chain.gif"), frames, n, side, side, perClass, 10); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote samples.png and chain.gif (%d label-clamped chains, %d sweeps, %d frames) to %s (%.1fs)\n",
		n, o.sweeps, len(frames), o.out, time.Since(t0).Seconds())
	return nil
}
