package main

import (
	"fmt"

	"github.com/ebmc/ebmc/examples/mnist/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// swapRBM writes into dst the RBM src with its layers swapped: dst.W =
// src.Wᵀ, dst.b = src.c and dst.c = src.b — tieTop into a top with no
// other hidden units. The energy E(v, h) = −vᵀWh − bᵀv − cᵀh of src at
// (v, h) is dst's at (h, v), so both have the same Z; AIS on dst anneals
// over src's hidden units and sums out its visible ones.
func swapRBM(src, dst runtime.Reflective) error {
	sp, dp := src.Params(), dst.Params()
	if len(sp) != 3 || len(dp) != 3 || len(sp[0].Shape) != 2 || len(dp[0].Shape) != 2 {
		return fmt.Errorf("swapRBM: %s and %s are not both RBMs with W, b, c", src.ModelName(), dst.ModelName())
	}
	if sw, dw := sp[0].Shape, dp[0].Shape; dw[0] != sw[1] || dw[1] != sw[0] {
		return fmt.Errorf("swapRBM: %s's W is %v, want %d × %d", dst.ModelName(), dw, sw[1], sw[0])
	}
	return tieTop(src, dst)
}

// swappedTop returns the DBN's top RBM with its layers swapped (swapRBM)
// and the base model of AIS over its visible layer, the top's h₂: base
// rates of the training data mapped up (DBN.SwappedTopBase). That path anneals over the 2000 units of
// h₂ where TopLogZ's anneals over the 500 of h₁, so it misses other modes,
// if any: where the two forward estimates agree, neither has missed much.
func (e *env) swappedTop(d *deep.DBN) (runtime.Reflective, *estimators.Base, error) {
	top := d.Generative(d.Len() - 1)
	swapped := models.NewTop2000Swapped(e.o.seed).Reflect()
	if err := swapRBM(top, swapped); err != nil {
		return nil, nil, err
	}
	base, err := d.SwappedTopBase(e.train, swapped)
	if err != nil {
		return nil, nil, err
	}
	return swapped, base, nil
}
