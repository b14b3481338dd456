package runtime

import (
	"strings"
	"testing"
)

func TestCDConfigPrepare(t *testing.T) {
	trained := []string{"W", "b", "c"}
	for _, tc := range []struct {
		name     string
		cfg      CDConfig
		chains   int
		rates    []float64
		errMatch string
	}{
		{name: "defaults", cfg: CDConfig{BatchSize: 10, Optimizer: SGD{LearningRate: 0.1}}, chains: 10, rates: []float64{0.1, 0.1, 0.1}},
		{name: "persistent chains", cfg: CDConfig{BatchSize: 10, Persistent: true, Chains: 30}, chains: 30, rates: []float64{0, 0, 0}},
		{name: "chains without persistence are the batch", cfg: CDConfig{BatchSize: 10, Chains: 30}, chains: 10, rates: []float64{0, 0, 0}},
		{name: "rates", cfg: CDConfig{BatchSize: 4, Optimizer: SGD{LearningRate: 0.5}, Rates: map[string]float64{"c": 0.1}}, chains: 4, rates: []float64{0.5, 0.5, 0.05}},
		{name: "zero batch", cfg: CDConfig{}, errMatch: "M trainer: BatchSize must be positive, got 0"},
		{name: "negative recon rows", cfg: CDConfig{BatchSize: 1, ReconRows: -1}, errMatch: "ReconRows must be 0 (every row) or positive, got -1"},
		{name: "unknown rate", cfg: CDConfig{BatchSize: 1, Rates: map[string]float64{"z": 2}}, errMatch: `Rates names "z", which is not a trained parameter`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, chains, opt, err := tc.cfg.Prepare("M", trained)
			if tc.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.K != 1 || cfg.MeanFieldIters != 25 || cfg.MeanFieldTol != 1e-6 {
				t.Errorf("defaults: K %d, MeanFieldIters %d, MeanFieldTol %g; want 1, 25, 1e-6", cfg.K, cfg.MeanFieldIters, cfg.MeanFieldTol)
			}
			if chains != tc.chains {
				t.Errorf("chains = %d, want %d", chains, tc.chains)
			}
			for i, o := range opt {
				if o.LearningRate != tc.rates[i] {
					t.Errorf("rate of %s = %g, want %g", trained[i], o.LearningRate, tc.rates[i])
				}
			}
		})
	}
	// Set values are kept: a negative tolerance runs every mean-field sweep.
	cfg, _, _, err := CDConfig{BatchSize: 1, K: 3, MeanFieldIters: 7, MeanFieldTol: -1}.Prepare("M", nil)
	if err != nil || cfg.K != 3 || cfg.MeanFieldIters != 7 || cfg.MeanFieldTol != -1 {
		t.Errorf("Prepare changed set values: %+v, %v", cfg, err)
	}
}

func TestSteps(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   CDConfig
		epoch int
		want  int
	}{
		{"K", CDConfig{K: 5}, 7, 5},
		{"K zero", CDConfig{}, 0, 1},
		{"ramp start", CDConfig{K: 9, KSchedule: StepRamp(1, 25, 2)}, 0, 1},
		{"ramp 1", CDConfig{KSchedule: StepRamp(1, 25, 2)}, 1, 1},
		{"ramp 2", CDConfig{KSchedule: StepRamp(1, 25, 2)}, 2, 2},
		{"ramp 9", CDConfig{KSchedule: StepRamp(1, 25, 2)}, 9, 5},
		{"ramp top", CDConfig{KSchedule: StepRamp(1, 25, 2)}, 100, 25},
		{"ramp every 0", CDConfig{KSchedule: StepRamp(1, 25, 0)}, 0, 25},
		{"schedule below 1", CDConfig{KSchedule: func(int) int { return -3 }}, 4, 1},
	} {
		if got := c.cfg.Steps(c.epoch); got != c.want {
			t.Errorf("%s: Steps(%d) = %d, want %d", c.name, c.epoch, got, c.want)
		}
	}
}
