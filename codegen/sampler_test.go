package codegen_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/verify"
)

func TestSamplersMatchExactDistributions(t *testing.T) {
	d := startDriver(t)
	const n, sweeps = 20000, 100
	if testing.Short() {
		t.Log("-short: rbm.ebm and dbm.ebm only")
	}
	for _, c := range cases(t) {
		if shortSkips(c.Name, "rbm.ebm", "dbm.ebm") {
			continue
		}
		m := d.models[c.Name]
		p := randomParams(m, 21)
		if _, _, err := verify.ExactDiscrete(m, p, 1<<12); err != nil {
			t.Logf("%s: not enumerable (%v), skipped", c.Name, err)
			continue
		}
		tv, bound, err := verify.SampleTV(d.Driver, c.Name, m, p, n, sweeps, 99, 1<<12)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: TV %.4f (bound %.4f)", c.Name, tv, bound)
		if tv > bound {
			t.Errorf("%s: the sampler's distribution is %.4f from the exact one in total variation; the bound for %d samples is %.4f", c.Name, tv, n, bound)
		}
	}
}

// The same test must reject a wrong sampler: here the generated hidden
// sampler of the RBM draws with half the right field, as a sampler that
// tempered one block by mistake would.
func TestSamplerTestCatchesWrongSampler(t *testing.T) {
	d := startDriver(t)
	const n, sweeps = 20000, 100
	m := d.models["rbm.ebm"]
	p := randomParams(m, 21)
	tv, bound, err := verify.SampleTV(d.Driver, "rbm.ebm/wrong-sampler", m, p, n, sweeps, 99, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrong sampler: TV %.4f (bound %.4f)", tv, bound)
	if tv <= bound {
		t.Errorf("a sampler that halves its field passed: TV %.4f ≤ bound %.4f", tv, bound)
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	d := startDriver(t)
	for _, name := range testModelNames(t) {
		m := d.models[name]
		for _, n := range []int{1, 8, 100} {
			if n == 100 && name != "rbm.ebm/full" {
				continue
			}
			r := d.call(t, harness.Request{Model: name, Op: "allocs", Params: randomParams(m, 1), N: n})
			for what, a := range r.Allocs {
				if a != 0 {
					t.Errorf("%s (%d chains): %s allocates %.0f times", name, n, what, a)
				}
			}
		}
	}
}

// Sweeps with the parameters held (the products reading packed copies of
// the weights) end in the very states of unheld sweeps from the same start,
// on every test model: the copies hold the values the unheld products pack.
// A float32 model's single chain is the exception — held, its Gemv and
// AddRows read float32 copies where unheld they read float64 — and is left
// to the sampling tests, which hold their parameters too (Sampler.Draw).
func TestHeldSweepsMatchUnheld(t *testing.T) {
	d := startDriver(t)
	for _, name := range testModelNames(t) {
		m := d.models[name]
		for _, n := range []int{1, 8, 100} {
			if n == 100 && name != "rbm.ebm/full" || n < 4 && strings.Contains(name, "float32") {
				continue
			}
			r := d.call(t, harness.Request{Model: name, Op: "hold", Params: randomParams(m, 2), N: n, Beta: 1, Seed: 5, Sweeps: 4})
			if len(r.Held) != n {
				t.Fatalf("%s (%d chains): %d held states", name, n, len(r.Held))
			}
			for c := range r.States {
				if !slices.Equal(r.States[c], r.Held[c]) {
					t.Errorf("%s (%d chains): chain %d ends elsewhere when the parameters are held", name, n, c)
					break
				}
			}
		}
	}
}

// testModelNames returns the full-size RBM and every generated test model.
func testModelNames(t *testing.T) []string {
	names := []string{"rbm.ebm/full"}
	for _, c := range cases(t) {
		names = append(names, c.Name)
	}
	return names
}
