// Package kernels holds runtime's lowest layer: the CPU feature detection
// that picks a kernel level (Level: pure Go, AVX2 + FMA or AVX-512 on
// amd64, NEON on arm64), the assembly kernels for dense and sparse matrix
// products, packing, row updates, Bernoulli draws and vector e^x, σ and
// softplus, and the Go dot products they share. runtime's GEMM driver,
// random numbers and vector maths call them. The NEON level implements the
// AVX2 level's dense, sparse-row, row-update and dot kernels and its vector
// maths with the same contracts (the _arm64.s files); the other kernels
// are x86 only and runtime takes its Go paths for them on arm64. With
// -tags purego, or on other architectures, every kernel runs in Go and the
// assembly stubs are never called.
package kernels
