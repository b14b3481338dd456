// Package classrbm is the Go code ebmc generates from ../classrbm.ebm: an
// RBM over images and a one-hot label.
package classrbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -o classrbm_ebm.go ../classrbm.ebm
