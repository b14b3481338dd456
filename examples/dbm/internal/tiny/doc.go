// Package tiny is ../../../dbm.ebm generated at 4 visible and 3 and 2
// hidden units: 2⁹ joint configurations, few enough to enumerate, for
// testing the sampler, the variational bound and MAP inference against
// exact answers.
package tiny

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o dbm_ebm.go -pkg tiny -D NV=4 -D N1=3 -D N2=2 ../../../dbm.ebm
