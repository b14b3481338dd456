// Command sparse learns a sparse-coding dictionary on 12×12 patches of
// Fashion-MNIST (Olshausen & Field 1996; Deep Learning §13.4):
//
//	E(v, h) = ½‖v − D·h‖² + λ·Σ_k |h_k|,   ‖D[·, k]‖ ≤ 1,
//
// written in sparse.ebm (a gaussian visible layer, a laplace code layer)
// and compiled by ebmc into sparse_ebm.go. Dictionary learning
// (runtime/sparse.Learn) alternates MAP inference of each minibatch's codes
// by monotone FISTA with a projected gradient step on D; predictive sparse
// decomposition (TrainPSD) then trains an encoder g ⊙ tanh(W·v + b) to
// predict the codes. On held-out patches it measures the objective, the
// codes' sparsity, the reconstruction error, the iterations of ISTA, FISTA
// and MFISTA to one tolerance, and how good the encoder's prediction is.
//
// With Debian's dataset-fashion-mnist installed the patches come from
// /usr/share/datasets/fashion-mnist; without it, from a known random
// dictionary with sparse codes, and the atoms' recovery is reported too.
// It writes filters.png (the atoms), encoder.png (the encoder's rows),
// metrics.json, model.safetensors, encoder.safetensors and the test
// patches (test-patches.safetensors) to -out.
//
//	go run ./examples/sparse -out docs/results/sparse
package main

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg main -o sparse_ebm.go sparse.ebm

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/imaging"
	"github.com/ebmc/ebmc/runtime/sparse"
)

const side = 12 // patch side: SparseNV = side²

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sparse:", err)
		os.Exit(1)
	}
}

type options struct {
	data, out            string
	seed                 uint64
	patches, testPatches int
	epochs, psdEpochs    int
	batch                int
	lambda, tol          float64
}

// Metrics is what metrics.json holds.
type Metrics struct {
	Version  string              `json:"version"`
	Seed     uint64              `json:"seed"`
	Data     string              `json:"data"`
	Settings map[string]any      `json:"settings"`
	Epochs   []sparse.EpochStats `json:"epochs"`
	PSD      []sparse.PSDStats   `json:"psd_epochs"`
	Test     TestMetrics         `json:"test"`
	Encoder  sparse.EncoderStats `json:"encoder"`
	// Recovery is reported for synthetic data only: per true atom,
	// 1 − max |cos| with the learned atoms, averaged, and the fraction
	// below 0.01.
	Recovery *Recovery          `json:"recovery,omitempty"`
	Seconds  map[string]float64 `json:"seconds"`
}

// TestMetrics are measured on the held-out patches at the learned dictionary.
type TestMetrics struct {
	Patches int `json:"patches"`
	// Objective is the mean E(v, h*) at the MAP codes.
	Objective float64 `json:"objective"`
	// Nonzero is the mean number of nonzero code units per patch.
	Nonzero float64 `json:"nonzero_per_patch"`
	// RelReconstruction is Σ‖v − D·h*‖² / Σ‖v‖².
	RelReconstruction float64 `json:"relative_reconstruction_error"`
	// Iterations are the mean iterations to the tolerance, per method,
	// from h = 0; Unconverged counts rows that hit the iteration bound.
	Iterations  map[string]float64 `json:"iterations"`
	Unconverged map[string]int     `json:"unconverged"`
	// MaxObjectiveSpread is the largest difference between the methods'
	// objectives on one patch: they solve one convex problem.
	MaxObjectiveSpread float64 `json:"max_objective_spread"`
}

// Recovery compares a learned dictionary with the one that made the data.
type Recovery struct {
	MeanOneMinusCos float64 `json:"mean_one_minus_cos"`
	Found           float64 `json:"fraction_found"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sparse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.data, "data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST IDX files")
	fs.StringVar(&o.out, "out", "results/sparse", "output directory")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed (patches, dictionary start, shuffling)")
	fs.IntVar(&o.patches, "patches", 10000, "training patches")
	fs.IntVar(&o.testPatches, "test-patches", 1000, "held-out patches")
	fs.IntVar(&o.epochs, "epochs", 5, "epochs of dictionary learning")
	fs.IntVar(&o.psdEpochs, "psd-epochs", 3, "epochs of predictive sparse decomposition after it")
	fs.IntVar(&o.batch, "batch", 100, "patches per dictionary step")
	fs.Float64Var(&o.lambda, "lambda", 0.1, "λ, the weight of the L1 term (patches have unit norm)")
	fs.Float64Var(&o.tol, "tol", 1e-4, "MAP inference stops when the gradient mapping's ∞-norm is below this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.patches <= 0 || o.testPatches <= 0 || o.epochs < 0 || o.psdEpochs < 0 || o.batch <= 0 || !(o.lambda >= 0) || !(o.tol > 0) {
		return errors.New("patches, test-patches and batch must be positive, epochs ≥ 0, lambda ≥ 0, tol > 0")
	}
	met := &Metrics{Version: cli.Version(), Seed: o.seed, Seconds: map[string]float64{},
		Settings: map[string]any{"atoms": SparseNK, "patch_side": side, "patches": o.patches, "test_patches": o.testPatches,
			"epochs": o.epochs, "psd_epochs": o.psdEpochs, "batch": o.batch, "lambda": o.lambda, "tol": o.tol,
			"inference": "MFISTA from the row's previous code", "step": "projected gradient on D, backtracking, columns in the unit ball",
			"encoder":       "g ⊙ tanh(W·v + b), alpha 0.5, SGD rate 0.05",
			"preprocessing": "pixels in [0, 1], patches with standard deviation ≥ 0.1, mean removed, scaled to unit norm"}}
	r := rand.New(rand.NewPCG(o.seed, 0x9a7c))
	train, test, truth, err := loadPatches(o, r, met, stderr)
	if err != nil {
		return err
	}
	m := ZeroSparse()
	m.Lambda[0] = o.lambda
	// Start from training patches as atoms.
	for k := 0; k < SparseNK; k++ {
		setColumn(m.D, k, train.Row(r.IntN(train.Rows)))
	}
	sparse.ProjectColumns(m.D, []int{SparseNV, SparseNK}, 1)
	solve := sparse.Options{Method: sparse.MFISTA, Tol: o.tol, MaxIter: 5000}
	cons := []sparse.Constraint{{Param: "D", Radius: 1}}

	start := time.Now()
	met.Epochs, err = sparse.Learn(m, train.X, train.Rows, sparse.LearnConfig{
		Epochs: o.epochs, BatchSize: o.batch, Rate: 1, Solve: solve, Constraints: cons, Seed: o.seed,
		Progress: func(s sparse.EpochStats) {
			fmt.Fprintf(stdout, "epoch %d: objective %.5f, %.1f iterations per patch, %.1f%% of code units nonzero, step %.3g, %d unconverged (%.0f s)\n",
				s.Epoch+1, s.Objective, s.Iterations, 100*s.Nonzero, s.Rate, s.Unsolved, time.Since(start).Seconds())
		},
	})
	if err != nil {
		return err
	}
	met.Seconds["dictionary"] = time.Since(start).Seconds()
	if truth != nil {
		mean, found := recovery(truth, m.D)
		met.Recovery = &Recovery{MeanOneMinusCos: mean, Found: found}
		fmt.Fprintf(stdout, "recovery of the true atoms: mean 1 − |cos| %.4f, %.0f%% found\n", mean, 100*found)
	}

	start = time.Now()
	if met.Test, err = evaluate(m, test, o.tol); err != nil {
		return err
	}
	met.Seconds["evaluation"] = time.Since(start).Seconds()
	tm := met.Test
	fmt.Fprintf(stdout, "test: objective %.5f, %.1f nonzeros per patch, relative reconstruction error %.4f\n", tm.Objective, tm.Nonzero, tm.RelReconstruction)
	fmt.Fprintf(stdout, "iterations to tolerance %g from 0: ISTA %.1f, FISTA %.1f, MFISTA %.1f (largest objective spread %.2g)\n",
		o.tol, tm.Iterations["ISTA"], tm.Iterations["FISTA"], tm.Iterations["MFISTA"], tm.MaxObjectiveSpread)

	// Predictive sparse decomposition, from the learned dictionary: a copy,
	// so that the figures above stay those of the dictionary saved.
	start = time.Now()
	psdModel := ZeroSparse()
	copy(psdModel.D, m.D)
	psdModel.Lambda[0] = o.lambda
	enc := sparse.NewEncoder(SparseNV, SparseNK, o.seed)
	met.PSD, err = sparse.TrainPSD(psdModel, enc, train.X, train.Rows, sparse.PSDConfig{
		LearnConfig: sparse.LearnConfig{Epochs: o.psdEpochs, BatchSize: o.batch, Rate: 1, Solve: solve, Constraints: cons, Seed: o.seed + 1},
		Alpha:       0.5, EncoderRate: 0.05,
	})
	if err != nil {
		return err
	}
	for _, s := range met.PSD {
		fmt.Fprintf(stdout, "PSD epoch %d: objective %.5f, encoder loss %.5f, %.1f iterations per patch\n", s.Epoch+1, s.Objective, s.EncoderLoss, s.Iterations)
	}
	if met.Encoder, err = sparse.EvaluateEncoder(psdModel, enc, test.X, test.Rows, solve); err != nil {
		return err
	}
	met.Seconds["psd"] = time.Since(start).Seconds()
	e := met.Encoder
	fmt.Fprintf(stdout, "encoder on test patches: relative error %.3f, E(v, F(v)) %.5f vs E(v, h*) %.5f, worth %.1f MFISTA iterations; from F(v) %.1f iterations, from 0 %.1f\n",
		e.RelError, e.ObjectiveEncoder, e.ObjectiveMAP, e.ItersToMatch, e.ItersWarm, e.ItersCold)

	return write(o, met, m, enc, test, stdout)
}

// patchSet saves the held-out patches as one tensor "patches" [rows, 144]
// (real values, which an IDX file of bytes cannot hold).
type patchSet struct{ d *dataset.Dataset }

func (p patchSet) ModelName() string { return "Patches" }
func (p patchSet) Params() []runtime.Tensor {
	return []runtime.Tensor{{Name: "patches", Shape: []int{p.d.Rows, p.d.Cols}, Data: p.d.X}}
}

// setColumn writes src into column k of D[SparseNV, SparseNK].
func setColumn(d []float64, k int, src []float64) {
	for i, x := range src {
		d[i*SparseNK+k] = x
	}
}

// loadPatches reads Fashion-MNIST and cuts patches, or makes synthetic
// ones from a known dictionary (returned as truth) when it is absent.
func loadPatches(o options, r *rand.Rand, met *Metrics, stderr io.Writer) (train, test *dataset.Dataset, truth []float64, err error) {
	trainImg, errTrain := dataset.LoadIDX(filepath.Join(o.data, "train-images-idx3-ubyte.gz"))
	testImg, errTest := dataset.LoadIDX(filepath.Join(o.data, "t10k-images-idx3-ubyte.gz"))
	if errTrain == nil && errTest == nil {
		met.Data = "Fashion-MNIST (" + o.data + "): training patches from the training images, test patches from the test images"
		if train, err = cut(trainImg, o.patches, r); err != nil {
			return nil, nil, nil, err
		}
		test, err = cut(testImg, o.testPatches, r)
		return train, test, nil, err
	}
	if !errors.Is(errTrain, os.ErrNotExist) && !errors.Is(errTest, os.ErrNotExist) {
		return nil, nil, nil, errors.Join(errTrain, errTest)
	}
	fmt.Fprintf(stderr, "Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist);\nlearning from patches made by a known random dictionary with 3 nonzeros per code instead.\n", o.data)
	met.Data = "synthetic: unit-norm random atoms, codes with 3 nonzeros of magnitude U(0.5, 1.5) and random sign, noise N(0, 0.02²), rows scaled to unit norm"
	truth = make([]float64, SparseNV*SparseNK)
	for i := range truth {
		truth[i] = r.NormFloat64()
	}
	normalizeColumns(truth)
	synth := func(rows int) *dataset.Dataset {
		d := &dataset.Dataset{Rows: rows, Cols: SparseNV, X: make([]float64, rows*SparseNV)}
		h := make([]float64, SparseNK)
		for n := 0; n < rows; n++ {
			clear(h)
			for _, k := range r.Perm(SparseNK)[:3] {
				h[k] = (0.5 + r.Float64()) * float64(1-2*r.IntN(2))
			}
			row := d.Row(n)
			for i := range row {
				row[i] = 0.02 * r.NormFloat64()
				for k, x := range h {
					row[i] += truth[i*SparseNK+k] * x
				}
			}
			unit(row)
		}
		return d
	}
	return synth(o.patches), synth(o.testPatches), truth, nil
}

// cut takes n random 12×12 patches of 28×28 images (pixels in [0, 1], as
// LoadIDX reads them) whose pixels have a standard deviation of at least
// 0.1, removes each patch's mean and scales it to unit norm.
func cut(img *dataset.Dataset, n int, r *rand.Rand) (*dataset.Dataset, error) {
	const w = 28
	if img.Cols != w*w {
		return nil, fmt.Errorf("images of %d pixels, want 28×28", img.Cols)
	}
	d := &dataset.Dataset{Rows: n, Cols: SparseNV, X: make([]float64, n*SparseNV)}
	for k, tries := 0, 0; k < n; tries++ {
		if tries > 1000*n {
			return nil, fmt.Errorf("only %d of %d patches have a standard deviation ≥ 0.1", k, n)
		}
		im := img.Row(r.IntN(img.Rows))
		y0, x0 := r.IntN(w-side+1), r.IntN(w-side+1)
		row := d.Row(k)
		mean := 0.0
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				row[y*side+x] = im[(y0+y)*w+x0+x]
				mean += row[y*side+x]
			}
		}
		mean /= SparseNV
		ss := 0.0
		for i := range row {
			row[i] -= mean
			ss += row[i] * row[i]
		}
		if math.Sqrt(ss/SparseNV) < 0.1 {
			continue // flat: background or a uniform region
		}
		unit(row)
		k++
	}
	return d, nil
}

// unit scales x to unit Euclidean norm.
func unit(x []float64) {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	if s > 0 {
		for i := range x {
			x[i] /= math.Sqrt(s)
		}
	}
}

// normalizeColumns scales every column of D[SparseNV, SparseNK] to unit norm.
func normalizeColumns(d []float64) {
	for k := 0; k < SparseNK; k++ {
		s := 0.0
		for i := 0; i < SparseNV; i++ {
			s += d[i*SparseNK+k] * d[i*SparseNK+k]
		}
		for i := 0; i < SparseNV; i++ {
			d[i*SparseNK+k] /= math.Sqrt(s)
		}
	}
}

// recovery returns the mean over true atoms of 1 − max |cos| with the
// learned atoms (0: recovered up to sign and permutation) and the
// fraction of atoms with 1 − |cos| < 0.01.
func recovery(truth, learned []float64) (mean, found float64) {
	for k := 0; k < SparseNK; k++ {
		best := 0.0
		for l := 0; l < SparseNK; l++ {
			dot, na, nb := 0.0, 0.0, 0.0
			for i := 0; i < SparseNV; i++ {
				a, b := truth[i*SparseNK+k], learned[i*SparseNK+l]
				dot, na, nb = dot+a*b, na+a*a, nb+b*b
			}
			best = math.Max(best, math.Abs(dot)/math.Sqrt(na*nb+1e-300))
		}
		mean += 1 - best
		if 1-best < 0.01 {
			found++
		}
	}
	return mean / SparseNK, found / SparseNK
}

// evaluate infers the codes of the test patches by each method from zero.
func evaluate(m *Sparse, test *dataset.Dataset, tol float64) (TestMetrics, error) {
	tm := TestMetrics{Patches: test.Rows, Iterations: map[string]float64{}, Unconverged: map[string]int{}}
	s := sparse.NewSolver(m)
	h := make([]float64, SparseNK)
	var num, den float64
	for n := 0; n < test.Rows; n++ {
		v := test.Row(n)
		var objs []float64
		for _, method := range []sparse.Method{sparse.ISTA, sparse.FISTA, sparse.MFISTA} {
			clear(h)
			res, err := s.Solve(v, h, sparse.Options{Method: method, Tol: tol, MaxIter: 100000})
			if err != nil {
				return tm, err
			}
			tm.Iterations[method.String()] += float64(res.Iterations) / float64(test.Rows)
			if !res.Converged {
				tm.Unconverged[method.String()]++
			}
			objs = append(objs, res.Objective)
		}
		// h holds the MFISTA code.
		tm.Objective += objs[2] / float64(test.Rows)
		for _, o := range objs {
			tm.MaxObjectiveSpread = math.Max(tm.MaxObjectiveSpread, math.Abs(o-objs[2]))
		}
		for _, x := range h {
			if x != 0 {
				tm.Nonzero++
			}
		}
		for i, x := range v {
			r := x
			for k, c := range h {
				r -= m.D[i*SparseNK+k] * c
			}
			num += r * r
			den += x * x
		}
	}
	tm.Nonzero /= float64(test.Rows)
	tm.RelReconstruction = num / den
	return tm, nil
}

// write saves the pictures, the models, the test patches and metrics.json.
func write(o options, met *Metrics, m *Sparse, enc *sparse.Encoder, test *dataset.Dataset, stdout io.Writer) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	// The atoms as tiles: column k of D is atom k.
	atoms := make([]float64, SparseNK*SparseNV)
	for k := 0; k < SparseNK; k++ {
		for i := 0; i < SparseNV; i++ {
			atoms[k*SparseNV+i] = m.D[i*SparseNK+k]
		}
	}
	const f = 4 // each pixel as 4×4
	cols := int(math.Ceil(math.Sqrt(SparseNK)))
	if err := imaging.WriteTiles(filepath.Join(o.out, "filters.png"), imaging.Upscale(atoms, SparseNK, side, side, f), SparseNK, side*f, side*f, cols, true); err != nil {
		return err
	}
	if err := imaging.WriteTiles(filepath.Join(o.out, "encoder.png"), imaging.Upscale(enc.W, SparseNK, side, side, f), SparseNK, side*f, side*f, cols, true); err != nil {
		return err
	}
	meta := map[string]string{"seed": fmt.Sprint(o.seed), "lambda": fmt.Sprint(o.lambda), "epochs": fmt.Sprint(o.epochs)}
	if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "model.safetensors"), checkpoint.CheckpointOf(m, nil, nil, meta)); err != nil {
		return err
	}
	meta["psd_epochs"] = fmt.Sprint(o.psdEpochs)
	if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "encoder.safetensors"), checkpoint.CheckpointOf(enc, nil, nil, meta)); err != nil {
		return err
	}
	held := patchSet{test}
	if err := checkpoint.SaveCheckpoint(filepath.Join(o.out, "test-patches.safetensors"), checkpoint.CheckpointOf(held, nil, nil, meta)); err != nil {
		return err
	}
	b, err := json.MarshalIndent(met, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "metrics.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote filters.png, encoder.png, model.safetensors, encoder.safetensors, test-patches.safetensors and metrics.json to %s\n", o.out)
	return nil
}
