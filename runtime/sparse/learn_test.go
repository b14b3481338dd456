package sparse_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/sctest"
	"github.com/ebmc/ebmc/runtime/sparse"
)

// trueDictionary draws a dictionary with unit-norm columns.
func trueDictionary(r *rand.Rand, nv, nk int) []float64 {
	d := make([]float64, nv*nk)
	for i := range d {
		d[i] = r.NormFloat64()
	}
	normalizeColumns(d, nv, nk)
	return d
}

func normalizeColumns(d []float64, nv, nk int) {
	for k := 0; k < nk; k++ {
		s := 0.0
		for i := 0; i < nv; i++ {
			s += d[i*nk+k] * d[i*nk+k]
		}
		for i := 0; i < nv; i++ {
			d[i*nk+k] /= math.Sqrt(s)
		}
	}
}

// recovery returns, for each true atom, 1 − max over learned atoms of
// |cos(true, learned)| (0 when recovered up to sign and permutation), and
// the fraction of atoms with 1 − |cos| < 0.01.
func recovery(truth, learned []float64, nv, nk int) (mean, found float64) {
	for k := 0; k < nk; k++ {
		best := 0.0
		for l := 0; l < nk; l++ {
			dot, na, nb := 0.0, 0.0, 0.0
			for i := 0; i < nv; i++ {
				a, b := truth[i*nk+k], learned[i*nk+l]
				dot, na, nb = dot+a*b, na+a*a, nb+b*b
			}
			best = math.Max(best, math.Abs(dot)/math.Sqrt(na*nb+1e-300))
		}
		mean += 1 - best
		if 1-best < 0.01 {
			found++
		}
	}
	return mean / float64(nk), found / float64(nk)
}

// learnFrom generates rows rows from truth (3 nonzeros of 16, noise 0.02)
// and learns a dictionary from a start of random data rows.
func learnFrom(t *testing.T, truth []float64, rows int, seed uint64) []float64 {
	t.Helper()
	nv, nk := sctest.SCNV, sctest.SCNK
	r := rand.New(rand.NewPCG(seed, 99))
	data := make([]float64, rows*nv)
	h0 := make([]float64, nk)
	for n := 0; n < rows; n++ {
		sparseRow(r, truth, nv, nk, 3, 0.02, data[n*nv:n*nv+nv], h0)
	}
	m := sctest.ZeroSC()
	m.Lambda[0] = 0.05
	// Start from data rows as atoms (columns), unit norm.
	for k := 0; k < nk; k++ {
		src := data[r.IntN(rows)*nv:]
		for i := 0; i < nv; i++ {
			m.D[i*nk+k] = src[i] + 0.01*r.NormFloat64()
		}
	}
	normalizeColumns(m.D, nv, nk)
	_, err := sparse.Learn(m, data, rows, sparse.LearnConfig{
		Epochs: 20, BatchSize: 50, Rate: 0.5, Seed: seed,
		Solve:       sparse.Options{Method: sparse.MFISTA, Tol: 1e-6},
		Constraints: []sparse.Constraint{{Param: "D", Radius: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m.D
}

// Dictionary learning recovers the atoms of a known dictionary (up to
// sign and permutation) from data it generated with sparse codes, better
// as the data grow: the mean 1 − |cos| falls with the rows, and with the
// most rows nearly every atom is found (|cos| > 0.99). Negative control: a
// random dictionary fails that criterion.
func TestDictionaryRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("learns three dictionaries")
	}
	nv, nk := sctest.SCNV, sctest.SCNK
	truth := trueDictionary(rand.New(rand.NewPCG(11, 12)), nv, nk)
	var errs []float64
	var lastFound float64
	for _, rows := range []int{100, 400, 2000} {
		mean, found := 0.0, 0.0
		for seed := uint64(1); seed <= 3; seed++ {
			m, f := recovery(truth, learnFrom(t, truth, rows, seed), nv, nk)
			mean, found = mean+m/3, found+f/3
		}
		t.Logf("%5d rows: mean 1 − |cos| %.4f, atoms found %.0f%% (3 seeds)", rows, mean, 100*found)
		errs = append(errs, mean)
		lastFound = found
	}
	for i := 1; i < len(errs); i++ {
		if errs[i] >= errs[i-1] {
			t.Errorf("recovery error did not fall with the data: %v", errs)
		}
	}
	if lastFound < 0.9 {
		t.Errorf("with 2000 rows only %.0f%% of the atoms were found", 100*lastFound)
	}
	random := trueDictionary(rand.New(rand.NewPCG(13, 14)), nv, nk)
	if mean, found := recovery(truth, random, nv, nk); found >= 0.9 || mean < errs[len(errs)-1] {
		t.Errorf("a random dictionary passed: mean %.3f, found %.0f%%", mean, 100*found)
	}
}

// Learn lowers the objective from epoch to epoch on average and keeps the
// columns within their radius; bad constraints are errors.
func TestLearnObjectiveAndConstraint(t *testing.T) {
	nv, nk := sctest.SCNV, sctest.SCNK
	r := rand.New(rand.NewPCG(21, 22))
	truth := trueDictionary(r, nv, nk)
	const rows = 300
	data := make([]float64, rows*nv)
	h0 := make([]float64, nk)
	for n := 0; n < rows; n++ {
		sparseRow(r, truth, nv, nk, 3, 0.02, data[n*nv:n*nv+nv], h0)
	}
	m := sctest.NewSC(3)
	stats, err := sparse.Learn(m, data, rows, sparse.LearnConfig{Epochs: 8, BatchSize: 30, Seed: 1,
		Solve: sparse.Options{Method: sparse.FISTA, Tol: 1e-6}, Constraints: []sparse.Constraint{{Param: "D", Radius: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if first, last := stats[0].Objective, stats[len(stats)-1].Objective; last >= first {
		t.Errorf("objective went from %.4f to %.4f", first, last)
	}
	for k := 0; k < nk; k++ {
		s := 0.0
		for i := 0; i < nv; i++ {
			s += m.D[i*nk+k] * m.D[i*nk+k]
		}
		if s > 1+1e-9 {
			t.Errorf("column %d has norm %.6f > 1", k, math.Sqrt(s))
		}
	}
	for _, c := range []sparse.Constraint{{Param: "E", Radius: 1}, {Param: "lambda", Radius: 1}, {Param: "D", Radius: 0}} {
		if _, err := sparse.Learn(m, data, rows, sparse.LearnConfig{Constraints: []sparse.Constraint{c}}); err == nil {
			t.Errorf("constraint %+v accepted", c)
		}
	}
	if _, err := sparse.Learn(m, data[:5], rows, sparse.LearnConfig{}); err == nil {
		t.Error("short data accepted")
	}
}

// ProjectColumns scales only the columns outside the ball, onto its sphere.
func TestProjectColumns(t *testing.T) {
	d := []float64{3, 0.1, 4, 0.1} // columns (3, 4) and (0.1, 0.1)
	sparse.ProjectColumns(d, []int{2, 2}, 1)
	want := []float64{0.6, 0.1, 0.8, 0.1}
	for i := range d {
		if math.Abs(d[i]-want[i]) > 1e-15 {
			t.Fatalf("got %v, want %v", d, want)
		}
	}
}

// Predictive sparse decomposition: the trained encoder predicts the MAP
// codes far better than an untrained one (relative squared error below a
// third of the untrained one's, and below 0.3), and its prediction's
// energy is one that MFISTA from zero takes at least 3 iterations to reach
// (4.5 for tanh, 6.6 for shrinkage here; started from the prediction, MAP
// inference to 1e-6 takes about as many iterations as from zero, which the
// log shows). Negative control: the untrained encoder's prediction is
// matched by the first iteration.
func TestPSD(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an encoder")
	}
	for _, shrink := range []bool{false, true} {
		before, after := trainPSD(t, shrink)
		t.Logf("shrink %v, untrained: rel. error %.3f, E(F(v)) %.4f vs E(h*) %.4f, matched after %.1f iterations; from F(v) %.1f iterations vs %.1f from 0",
			shrink, before.RelError, before.ObjectiveEncoder, before.ObjectiveMAP, before.ItersToMatch, before.ItersWarm, before.ItersCold)
		t.Logf("shrink %v, trained:   rel. error %.3f, E(F(v)) %.4f vs E(h*) %.4f, matched after %.1f iterations; from F(v) %.1f iterations vs %.1f from 0",
			shrink, after.RelError, after.ObjectiveEncoder, after.ObjectiveMAP, after.ItersToMatch, after.ItersWarm, after.ItersCold)
		if after.RelError >= before.RelError/3 || after.RelError > 0.3 {
			t.Errorf("shrink %v: the encoder's relative error went from %.3f to %.3f", shrink, before.RelError, after.RelError)
		}
		if after.ItersToMatch < 3 {
			t.Errorf("shrink %v: inference from zero matched the trained encoder after %.1f iterations", shrink, after.ItersToMatch)
		}
		if before.ItersToMatch >= 2 {
			t.Errorf("shrink %v: negative control: the untrained encoder was worth %.1f iterations", shrink, before.ItersToMatch)
		}
	}
}

func trainPSD(t *testing.T, shrink bool) (before, after sparse.EncoderStats) {
	nv, nk := sctest.SCNV, sctest.SCNK
	r := rand.New(rand.NewPCG(31, 32))
	truth := trueDictionary(r, nv, nk)
	const rows, test = 2000, 200
	data := make([]float64, (rows+test)*nv)
	h0 := make([]float64, nk)
	for n := 0; n < rows+test; n++ {
		sparseRow(r, truth, nv, nk, 3, 0.02, data[n*nv:n*nv+nv], h0)
	}
	m := sctest.ZeroSC()
	copy(m.D, truth)
	m.Lambda[0] = 0.05
	opt := sparse.Options{Method: sparse.MFISTA, Tol: 1e-6}
	newEnc := sparse.NewEncoder
	if shrink {
		newEnc = sparse.NewShrinkEncoder
	}
	before, err := sparse.EvaluateEncoder(m, newEnc(nv, nk, 1), data[rows*nv:], test, opt)
	if err != nil {
		t.Fatal(err)
	}
	enc := newEnc(nv, nk, 1)
	if _, err := sparse.TrainPSD(m, enc, data[:rows*nv], rows, sparse.PSDConfig{
		LearnConfig: sparse.LearnConfig{Epochs: 15, BatchSize: 50, Rate: 0.1, Seed: 2, Solve: opt,
			Constraints: []sparse.Constraint{{Param: "D", Radius: 1}}},
		Alpha: 0.5, EncoderRate: 0.05,
	}); err != nil {
		t.Fatal(err)
	}
	after, err = sparse.EvaluateEncoder(m, enc, data[rows*nv:], test, opt)
	if err != nil {
		t.Fatal(err)
	}
	return before, after
}
