package main

import (
	"fmt"
	"io"
	"time"

	"github.com/ebmc/ebmc/examples/internal/cli"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

// logReg is multinomial logistic regression, p(y = k | x) = softmax(Wᵀx + b)_k.
type logReg struct {
	d, k int
	w, b []float64 // w is d×k, row-major
}

// probs writes p(y | x) for the n rows of x into dst (n×k).
func (m *logReg) probs(ws *runtime.Workspace, x []float64, n int, dst []float64) {
	for r := 0; r < n; r++ {
		copy(dst[r*m.k:(r+1)*m.k], m.b)
	}
	ws.Gemm(false, false, n, m.k, m.d, 1, x, m.d, m.w, m.k, 1, dst, m.k)
	for r := 0; r < n; r++ {
		row := dst[r*m.k : (r+1)*m.k]
		runtime.Softmax(row, row)
	}
}

// logisticRegression fits the model to the raw training pixels by minibatch
// gradient ascent on the mean log-likelihood minus ½λ‖W‖² (λ = 1e-4), with
// momentum 0.9 and a learning rate falling linearly from 0.1 to 0.01, and
// reports its accuracy on the test images.
func (p *problem) logisticRegression(o options, stdout io.Writer) (*LogRegMetrics, error) {
	const lambda = 1e-4
	train, test, err := p.raw()
	if err != nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	m := &logReg{d: train.Cols, k: p.classes, w: make([]float64, train.Cols*p.classes), b: make([]float64, p.classes)}
	ws := runtime.NewWorkspace(0)
	defer ws.Close()
	opt := runtime.SGD{LearningRate: 0.1, Momentum: 0.9, Schedule: runtime.LinearDecay(p.lrEpochs, 0.1)}
	gw, gb := make([]float64, len(m.w)), make([]float64, len(m.b))
	vw, vb := make([]float64, len(m.w)), make([]float64, len(m.b))
	batch := min(o.batch, train.Rows)
	x, pr := make([]float64, batch*train.Cols), make([]float64, batch*p.classes)
	batches := training.NewBatches(train.Rows, batch, true, runtime.NewRNG(o.seed, 0x10))
	fmt.Fprintf(stdout, "logistic regression on the raw pixels: %d epochs\n", p.lrEpochs)
	start := time.Now()
	for e := 0; e < p.lrEpochs; e++ {
		for {
			idx, ok := batches.Next()
			if !ok {
				break
			}
			n := len(idx)
			train.Gather(x, idx)
			m.probs(ws, x, n, pr)
			for r, i := range idx {
				pr[r*m.k+p.trainLabels[i]] -= 1 // p − onehot(y): minus the gradient of log p(y | x) in the logits
			}
			inv := 1 / float64(n)
			for j := range gw {
				gw[j] = -lambda * m.w[j]
			}
			ws.Gemm(true, false, m.d, m.k, n, -inv, x, m.d, pr, m.k, 1, gw, m.k)
			clear(gb)
			for r := 0; r < n; r++ {
				for c := 0; c < m.k; c++ {
					gb[c] -= inv * pr[r*m.k+c]
				}
			}
			opt.Update(m.w, gw, vw, e)
			opt.Update(m.b, gb, vb, e)
		}
	}
	seconds := time.Since(start).Seconds()
	// The images are expanded a block of rows at a time.
	const block = 1000
	buf, idx := make([]float64, block*train.Cols), make([]int, block)
	accuracy := func(d *dataset.ByteDataset, labels []int) (float64, error) {
		probs := make([]float64, d.Rows*m.k)
		for lo := 0; lo < d.Rows; lo += block {
			n := min(block, d.Rows-lo)
			for r := range n {
				idx[r] = lo + r
			}
			d.Gather(buf, idx[:n])
			m.probs(ws, buf, n, probs[lo*m.k:])
		}
		return estimators.Accuracy(probs, labels)
	}
	trainAcc, err := accuracy(train, p.trainLabels)
	if err != nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	testAcc, err := accuracy(test, p.testLabs)
	if err != nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	met := &LogRegMetrics{Epochs: p.lrEpochs, SecondsPerEpoch: seconds / float64(max(p.lrEpochs, 1)), TrainAccuracy: trainAcc,
		Accuracy: cli.Accuracy(testAcc, test.Rows, "multinomial logistic regression on the raw pixels (minibatch SGD, L2 1e-4)")}
	fmt.Fprintf(stdout, "logistic regression: accuracy train %.4f, test %.4f (%.2f s per epoch)\n", met.TrainAccuracy, met.Accuracy.Value, met.SecondsPerEpoch)
	return met, nil
}
