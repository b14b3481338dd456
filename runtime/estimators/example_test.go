package estimators_test

import (
	"fmt"
	"math"
	"slices"

	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// Linked importance sampling of a small RBM's log Z, checked against
// enumeration.
func ExampleLIS() {
	m := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(m, 1.5, 7)
	exact, _ := m.LogZ(0)
	e, err := estimators.LIS(m, estimators.Uniform(m), estimators.LISConfig{
		AISConfig: estimators.AISConfig{Temperatures: 20, Runs: 400, Seed: 1}, States: 10})
	if err != nil {
		panic(err)
	}
	fmt.Printf("exact log Z %.2f; %s\n", exact, e.Method)
	fmt.Println("within the ±3σ interval:", e.Low <= exact && exact <= e.High)
	// Output:
	// exact log Z 10.14; linked importance sampling, 20 distributions, 10 states each, 400 runs
	// within the ±3σ interval: true
}

// A tracker follows log Z while the parameters change (here: the weights
// grow by 10%); each Observe adds a bridge-sampling estimate of the change.
func ExampleNewTracker() {
	m := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(m, 1.5, 7)
	z0, _ := m.LogZ(0)
	tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0},
		estimators.TrackConfig{Chains: 1000, Sweeps: 20, Burn: 50, Seed: 4})
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		for k := range p.Data {
			p.Data[k] *= 1.1
		}
	}
	tr.Observe()
	z1, _ := m.LogZ(0)
	z, sd := tr.LogZ()
	fmt.Printf("exact log Z %.2f, tracked %.2f\n", z1, z)
	fmt.Println("within ±3σ:", z-3*sd <= z1 && z1 <= z+3*sd)
	// Output:
	// exact log Z 10.81, tracked 10.82
	// within ±3σ: true
}

// With a ladder from the model (β = 1) down to its base model (β = 0,
// whose log Z is known) and Filter set, the tracker follows log Z at every
// rung and combines the steps over time with the ratios between rungs by a
// Kalman filter; Bridged is what the ladder alone says now.
func ExampleNewTracker_filter() {
	m := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(m, 1.5, 7)
	z0, _ := m.LogZ(0)
	tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0},
		estimators.TrackConfig{Chains: 1000, Sweeps: 20, Burn: 50, Seed: 4, Betas: estimators.LinearLadder(6), Filter: true})
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		for k := range p.Data {
			p.Data[k] *= 1.1
		}
	}
	tr.Observe()
	z1, _ := m.LogZ(0)
	z, sd := tr.LogZ()
	b, bsd := tr.Bridged()
	fmt.Printf("exact log Z %.2f, filtered %.2f, ladder alone %.2f\n", z1, z, b)
	fmt.Println("within ±3σ:", z-3*sd <= z1 && z1 <= z+3*sd, b-3*bsd <= z1 && z1 <= b+3*bsd)
	// Output:
	// exact log Z 10.81, filtered 10.81, ladder alone 10.84
	// within ±3σ: true true
}

// The Kalman filter with the observations' noise estimated from the chains
// (TrackConfig.EstimateNoise): the 6×3 RBM's parameters grow by 0.2% per
// observation; after 200 observations the tracked log Z, its ±3σ band, and
// the noise model's factors (per rung τ̂, the time ratios' variance factor).
func ExampleTracker_NoiseFactors() {
	m := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(m, 1.5, 7)
	z0, _ := m.LogZ(0)
	tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0},
		estimators.TrackConfig{Chains: 100, Burn: 20, Seed: 4, Betas: estimators.LinearLadder(4), Filter: true, EstimateNoise: true})
	if err != nil {
		panic(err)
	}
	for range 200 {
		for _, p := range m.Params() {
			for k := range p.Data {
				p.Data[k] *= 1.002
			}
		}
		tr.Observe()
	}
	z1, _ := m.LogZ(0)
	z, sd := tr.LogZ()
	tau := make([]float64, 4)
	c := tr.NoiseFactors(tau)
	fmt.Printf("exact log Z %.2f, tracked %.2f, within ±3σ: %v\n", z1, z, math.Abs(z-z1) <= 3*sd)
	fmt.Printf("τ̂ ≥ 1: %v, time-ratio factor ≥ 1: %v\n", slices.Min(tau) >= 1, c >= 1)
	// Output:
	// exact log Z 13.64, tracked 13.64, within ±3σ: true
	// τ̂ ≥ 1: true, time-ratio factor ≥ 1: true
}
