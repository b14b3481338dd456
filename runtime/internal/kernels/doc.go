// Package kernels holds runtime's lowest layer: the CPU feature detection
// that picks a kernel level (Level: pure Go, AVX2 + FMA or AVX-512), the
// assembly kernels for dense and sparse matrix products, packing, row
// updates, Bernoulli draws and vector e^x, σ and softplus, and the Go dot
// products they share. runtime's GEMM driver, random numbers and vector
// maths call them; with -tags purego, or on other architectures, every
// kernel runs in Go and the assembly stubs are never called.
package kernels
