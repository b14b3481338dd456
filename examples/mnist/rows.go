package main

import (
	"fmt"
	"time"

	"github.com/ebmc/ebmc/examples/mnist/models"

	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/examples/rbm20"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Published is a figure from a paper.
type Published struct {
	Value  float64 `json:"value"`
	What   string  `json:"what"`
	Source string  `json:"source"`
}

func (p Published) String() string { return fmt.Sprintf("%.2f %s", p.Value, p.What) }

// row is one line of the table: a model, how it is trained, and what the
// papers report for it.
type row struct {
	id, model, training string
	quick               bool          // in the default run
	estimate            time.Duration // its rough time on 2 cores, for the ETA
	published           []Published
	// cd is the recipe of the RBM rows, nil for the mixtures.
	cd *cdRecipe
	// newModel returns the model initialized with seed and, for the RBMs,
	// its generated CD/PCD trainer.
	newModel func(seed uint64, cfg runtime.CDConfig) (runtime.Reflective, runtime.Trainer, error)
	// naive is the independent evaluation of exactly evaluated rows.
	naive func(m runtime.Model, d *dataset.Dataset) (logZ, ll float64, err error)
	// em is the mixtures' EM recipe, nil for the RBMs.
	em *emRecipe
	// dbn and dbm are the deep rows' recipes.
	dbn *dbnRecipe
	dbm *dbmRecipe
}

// cdRecipe is how an RBM row trains: minibatches of 100, SGD with momentum
// 0.5 and weight decay 2·10⁻⁴, the learning rate falling linearly to zero
// over the epochs (Tieleman 2008), which keeps CD-1 near its best instead
// of drifting down as its bias grows; the visible units of CD's negative
// phase as means (Hinton's practical guide) or sampled, and the visible
// biases started at zero or at the log-odds of the pixels' base rates
// (the guide's §8, estimators.Base.SetBiases).
type cdRecipe struct {
	K           int     `json:"k"`
	Persistent  bool    `json:"persistent"`
	Chains      int     `json:"chains,omitempty"`
	Epochs      int     `json:"epochs"`
	Rate        float64 `json:"learning_rate"`
	Momentum    float64 `json:"momentum"`
	Decay       float64 `json:"weight_decay"`
	Batch       int     `json:"batch"`
	Linear      bool    `json:"rate_falls_linearly_to_zero"`
	MeanVisible bool    `json:"negative_visible_as_means"`
	BaseBiases  bool    `json:"visible_biases_from_base_rates"`
	// FinalMomentum, if positive, replaces Momentum after MomentumEpochs
	// epochs (runtime.SGD).
	FinalMomentum  float64 `json:"final_momentum,omitempty"`
	MomentumEpochs int     `json:"momentum_epochs,omitempty"`
	// KRampEvery > 0 raises k by one every KRampEvery epochs from 1 up to
	// K (runtime.StepRamp): CD-1 at the start, CD-K from epoch
	// (K−1)·KRampEvery on.
	KRampEvery int `json:"k_raised_every_epochs,omitempty"`
	// Float32 runs the training's products in float32 (-float32,
	// runtime.CDConfig.Float32).
	Float32 bool `json:"float32_products,omitempty"`
}

// config is the recipe as the generated trainers take it.
func (rc cdRecipe) config(seed uint64) runtime.CDConfig {
	opt := runtime.SGD{LearningRate: rc.Rate, Momentum: rc.Momentum, WeightDecay: rc.Decay,
		FinalMomentum: rc.FinalMomentum, MomentumEpochs: rc.MomentumEpochs}
	if rc.Linear {
		epochs := rc.Epochs
		opt.Schedule = func(epoch int) float64 { return 1 - float64(epoch)/float64(epochs) }
	}
	cfg := runtime.CDConfig{K: rc.K, Persistent: rc.Persistent, Chains: rc.Chains, BatchSize: rc.Batch,
		MeanVisible: rc.MeanVisible, Optimizer: opt, Seed: seed, Float32: rc.Float32}
	if rc.KRampEvery > 0 {
		cfg.KSchedule = runtime.StepRamp(1, rc.K, rc.KRampEvery)
	}
	return cfg
}

// method names the recipe's training as the table shows it: CD-k or
// PCD-k, and CD-1→k with a ramp.
func (rc cdRecipe) method() string {
	name := "CD"
	if rc.Persistent {
		name = "PCD"
	}
	if rc.KRampEvery > 0 && rc.K > 1 {
		return fmt.Sprintf("%s-1→%d (k + 1 every %d epochs)", name, rc.K, rc.KRampEvery)
	}
	return fmt.Sprintf("%s-%d", name, rc.K)
}

// emRecipe is how a mixture trains: MAP-EM in closed form (Pseudo counts
// on every mean and weight), from K centres halfway between a random
// training image and the data's pixel means, until the training
// log-likelihood rises by less than Tol in an iteration.
type emRecipe struct {
	Iterations int     `json:"max_iterations"`
	Tol        float64 `json:"tol"`
	Pseudo     float64 `json:"pseudo_counts"`
	Init       string  `json:"init"`
}

func rbm20Model(seed uint64, cfg runtime.CDConfig) (runtime.Reflective, runtime.Trainer, error) {
	m := rbm20.NewRBM(seed)
	t, err := rbm20.NewRBMTrainer(m, cfg)
	return m.Reflect(), t, err
}

func rbm500Model(seed uint64, cfg runtime.CDConfig) (runtime.Reflective, runtime.Trainer, error) {
	m := rbm.NewRBM(seed)
	t, err := rbm.NewRBMTrainer(m, cfg)
	return m.Reflect(), t, err
}

func mixture(newMoB func(uint64) runtime.Reflective) func(uint64, runtime.CDConfig) (runtime.Reflective, runtime.Trainer, error) {
	return func(seed uint64, _ runtime.CDConfig) (runtime.Reflective, runtime.Trainer, error) {
		return newMoB(seed), nil, nil
	}
}

const (
	sm08     = "Salakhutdinov & Murray 2008"
	burda15  = "Burda, Grosse & Salakhutdinov 2015"
	burdaT1  = burda15 + ", Table 1"
	sm08Note = sm08 + ", Table 1"
)

// rows is the table. The papers' training budgets are partly unpublished;
// the recipes are stated with each row and in table.json.
func rows() []*row {
	em := &emRecipe{Iterations: 50, Tol: 1e-3, Pseudo: 1, Init: "μ_k = (a random training image + the pixel means)/2"}
	return []*row{
		{id: "rbm20-cd1", model: "RBM 784×20", training: "CD-1", quick: true, estimate: 3 * time.Minute,
			published: []Published{{-164.50, "(exact)", burdaT1 + ", mnistCD1-20"}},
			cd:        &cdRecipe{K: 1, Epochs: 100, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, BaseBiases: true},
			newModel:  rbm20Model, naive: naiveRBM},
		{id: "rbm20-pcd", model: "RBM 784×20", training: "PCD-1", quick: true, estimate: time.Minute,
			published: []Published{{-150.11, "(exact)", burdaT1 + ", mnistPCD-20"}},
			cd:        &cdRecipe{K: 1, Persistent: true, Chains: 100, Epochs: 30, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, BaseBiases: true},
			newModel:  rbm20Model, naive: naiveRBM},
		{id: "mob10", model: "mixture of 10 Bernoullis", training: "EM", quick: true, estimate: 15 * time.Second,
			published: []Published{{-168.95, "(exact)", sm08Note}}, em: em,
			newModel: mixture(func(s uint64) runtime.Reflective { return models.NewMoB10(s).Reflect() }), naive: naiveMixture},
		{id: "mob100", model: "mixture of 100 Bernoullis", training: "EM", quick: true, estimate: time.Minute,
			published: []Published{{-142.63, "(exact)", sm08Note}}, em: em,
			newModel: mixture(func(s uint64) runtime.Reflective { return models.NewMoB100(s).Reflect() }), naive: naiveMixture},
		{id: "mob500", model: "mixture of 500 Bernoullis", training: "EM", quick: true, estimate: 3 * time.Minute,
			published: []Published{{-137.64, "(exact)", sm08Note}}, em: em,
			newModel: mixture(func(s uint64) runtime.Reflective { return models.NewMoB500(s).Reflect() }), naive: naiveMixture},
		{id: "rbm500-cd1", model: "RBM 784×500", training: "CD-1", estimate: 15 * time.Minute,
			published: []Published{{-125.53, "(AIS)", sm08Note}, {-124.09, "(AIS from base rates)", burdaT1}, {-124.77, "(RAISE)", burdaT1}},
			cd:        &cdRecipe{K: 1, Epochs: 20, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true},
			newModel:  rbm500Model},
		{id: "rbm500-cd3", model: "RBM 784×500", training: "CD-3", estimate: 20 * time.Minute,
			published: []Published{{-105.50, "(AIS)", sm08Note}},
			cd:        &cdRecipe{K: 3, Epochs: 20, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true},
			newModel:  rbm500Model},
		{id: "rbm500-cd25", model: "RBM 784×500", training: "CD-25", estimate: 60 * time.Minute,
			published: []Published{{-86.34, "(AIS)", sm08Note}},
			cd:        &cdRecipe{K: 25, Epochs: 10, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true},
			newModel:  rbm500Model},
		{id: "rbm500-pcd", model: "RBM 784×500", training: "PCD-1", estimate: 15 * time.Minute,
			published: []Published{{-101.28, "(AIS)", burdaT1}, {-101.26, "(RAISE)", burdaT1}},
			cd:        &cdRecipe{K: 1, Persistent: true, Chains: 100, Epochs: 20, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true},
			newModel:  rbm500Model},
		{id: "dbn", model: "DBN 784-500-2000", training: "greedy PCD-1, then CD-1", estimate: 25 * time.Minute,
			published: []Published{{-85.97, "(variational bound)", sm08 + ", as quoted in Salakhutdinov & Hinton 2009, Table 1"},
				{-84.49, "(AIS)", burda15 + ", Table 2"}, {-84.67, "(RAISE)", burda15 + ", Table 2"}},
			dbn: &dbnRecipe{
				Bottom:   cdRecipe{K: 1, Persistent: true, Chains: 100, Epochs: 20, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, BaseBiases: true},
				Top:      cdRecipe{K: 1, Epochs: 10, Rate: 0.05, Momentum: 0.5, Decay: 2e-4, Batch: 100, Linear: true, MeanVisible: true, BaseBiases: true},
				SampleUp: true, BoundSamples: 10}},
		{id: "dbm", model: "DBM 784-500-1000", training: "pretraining + variational SML", estimate: 12 * time.Minute,
			published: []Published{{-84.62, "(variational bound; ln Z 356.18)", "Salakhutdinov & Hinton 2009, Table 1"}},
			dbm: &dbmRecipe{PretrainEpochs: []int{10, 10}, PretrainRate: 0.05, PretrainMomentum: 0.5, PretrainDecay: 5e-4,
				Epochs: 10, Rate: 0.001, Momentum: 0.5,
				Decay: 2e-4, K: 5, Chains: 100, Batch: 100, MeanFieldIters: 100, SMLMeanFieldIters: 25, MeanFieldTol: 1e-6}},
	}
}
