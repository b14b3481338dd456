package codegen

// bench writes NAME_ebm_bench_test.go: benchmarks of the generated model
// that users run with go test -bench.
func (g *gen) bench() []byte {
	g.p = &printer{}
	p := g.p
	g.headerComment()
	p.Pf("package %s", g.opts.Package)
	p.P()
	p.P("import (")
	p.P(`"testing"`)
	p.P()
	p.Pf("%q", RuntimeImport)
	p.P(")")
	p.P()
	for _, n := range []int{1, 100} {
		g.sweepBench(n, false)
		g.sweepBench(n, true)
	}
	p.Pf("// Benchmark%sMeanField measures one mean-field sweep of 100 chains.", g.T)
	p.Pf("func Benchmark%sMeanField(b *testing.B) {", g.T)
	p.Pf("m := New%s(1)", g.T)
	p.Pf("x := New%s(100, 2)", g.C)
	p.P("b.ReportAllocs()")
	p.P("for b.Loop() {")
	p.P("m.MeanField(x, 1, 0, 0)")
	p.P("}")
	p.P("}")
	p.P()
	vs := g.visibleSize()
	p.Pf("// Benchmark%sTrainStepCD1 measures one CD-1 update on a minibatch of 100 rows.", g.T)
	p.Pf("func Benchmark%sTrainStepCD1(b *testing.B) {", g.T)
	p.Pf("m := New%s(1)", g.T)
	p.Pf("t, err := New%sTrainer(m, runtime.CDConfig{K: 1, BatchSize: 100, Optimizer: runtime.SGD{LearningRate: 0.01, Momentum: 0.5}})", g.T)
	p.P("if err != nil {")
	p.P("b.Fatal(err)")
	p.P("}")
	p.Pf("batch := make([]float64, 100*%d)", vs)
	p.P("rng := runtime.NewRNG(3, 0)")
	p.P("for k := range batch {")
	p.P("batch[k] = rng.Bernoulli(0.3)")
	p.P("}")
	p.P("b.ReportAllocs()")
	p.P("for b.Loop() {")
	p.P("t.TrainStep(batch, 100, 0)")
	p.P("}")
	p.P("}")
	return p.buf.Bytes()
}

// sweepBench writes the benchmark of one Gibbs sweep of n chains, with
// held the weights held as within Sweeps.
func (g *gen) sweepBench(n int, held bool) {
	p := g.p
	if held {
		p.Pf("// Benchmark%sSweeps%d measures one Gibbs sweep of %d chain(s) within a run", g.T, n, n)
		p.P("// of Sweeps: the weights held, packed once.")
		p.Pf("func Benchmark%sSweeps%d(b *testing.B) {", g.T, n)
	} else {
		p.Pf("// Benchmark%sSweep%d measures one Gibbs sweep of %d chain(s).", g.T, n, n)
		p.Pf("func Benchmark%sSweep%d(b *testing.B) {", g.T, n)
	}
	p.Pf("m := New%s(1)", g.T)
	p.Pf("x := New%s(%d, 2)", g.C, n)
	if held {
		p.P("m.Hold(x)")
		p.P("defer x.Workspace.Release()")
	}
	p.P("b.ReportAllocs()")
	p.P("for b.Loop() {")
	p.P("m.Sweep(x, 1)")
	p.P("}")
	p.Pf("b.ReportMetric(float64(b.N*%d)/b.Elapsed().Seconds(), \"chain-sweeps/s\")", n)
	p.P("}")
	p.P()
}
