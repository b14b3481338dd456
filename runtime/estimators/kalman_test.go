package estimators_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// pcdTrack is one tracked PCD run of the 6×3 RBM on rows of a teacher RBM
// (the setting of training's TestTrackLogZDuringPCD): per epoch the exact
// log Z, the filtered log Z and its σ, and the accumulated (unfiltered)
// sum of the β = 1 time ratios.
type pcdTrack struct {
	exact, tracked, sd, summed, bridged []float64
	start                               float64 // exact log Z before training
	steps                               int
}

// runPCDTrack trains a fresh 6×3 RBM by PCD-1 for the given epochs of 100
// updates, a Kalman-filtered tracker over a linear ladder of rungs rungs
// observing after every update; faults (may be nil) breaks the tracker
// before training (export_test.go's TrackerFaults).
// teacherPCD returns the 6×3 student RBM (exact log Z z0 at the start), 2000
// exact samples of the perturbed 6×3 teacher, and the student's PCD-1
// trainer (100 chains, minibatches of 20, rate 0.05, momentum 0.5) seeded
// with seed.
func teacherPCD(t *testing.T, seed uint64) (runtime.Reflective, *dataset.Dataset, runtime.Trainer, float64) {
	t.Helper()
	teacher := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(teacher, 1.5, 7)
	data := modeltest.ExactSample(t, teacher, 2000, 3)
	m := rbm.NewRBM(2).Reflect()
	z0, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.NewTrainer(m, training.PCD{K: 1, Chains: 100},
		training.Options{BatchSize: 20, Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return m, data, tr, z0
}

func runPCDTrack(t *testing.T, epochs, rungs int, faults func(*estimators.Tracker)) pcdTrack {
	t.Helper()
	m, data, tr, z0 := teacherPCD(t, 5)
	track, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0},
		estimators.TrackConfig{Chains: 100, Burn: 20, Seed: 9, Betas: estimators.LinearLadder(rungs), Filter: true})
	if err != nil {
		t.Fatal(err)
	}
	if faults != nil {
		faults(track)
	}
	r := pcdTrack{start: z0}
	stats, err := training.Fit(context.Background(), tr, data, training.FitConfig{
		Epochs: epochs, BatchSize: 20, Shuffle: true, Seed: 3, Track: track,
		Proxy: func() (string, float64) {
			z, err := m.LogZ(0)
			if err != nil {
				t.Fatal(err)
			}
			r.exact = append(r.exact, z)
			s, _ := track.Accumulated()
			b, _ := track.Bridged()
			r.summed, r.bridged = append(r.summed, s), append(r.bridged, b)
			return "exact log Z", z
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		r.tracked, r.sd = append(r.tracked, s.LogZ), append(r.sd, s.LogZSD)
	}
	r.steps = track.Steps()
	return r
}

// worst returns the largest |est − exact| over the epochs and its epoch.
func (r pcdTrack) worst(est []float64) (float64, int) {
	w, at := 0.0, 0
	for e := range r.exact {
		if d := math.Abs(est[e] - r.exact[e]); d > w {
			w, at = d, e+1
		}
	}
	return w, at
}

// TestKalmanTrackDuringPCD: the Kalman filter over a 5-rung ladder from the
// model (β = 1) down to the uniform base (β = 0, log Z = 9·log 2 exactly)
// follows the exact log Z of the 6×3 RBM trained by PCD within 1 nat at
// every epoch, the exact value inside the filter's ±3σ at most epochs.
// It is then run with deliberate faults (export_test.go's TrackerFaults):
//
//   - a systematic error of −0.003 nats added to every time ratio (what
//     chains that miss the mass an update adds do), −4.5 nats summed over
//     the 1500 updates: the filter still holds within 1 nat, because the
//     between-rung observations and the anchor do not accumulate it;
//   - the same error with the between-rung observations dropped (control):
//     the filter is then the sum of the time ratios, and drifts by more
//     than 1 nat;
//   - the anchor moved by 2 nats (control): the filter follows the wrong
//     anchor, more than 1 nat off.
func TestKalmanTrackDuringPCD(t *testing.T) {
	epochs := 15
	if testing.Short() {
		epochs = 6
	}
	const bias = -0.003
	ok := runPCDTrack(t, epochs, 5, nil)
	covered := 0
	for e := range ok.exact {
		if math.Abs(ok.tracked[e]-ok.exact[e]) <= 3*ok.sd[e] {
			covered++
		}
		t.Logf("epoch %2d: exact %.4f, filtered %.4f ± %.4f (3σ, error %+.4f), summed time ratios %+.4f, ladder alone %+.4f",
			e+1, ok.exact[e], ok.tracked[e], 3*ok.sd[e], ok.tracked[e]-ok.exact[e], ok.summed[e]-ok.exact[e], ok.bridged[e]-ok.exact[e])
	}
	w, at := ok.worst(ok.tracked)
	t.Logf("largest error %.4f nats (epoch %d); exact within ±3σ at %d of %d epochs; log Z moved %.2f nats", w, at, covered, len(ok.exact), ok.exact[len(ok.exact)-1]-ok.start)
	if w > 1 {
		t.Errorf("filtered log Z is %.4f nats from the exact one at epoch %d", w, at)
	}
	if covered*3 < 2*len(ok.exact) {
		t.Errorf("the exact log Z is within the filter's ±3σ at only %d of %d epochs", covered, len(ok.exact))
	}
	if ok.steps != epochs*100 {
		t.Errorf("%d observations, want %d", ok.steps, epochs*100)
	}

	biased := runPCDTrack(t, epochs, 5, func(tr *estimators.Tracker) { estimators.TrackerFaults(tr, 0, bias, false) })
	wb, atb := biased.worst(biased.tracked)
	ws, ats := biased.worst(biased.summed)
	t.Logf("time ratios biased by %g per update: filtered largest error %.4f (epoch %d), summed %.4f (epoch %d)", bias, wb, atb, ws, ats)
	if wb > 1 {
		t.Errorf("with biased time ratios the filter errs by %.4f nats at epoch %d", wb, atb)
	}
	dropped := runPCDTrack(t, epochs, 5, func(tr *estimators.Tracker) { estimators.TrackerFaults(tr, 0, bias, true) })
	wd, atd := dropped.worst(dropped.tracked)
	t.Logf("control, biased and no between-rung observations: largest error %.4f (epoch %d)", wd, atd)
	if wd <= 1 {
		t.Errorf("control: without the between-rung observations the biased filter still holds within %.4f nats", wd)
	}
	anchored := runPCDTrack(t, epochs, 5, func(tr *estimators.Tracker) { estimators.TrackerFaults(tr, 2, 0, false) })
	wa, ata := anchored.worst(anchored.tracked)
	t.Logf("control, anchor moved by 2 nats: largest error %.4f (epoch %d)", wa, ata)
	if wa <= 1 {
		t.Errorf("control: with a wrong anchor the filter still holds within %.4f nats", wa)
	}
}

// TestKalmanTrackerStep: one observation after the parameters of the 6×3
// RBM grow by 10%: the filtered log Z is within 4σ of the exact one (and σ
// is at most that of the summed step, which it combines with the ladder);
// before the step, the ladder alone (anchor + between-rung ratios) is
// within 4σ of the exact log Z at the start. Negative control: the exact
// log Z of the opposite move is outside.
func TestKalmanTrackerStep(t *testing.T) {
	m := strongRBM()
	z0, _ := m.LogZ(0)
	tr, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0 - 0.03, High: z0 + 0.03},
		estimators.TrackConfig{Chains: 1000, Sweeps: 20, Burn: 50, Seed: 4, Betas: estimators.LinearLadder(6), Filter: true})
	if err != nil {
		t.Fatal(err)
	}
	b, bsd := tr.Bridged()
	t.Logf("start: exact %.4f, ladder alone %.4f ± %.4f", z0, b, bsd)
	if math.Abs(b-z0) > 4*bsd {
		t.Errorf("ladder alone %.4f ± %.4f, exact %.4f", b, bsd, z0)
	}
	saved := make([][]float64, 0)
	for _, p := range m.Params() {
		saved = append(saved, append([]float64(nil), p.Data...))
		for k := range p.Data {
			p.Data[k] *= 1.1
		}
	}
	z1, _ := m.LogZ(0)
	tr.Observe()
	z, sd := tr.LogZ()
	s, ssd := tr.Accumulated()
	zs, sds := make([]float64, 6), make([]float64, 6)
	tr.Rungs(zs, sds)
	t.Logf("after: exact %.4f, filtered %.4f ± %.4f, summed %.4f ± %.4f, rungs %.3f ± %.3f, swap rates %.2f", z1, z, sd, s, ssd, zs, sds, tr.SwapRates())
	if math.Abs(z-z1) > 4*sd || sd > ssd+1e-12 || zs[0] != z {
		t.Errorf("filtered %.4f ± %.4f (summed ± %.4f), exact %.4f", z, sd, ssd, z1)
	}
	if anchor, _ := estimators.Uniform(m).LogZ(m); zs[5] != anchor || sds[5] != 0 {
		t.Errorf("the β = 0 rung is %v ± %v, want the anchor %v exactly", zs[5], sds[5], anchor)
	}
	for i, p := range m.Params() {
		for k := range p.Data {
			p.Data[k] = 2*saved[i][k] - p.Data[k]
		}
	}
	zm, _ := m.LogZ(0)
	if math.Abs(z-zm) <= 4*sd {
		t.Errorf("control: the filtered %.4f ± %.4f also fits the opposite move's %.4f", z, sd, zm)
	}
}

// The filter refuses a ladder that does not run from 1 to 0, a base
// without a ladder, a bad process variance, a noise estimate without the
// filter and a negative NoiseBatch; Observe with the filter, with and
// without the noise estimate, allocates nothing.
func TestKalmanTrackerRefusesAndAllocs(t *testing.T) {
	m := strongRBM()
	ok := &estimators.Estimate{LogZ: 1, Low: 1, High: 1}
	for _, c := range []struct {
		cfg  estimators.TrackConfig
		want string
	}{
		{estimators.TrackConfig{Filter: true}, "must run from β = 1 down to β = 0"},
		{estimators.TrackConfig{Filter: true, Betas: []float64{1, 0.5}}, "must run from β = 1 down to β = 0"},
		{estimators.TrackConfig{Base: estimators.Uniform(m)}, "needs a ladder"},
		{estimators.TrackConfig{Filter: true, Betas: []float64{1, 0}, ProcessVar: -1}, "ProcessVar"},
		{estimators.TrackConfig{Filter: true, Betas: []float64{1, 0.5, 0.5, 0}}, "must decrease"},
		{estimators.TrackConfig{EstimateNoise: true}, "needs Filter"},
		{estimators.TrackConfig{Filter: true, Betas: []float64{1, 0}, EstimateNoise: true, NoiseBatch: -1}, "NoiseBatch"},
	} {
		if _, err := estimators.NewTracker(m, ok, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewTracker(%+v): %v, want %q", c.cfg, err, c.want)
		}
	}
	tr, err := estimators.NewTracker(m, ok, estimators.TrackConfig{Chains: 8, Betas: estimators.LinearLadder(4), Filter: true, ProcessVar: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, tr.Observe); a != 0 {
		t.Errorf("Observe with the filter allocates %v times", a)
	}
	tr, err = estimators.NewTracker(m, ok, estimators.TrackConfig{Chains: 8, Betas: estimators.LinearLadder(4), Filter: true, EstimateNoise: true, NoiseBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, tr.Observe); a != 0 { // 20 runs: batches end and the rings wrap
		t.Errorf("Observe with the filter and the noise estimate allocates %v times", a)
	}
}

// observedTrack is a tracked PCD run of the 6×3 RBM with the exact log Z
// after every observation.
type observedTrack struct {
	exact, tracked, sd []float64
	tau                []float64 // the noise model's τ̂ per rung at the end
	scale              float64   // its time-ratio factor at the end
}

// coverage returns the share of observations whose exact log Z lies within
// the tracked ±3σ, the largest |error|, and the median and largest 3σ.
func (r observedTrack) coverage() (share, worst, median3, max3 float64) {
	in := 0
	w := make([]float64, len(r.exact))
	for i := range r.exact {
		d := math.Abs(r.tracked[i] - r.exact[i])
		if d <= 3*r.sd[i] {
			in++
		}
		worst = math.Max(worst, d)
		w[i] = 3 * r.sd[i]
	}
	slices.Sort(w)
	return float64(in) / float64(len(w)), worst, w[len(w)/2], w[len(w)-1]
}

// observedRun is the setting of one runObservedTrack.
type observedRun struct {
	updates, chains int
	seed            uint64
	estimateNoise   bool
	anchorShift     float64 // a deliberate fault (TrackerFaults): the anchor moved
}

// runObservedTrack trains a fresh 6×3 RBM by PCD-1 (learning rate 0.05,
// momentum 0.5, 100 PCD chains) on 2000 rows of the teacher of
// TestKalmanTrackDuringPCD, minibatches of 20 drawn at random, with a
// Kalman-filtered tracker over a 5-rung linear ladder to the uniform base
// observing after every update, and records the exact log Z after every
// observation.
func runObservedTrack(t *testing.T, o observedRun) observedTrack {
	t.Helper()
	m, data, tr, z0 := teacherPCD(t, o.seed)
	const rungs = 5
	track, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0},
		estimators.TrackConfig{Chains: o.chains, Burn: 20, Seed: o.seed ^ 9, Betas: estimators.LinearLadder(rungs), Filter: true, EstimateNoise: o.estimateNoise})
	if err != nil {
		t.Fatal(err)
	}
	if o.anchorShift != 0 {
		estimators.TrackerFaults(track, o.anchorShift, 0, false)
	}
	rows, cols := data.Shape()
	rng := runtime.NewRNG(o.seed, 3)
	x, idx := make([]float64, 20*cols), make([]int, 20)
	var r observedTrack
	for range o.updates {
		for i := range idx {
			idx[i] = rng.Intn(rows)
		}
		data.Gather(x, idx)
		tr.TrainStep(x, len(idx), 0)
		track.Observe()
		z, err := m.LogZ(0)
		if err != nil {
			t.Fatal(err)
		}
		est, sd := track.LogZ()
		r.exact, r.tracked, r.sd = append(r.exact, z), append(r.tracked, est), append(r.sd, sd)
	}
	r.tau = make([]float64, rungs)
	r.scale = track.NoiseFactors(r.tau)
	return r
}

// TestKalmanNoiseCoverage: with EstimateNoise the filter's ±3σ covers the
// exact log Z of the 6×3 RBM trained by PCD at 99% of the observations
// (after every one of 1500 updates, seeds 1–3), with 100 chains per rung
// and with 20, where BAR's standard errors are furthest from the chains'
// real scatter. Each run must cover at least 98% (the observations of a
// run are strongly correlated: a miss comes in runs of tens), all of them
// together 99%. Negative controls: the same runs without the correction
// must fail the pooled check (its σ is too small: at 20 chains per rung
// the band covers under 95%, at 100 under 99%);
// and with the correction but the anchor moved by 0.15 nats, about the
// median 3σ at 20 chains, the band must miss most observations (σ is
// not so wide that it covers anything).
func TestKalmanNoiseCoverage(t *testing.T) {
	updates, seeds := 1500, []uint64{1, 2, 3}
	if testing.Short() {
		updates, seeds = 600, []uint64{1, 2}
	}
	pooled := func(chains int, estimate bool, shift float64) float64 {
		in, n := 0.0, 0
		for _, seed := range seeds {
			r := runObservedTrack(t, observedRun{updates: updates, chains: chains, seed: seed, estimateNoise: estimate, anchorShift: shift})
			share, worst, med, mx := r.coverage()
			t.Logf("%3d chains, seed %d, noise estimated %-5v, anchor moved %.2f: exact within ±3σ at %.4f of %d observations; largest error %.4f; 3σ median %.4f, largest %.4f; τ̂ %.1f, time-ratio factor %.1f",
				chains, seed, estimate, shift, share, len(r.exact), worst, med, mx, r.tau, r.scale)
			if estimate && shift == 0 && share < 0.98 {
				t.Errorf("%d chains, seed %d: the exact log Z within ±3σ at only %.4f of the observations", chains, seed, share)
			}
			in += share * float64(len(r.exact))
			n += len(r.exact)
		}
		return in / float64(n)
	}
	for _, chains := range []int{100, 20} {
		if p := pooled(chains, true, 0); p < 0.99 {
			t.Errorf("%d chains: the exact log Z within ±3σ at %.4f of all observations, want 0.99", chains, p)
		}
	}
	if p := pooled(20, true, 0.15); p >= 0.5 {
		t.Errorf("control: with the anchor 0.15 nats off the band still covers %.4f of the observations", p)
	}
	if p := pooled(20, false, 0); p >= 0.95 {
		t.Errorf("control: without the noise estimate the ±3σ band still covers %.4f of the observations (20 chains)", p)
	}
	if testing.Short() { // in 600 updates the 100 chains' band is nearly right without the estimate
		return
	}
	if p := pooled(100, false, 0); p >= 0.99 {
		t.Errorf("control: without the noise estimate the ±3σ band still covers %.4f of the observations (100 chains)", p)
	}
}
