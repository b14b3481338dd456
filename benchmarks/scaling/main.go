// Command scaling measures how the generated block-Gibbs sampler of a
// 784×H binary RBM scales with the hidden layer, the number of chains and
// the number of cores, and prints the table of the README's performance
// section:
//
//	go run ./benchmarks/scaling   # also re-runs itself with GOMAXPROCS=1 for the core count
//	go run ./benchmarks/scaling -float32
//
// Each cell is the best of -reps runs of at least -seconds each, in chain
// sweeps per second, of m.Sweeps (the weights held, as in W1); weights are N(0, 0.01²) as initialized, visible units
// start uniform, so the work is the same as after training.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ebmc/ebmc/benchmarks/scaling/sizes"
	"github.com/ebmc/ebmc/examples/rbm"
)

func main() {
	seconds := flag.Float64("seconds", 1, "minimum seconds per measurement")
	reps := flag.Int("reps", 3, "measurements per cell (the best is kept)")
	one := flag.String("one", "", "internal: measure one cell \"hidden,chains\" and print chain-sweeps/s")
	f32 := flag.Bool("float32", false, "float32 products (Workspace.SetFloat32, as ebmc gen -float32)")
	flag.Parse()
	if *one != "" {
		parts := strings.Split(*one, ",")
		h, _ := strconv.Atoi(parts[0])
		c, _ := strconv.Atoi(parts[1])
		fmt.Printf("%.0f\n", best(h, c, *seconds, *reps, *f32))
		return
	}
	precision := "float64"
	if *f32 {
		precision = "float32"
	}
	fmt.Printf("784×H binary RBM, block-Gibbs chain-sweeps/s (best of %d, ≥ %.1f s each), %s products, GOMAXPROCS %d\n\n", *reps, *seconds, precision, goruntime.GOMAXPROCS(0))
	fmt.Println("| hidden units | 1 chain | 10 chains | 100 chains | 1000 chains |")
	fmt.Println("|---|---|---|---|---|")
	for _, h := range []int{100, 500, 2000} {
		fmt.Printf("| %d |", h)
		for _, c := range []int{1, 10, 100, 1000} {
			fmt.Printf(" %.0f |", best(h, c, *seconds, *reps, *f32))
		}
		fmt.Println()
	}
	two := best(500, 100, *seconds, *reps, *f32)
	cmd := exec.Command(os.Args[0], "-one", "500,100", "-seconds", fmt.Sprint(*seconds), "-reps", fmt.Sprint(*reps), "-float32="+fmt.Sprint(*f32))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaling: the one-core run failed:", err)
		os.Exit(1)
	}
	oneCore, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	fmt.Printf("\nW1 (784×500, 100 chains): %.0f chain-sweeps/s on %d cores, %.0f on 1: %.2f×\n", two, goruntime.GOMAXPROCS(0), oneCore, two/oneCore)
}

// sweeper runs sweeps of one model over n chains.
type sweeper func(sweeps int)

func newSweeper(h, chains int, f32 bool) sweeper {
	switch h {
	case 100:
		m, x := sizes.NewRBM100(1), sizes.NewRBM100Chains(chains, 2)
		x.Workspace.SetFloat32(f32)
		return func(n int) { m.Sweeps(x, 1, n) }
	case 500:
		m, x := rbm.NewRBM(1), rbm.NewRBMChains(chains, 2)
		x.Workspace.SetFloat32(f32)
		return func(n int) { m.Sweeps(x, 1, n) }
	case 2000:
		m, x := sizes.NewRBM2000(1), sizes.NewRBM2000Chains(chains, 2)
		x.Workspace.SetFloat32(f32)
		return func(n int) { m.Sweeps(x, 1, n) }
	}
	panic("no model with " + strconv.Itoa(h) + " hidden units")
}

// best returns the highest chain-sweeps/s of reps measurements, with
// float32 products if f32.
func best(h, chains int, seconds float64, reps int, f32 bool) float64 {
	run := newSweeper(h, chains, f32)
	run(3) // warm-up: kernels' scratch, page faults
	top := 0.0
	for range reps {
		n, start := 0, time.Now()
		for time.Since(start).Seconds() < seconds {
			run(max(1, 100/chains))
			n += max(1, 100/chains)
		}
		top = max(top, float64(n*chains)/time.Since(start).Seconds())
	}
	return top
}
