// Package deep3 is deep3.ebm, a deep Boltzmann machine with three hidden
// layers, generated at a size small enough to enumerate.
package deep3

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o deep3_ebm.go -pkg deep3 deep3.ebm
