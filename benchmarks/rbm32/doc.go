// Package rbm32 is the RBM of examples/rbm.ebm generated with -float32, for
// the AIS workload with float32 products (benchmarks -workload ais
// -float32), whose chains the runtime creates through Reflect.
package rbm32

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -float32 -o rbm_ebm.go ../../examples/rbm.ebm
