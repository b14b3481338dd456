package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
	"github.com/ebmc/ebmc/runtime/training"
)

// trackErr returns the largest |tracked − exact| over the epochs, and the
// epoch where it occurs.
func trackErr(tracked, exact []float64) (worst float64, at int) {
	for e := range exact {
		if d := math.Abs(tracked[e] - exact[e]); d > worst {
			worst, at = d, e+1
		}
	}
	return worst, at
}

// TestTrackLogZDuringPCD: PCD training of the 6×3 RBM on 2000 rows drawn
// exactly from a teacher RBM with N(0, 1.5²) parameters moves log Z by
// several nats; a Tracker observing after every update (bridge sampling
// between successive parameters, 100 chains) follows the exact log Z
// (enumerated at the end of every epoch) within 1 nat over the whole
// run, and the tracked test log-likelihood matches the exact one as
// closely. Negative controls: holding log Z at its start value (no
// tracking) misses the exact curve by more than 1 nat, and so does the
// tracked curve shifted by 1.5 nats, so the check can fail.
func TestTrackLogZDuringPCD(t *testing.T) {
	teacher := rbm.NewRBM(1).Reflect()
	modeltest.Perturb(teacher, 1.5, 7)
	data := modeltest.ExactSample(t, teacher, 2000, 3)
	test := modeltest.ExactSample(t, teacher, 500, 4)
	m := rbm.NewRBM(2).Reflect()
	z0, err := m.LogZ(0)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.NewTrainer(m, training.PCD{K: 1, Chains: 100},
		training.Options{BatchSize: 20, Optimizer: runtime.SGD{LearningRate: 0.05, Momentum: 0.5}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	track, err := estimators.NewTracker(m, &estimators.Estimate{LogZ: z0, Low: z0, High: z0}, estimators.TrackConfig{Chains: 100, Burn: 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	var exact, exactLL, trackedLL []float64
	proxy := estimators.TrackedLogLikelihood(m, track, test)
	var metrics, progress bytes.Buffer
	epochs := 15
	if testing.Short() {
		epochs = 6
	}
	stats, err := training.Fit(context.Background(), tr, data, training.FitConfig{
		Epochs: epochs, BatchSize: 20, Shuffle: true, Seed: 3, Track: track, Metrics: &metrics, Progress: &progress,
		Proxy: func() (string, float64) {
			z, err := m.LogZ(0)
			if err != nil {
				t.Fatal(err)
			}
			ll, err := estimators.LogLikelihood(m, test, z)
			if err != nil {
				t.Fatal(err)
			}
			exact, exactLL = append(exact, z), append(exactLL, ll)
			name, v := proxy()
			trackedLL = append(trackedLL, v)
			return name, v
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if track.Steps() != epochs*100 {
		t.Errorf("%d observations, want one per update, %d", track.Steps(), epochs*100)
	}
	tracked, starts := make([]float64, len(stats)), make([]float64, len(stats))
	covered := 0
	for e, s := range stats {
		tracked[e], starts[e] = s.LogZ, z0
		if math.Abs(s.LogZ-exact[e]) <= 3*s.LogZSD {
			covered++
		}
		t.Logf("epoch %2d: exact log Z %.4f, tracked %.4f ± %.4f (3σ), error %+.4f; test log-lik exact %.4f, tracked %.4f",
			s.Epoch, exact[e], s.LogZ, 3*s.LogZSD, s.LogZ-exact[e], exactLL[e], trackedLL[e])
	}
	worst, at := trackErr(tracked, exact)
	t.Logf("largest error %.4f nats (epoch %d); exact within ±3σ at %d of %d epochs; log Z moved %.2f nats", worst, at, covered, len(stats), exact[len(exact)-1]-z0)
	if worst > 1 {
		t.Errorf("tracked log Z is %.4f nats from the exact one at epoch %d", worst, at)
	}
	if w, _ := trackErr(trackedLL, exactLL); math.Abs(w-worst) > 1e-9 {
		t.Errorf("tracked log-likelihood errs by %.6f, log Z by %.6f", w, worst)
	}
	// Negative controls.
	if w, e := trackErr(starts, exact); w <= 1 {
		t.Errorf("control: the starting log Z stays within %.4f nats of the exact curve (epoch %d); the check cannot tell tracking from none", w, e)
	}
	shifted := make([]float64, len(tracked))
	for e := range tracked {
		shifted[e] = tracked[e] + 1.5
	}
	if w, _ := trackErr(shifted, exact); w <= 1 {
		t.Errorf("control: the tracked curve shifted by 1.5 nats passes (error %.4f)", w)
	}
	// The metrics and progress lines carry the tracked value.
	var line map[string]any
	first := strings.SplitN(metrics.String(), "\n", 2)[0]
	if err := json.Unmarshal([]byte(first), &line); err != nil {
		t.Fatal(err)
	}
	if v, ok := line["logz"].(float64); !ok || v != stats[0].LogZ || line["logz_sd"] == nil {
		t.Errorf("metrics line %s lacks the tracked log Z %v", first, stats[0].LogZ)
	}
	if want := fmt.Sprintf("log Z %.4f ± ", stats[0].LogZ); !strings.Contains(progress.String(), want) {
		t.Errorf("progress %q lacks %q", progress.String(), want)
	}
}
