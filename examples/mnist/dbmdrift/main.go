// Command dbmdrift is the Go half of the test bed for the drift of the
// MNIST DBM under variational SML at a sustained learning rate
// (docs/mnist.md, the DBM bullets): it pretrains a 784-100-200 deep
// Boltzmann machine (models.DBM100) greedily with deep.PretrainDBM, the
// DBM row's recipe (CD-1, 10 epochs per RBM, rate 0.05, momentum 0.5,
// weight decay 5·10⁻⁴), and trains it by ebmc's generated trainer: mean
// field for the data (at most 25 sweeps, tolerance 10⁻⁶), 100 persistent
// chains started at training images, 5 block-Gibbs sweeps per update,
// SGD with a constant rate (default 0.001), momentum 0.5, weight decay
// 2·10⁻⁴ on every parameter. It writes init.safetensors (the pretrained
// model) and epoch-NNN.safetensors after every epoch into -out, for
// benchmarks/py/dbm_drift.py to evaluate (mean-field bound with log Z by
// AIS) beside its own PyTorch reference of the same step:
//
//	/usr/bin/python3 benchmarks/py/dbm_drift.py data --out /tmp/drift
//	go run ./examples/mnist/dbmdrift -data /tmp/drift -out /tmp/drift/ebmc -epochs 40
//	/usr/bin/python3 benchmarks/py/dbm_drift.py eval --data /tmp/drift /tmp/drift/ebmc
//
// -init FILE starts from a saved model instead of pretraining;
// -base-biases starts the visible biases at the pixels' log-odds before
// pretraining; -chains noise leaves the persistent chains where the
// trainer drew them (every unit uniform) instead of starting them at
// training images. With the chains at training images the bound drifts
// down at this sustained rate, with them at noise it rises
// (docs/mnist.md, docs/results/mnist/dbm-drift/).
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/examples/internal/chains"
	"github.com/ebmc/ebmc/examples/mnist/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dbmdrift:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "", "directory holding train.idx.gz, the binary training images (dbm_drift.py data)")
	out := flag.String("out", "", "directory for init.safetensors and epoch-NNN.safetensors")
	initFile := flag.String("init", "", "start from this saved model instead of pretraining")
	pre := flag.Int("pretrain-epochs", 10, "CD-1 epochs per RBM of the pretraining")
	epochs := flag.Int("epochs", 40, "epochs of variational SML")
	lr := flag.Float64("lr", 0.001, "SML learning rate, constant")
	momentum := flag.Float64("momentum", 0.5, "SML momentum")
	decay := flag.Float64("decay", 2e-4, "SML weight decay (every parameter)")
	seed := flag.Uint64("seed", 1, "seed of initialization and training")
	baseBiases := flag.Bool("base-biases", false, "start the visible biases at the pixels' log-odds before pretraining (the mnist command's -biases base)")
	chainStart := flag.String("chains", "data", "the persistent chains' start: data (training images, the mnist command's DBM row) or noise (uniform)")
	flag.Parse()
	if *data == "" || *out == "" {
		return fmt.Errorf("-data and -out are required")
	}
	train, err := dataset.LoadIDX(filepath.Join(*data, "train.idx.gz"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	m := models.NewDBM100(*seed)
	r := m.Reflect()
	ctx := context.Background()
	meta := map[string]string{"seed": fmt.Sprint(*seed), "lr": fmt.Sprint(*lr), "momentum": fmt.Sprint(*momentum), "decay": fmt.Sprint(*decay)}
	if *initFile != "" {
		c, err := checkpoint.LoadCheckpoint(*initFile)
		if err != nil {
			return err
		}
		if err := c.Restore(m, nil); err != nil {
			return err
		}
	} else {
		if *baseBiases {
			b, err := estimators.BaseRate(r, train, float64(train.Rows)/20)
			if err != nil {
				return err
			}
			if _, err := b.SetBiases(r); err != nil {
				return err
			}
		}
		if _, err := deep.PretrainDBM(ctx, r, train, deep.PretrainConfig{EpochsPerRBM: []int{*pre, *pre}, BatchSize: 100, K: 1, Seed: *seed,
			Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5, WeightDecay: 5e-4}, Progress: os.Stdout}); err != nil {
			return err
		}
	}
	save := func(name string) error {
		return checkpoint.SaveCheckpoint(filepath.Join(*out, name), checkpoint.CheckpointOf(m, nil, nil, meta))
	}
	if err := save("init.safetensors"); err != nil {
		return err
	}
	tr, err := r.NewTrainer(runtime.CDConfig{K: 5, Persistent: true, Chains: 100, BatchSize: 100, Seed: *seed,
		MeanFieldIters: 25, MeanFieldTol: 1e-6, Optimizer: runtime.SGD{LearningRate: *lr, Momentum: *momentum, WeightDecay: *decay}})
	if err != nil {
		return err
	}
	switch *chainStart {
	case "data":
		chains.StartAtData(r, tr, train, *seed)
	case "noise":
	default:
		return fmt.Errorf("-chains %q: want data or noise", *chainStart)
	}
	epoch := 0
	proxy := func() (string, float64) {
		epoch++
		meta["epoch"] = fmt.Sprint(epoch)
		if err := save(fmt.Sprintf("epoch-%03d.safetensors", epoch)); err != nil {
			fmt.Fprintln(os.Stderr, "dbmdrift:", err)
		}
		n := 0.0
		for _, w := range m.W1 {
			n += w * w
		}
		return "|W1|", math.Sqrt(n)
	}
	_, err = training.Fit(ctx, tr, train, training.FitConfig{Epochs: *epochs, BatchSize: 100, Shuffle: true, Seed: *seed, Progress: os.Stdout, Proxy: proxy})
	return err
}
