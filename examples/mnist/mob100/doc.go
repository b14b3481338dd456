// Package mob100 is ../../mob.ebm generated with 100 components: a mixture of
// 100 product-of-Bernoulli distributions over 28×28 binary images.
package mob100

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=100 -o mob_ebm.go ../../mob.ebm
