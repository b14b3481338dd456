// Package gauss is a three-unit Gaussian with a full precision matrix, compiled by ebmc.
package gauss

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o gauss_ebm.go gauss.ebm
