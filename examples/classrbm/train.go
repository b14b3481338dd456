package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

// trainer returns the trainer of the chosen method and a description of
// it. Every trainer reads rows of pixels followed by the one-hot label and
// ascends, per minibatch B, the mean over its rows of
//
//	generative   log p(v, y), its gradient −∂F/∂θ(v, y) + E_model[∂F/∂θ]
//	             with the model expectation from a CD-k (or PCD-k) chain
//	conditional  log p(y | v) = −F(v, y) − log Σ_k exp(−F(v, e_k)), exactly
//	hybrid       log p(y | v) + α·log p(v, y), the second term by the CD-k
//	             step of the generated trainer at α times the learning rate
//	             (Larochelle & Bengio 2008, eq. 10)
func (p *problem) trainer(o options) (runtime.Trainer, string, error) {
	opt := runtime.SGD{LearningRate: p.lr, Momentum: o.momentum, WeightDecay: o.decay, Schedule: runtime.LinearDecay(p.epochs, o.lrFinal)}
	chains, chain := 0, fmt.Sprintf("CD-%d", o.k)
	if o.persistent {
		chains, chain = o.batch, fmt.Sprintf("PCD-%d with %d persistent chains", o.k, o.batch)
	}
	sgd := fmt.Sprintf("SGD lr %g decaying linearly to %g times that over the epochs, momentum %g, weight decay %g, batch %d", p.lr, o.lrFinal, o.momentum, o.decay, o.batch)
	var (
		t    runtime.Trainer
		err  error
		what string
	)
	switch o.method {
	case methodGenerative:
		t, err = p.model.NewTrainer(runtime.CDConfig{K: o.k, Persistent: o.persistent, Chains: chains, BatchSize: o.batch,
			MeanVisible: true, Seed: o.seed, Optimizer: opt})
		what = fmt.Sprintf("generative: %s on log p(v, y) (visible means in the negative phase), %s", chain, sgd)
	case methodConditional:
		t, err = training.NewTrainer(p.model, training.Conditional{Label: labelLayer},
			training.Options{BatchSize: o.batch, Seed: o.seed, Optimizer: opt})
		what = "conditional: exact gradient of −log p(y | v), " + sgd
	case methodHybrid:
		t, err = training.NewTrainer(p.model, training.Conditional{Label: labelLayer, Hybrid: o.alpha, K: o.k, Chains: chains},
			training.Options{BatchSize: o.batch, Seed: o.seed, Optimizer: opt})
		what = fmt.Sprintf("hybrid: −log p(y | v) − α·log p(v, y) with α = %g, the generative gradient by %s at α times the learning rate, %s", o.alpha, chain, sgd)
	default:
		return nil, "", fmt.Errorf("unknown method %q", o.method)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s trainer: %w", o.method, err)
	}
	return t, what, nil
}

// fit trains the model by the chosen method and records, per epoch, the
// seconds, the trainer's loss and the accuracy on the first training images.
func (p *problem) fit(o options, met *Metrics, stdout io.Writer) error {
	t, what, err := p.trainer(o)
	if err != nil {
		return err
	}
	if o.wrap != nil {
		t = o.wrap(t)
	}
	met.Method, met.Training, met.Epochs = o.method, what, p.epochs
	rows := withLabels(p.train, p.trainLabels, p.classes)
	monitor, _ := p.train.Split(min(p.train.Rows, 2000))
	proxy := func() (string, float64) {
		probs, err := estimators.ClassProbs(p.model, labelLayer, monitor)
		if err != nil {
			return "train-acc", 0
		}
		acc, err := estimators.Accuracy(probs, p.trainLabels[:monitor.Rows])
		if err != nil {
			return "train-acc", 0
		}
		return "train-acc", acc
	}
	fmt.Fprintf(stdout, "== %s, %d epochs (train-acc: accuracy on the first %d training images)\n", what, p.epochs, monitor.Rows)
	stats, err := training.Fit(context.Background(), t, rows, training.FitConfig{Epochs: p.epochs, BatchSize: o.batch, Shuffle: true,
		Seed: o.seed, Proxy: proxy, Progress: &cli.EveryNth{W: stdout, N: p.every}})
	if err != nil {
		return fmt.Errorf("training by %s: %w", o.method, err)
	}
	met.LossName = "recon"
	if n, ok := t.(interface{ LossName() string }); ok {
		met.LossName = n.LossName()
	}
	for _, st := range stats {
		met.SecondsPerEpoch += st.Seconds / float64(len(stats))
		met.History = append(met.History, EpochMetrics{Epoch: st.Epoch, Seconds: st.Seconds, Loss: st.Recon, TrainAccuracy: st.Proxy})
	}
	fmt.Fprintf(stdout, "%.2f s per epoch\n", met.SecondsPerEpoch)
	return nil
}
