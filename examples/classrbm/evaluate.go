package main

import (
	"fmt"
	"io"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// EpochMetrics describe one epoch of training.
type EpochMetrics struct {
	Epoch         int     `json:"epoch"`
	Seconds       float64 `json:"seconds"`
	Loss          float64 `json:"loss"`
	TrainAccuracy float64 `json:"accuracy_first_training_images"`
}

// Metrics is metrics.json.
type Metrics struct {
	Data            string         `json:"data"`
	Model           string         `json:"model"`
	Method          string         `json:"method"`
	Training        string         `json:"training"`
	TrainRows       int            `json:"train_examples"`
	TestRows        int            `json:"test_examples"`
	Epochs          int            `json:"epochs,omitempty"`
	SecondsPerEpoch float64        `json:"seconds_per_epoch,omitempty"`
	LossName        string         `json:"loss,omitempty"`
	History         []EpochMetrics `json:"history,omitempty"`
	Accuracy        cli.Estimate   `json:"accuracy_test"`
	AccuracyTrain   cli.Estimate   `json:"accuracy_train"`
	CondLogLik      cli.Estimate   `json:"log_p_y_given_v_test"`
	LogZ            cli.Estimate   `json:"log_z"`
	LogZExact       *cli.Estimate  `json:"log_z_exact,omitempty"`
	LogLik          cli.Estimate   `json:"log_p_v_y_test"`
	Recon           cli.Estimate   `json:"recon_error_test"`
	SampleAgreement cli.Estimate   `json:"samples_classified_as_clamped_class"`
	EvalSeconds     float64        `json:"evaluation_seconds"`
	Seconds         float64        `json:"seconds"`
	Pictures        []string       `json:"pictures"`
	Checkpoint      string         `json:"checkpoint,omitempty"`
	Seed            uint64         `json:"seed"`
	Version         string         `json:"version"`
}

// evaluate measures the model: the accuracy and log p(y | v) on the test
// images, the accuracy on training images, log Z and the test log p(v, y),
// and the reconstruction error.
func (p *problem) evaluate(o options, met *Metrics, stdout io.Writer) error {
	m := p.model
	t0 := time.Now()
	probs, err := estimators.ClassProbs(m, labelLayer, p.test)
	if err != nil {
		return err
	}
	acc, err := estimators.Accuracy(probs, p.testLabels)
	if err != nil {
		return err
	}
	met.Accuracy = cli.Accuracy(acc, p.test.Rows, "share of test images whose argmax_y p(y | v) is the label; binomial standard error √(a(1−a)/n), interval ±3σ")
	logp, err := logCondProbs(m, p.test, p.testLabels, p.classes)
	if err != nil {
		return err
	}
	met.CondLogLik = cli.Mean(logp, "mean over test images of log p(y | v), exact through free energies; standard error over images, interval ±3σ")
	fmt.Fprintf(stdout, "test accuracy %.4f ± %.4f (±3σ [%.4f, %.4f]); test log p(y | v) %.4f ± %.4f nats (%.1fs)\n",
		acc, *met.Accuracy.StdErr, *met.Accuracy.Low, *met.Accuracy.High, met.CondLogLik.Value, cli.OrNaN(met.CondLogLik.StdErr), time.Since(t0).Seconds())
	trainEval, _ := p.train.Split(min(p.train.Rows, 10000))
	if probs, err = estimators.ClassProbs(m, labelLayer, trainEval); err != nil {
		return err
	}
	trainAcc, err := estimators.Accuracy(probs, p.trainLabels[:trainEval.Rows])
	if err != nil {
		return err
	}
	met.AccuracyTrain = cli.Accuracy(trainAcc, trainEval.Rows, fmt.Sprintf("the same on the first %d training images", trainEval.Rows))
	fmt.Fprintf(stdout, "training accuracy %.4f (first %d images)\n", trainAcc, trainEval.Rows)
	if err := p.likelihood(o, met, stdout); err != nil {
		return err
	}
	test := withLabels(p.test, p.testLabels, p.classes)
	recon, err := reconErrors(m, test)
	if err != nil {
		return err
	}
	met.Recon = cli.Mean(recon, "mean over test images of ‖x − E[x | h = E[h | x]]‖², x the pixels and the one-hot label; standard error over images, interval ±3σ")
	fmt.Fprintf(stdout, "test reconstruction error %.4f ± %.4f\n", met.Recon.Value, cli.OrNaN(met.Recon.StdErr))
	return nil
}

// logCondProbs returns log p(y | v) of every row of d with its label,
// −F(v, y) − log Σ_k exp(−F(v, e_k)) from the free energies of the row with
// every label: the logarithm of ClassProbs's p(y | v) without its
// underflow to 0 (and log 0 = −Inf) far from the decision boundary.
func logCondProbs(m runtime.Reflective, d dataset.Source, labels []int, classes int) ([]float64, error) {
	rows, _ := d.Shape()
	negF := make([]float64, rows*classes) // −F(v_r, e_k) at r·classes + k
	each := make([]int, rows)             // class k for every row
	for k := range classes {
		for r := range each {
			each[r] = k
		}
		f, err := estimators.FreeEnergies(m, &dataset.Labelled{X: d, Labels: each, Classes: classes})
		if err != nil {
			return nil, err
		}
		for r, v := range f {
			negF[r*classes+k] = -v
		}
	}
	out := make([]float64, rows)
	for r, y := range labels {
		row := negF[r*classes : (r+1)*classes]
		out[r] = row[y] - runtime.LogSumExp(row)
	}
	return out, nil
}

// likelihood estimates log Z, by AIS from the base-rate model of the
// training rows and exactly where the hidden layer can be enumerated, and
// the test log p(v, y) = −F(v, y) − log Z with log Z exact if known, else
// AIS's. Its interval is ±3 standard errors over the test images widened
// by the ±3σ interval of log Z.
func (p *problem) likelihood(o options, met *Metrics, stdout io.Writer) error {
	m := p.model
	train := withLabels(p.train, p.trainLabels, p.classes)
	base, err := estimators.BaseRate(m, train, float64(p.train.Rows)/20)
	if err != nil {
		return err
	}
	z, err := estimators.AIS(m, base, estimators.AISConfig{Temperatures: o.temps, Runs: o.runs, Seed: o.seed})
	if err != nil {
		return err
	}
	met.LogZ = cli.Estimate{Value: z.LogZ, Low: cli.Finite(z.Low), High: cli.Finite(z.High),
		Method: z.Method + ", from the base-rate model of the training rows; interval ±3σ of the mean importance weight"}
	fmt.Fprintf(stdout, "log Z = %.4f by AIS, ±3σ [%.4f, %.4f] (%.1fs)\n", z.LogZ, z.Low, z.High, z.Seconds)
	logZ, zLow, zHigh, zMethod := z.LogZ, z.Low, z.High, "AIS"
	if exact, err := m.LogZ(1 << 24); err == nil {
		met.LogZExact = &cli.Estimate{Value: exact, Low: &exact, High: &exact, Method: "exact: enumeration of the hidden configurations"}
		logZ, zLow, zHigh, zMethod = exact, exact, exact, "exact"
		fmt.Fprintf(stdout, "log Z = %.4f exactly\n", exact)
	}
	test := withLabels(p.test, p.testLabels, p.classes)
	f, err := estimators.FreeEnergies(m, test)
	if err != nil {
		return err
	}
	for i := range f {
		f[i] = -f[i] - logZ
	}
	met.LogLik = cli.Mean(f, fmt.Sprintf("mean over test images of −F(v, y) − log Z, log Z %s; interval ±3 standard errors over images widened by log Z's ±3σ interval", zMethod))
	se := cli.OrNaN(met.LogLik.StdErr)
	met.LogLik.Low = cli.Finite(met.LogLik.Value - 3*se - (zHigh - logZ))
	met.LogLik.High = cli.Finite(met.LogLik.Value + 3*se + (logZ - zLow))
	fmt.Fprintf(stdout, "test log p(v, y) = %.3f ± %.3f nats (log Z %s)\n", met.LogLik.Value, se, zMethod)
	return nil
}

// reconErrors returns, for every row of d (the visible layers of m, in
// declaration order), ‖x − E[x | h]‖² with h at its conditional means
// E[h | x]: the mean-field reconstruction of a model with one hidden block.
func reconErrors(m runtime.Reflective, d dataset.Source) ([]float64, error) {
	const batch = 1000
	rows, cols := d.Shape()
	out := make([]float64, rows)
	layers := m.Layers()
	buf, idx := make([]float64, min(batch, rows)*cols), make([]int, min(batch, rows))
	for lo := 0; lo < rows; lo += batch {
		n := min(batch, rows-lo)
		for r := range n {
			idx[r] = lo + r
		}
		d.Gather(buf[:n*cols], idx[:n])
		x := m.NewChains(n, 1)
		views := x.Layers()
		off := 0
		for i, ly := range layers {
			if !ly.Visible {
				continue
			}
			w := size(ly)
			for r := range n {
				copy(views[i].Data[r*w:(r+1)*w], buf[r*cols+off:r*cols+off+w])
			}
			off += w
		}
		if off != cols {
			return nil, fmt.Errorf("reconstruction with %s: data has %d columns, the visible layers %d", m.ModelName(), cols, off)
		}
		for i, ly := range layers {
			if !ly.Visible {
				m.Mean(x, i, 1, views[i].Data)
			}
		}
		for i, ly := range layers {
			if !ly.Visible {
				continue
			}
			w := size(ly)
			recon := make([]float64, n*w)
			m.Mean(x, i, 1, recon)
			for k, v := range views[i].Data[:n*w] {
				out[lo+k/w] += (v - recon[k]) * (v - recon[k])
			}
		}
	}
	return out, nil
}
