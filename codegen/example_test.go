package codegen_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/codegen"
)

// GenerateSource turns a .ebm file into Go source, as ebmc gen does: one
// file for the model (and, with Options.Bench, one of benchmarks). Here are
// its file name and its exported functions.
func ExampleGenerateSource() {
	src := []byte(`model RBM
visible v[NV] bernoulli
hidden  h[NH] bernoulli
const NV = 6
const NH = 3
param W[NV, NH] = normal(0, 0.01)
param b[NV]
param c[NH]
energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j]
`)
	files, err := codegen.GenerateSource("models/rbm.ebm", src, 0, codegen.Options{Package: "models"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Name)
		sc := bufio.NewScanner(bytes.NewReader(f.Content))
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "func New") || strings.HasPrefix(line, "package ") {
				fmt.Println(" ", strings.TrimSuffix(line, " {"))
			}
		}
	}
	// Output:
	// rbm_ebm.go
	//   package models
	//   func NewRBM(seed uint64) *RBM
	//   func NewRBMChains(n int, seed uint64) *RBMChains
	//   func NewRBMTrainer(m *RBM, cfg runtime.CDConfig) (*RBMTrainer, error)
}
