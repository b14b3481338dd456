package runtime

import (
	"math"
	goruntime "runtime"
	"sync"
)

// EnumerateLogSum returns log Σ_{k<n} exp(f(k)) for a function evaluated in
// batches: each of GOMAXPROCS goroutines calls worker once to get its own
// evaluator (with its own buffers), then hands it consecutive batches
// (k0, count ≤ batch) whose values f(k0), …, f(k0+count−1) it writes into out.
// The sums are accumulated in log space, so no term overflows.
func EnumerateLogSum(n, batch int, worker func() func(k0, count int, out []float64)) float64 {
	workers := max(1, min(goruntime.GOMAXPROCS(0), (n+batch-1)/batch))
	partial := make([]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eval := worker()
			out := make([]float64, batch)
			total := math.Inf(-1)
			lo, hi := n*w/workers, n*(w+1)/workers
			for k0 := lo; k0 < hi; k0 += batch {
				count := min(batch, hi-k0)
				eval(k0, count, out[:count])
				total = LogAddExp(total, LogSumExp(out[:count]))
			}
			partial[w] = total
		}()
	}
	wg.Wait()
	return LogSumExp(partial)
}
