// Command benchmarks runs the five reference RBM workloads (784×500 binary
// RBM, binarized Fashion-MNIST) with the code ebmc generates for
// examples/rbm.ebm, and prints one JSON line whose fields match the PyTorch
// and scikit-learn scripts in benchmarks/py:
//
//	go run ./benchmarks -workload gibbs    # W1 : 100 chains × 1000 block-Gibbs sweeps
//	go run ./benchmarks -workload gibbs1   # W1s: 1 chain × 5000 sweeps
//	go run ./benchmarks -workload cd1      # W2 : one CD-1 epoch, minibatch 100, lr 0.05, momentum 0.5
//	go run ./benchmarks -workload pcd1     # W2p: one PCD-1 epoch, 100 persistent chains
//	go run ./benchmarks -workload ais      # W4 : AIS log Z, 100 runs × 10000 temperatures
//	go run ./benchmarks -workload updown   # one up-down epoch of the examples/dbn DBN
//	go run ./benchmarks -workload backprop # one backpropagation epoch of the same DBN
//
// The timed region is the workload loop only (no data loading, model
// initialisation or evaluation). See benchmarks/README.md.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/ebmc/ebmc/benchmarks/rbm32"
	"github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/examples/rbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
)

const (
	nv = rbm.RBMNV
	nh = rbm.RBMNH
)

// result is the JSON line; the field names are those of the reference scripts.
type result struct {
	Impl          string   `json:"impl"`
	Workload      string   `json:"workload"`
	Dtype         string   `json:"dtype"`
	Threads       int      `json:"threads"`
	Chains        int      `json:"chains,omitempty"`
	Sweeps        int      `json:"sweeps,omitempty"`
	Epochs        int      `json:"epochs,omitempty"`
	Batch         int      `json:"batch,omitempty"`
	LR            float64  `json:"lr,omitempty"`
	Momentum      float64  `json:"momentum,omitempty"`
	Rows          int      `json:"rows,omitempty"`
	Seconds       float64  `json:"seconds"`
	ChainSweepsPS float64  `json:"chain_sweeps_per_s,omitempty"`
	SecondsPerEp  float64  `json:"seconds_per_epoch,omitempty"`
	GFlops        float64  `json:"gflops"`
	ReconErrEpoch *float64 `json:"recon_err_epoch,omitempty"`
	ReconErrTest  *float64 `json:"recon_err_test,omitempty"`
	WAbsMean      float64  `json:"w_abs_mean,omitempty"`
	FinalVMean    *float64 `json:"final_v_mean,omitempty"`
	Init          string   `json:"init,omitempty"`
	// AIS
	Runs         int      `json:"runs,omitempty"`
	Betas        int      `json:"betas,omitempty"`
	LogZ         *float64 `json:"logZ,omitempty"`
	LogZLo       *float64 `json:"logZ_lo_3se,omitempty"`
	LogZHi       *float64 `json:"logZ_hi_3se,omitempty"`
	LogZBase     *float64 `json:"logZ_base,omitempty"`
	TestLogPMean *float64 `json:"test_logp_mean,omitempty"`
	LogZAlias    *float64 `json:"log_z,omitempty"`
	LogZLowAlias *float64 `json:"log_z_low,omitempty"`
	LogZHiAlias  *float64 `json:"log_z_high,omitempty"`
	Weights      string   `json:"weights,omitempty"`
	BasePseudo   float64  `json:"base_pseudo,omitempty"`
	// VSML
	Model          string  `json:"model,omitempty"`
	K              int     `json:"k,omitempty"`
	MeanFieldSweep int     `json:"mean_field_sweeps,omitempty"`
	WeightDecay    float64 `json:"weight_decay,omitempty"`
	TFlop          float64 `json:"tflop,omitempty"`
	// updown, backprop: FNV-1a of the bits of every parameter after the
	// epoch, to show that two builds train the same numbers.
	ParamsFNV string `json:"params_fnv64,omitempty"`
	// updown, backprop: user + system CPU seconds of the epoch.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	Go         string  `json:"go"`
}

func ptr(x float64) *float64 { return &x }

func dataDir(flagDir string) string {
	if flagDir != "" {
		return flagDir
	}
	if d := os.Getenv("FMNIST_DIR"); d != "" {
		return d
	}
	return "/usr/share/datasets/fashion-mnist"
}

// loadImages reads an IDX image file binarized as pixel/255 > 0.5, one bit
// per pixel (the 60,000 training images take 5.9 MB).
func loadImages(dir, name string) (*dataset.BitDataset, error) {
	d, err := dataset.LoadIDXBits(filepath.Join(dir, name), 0.5)
	if err != nil {
		return nil, err
	}
	if d.Cols != nv {
		return nil, fmt.Errorf("%s: %d pixels per image, want %d", name, d.Cols, nv)
	}
	return d, nil
}

// rowsFrom writes rows lo…lo+n−1 of d into dst, using idx (len ≥ n) for
// their indices.
func rowsFrom(d *dataset.BitDataset, lo, n int, idx []int, dst []float64) {
	idx = idx[:n]
	for i := range idx {
		idx[i] = lo + i
	}
	d.Gather(dst, idx)
}

const (
	trainFile = "train-images-idx3-ubyte.gz"
	testFile  = "t10k-images-idx3-ubyte.gz"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchmarks: ")
	workload := flag.String("workload", "", "gibbs | gibbs1 | cd1 | pcd1 | ais | vsml | updown | backprop")
	seed := flag.Uint64("seed", 0, "seed of the model's initializers and of the chains' random streams")
	chains := flag.Int("chains", 0, "Gibbs chains (default 100 for gibbs, 1 for gibbs1) or PCD persistent chains (default: batch)")
	sweeps := flag.Int("sweeps", 0, "Gibbs sweeps (default 1000 for gibbs, 5000 for gibbs1)")
	epochs := flag.Int("epochs", 1, "training epochs (cd1, pcd1)")
	batch := flag.Int("batch", 100, "minibatch size (cd1, pcd1)")
	lr := flag.Float64("lr", 0.05, "learning rate (vsml: default 0.001)")
	k := flag.Int("k", 5, "vsml: Gibbs sweeps of the persistent chains per update; updown: Gibbs sweeps in the top RBM (default 3)")
	mfSweeps := flag.Int("mf-sweeps", 25, "vsml: mean-field sweeps per minibatch, every one run (the DBM example's cap, which its tolerance 1e-6 does not stop before)")
	mom := flag.Float64("momentum", 0.5, "momentum")
	rows := flag.Int("rows", 0, "train on the first rows training images only (0: all 60000; for quick runs)")
	runs := flag.Int("runs", 100, "AIS runs")
	betas := flag.Int("betas", 10000, "AIS temperatures (steps from β = 0 to 1)")
	load := flag.String("load", "", "ais: weights (.npz with W 784×500, vbias, hbias, as benchmarks/py/torch_rbm.py --save writes); default: train one CD-1 epoch first (untimed); updown, backprop: a directory holding greedy-0-RBM.safetensors and greedy-1-TopRBM.safetensors (examples/dbn's -out); default: the models' random initialisation")
	save := flag.String("save", "", "cd1, pcd1: write the trained weights to this .npz")
	dir := flag.String("data", "", "Fashion-MNIST directory (default $FMNIST_DIR or /usr/share/datasets/fashion-mnist)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	reconRows := flag.Int("recon-rows", 3, "pcd1: rows of each minibatch the reconstruction monitor covers (CDConfig.ReconRows; 0: all; the reference scripts compute none)")
	traceFile := flag.String("trace", "", "write an execution trace of the whole run to this file (go tool trace)")
	float32 := flag.Bool("float32", false, "the batched products run in float32 (Workspace.SetFloat32, as code generated with ebmc gen -float32; ais: the package rbm32, so generated; updown: DBNUpDownConfig.Float32; not backprop)")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			log.Fatal(err)
		}
		if err := trace.Start(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			trace.Stop()
			f.Close()
		}()
	}

	res := result{Impl: "ebmc-f64", Workload: *workload, Dtype: "float64", Threads: goruntime.GOMAXPROCS(0), Go: goruntime.Version()}
	if *float32 {
		res.Impl, res.Dtype = "ebmc-f32", "float32 products, float64 states"
	}
	dd := dataDir(*dir)
	switch *workload {
	case "gibbs", "gibbs1":
		if *chains == 0 {
			*chains = map[string]int{"gibbs": 100, "gibbs1": 1}[*workload]
		}
		if *sweeps == 0 {
			*sweeps = map[string]int{"gibbs": 1000, "gibbs1": 5000}[*workload]
		}
		train, err := loadImages(dd, trainFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Fatal(err)
		}
		gibbs(&res, train, *chains, *sweeps, *seed, *float32)
	case "cd1", "pcd1":
		train, err := loadImages(dd, trainFile)
		if err != nil {
			log.Fatal(err)
		}
		test, err := loadImages(dd, testFile)
		if err != nil {
			log.Fatal(err)
		}
		if *rows > 0 && *rows < train.Rows {
			train, _ = train.Split(*rows)
		}
		m := rbm.NewRBM(*seed)
		persistent := *workload == "pcd1"
		dt, errSum, err := trainRBM(m, train, *epochs, *batch, *chains, *lr, *mom, persistent, *reconRows, *seed, *float32)
		if err != nil {
			log.Fatal(err)
		}
		images := float64(*epochs * train.Rows)
		res.Epochs, res.Batch, res.LR, res.Momentum, res.Seconds = *epochs, *batch, *lr, *mom, dt
		if train.Rows != 60000 {
			res.Rows = train.Rows
		}
		if persistent {
			res.Chains = *chains
			if res.Chains == 0 {
				res.Chains = *batch
			}
		}
		res.SecondsPerEp = dt / float64(*epochs)
		res.GFlops = images * 10 * nv * nh / dt / 1e9
		if !persistent {
			res.ReconErrEpoch = ptr(errSum / images)
		}
		res.ReconErrTest = ptr(reconErr(m, test))
		res.WAbsMean = absMean(m.W)
		if *save != "" {
			if err := saveWeights(*save, m); err != nil {
				log.Fatal(err)
			}
		}
	case "vsml":
		train, err := loadImages(dd, trainFile)
		if err != nil {
			log.Fatal(err)
		}
		if *rows > 0 && *rows < train.Rows {
			train, _ = train.Split(*rows)
		}
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["lr"] {
			*lr = 0.001
		}
		if *chains == 0 {
			*chains = 100
		}
		if err := vsml(&res, train, *batch, *chains, *k, *mfSweeps, *lr, *mom, *reconRows, *seed, *float32); err != nil {
			log.Fatal(err)
		}
	case "ais":
		train, err := loadImages(dd, trainFile)
		if err != nil {
			log.Fatal(err)
		}
		test, err := loadImages(dd, testFile)
		if err != nil {
			log.Fatal(err)
		}
		m := rbm.ZeroRBM()
		if *load != "" {
			if err := loadWeights(*load, m); err != nil {
				log.Fatal(err)
			}
			res.Weights = "loaded from " + *load
		} else {
			m = rbm.NewRBM(*seed)
			tr := train
			if *rows > 0 && *rows < train.Rows {
				tr, _ = train.Split(*rows)
			}
			if _, _, err := trainRBM(m, tr, 1, *batch, 0, *lr, *mom, false, 0, *seed, false); err != nil {
				log.Fatal(err)
			}
			res.Weights = fmt.Sprintf("trained here first (untimed): ebmc CD-1, 1 epoch over %d images, seed %d", tr.Rows, *seed)
		}
		if err := ais(&res, m, train, test, *runs, *betas, *batch, *seed, *float32); err != nil {
			log.Fatal(err)
		}
	case "updown", "backprop":
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["k"] {
			*k = 3 // the example's -k
		}
		if err := dbnWorkload(&res, *workload, dd, *load, *rows, *batch, *k, *seed, *float32); err != nil {
			log.Fatal(err)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
	out, err := json.Marshal(res)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
}

// gibbs runs W1/W1s: chains started at the first training images (random
// states when the data set is absent), sweeps sweeps of block Gibbs.
func gibbs(res *result, train *dataset.BitDataset, chains, sweeps int, seed uint64, float32 bool) {
	m := rbm.NewRBM(seed)
	x := rbm.NewRBMChains(chains, seed+1)
	if float32 && !x.Workspace.SetFloat32(true) {
		log.Fatal("-float32: this CPU has no float32 kernels (they need AVX2 and FMA, or AVX-512)")
	}
	res.Init = "random"
	if train != nil {
		if train.Rows < chains {
			log.Fatalf("gibbs: %d chains but only %d training images", chains, train.Rows)
		}
		rowsFrom(train, 0, chains, make([]int, chains), x.V)
		res.Init = "data"
	}
	t0 := time.Now()
	m.Sweeps(x, 1, sweeps) // the weights held fixed, packed once
	dt := time.Since(t0).Seconds()
	cs := float64(chains * sweeps)
	res.Chains, res.Sweeps, res.Seconds = chains, sweeps, dt
	res.ChainSweepsPS = cs / dt
	res.GFlops = cs * 4 * nv * nh / dt / 1e9
	s := 0.0
	for _, v := range x.V[:chains*nv] {
		s += v
	}
	res.FinalVMean = ptr(s / float64(chains*nv))
}

// trainRBM runs CD-1 (Hinton's recipe: sampled h0, reconstruction kept as
// probabilities) or PCD-1 over the rows of data in file order and returns
// the seconds of the loop and Σ over the epochs of ‖v0 − vn‖².
func trainRBM(m *rbm.RBM, data *dataset.BitDataset, epochs, batch, chains int, lr, mom float64, persistent bool, reconRows int, seed uint64, float32 bool) (float64, float64, error) {
	t, err := rbm.NewRBMTrainer(m, runtime.CDConfig{
		K:           1,
		BatchSize:   batch,
		MeanVisible: !persistent,
		Persistent:  persistent,
		Chains:      chains,
		ReconRows:   reconRows,
		Optimizer:   runtime.SGD{LearningRate: lr, Momentum: mom},
		Seed:        seed + 2,
		Float32:     float32,
	})
	if err != nil {
		return 0, 0, err
	}
	errSum := 0.0
	buf, idx := make([]float64, batch*nv), make([]int, batch)
	t0 := time.Now()
	for ep := 0; ep < epochs; ep++ {
		for s := 0; s < data.Rows; s += batch {
			n := min(batch, data.Rows-s)
			rowsFrom(data, s, n, idx, buf)
			errSum += t.TrainStep(buf[:n*nv], n, ep)
		}
	}
	return time.Since(t0).Seconds(), errSum, nil
}

// reconErr is the mean over the rows of Σ_i (v_i − pv_i)² with the
// mean-field reconstruction pv = σ(σ(vW + c)Wᵀ + b), in batches of 1000.
func reconErr(m *rbm.RBM, d *dataset.BitDataset) float64 {
	const chunk = 1000
	x := rbm.NewRBMChains(chunk, 0)
	pv, idx := make([]float64, chunk*nv), make([]int, chunk)
	s := 0.0
	for lo := 0; lo < d.Rows; lo += chunk {
		n := min(chunk, d.Rows-lo)
		x.N = n
		rowsFrom(d, lo, n, idx, x.V)
		m.MeanH(x, 1, x.H[:n*nh])
		m.MeanV(x, 1, pv[:n*nv])
		for k, v := range x.V[:n*nv] {
			s += (v - pv[k]) * (v - pv[k])
		}
	}
	return s / float64(d.Rows)
}

// ais runs W4 and the untimed evaluation: the base-rate model from the
// training images with 5 pseudo-counts per minibatch (Salakhutdinov &
// Murray's lp = 5), the estimate, and the mean test log-probability.
func ais(res *result, m *rbm.RBM, train, test *dataset.BitDataset, runs, betas, batch int, seed uint64, float32 bool) error {
	r := m.Reflect()
	if float32 {
		m32 := rbm32.ZeroRBM()
		for i, p := range m32.Params() {
			copy(p.Data, m.Params()[i].Data)
		}
		r = m32.Reflect()
	}
	pseudo := 5 * float64(train.Rows/batch)
	base, err := estimators.BaseRate(r, train, pseudo)
	if err != nil {
		return err
	}
	t0 := time.Now()
	est, err := estimators.AIS(r, base, estimators.AISConfig{Temperatures: betas, Runs: runs, Seed: seed + 3})
	dt := time.Since(t0).Seconds()
	if err != nil {
		return err
	}
	res.Runs, res.Betas, res.Seconds, res.BasePseudo = runs, betas, dt, pseudo
	res.GFlops = float64(betas-1) * float64(runs) * 4 * nv * nh / dt / 1e9
	res.LogZ, res.LogZHi, res.LogZBase = ptr(est.LogZ), ptr(est.High), ptr(est.LogZBase)
	if !math.IsInf(est.Low, 0) { // JSON has no infinities: a missing lower bound is left out
		res.LogZLo = ptr(est.Low)
	}
	res.LogZAlias, res.LogZLowAlias, res.LogZHiAlias = res.LogZ, res.LogZLo, res.LogZHi
	// mean over the test images of log p*(v) − log Z = −F(v) − log Z,
	// the images expanded from bits 1000 at a time
	const chunk = 1000
	x := rbm.NewRBMChains(chunk, 0)
	f := make([]float64, chunk)
	idx := make([]int, chunk)
	s := 0.0
	for lo := 0; lo < test.Rows; lo += chunk {
		n := min(chunk, test.Rows-lo)
		x.N = n
		for k := range n {
			idx[k] = lo + k
		}
		test.Gather(x.V[:n*nv], idx[:n])
		m.FreeEnergyV(x, 1, f[:n])
		for _, v := range f[:n] {
			s -= v
		}
	}
	res.TestLogPMean = ptr(s/float64(test.Rows) - est.LogZ)
	return nil
}

func absMean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += math.Abs(v)
	}
	return s / float64(len(x))
}

func loadWeights(path string, m *rbm.RBM) error {
	data, shapes, err := readNPZ(path)
	if err != nil {
		return err
	}
	want := []struct {
		name  string
		dst   []float64
		shape []int
	}{{"W", m.W, []int{nv, nh}}, {"vbias", m.B, []int{nv}}, {"hbias", m.C, []int{nh}}}
	for _, w := range want {
		x, ok := data[w.name]
		if !ok {
			return fmt.Errorf("%s: no array %q", path, w.name)
		}
		if fmt.Sprint(shapes[w.name]) != fmt.Sprint(w.shape) {
			return fmt.Errorf("%s: %s has shape %v, want %v", path, w.name, shapes[w.name], w.shape)
		}
		copy(w.dst, x)
	}
	return nil
}

func saveWeights(path string, m *rbm.RBM) error {
	return writeNPZ(path, []npyArray{
		{"W", []int{nv, nh}, m.W},
		{"vbias", []int{nv}, m.B},
		{"hbias", []int{nh}, m.C},
	})
}

// vsml runs one epoch of variational SML on the 784-500-1000 DBM of
// examples/dbm.ebm (W ~ N(0, 0.01²), zero biases) with the DBM example's
// settings: per minibatch of 100, mean field from zero with every one of
// mfSweeps sweeps run (h1, then h2), persistent chains (started uniformly
// at random) advanced k block-Gibbs sweeps, the gradient of both phases,
// and SGD with momentum and weight decay 0.0002.
//
// The FLOP count is that of the dense products, 2·m·n·k each: per image
// 2·784·500 for v·W1 (once), mfSweeps·2·(2·500·1000) for h2·W2ᵀ and h1·W2,
// 2·(784·500 + 500·1000) for the positive statistics; per minibatch k
// sweeps of the chains, 2·chains·2·(784·500 + 500·1000) each, the means
// of v and h2 given the chains' h1 and the statistics, 2·chains·(784·500 +
// 500·1000) each.
func vsml(res *result, train *dataset.BitDataset, batch, chains, k, mfSweeps int, lr, mom float64, reconRows int, seed uint64, float32 bool) error {
	const nv, n1, n2 = models.DBMNV, models.DBMN1, models.DBMN2
	m := models.NewDBM(seed)
	t, err := models.NewDBMTrainer(m, runtime.CDConfig{K: k, Persistent: true, Chains: chains, BatchSize: batch, ReconRows: reconRows, Seed: seed + 2,
		Optimizer:      runtime.SGD{LearningRate: lr, Momentum: mom, WeightDecay: 0.0002},
		MeanFieldIters: mfSweeps, MeanFieldTol: -1, Float32: float32})
	if err != nil {
		return err
	}
	buf, idx := make([]float64, batch*nv), make([]int, batch)
	t0 := time.Now()
	steps := 0
	for s := 0; s < train.Rows; s += batch {
		n := min(batch, train.Rows-s)
		rowsFrom(train, s, n, idx, buf)
		t.TrainStep(buf[:n*nv], n, 0)
		steps++
	}
	dt := time.Since(t0).Seconds()
	perImage := 2.0*nv*n1 + float64(mfSweeps)*2*(2*n1*n2) + 2*(nv*n1+n1*n2)
	perStep := float64(k)*2*float64(chains)*2*(nv*n1+n1*n2) + 2*2*float64(chains)*(nv*n1+n1*n2)
	flop := perImage*float64(train.Rows) + perStep*float64(steps)
	res.Model = fmt.Sprintf("DBM %d-%d-%d", nv, n1, n2)
	res.Epochs, res.Batch, res.Chains, res.K, res.MeanFieldSweep = 1, batch, chains, k, mfSweeps
	res.LR, res.Momentum, res.WeightDecay = lr, mom, 0.0002
	if train.Rows != 60000 {
		res.Rows = train.Rows
	}
	res.Seconds, res.SecondsPerEp = dt, dt
	res.TFlop = flop / 1e12
	res.GFlops = flop / dt / 1e9
	res.WAbsMean = absMean(m.W1)
	return nil
}
