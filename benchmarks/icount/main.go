// Command icount runs -reps products C = A·B of one shape on a one-thread
// Workspace, for counting the instructions a CPU (or an emulator such as
// qemu-aarch64 -singlestep -d exec,nochain) executes per product: the
// difference between two values of -reps, divided by their difference,
// leaves out the set-up. With -binary, A holds 0/1 values with 20% ones,
// which sends the product to the sparse-row kernel. docs/performance.md
// ("arm64") and docs/results/arm64-icount hold the counts and the script.
package main

import (
	"flag"
	"fmt"

	"github.com/ebmc/ebmc/runtime"
)

func main() {
	m := flag.Int("m", 32, "rows of A and C")
	n := flag.Int("n", 96, "columns of B and C")
	k := flag.Int("k", 256, "columns of A, rows of B")
	reps := flag.Int("reps", 1, "number of products")
	binary := flag.Bool("binary", false, "A of 0/1 values, 20% ones")
	flag.Parse()
	w := runtime.NewWorkspace(1)
	defer w.Close()
	r := runtime.NewRNG(1, 0)
	a := make([]float64, *m**k)
	b := make([]float64, *k**n)
	c := make([]float64, *m**n)
	for i := range a {
		if *binary {
			a[i] = r.Bernoulli(0.2)
		} else {
			a[i] = r.Float64()
		}
	}
	for i := range b {
		b[i] = r.Float64()
	}
	for range *reps {
		w.Gemm(false, false, *m, *n, *k, 1, a, *k, b, *n, 0, c, *n)
	}
	fmt.Println(c[0])
}
