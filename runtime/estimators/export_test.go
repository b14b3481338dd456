package estimators

import "github.com/ebmc/ebmc/runtime"

// LISUniformLink is LIS with the link states chosen uniformly instead of
// in proportion to the bridge weights: a deliberately wrong variant, the
// negative control of the LIS tests.
func LISUniformLink(m runtime.Reflective, base *Base, cfg LISConfig) (*Estimate, error) {
	return lis(m, base, cfg, true)
}
