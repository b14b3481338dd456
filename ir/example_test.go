package ir_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// A restricted Boltzmann machine, its hidden layer's size set at compile
// time as ebmc gen -D NH=4 would: Compile parses and checks it and derives
// its conditionals, free energies and gradients, and Explain prints them
// (here the section of the conditionals).
func ExampleCompile() {
	src := []byte(`model RBM
visible v[NV] bernoulli
hidden  h[NH] bernoulli
const NV = 3
const NH = 2
param W[NV, NH] = normal(0, 0.01)
param b[NV]
param c[NH]
energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j]
`)
	m, err := ir.Compile("rbm.ebm", src, ir.Options{Defines: map[string]int{"NH": 4}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("model %s: %d parameter bytes\n", m.Name, m.ParamBytes())
	var b bytes.Buffer
	if err := ir.Explain(&b, m, ir.Text); err != nil {
		fmt.Println(err)
		return
	}
	for _, section := range strings.Split(b.String(), "\n\n") {
		if strings.HasPrefix(section, "Conditionals") {
			fmt.Println(section)
		}
	}
	// Output:
	// model RBM: 152 parameter bytes
	// Conditionals p(unit | rest), with E = ½·P·x² − a·x + (terms without x)
	//   p(v[i] = 1 | rest) = σ(a_v[i])
	//       a_v[i] = Σ_{j} W[i,j]·h[j] + b[i]
	//   p(h[j] = 1 | rest) = σ(a_h[j])
	//       a_h[j] = Σ_{i} W[i,j]·v[i] + c[j]
}

// A model that does not check is refused with a positioned error that says
// what to do.
func ExampleCompile_error() {
	src := []byte(`model Bad
visible v[3] bernoulli
hidden  h[2] bernoulli
param W[3, 2]
energy = -sum(i, j) v[i] * w[i, j] * h[j]
`)
	_, err := ir.Compile("bad.ebm", src, ir.Options{})
	fmt.Println(err)
	// Output:
	// bad.ebm:5:28: undeclared name w; did you mean W? Otherwise declare it as a layer, param or const
}
