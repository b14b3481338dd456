package torch_test

import (
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/codegen/torch"
	"github.com/ebmc/ebmc/ir"
)

// Generate prints a model as a PyTorch module; each derived sum is one
// einsum, a matrix product plus a bias one torch.addmm.
func ExampleGenerate() {
	src := `model Tiny
visible v[3] bernoulli
hidden h[2] bernoulli
param W[3, 2] = normal(0, 0.1)
param b[3]
param c[2]
energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j]`
	m, err := ir.Compile("tiny.ebm", []byte(src), ir.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := torch.Generate(m, torch.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(torch.FileName(m))
	for _, line := range strings.Split(string(code), "\n") {
		if strings.Contains(line, "addmm(") || strings.HasPrefix(line, "class Tiny") || strings.Contains(line, "g[0] =") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// tiny_ebm.py
	// class Tiny(EBM):
	// return torch.addmm(P["b"], x[1], P["W"].t()), None
	// return torch.addmm(P["c"], x[0], P["W"]), None
	// g[0] = x[0].t() @ (x[1] * -w[:, None])
}
