package runtime

// Tensor is a named, shaped view onto float64 storage, row-major.
// len(Data) equals the product of Shape (1 for a scalar, Shape = []).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float64
	// Fixed marks a parameter that training does not change (clamped).
	Fixed bool
}

// Len returns the number of elements the shape declares, Πᵢ Shape[i].
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ZerosLike returns tensors of zeros with the names and shapes of ts
// (Data as long as each one's): gradient buffers for a model's Params.
func ZerosLike(ts []Tensor) []Tensor {
	z := make([]Tensor, len(ts))
	for i, t := range ts {
		z[i] = Tensor{Name: t.Name, Shape: t.Shape, Data: make([]float64, len(t.Data))}
	}
	return z
}

// Model is implemented by every generated model.
type Model interface {
	// ModelName returns the model's declared name (stored in checkpoints).
	ModelName() string
	// Params returns views onto the parameter storage, in declaration
	// order. Writing through Data changes the model.
	Params() []Tensor
}

// Trainer is implemented by the trainer generated for a model (CD-k or
// PCD-k steps with an SGD optimiser). training.Fit drives it.
//
// A trainer whose TrainStep takes at most a fixed number of rows, as the
// generated trainers take at most CDConfig.BatchSize, reports it with a
// method MaxBatch() int (0 or less: no limit); training.Fit then refuses a
// larger training.FitConfig.BatchSize.
type Trainer interface {
	Model
	// VisibleSize returns the number of values in one data row.
	VisibleSize() int
	// TrainStep performs one parameter update on a minibatch of rows
	// examples (rows × VisibleSize, row-major) during the given epoch
	// (counted from 0, for learning-rate schedules) and returns the
	// batch's summed squared reconstruction error Σ‖v − v̂‖² (trainers of
	// other methods return their summed loss and name it with a LossName
	// method, which training.Fit's progress lines use).
	TrainStep(batch []float64, rows int, epoch int) float64
	// State returns the extra tensors needed to resume training exactly,
	// as views: optimiser velocities "velocity.<param>", persistent chains
	// "chain.<layer>" and RNG states "rng" (see StreamState). Loading a
	// checkpoint writes into these views, so no SetState is needed.
	State() []Tensor
}
