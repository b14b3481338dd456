// Package models is ../../dbm.ebm, the deep Boltzmann machine with two
// hidden layers, compiled by ebmc at every size the DBM example and its
// tests use, each size a type of its own:
//
//	DBM     784-500-1000, the model of the example on Fashion-MNIST
//	        (and of the MNIST table's DBM row)
//	DBM500  784-500-500: about 0.6 of the cost per mean-field sweep and
//	        Gibbs sweep, for runs on few cores (examples/dbm -small)
//	BAS     16-16-8, trained on the embedded bars-and-stripes patterns when
//	        Fashion-MNIST is not installed; log Z is exact (2¹⁶
//	        configurations of h1, with v and h2 summed out), and so is
//	        log p(v) (2⁸ configurations of h2 per image)
//	Tiny    4-3-2: 2⁹ joint configurations, few enough to enumerate, for
//	        testing the sampler, the variational bound and MAP inference
//	        against exact answers
//	Small   9-8-4: 2¹³ configurations of v and h2 once h1 is summed out,
//	        for testing greedy pretraining against the exact
//	        log-likelihood
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -type DBM -o dbm_ebm.go ../../dbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D N2=500 -type DBM500 -o dbm500_ebm.go ../../dbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=16 -D N1=16 -D N2=8 -type BAS -o bas_ebm.go ../../dbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=4 -D N1=3 -D N2=2 -type Tiny -o tiny_ebm.go ../../dbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=9 -D N1=8 -D N2=4 -type Small -o small_ebm.go ../../dbm.ebm
