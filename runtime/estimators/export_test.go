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

// PathLogDensity writes log f_β of the chains x along path into dst and
// returns the layers the path keeps; with dropSummedBase the base model's
// share in the summed-out visible layers is left out, a deliberately wrong
// density, the negative control of the marginal path.
func PathLogDensity(m runtime.Reflective, base *Base, path AISPath, x runtime.Chains, beta float64, dst []float64, dropSummedBase bool) []string {
	d := newPathDensity(m, base, x.Len())
	d.setPath(path, x.Len())
	if dropSummedBase {
		d.visible = nil
	}
	d.eval(x, beta, dst)
	if d.fe < 0 {
		return nil
	}
	return m.FreeEnergies()[d.fe].Keep
}
