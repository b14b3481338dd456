// Package rbm20 is ../rbm.ebm generated with 20 hidden units: small enough
// that log Z is exact (2²⁰ hidden configurations), for checking AIS.
package rbm20

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=20 -o rbm_ebm.go ../rbm.ebm
