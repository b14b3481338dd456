package estimators

import (
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/runtime"
)

// Samplers names the transitions a Sampler can make.
var Samplers = []string{"gibbs", "metropolis", "langevin", "mala"}

// Sampler is a Markov chain transition of any generated model, chosen by
// name, with burn-in and thinning for drawing samples.
type Sampler struct {
	// Name is one of Samplers:
	//   gibbs       one sweep of the derived block-Gibbs schedule (the default)
	//   metropolis  Metropolis–Hastings: single-unit flips by the derived flip
	//               deltas on bernoulli and spin layers, a random walk of
	//               width Step on gaussian layers, Gibbs on softmax layers
	//   langevin    unadjusted Langevin steps of size Step on gaussian layers,
	//               Gibbs on the others
	//   mala        Metropolis-adjusted Langevin, likewise
	Name string
	// Beta is the inverse temperature (0 means 1).
	Beta float64
	// Step is the random-walk width or the Langevin step size.
	Step float64
	// Burn is the number of transitions before the first sample; Thin the
	// number of transitions between samples (0 means 1).
	Burn, Thin int
}

// SamplerStats counts a sampler's transitions and its accepted moves.
type SamplerStats struct {
	Transitions        int
	Accepted, Proposed int
}

// AcceptanceRate is Accepted/Proposed, or 1 for samplers that always move.
func (s SamplerStats) AcceptanceRate() float64 {
	if s.Proposed == 0 {
		return 1
	}
	return float64(s.Accepted) / float64(s.Proposed)
}

// Check returns nil if the configuration names a known method with valid
// settings, and otherwise the error that Draw would return.
func (s Sampler) Check() error {
	switch s.Name {
	case "", "gibbs", "metropolis":
		return nil
	case "langevin", "mala":
		if s.Step <= 0 {
			return fmt.Errorf("runtime: sampler %s needs a positive Step", s.Name)
		}
		return nil
	}
	return fmt.Errorf("runtime: unknown sampler %q; choose one of %s", s.Name, strings.Join(Samplers, ", "))
}

func (s Sampler) beta() float64 {
	if s.Beta == 0 {
		return 1
	}
	return s.Beta
}

// Transition moves every chain of x by one transition and adds to st.
func (s Sampler) Transition(m runtime.Reflective, x runtime.Chains, st *SamplerStats) {
	beta := s.beta()
	st.Transitions++
	if s.Name == "" || s.Name == "gibbs" {
		m.Sweep(x, beta)
		return
	}
	for i, ly := range m.Layers() {
		var a, p int
		switch {
		case s.Name == "metropolis" && ly.Kind != runtime.KindSoftmax:
			a, p = m.Metropolis(x, i, beta, s.Step)
		case (s.Name == "langevin" || s.Name == "mala") && ly.Kind == runtime.KindGaussian:
			a, p = m.Langevin(x, i, beta, s.Step, s.Name == "mala")
		default:
			m.Sample(x, i, beta)
		}
		st.Accepted += a
		st.Proposed += p
	}
}

// Draw runs the chains of x for Burn transitions, then calls keep with the
// chains after every Thin transitions, n times. It stops at the first error
// keep returns. The parameters are held fixed for the run (HoldParams), so
// keep may read the chains but must not change the model.
func (s Sampler) Draw(m runtime.Reflective, x runtime.Chains, n int, keep func(i int, x runtime.Chains) error) (SamplerStats, error) {
	var st SamplerStats
	if err := s.Check(); err != nil {
		return st, err
	}
	m.HoldParams(x, true)
	defer m.HoldParams(x, false)
	for range s.Burn {
		s.Transition(m, x, &st)
	}
	thin := max(1, s.Thin)
	for i := range n {
		for range thin {
			s.Transition(m, x, &st)
		}
		if err := keep(i, x); err != nil {
			return st, err
		}
	}
	return st, nil
}
