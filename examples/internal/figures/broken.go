package figures

import "github.com/ebmc/ebmc/runtime"

// Reversed wraps a trainer so that every step moves the parameters the
// other way, θ ← θ − Δθ where TrainStep would have made θ ← θ + Δθ: a
// deliberately broken training step, the negative control that a guarded
// figure must catch.
func Reversed(t runtime.Trainer) runtime.Trainer { return &reversed{Trainer: t} }

type reversed struct {
	runtime.Trainer
	before []float64
}

func (r *reversed) TrainStep(batch []float64, rows, epoch int) float64 {
	params := r.Params()
	r.before = r.before[:0]
	for _, p := range params {
		r.before = append(r.before, p.Data...)
	}
	loss := r.Trainer.TrainStep(batch, rows, epoch)
	k := 0
	for _, p := range params {
		for i, v := range p.Data {
			p.Data[i] = 2*r.before[k] - v
			k++
		}
	}
	return loss
}
