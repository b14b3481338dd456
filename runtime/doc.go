// Package runtime is the support library linked by models that ebmc
// generates, and by the generic drivers that train, sample and inspect them.
//
// It is deliberately small: everything here is either used by generated code
// in its inner loops (and is therefore allocation-free) or shared by the
// drivers around those loops, which live in packages of their own: data sets
// in runtime/dataset, training in runtime/training, checkpoints in
// runtime/checkpoint, partition functions, likelihoods, sampling and
// completion in runtime/estimators, deep models in runtime/deep, pictures in
// runtime/imaging and atomic file writes in runtime/fileio.
//
// # Interfaces implemented by generated models
//
// Every generated model implements [Model]:
//
//	ModelName() string  // the model's name as declared in the source
//	Params() []Tensor   // views onto the parameter storage, declaration order
//
// Every generated trainer (CD-k or PCD-k) implements [Trainer], which embeds
// [Model] and adds:
//
//	VisibleSize() int                                       // columns of a data row
//	TrainStep(batch []float64, rows, epoch int) float64     // one update; returns Σ‖v − v̂‖²
//	State() []Tensor                                        // optimiser velocities, chains, RNG states
//
// and MaxBatch() int, the most rows a TrainStep takes (CDConfig.BatchSize),
// which training.Fit checks.
//
// Generic tools (verification, estimators, evaluation) reach any generated
// model through [Reflective], returned by its Reflect method, whose batches
// of Markov chains implement [Chains].
//
// training.Fit drives any [Trainer]; checkpoint.CheckpointOf,
// checkpoint.SaveCheckpoint, checkpoint.LoadCheckpoint and
// checkpoint.Checkpoint.Restore save and resume any [Model].
// Generated code also contains
//
//	const _ = runtime.EnforceVersion1
//
// so that a model generated for an incompatible runtime fails to compile
// rather than misbehaving.
//
// # Conventions
//
// Matrices are dense, row-major []float64 with an explicit leading dimension
// (stride) lda ≥ number of columns, as in gonum's blas64. Element (i, j) of an
// m×n matrix A lives at a[i*lda+j].
//
// Gradients are ascent directions of the log-likelihood: [SGD.Update] adds
// them. The numerical functions ([Sigmoid], [Softplus], [Log2Cosh],
// [LogSumExp], …) are stable for every finite argument: they neither
// overflow nor return NaN for |x| up to the largest float64.
//
// # Linear algebra
//
// [Gemm] and [Gemv], which generated code calls in its inner loops, use the
// runtime's own allocation-free kernels; they skip zero entries of the left
// operand, which makes products with sampled binary states cheap, and
// [AddActiveRows] avoids even the multiplications. [GemmBLAS], [Ger], [Axpy]
// and [Dot] call the implementation registered with
// gonum.org/v1/gonum/blas/blas64. By default that is gonum's pure-Go BLAS; a
// program may switch to another implementation (for example a cgo OpenBLAS
// wrapper such as gonum.org/v1/netlib/blas/netlib) with one call before
// training:
//
//	blas64.Use(netlib.Implementation{})
//
// # Random numbers
//
// [RNG] is a xoshiro256** generator held by value. Each Markov chain or
// worker goroutine should own its RNG, created with [NewRNG] from a common
// seed and a distinct stream number; an RNG is not safe for concurrent use.
// Its state is four words ([RNG.State]), which checkpoints store either as a
// U64 tensor (checkpoint.Checkpoint.Words) or bit-for-bit inside a float64
// tensor ([RNG.EncodeState], [RNG.DecodeState]) so that it can be a [Tensor]
// view returned by [Trainer.State]. [StreamState] keeps a trainer's streams
// that way: the generated trainers and those of runtime/training load it
// before a step, save it after, and export it as the state tensor "rng".
//
// # Files
//
// Checkpoints (runtime/checkpoint) use the safetensors layout, so they can be
// opened from Python with safetensors.numpy.load_file. Data sets
// (runtime/dataset) are read from IDX (MNIST-style, optionally gzipped) and
// numeric CSV files. Every file these packages write is written atomically
// (fileio.WriteFileAtomic): a reader sees the old file or the complete new
// one, never a partial write.
//
// The package has no mutable global state; the only package-level variables
// are read-only tables and the sentinel error [ErrConcurrentUse].
package runtime

// EnforceVersion1 is referenced by generated code (const _ =
// runtime.EnforceVersion1) so that code generated against version 1 of this
// package's contract fails to compile against an incompatible runtime.
const EnforceVersion1 = 1
