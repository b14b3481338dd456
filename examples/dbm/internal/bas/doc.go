// Package bas is ../../../dbm.ebm generated at 16 visible units (4×4
// images) and 16 and 8 hidden units: the model examples/dbm/cmd/dbm trains
// on the embedded bars-and-stripes patterns when Fashion-MNIST is not
// installed. Its log Z is exact (2¹⁶ configurations of h1, with v and h2
// summed out), and so is log p(v) (2⁸ configurations of h2 per image).
package bas

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o dbm_ebm.go -pkg bas -D NV=16 -D N1=16 -D N2=8 ../../../dbm.ebm
