package runtime

import "fmt"

// Prepare checks a trainer's configuration and fills in its defaults, for
// the generated trainers of every model: model names the model in errors,
// trained lists its trained parameters in gradient order. It returns the
// configuration with K ≥ 1 and the mean-field defaults set (MeanFieldIters
// 25, MeanFieldTol 1e-6), the number of negative chains (Chains for
// persistent training when set, BatchSize otherwise), and each trained
// parameter's optimizer: Optimizer with its learning rate multiplied by the
// parameter's entry in Rates.
func (cfg CDConfig) Prepare(model string, trained []string) (CDConfig, int, []SGD, error) {
	if cfg.BatchSize <= 0 {
		return cfg, 0, nil, fmt.Errorf("%s trainer: BatchSize must be positive, got %d", model, cfg.BatchSize)
	}
	if cfg.ReconRows < 0 {
		return cfg, 0, nil, fmt.Errorf("%s trainer: ReconRows must be 0 (every row) or positive, got %d", model, cfg.ReconRows)
	}
	if cfg.Float32 && !HasFloat32() {
		return cfg, 0, nil, fmt.Errorf("%s trainer: Float32: this CPU has no float32 kernels (they need AVX2 and FMA, or AVX-512)", model)
	}
	if cfg.K <= 0 {
		cfg.K = 1
	}
	if cfg.MeanFieldIters <= 0 {
		cfg.MeanFieldIters = 25
	}
	if cfg.MeanFieldTol == 0 {
		cfg.MeanFieldTol = 1e-6
	}
	chains := cfg.BatchSize
	if cfg.Persistent && cfg.Chains > 0 {
		chains = cfg.Chains
	}
	opt := make([]SGD, len(trained))
	for i := range opt {
		opt[i] = cfg.Optimizer
	}
	for name, rate := range cfg.Rates {
		i := -1
		for k, n := range trained {
			if n == name {
				i = k
			}
		}
		if i < 0 {
			return cfg, 0, nil, fmt.Errorf("%s trainer: Rates names %q, which is not a trained parameter", model, name)
		}
		opt[i].LearningRate *= rate
	}
	return cfg, chains, opt, nil
}

// Steps returns the number of Gibbs sweeps of the negative phase in epoch
// e: KSchedule(e) if it is set, K otherwise, and at least 1.
func (cfg *CDConfig) Steps(epoch int) int {
	k := cfg.K
	if cfg.KSchedule != nil {
		k = cfg.KSchedule(epoch)
	}
	return max(k, 1)
}

// StepRamp returns the schedule k(e) = min(from + ⌊e/every⌋, to): k Gibbs
// sweeps raised by one every `every` epochs, from from up to to (CD-1 at
// the start, CD-25 at the end of a CD-25 run, say). every ≤ 0 means to
// from the start.
func StepRamp(from, to, every int) func(epoch int) int {
	return func(epoch int) int {
		if every <= 0 {
			return to
		}
		return min(from+epoch/every, to)
	}
}
