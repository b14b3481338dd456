package deep

import (
	"context"
	"math"
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/dbmtest"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// dbmSourceData returns n random binary rows of the 16 visible units of
// dbmtest.Small, each unit on with probability ¼ + ½·(unit is even).
func dbmSourceData(n int, seed uint64) *dataset.Dataset {
	rng := runtime.NewRNG(seed, 0)
	d := &dataset.Dataset{Rows: n, Cols: 16, X: make([]float64, n*16)}
	for i := range d.X {
		p := 0.25 + 0.5*float64(1-i%2)
		if rng.Float64() < p {
			d.X[i] = 1
		}
	}
	return d
}

// countingSource is a Source that records the rows it is asked for: the
// most in one Gather and the total.
type countingSource struct {
	dataset.Source
	maxRows, total int
}

func (c *countingSource) Gather(dst []float64, idx []int) {
	c.maxRows = max(c.maxRows, len(idx))
	c.total += len(idx)
	c.Source.Gather(dst, idx)
}

// droppingSource hides the last row of a Source: a negative control.
type droppingSource struct{ dataset.Source }

func (d droppingSource) Shape() (rows, cols int) {
	rows, cols = d.Source.Shape()
	return rows - 1, cols
}

// flippedBits returns d as bits with value i of row r flipped: a negative
// control.
func flippedBits(d *dataset.Dataset, r, i int) *dataset.BitDataset {
	x := &dataset.Dataset{Rows: d.Rows, Cols: d.Cols, X: slices.Clone(d.X)}
	x.X[r*d.Cols+i] = 1 - x.X[r*d.Cols+i]
	return dataset.Binarized(x, 0.5)
}

func dbmSourcePretrain() PretrainConfig {
	return PretrainConfig{Epochs: 3, BatchSize: 20, K: 1, Seed: 5, Optimizer: runtime.SGD{LearningRate: 0.1, Momentum: 0.5}}
}

// pretrainOn pretrains a fresh dbmtest.Small on data and returns its
// parameters and the reconstruction errors, concatenated.
func pretrainOn(t *testing.T, data dataset.Source) (params, recon []float64) {
	t.Helper()
	m := dbmtest.NewSmall(3).Reflect()
	res, err := PretrainDBM(context.Background(), m, data, dbmSourcePretrain())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		params = append(params, p.Data...)
	}
	for _, st := range res.RBMs {
		recon = append(recon, st.Recon...)
	}
	return params, recon
}

// PretrainDBM trains to the same bits on a dense Dataset, on the same
// images as bits, and on any Source that gathers them; a Source that drops
// a row or flips one bit trains to other parameters. It never asks for
// more rows at a time than a minibatch, and in all for one pass per epoch
// and RBM (the data are not materialized for the upper RBM).
func TestPretrainDBMSources(t *testing.T) {
	dense := dbmSourceData(200, 7)
	wantP, wantR := pretrainOn(t, dense)
	cfg := dbmSourcePretrain()
	pairs := 2
	for _, c := range []struct {
		name string
		data dataset.Source
		same bool
	}{
		{"bits", dataset.Binarized(dense, 0.5), true},
		{"counting bits", &countingSource{Source: dataset.Binarized(dense, 0.5)}, true},
		{"dropped row", droppingSource{dataset.Binarized(dense, 0.5)}, false},
		{"flipped bit", flippedBits(dense, 123, 4), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, r := pretrainOn(t, c.data)
			if same := slices.Equal(p, wantP) && slices.Equal(r, wantR); same != c.same {
				t.Errorf("parameters and reconstruction errors equal to the dense run's: %v, want %v", same, c.same)
			}
			if cs, ok := c.data.(*countingSource); ok {
				if cs.maxRows > cfg.BatchSize {
					t.Errorf("a Gather asked for %d rows, more than a minibatch (%d)", cs.maxRows, cfg.BatchSize)
				}
				if want := pairs * cfg.Epochs * dense.Rows; cs.total != want {
					t.Errorf("%d rows gathered, want %d (one pass per epoch and RBM)", cs.total, want)
				}
			}
		})
	}
}

// denseActivities is the dense pass the activities Source replaces: the
// doubled means of the upper layer for every row of acts, computed in
// consecutive blocks of a minibatch.
func denseActivities(pr *dbmPair, acts *dataset.Dataset) *dataset.Dataset {
	out := &dataset.Dataset{Rows: acts.Rows, Cols: pr.nHi, X: make([]float64, acts.Rows*pr.nHi)}
	size := min(pr.cfg.BatchSize, acts.Rows)
	for lo := 0; lo < acts.Rows; lo += size {
		n := min(size, acts.Rows-lo)
		b := pr.batch(n)
		copy(b.pl[pr.lo].Data, acts.X[lo*acts.Cols:(lo+n)*acts.Cols])
		a, p := pr.aHi[:n*pr.nHi], pr.pHi[:n*pr.nHi]
		pr.field(b.pos, pr.hi, n, pr.nHi, pr.up, pr.a0Hi, a, p)
		dbmMeans(pr.kHi, a, p, out.X[lo*pr.nHi:(lo+n)*pr.nHi])
	}
	return out
}

// The activities Source gives, for rows gathered in any order and batch
// length (of at least 4 rows), the bits of a dense pass made when the RBM
// finished, even after
// the RBM above has changed the shared bias; without keeping that bias it
// would not (the negative control).
func TestDBMActivitiesSource(t *testing.T) {
	m := dbmtest.NewSmall(3).Reflect()
	lay, err := NewDBMLayout(m)
	if err != nil {
		t.Fatal(err)
	}
	cfg := dbmSourcePretrain()
	data := dbmSourceData(100, 8)
	pr := dbmNewPair(m, lay, 0, cfg)
	if _, err := pr.train(context.Background(), data, 2, false); err != nil {
		t.Fatal(err)
	}
	want := denseActivities(pr, data)
	kept := pr.activities(dataset.Binarized(data, 0.5), dbmLaterParams(lay, 0))
	plain := pr.activities(data, nil) // keeps nothing: the negative control
	if len(kept.swap) == 0 {
		t.Fatal("no parameter of the bottom RBM is trained above it; the test needs one")
	}
	for _, p := range kept.swap { // what the RBM above does to the shared bias
		for u := range m.Params()[p].Data {
			m.Params()[p].Data[u] += 0.25
		}
	}
	for _, idx := range [][]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
		{99, 3, 57, 57, 0, 12, 44, 98, 1, 2, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69},
		{42, 7, 7, 8, 9},
		{5, 6, 7},
		{31},
		slices.Repeat([]int{77, 13}, 25), // more than a minibatch
	} {
		got := make([]float64, len(idx)*pr.nHi)
		kept.Gather(got, idx)
		wrong := make([]float64, len(idx)*pr.nHi)
		plain.Gather(wrong, idx)
		// A generated field takes its matrix products row by row, in
		// another order of summation, for fewer than 4 chains: there the
		// rows agree to rounding only (1e-15 on means in [0, 1]).
		last := len(idx) % cfg.BatchSize
		for k, i := range idx {
			row := got[k*pr.nHi : (k+1)*pr.nHi]
			tol := 0.0
			if len(idx) < 4 || (last > 0 && last < 4 && k >= len(idx)-last) {
				tol = 1e-15
			}
			for u, v := range row {
				if math.Abs(v-want.Row(i)[u]) > tol {
					t.Errorf("rows %v: row %d = %v, the dense pass's %v", idx, i, row, want.Row(i))
					break
				}
			}
		}
		if slices.Equal(wrong, got) {
			t.Errorf("rows %v: negative control: activities with the bias the RBM above changed are the same", idx)
		}
	}
	for _, p := range kept.swap {
		if m.Params()[p].Data[0] != pr.params[p].Data[0] || kept.snap[0][0]+0.25 != m.Params()[p].Data[0] {
			t.Errorf("Gather did not restore the current value of parameter %s", m.Params()[p].Name)
		}
	}
	idx := []int{4, 9, 16, 25, 36, 49, 64, 81, 3, 1, 0, 2, 5, 6, 7, 8, 10, 11, 12, 13}
	dst := make([]float64, len(idx)*pr.nHi)
	if allocs := testing.AllocsPerRun(20, func() { kept.Gather(dst, idx) }); allocs != 0 {
		t.Errorf("Gather of a minibatch allocates %v times", allocs)
	}
}

// ELBO gives the same bounds for a dense Dataset and for the same images
// as bits or through any Source, reading at most a batch at a time; one
// flipped bit changes them.
func TestELBOSources(t *testing.T) {
	m := dbmtest.NewSmall(3).Reflect()
	dense := dbmSourceData(250, 9)
	cfg := ELBOConfig{Iters: 50, Tol: 1e-9, Batch: 64}
	want, err := ELBO(m, dense, 10, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data dataset.Source
		same bool
	}{
		{"bits", dataset.Binarized(dense, 0.5), true},
		{"counting bits", &countingSource{Source: dataset.Binarized(dense, 0.5)}, true},
		{"flipped bit", flippedBits(dense, 200, 3), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ELBO(m, c.data, 10, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if same := slices.Equal(got.Rows, want.Rows) && got.Mean == want.Mean && got.StdErr == want.StdErr; same != c.same {
				t.Errorf("bounds equal to the dense data's: %v, want %v", same, c.same)
			}
			if cs, ok := c.data.(*countingSource); ok && (cs.maxRows > cfg.Batch || cs.total != dense.Rows) {
				t.Errorf("gathered %d rows, at most %d at a time; want %d, at most %d", cs.total, cs.maxRows, dense.Rows, cfg.Batch)
			}
		})
	}
	if _, err := ELBO(m, droppingSource{dataset.Binarized(dense, 0.5)}, 10, cfg); err != nil {
		t.Fatal(err)
	} // the dropped row's bound is simply absent: compared below
	got, _ := ELBO(m, droppingSource{dataset.Binarized(dense, 0.5)}, 10, cfg)
	if len(got.Rows) != dense.Rows-1 || !slices.Equal(got.Rows, want.Rows[:dense.Rows-1]) || got.Mean == want.Mean {
		t.Errorf("a Source without the last row: %d bounds, mean %v; want the first %d of the dense data's and another mean", len(got.Rows), got.Mean, dense.Rows-1)
	}
}

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	f()
	goruntime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// What PretrainDBM and ELBO allocate grows with the rows of a BitDataset
// by less than a quarter of their size as float64 (16 values, 128 bytes a
// row; the activities of the middle layer take 96): neither the data nor a
// level above it is ever materialized. The growth is measured between
// 10,000 and 20,000 rows, so that the fixed cost of chains and buffers
// cancels. ELBO returns a bound per row, 8 bytes. The negative control
// materializes the rows inside the measured call and must exceed the
// bound.
func TestDBMSourcesAllocateLittle(t *testing.T) {
	const n = 10000
	small := dataset.Binarized(dbmSourceData(n, 10), 0.5)
	large := dataset.Binarized(dbmSourceData(2*n, 10), 0.5)
	cfg := dbmSourcePretrain()
	cfg.Epochs = 1
	cfg.BatchSize = 100
	m := dbmtest.NewSmall(3).Reflect()
	for _, c := range []struct {
		name   string
		perRow uint64 // what the result takes per row
		run    func(data dataset.Source)
	}{
		{"PretrainDBM", 0, func(data dataset.Source) {
			if _, err := PretrainDBM(context.Background(), m, data, cfg); err != nil {
				t.Fatal(err)
			}
		}},
		{"ELBO", 8, func(data dataset.Source) {
			if _, err := ELBO(m, data, 10, ELBOConfig{Iters: 5, Batch: 500}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		for _, dense := range []bool{false, true} {
			measure := func(b *dataset.BitDataset) uint64 {
				return allocatedBy(func() {
					if dense { // the negative control
						c.run(b.Dense())
						return
					}
					c.run(b)
				})
			}
			growth := int64(measure(large)) - int64(measure(small))
			limit := int64(n * (c.perRow + 16*8/4))
			if under := growth < limit; under == dense {
				t.Errorf("%s (data materialized: %v): %d more bytes for %d more rows, bound %d", c.name, dense, growth, n, limit)
			}
		}
	}
}
