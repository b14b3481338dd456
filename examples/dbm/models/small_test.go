package models_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/dbm/internal/deep3"
	"github.com/ebmc/ebmc/examples/dbm/internal/exact"
	"github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
)

// barsAndStripes returns the 14 distinct 3×3 images whose rows, or
// columns, are all equal, each repeated copies times.
func barsAndStripes(copies int) *dataset.Dataset {
	d := &dataset.Dataset{Cols: 9}
	seen := map[[9]float64]bool{}
	for mask := 0; mask < 8; mask++ {
		for _, rows := range []bool{true, false} {
			var img [9]float64
			for r := 0; r < 3; r++ {
				for c := 0; c < 3; c++ {
					bit := c
					if rows {
						bit = r
					}
					img[r*3+c] = float64(mask >> bit & 1)
				}
			}
			if !seen[img] {
				seen[img] = true
				for k := 0; k < copies; k++ {
					d.X = append(d.X, img[:]...)
					d.Rows++
				}
			}
		}
	}
	return d
}

// meanLogLikelihood is the exact average log p(v) over the rows of d.
func meanLogLikelihood(t *testing.T, m runtime.Reflective, d *dataset.Dataset) (ll, logZ float64) {
	t.Helper()
	fe := -1
	for i, f := range m.FreeEnergies() {
		if strings.Contains(" "+strings.Join(f.Keep, " ")+" ", " v ") && (fe < 0 || len(f.SumOut) > len(m.FreeEnergies()[fe].SumOut)) {
			fe = i
		}
	}
	j, err := exact.EnumerateKept(m, fe, 1<<18)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < d.Rows; r++ {
		lp, err := j.LogPVisible(d.Row(r))
		if err != nil {
			t.Fatal(err)
		}
		ll += lp / float64(d.Rows)
	}
	return ll, j.LogZ
}

func pretrainConfig() deep.PretrainConfig {
	return deep.PretrainConfig{Epochs: 100, BatchSize: 14, K: 1, Seed: 1,
		Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5, WeightDecay: 0.001}}
}

// checkPretraining pretrains a fresh model (near uniform: its weights are
// drawn from N(0, 0.01²)) on 3×3 bars and stripes and checks that the
// exact log-likelihood rises, that every RBM's reconstruction error
// falls, that the doubling correction composes a better DBM than plain
// stacking of the same RBMs does, and that the mean-field bound stays
// below the exact log-likelihood.
func checkPretraining(t *testing.T, fresh func() runtime.Reflective, doubling [][2]bool) {
	d := barsAndStripes(10)
	m := fresh()
	before, _ := meanLogLikelihood(t, m, d)
	res, err := deep.PretrainDBM(context.Background(), m, d, pretrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	after, logZ := meanLogLikelihood(t, m, d)
	plain := fresh()
	cfg := pretrainConfig()
	cfg.NoDoubling = true
	if _, err := deep.PretrainDBM(context.Background(), plain, d, cfg); err != nil {
		t.Fatal(err)
	}
	stacked, _ := meanLogLikelihood(t, plain, d)
	t.Logf("exact mean log-likelihood: %.4f before pretraining, %.4f after, %.4f by plain stacking (best possible −log 14 = %.4f); %.2fs",
		before, after, stacked, -math.Log(14), res.Seconds)
	if after <= before {
		t.Errorf("pretraining lowered the log-likelihood from %.4f to %.4f", before, after)
	}
	if after <= stacked {
		t.Errorf("with the doubling correction the log-likelihood is %.4f, without it %.4f", after, stacked)
	}
	if len(res.RBMs) != len(doubling) {
		t.Fatalf("%d RBMs trained, want %d", len(res.RBMs), len(doubling))
	}
	for k, st := range res.RBMs {
		t.Logf("RBM %s–%s (up doubled %v, down doubled %v): recon %.4f → %.4f", st.Lower, st.Upper, st.DoubleUp, st.DoubleDown, st.Recon[0], st.Recon[len(st.Recon)-1])
		if st.DoubleUp != doubling[k][0] || st.DoubleDown != doubling[k][1] {
			t.Errorf("RBM %d doubles (up, down) = (%v, %v), want %v", k+1, st.DoubleUp, st.DoubleDown, doubling[k])
		}
		if st.Recon[len(st.Recon)-1] >= st.Recon[0] {
			t.Errorf("RBM %s–%s: reconstruction error rose from %.4f to %.4f", st.Lower, st.Upper, st.Recon[0], st.Recon[len(st.Recon)-1])
		}
	}
	bound, err := deep.ELBO(m, d, logZ, deep.ELBOConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean-field bound %.4f ± %.4f", bound.Mean, bound.StdErr)
	if bound.Mean > after+1e-9 {
		t.Errorf("the bound %.4f exceeds the exact log-likelihood %.4f", bound.Mean, after)
	}
}

func TestPretrainingRaisesLikelihood(t *testing.T) {
	checkPretraining(t, func() runtime.Reflective { return models.NewSmall(1).Reflect() }, [][2]bool{{true, false}, {false, true}})
}

// With three hidden layers the middle RBM has both inputs doubled.
func TestPretrainingThreeHiddenLayers(t *testing.T) {
	m := deep3.NewDBM3(1).Reflect()
	lay, err := deep.NewDBMLayout(m)
	if err != nil {
		t.Fatal(err)
	}
	names := func(idx []int) string {
		var s []string
		for _, i := range idx {
			s = append(s, m.Params()[i].Name)
		}
		return strings.Join(s, ",")
	}
	var got []string
	for k, l := range lay.Chain {
		got = append(got, m.Layers()[l].Name+":"+names(lay.Biases[k]))
		if k < len(lay.Weights) {
			got = append(got, names(lay.Weights[k]))
		}
	}
	if got, want := strings.Join(got, " "), "v:b W1 h1:c1 W2 h2:c2 W3 h3:c3"; got != want {
		t.Errorf("layout %q, want %q", got, want)
	}
	checkPretraining(t, func() runtime.Reflective { return deep3.NewDBM3(1).Reflect() }, [][2]bool{{true, false}, {true, true}, {false, true}})
}
