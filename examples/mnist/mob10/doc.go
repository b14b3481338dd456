// Package mob10 is ../../mob.ebm generated with 10 components: a mixture of
// 10 product-of-Bernoulli distributions over 28×28 binary images.
package mob10

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=10 -o mob_ebm.go ../../mob.ebm
