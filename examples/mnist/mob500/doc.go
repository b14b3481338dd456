// Package mob500 is ../../mob.ebm generated with 500 components: a mixture of
// 500 product-of-Bernoulli distributions over 28×28 binary images.
package mob500

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=500 -o mob_ebm.go ../../mob.ebm
