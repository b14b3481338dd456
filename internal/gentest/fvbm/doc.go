// Package fvbm is a 5-unit fully visible Boltzmann machine compiled by ebmc.
package fvbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o fvbm_ebm.go fvbm.ebm
