package estimators

import "github.com/ebmc/ebmc/runtime"

// LISUniformLink is LIS with the link states chosen uniformly instead of
// in proportion to the bridge weights: a deliberately wrong variant, the
// negative control of the LIS tests.
func LISUniformLink(m runtime.Reflective, base *Base, cfg LISConfig) (*Estimate, error) {
	return lis(m, base, cfg, true)
}

// TrackerFaults breaks a Kalman-filtered tracker on purpose, the negative
// controls of its tests: the anchor (the known log Z at β = 0) moved by
// anchorShift, every time ratio at β > 0 moved by stepBias (a systematic
// error like that of chains that miss modes), and with dropBridges the
// between-rung observations left out.
// Call it right after NewTracker: the filter restarts from the start
// estimate with the moved anchor.
func TrackerFaults(t *Tracker, anchorShift, stepBias float64, dropBridges bool) {
	t.f.anchor += anchorShift
	t.f.start(t.logZ, t.variance)
	t.f.bias = stepBias
	t.f.noBridge = dropBridges
}

// DropSwapBase makes a path ladder's swaps ignore its base model (the
// rule of plain tempering, with E alone) while its sweeps keep it: a
// deliberately wrong swap rule, the negative control of the path ladder.
func DropSwapBase(t *Tempering) { t.base = nil }
