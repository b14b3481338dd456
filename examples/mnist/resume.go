package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/fileio"
	"github.com/ebmc/ebmc/runtime/training"
)

// The files a DBM run keeps in its row's folder so that -resume can
// continue it: the model after pretraining, the model and the trainer's
// state (velocities, persistent chains, random stream) after the last
// complete epoch of SML (written by training.Fit), and the progress.
const (
	pretrainedFile = "pretrained.safetensors"
	smlFile        = "sml.safetensors"
	progressFile   = "progress.json"
)

// dbmProgress is what a DBM run has done so far, rewritten after its
// pretraining and after every epoch of SML. Key names the settings, seed
// and training images that wrote it: -resume refuses a folder whose key is
// not the run's own.
type dbmProgress struct {
	Key     string  `json:"key"`
	Seconds float64 `json:"train_seconds"` // training so far, pretraining included, over every run
	Curve   []Point `json:"curve_points"`
	Resumed []int   `json:"resumed_at_epochs,omitempty"`
	// Versions are the builds that started the run and resumed it, one
	// more than Resumed ("unknown" for sittings before the field).
	Versions []string `json:"versions,omitempty"`
}

// addVersion records the build of a sitting that starts now, before its
// own resume epoch is added to Resumed: a fresh run (resumed false) has
// no earlier sittings, a resumed one len(Resumed)+1 (the start and every
// resume), for which it first fills in "unknown" where a progress file
// written before Versions was kept lacks them.
func (p *dbmProgress) addVersion(version string, resumed bool) {
	earlier := 0
	if resumed {
		earlier = len(p.Resumed) + 1
	}
	for len(p.Versions) < earlier {
		p.Versions = append(p.Versions, "unknown")
	}
	p.Versions = append(p.Versions, version)
}

// otherBuilds is the warning for a sitting of build now that resumes a run
// whose earlier sittings ran other builds (versions, this sitting's
// last), or "" when every sitting is this build's. The key holds the
// settings, not the code: a trainer that changed between builds makes
// the run one of two recipes. A build marked dirty or unknown is never
// known to be the same.
func otherBuilds(versions []string) string {
	if len(versions) < 2 {
		return ""
	}
	now := versions[len(versions)-1]
	var other []string
	for _, v := range versions[:len(versions)-1] {
		if v != now || strings.HasSuffix(v, "+dirty") || v == "unknown" {
			other = append(other, v)
		}
	}
	if len(other) == 0 {
		return ""
	}
	return fmt.Sprintf("warning: this run's earlier sittings ran other builds (%s) than this one (%s); if the trainer changed between them, the model is not trained by one recipe", strings.Join(slices.Compact(other), ", "), now)
}

// resumeKey is the sha256 of what must not change between a run and its
// continuation: the recipe (without its epochs where the learning rate's
// schedule does not depend on them, so that a run can be extended), the
// seed, the training images (and whether their grey levels are trained
// on) and the test images and the curve's AIS.
func (e *env) resumeKey(rc dbmRecipe) (string, error) {
	if rc.GeometricEpochs > 0 || rc.RateDecay > 0 {
		rc.Epochs = 0
	}
	train, err := idxSHA256(e.train)
	if err != nil {
		return "", err
	}
	test, err := idxSHA256(e.test)
	if err != nil {
		return "", err
	}
	if e.o.trainData == trainGrey {
		train += " " + trainGrey // the same images' grey levels trained on
	}
	b, err := json.Marshal(struct {
		Recipe                dbmRecipe
		Seed                  uint64
		Train, Test           string
		CurveTemps, CurveRuns int
	}{rc, e.o.seed, train, test, e.o.curveTemps, e.o.curveRuns})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// resumeStage is how far the run that wrote a folder got.
type resumeStage int

const (
	stageNone       resumeStage = iota // nothing to continue: train from the start
	stagePretrained                    // pretrained: SML from its first epoch
	stageSML                           // SML after some epochs
)

// readProgress reads the progress in dir and restores the pretrained model
// into m; stageNone (and no error) when dir holds no run to continue. A
// progress file written with other settings, seed or images is refused.
func readProgress(dir, key string, m runtime.Model) (*dbmProgress, resumeStage, error) {
	b, err := os.ReadFile(filepath.Join(dir, progressFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, stageNone, nil
	}
	if err != nil {
		return nil, stageNone, err
	}
	var p dbmProgress
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, stageNone, fmt.Errorf("-resume: %s: %w", filepath.Join(dir, progressFile), err)
	}
	if p.Key != key {
		return nil, stageNone, fmt.Errorf("-resume: %s was written by a run with other settings, seed or training images; give the flags of that run (-sml-epochs may grow where the recipe's rate does not depend on it), or another -out", dir)
	}
	path := filepath.Join(dir, pretrainedFile)
	c, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		return nil, stageNone, fmt.Errorf("-resume: %w", err)
	}
	if c.Meta["key"] != key {
		return nil, stageNone, fmt.Errorf("-resume: %s is not the pretrained model of the run that wrote %s (stopped before its first epoch?); start again without -resume", path, progressFile)
	}
	if err := c.Restore(m, nil); err != nil {
		return nil, stageNone, fmt.Errorf("-resume: %s: %w", path, err)
	}
	if _, err := os.Stat(filepath.Join(dir, smlFile)); err == nil {
		return &p, stageSML, nil
	}
	return &p, stagePretrained, nil
}

// removeProgress removes what an earlier run left for -resume in dir, its
// persistent chains and their animation (the pretrained model stays until this run's
// replaces it; without the progress file it is not resumed from).
func removeProgress(dir string) error {
	for _, name := range []string{progressFile, smlFile, chainsFile, chainsGIF} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the earlier run's %s: %w", name, err)
		}
	}
	return nil
}

// writeProgress rewrites dir's progress file atomically.
func writeProgress(dir string, p *dbmProgress) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return fileio.WriteFileAtomic(filepath.Join(dir, progressFile), append(b, '\n'))
}

// restoreSML restores the model and the trainer's state from dir's SML
// checkpoint and sets cfg to continue after the epochs it had completed
// (training.FitConfig.Resume, the loss-growth check's best loss included);
// a checkpoint after more epochs than cfg.Epochs is refused.
func restoreSML(dir string, tr runtime.Trainer, cfg *training.FitConfig) error {
	path := filepath.Join(dir, smlFile)
	c, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		return fmt.Errorf("-resume: %w", err)
	}
	if err := cfg.Resume(c.Meta); err != nil {
		return fmt.Errorf("-resume: %s: %w", path, err)
	}
	if cfg.StartEpoch > cfg.Epochs {
		return fmt.Errorf("-resume: %s holds SML after %d epochs, more than the %d asked for; give -sml-epochs %d or more", dir, cfg.StartEpoch, cfg.Epochs, cfg.StartEpoch)
	}
	state := tr.State()
	for _, s := range state {
		if !slices.ContainsFunc(c.Tensors, func(t runtime.Tensor) bool { return t.Name == s.Name }) {
			return fmt.Errorf("-resume: %s lacks the trainer's %s", path, s.Name)
		}
	}
	if err := c.Restore(tr, state); err != nil {
		return fmt.Errorf("-resume: %s: %w", path, err)
	}
	return nil
}

// curveUpTo keeps the points of the epochs 0 … n: the progress file is
// written before the checkpoint of its epoch, so it may hold one more. A
// curve without a point for each of them (its progress file not written
// after some epoch) is refused.
func curveUpTo(c []Point, n int) ([]Point, error) {
	if len(c) < n+1 {
		return nil, fmt.Errorf("%s holds the curve up to epoch %d, the checkpoint is after epoch %d", progressFile, len(c)-1, n)
	}
	for i, p := range c[:n+1] {
		if p.Epoch != i {
			return nil, fmt.Errorf("%s: point %d of the curve is of epoch %d", progressFile, i, p.Epoch)
		}
	}
	return c[:n+1], nil
}
