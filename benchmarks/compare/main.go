// Command compare runs the RBM and DBM workloads of benchmarks/ with ebmc's
// generated code and, when Debian's python has them, with PyTorch and
// scikit-learn, interleaved rep-major (rep 1 of every cell, then rep 2, …)
// because the machine's speed drifts, and prints a Markdown table of medians.
//
//	go run ./benchmarks/compare [-reps 3] [-workloads gibbs,gibbs1,cd1,pcd1,ais,vsml] [-quick]
//
// It builds the workload binary once (go build ./benchmarks), writes every
// run's JSON line (with rep, command, peak RSS and CPU share from
// /usr/bin/time -v) to -out, and the table to stdout and beside -out.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

var allWorkloads = []string{"gibbs", "gibbs1", "cd1", "pcd1", "ais", "vsml"}

// impl is one implementation: how to run a workload, or false if it has none.
type impl struct {
	label string
	env   []string
	// argv returns the command for a workload with the given size options
	// (flag name → value, without dashes).
	argv func(w string, opts [][2]string) ([]string, bool)
}

type cell struct {
	impl     *impl
	workload string
	argv     []string
}

// record is one run's JSON line plus what compare adds.
type record map[string]any

func (r record) num(k string) (float64, bool) {
	v, ok := r[k].(float64)
	return v, ok
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("compare: ")
	reps := flag.Int("reps", 3, "repetitions of every cell (default 1 with -quick)")
	wl := flag.String("workloads", strings.Join(allWorkloads, ","), "comma-separated workloads")
	impls := flag.String("impls", "ebmc,torch-f32,torch-f64,sklearn-f64", "comma-separated implementations (ebmc, ebmc-f32 (float32 products), torch-f32, torch-f64, sklearn-f64, sklearn-f32); ebmc first; -quick: ebmc,torch-f32,sklearn-f64")
	quick := flag.Bool("quick", false, "shrink every workload for a smoke run (20/200 sweeps, 3000 training images, 100 AIS temperatures, 1000 images of DBM training)")
	out := flag.String("out", "", "file for the raw JSON lines (default benchmarks/out/raw-TIME.jsonl)")
	weights := flag.String("weights", "", "ais: weights .npz for every implementation (default: saved by ebmc's cd1 run of rep 1, or trained first)")
	python := flag.String("python", "/usr/bin/python3", "python with numpy, torch and scikit-learn (Debian's)")
	threads := flag.Int("threads", 2, "threads of the Python implementations")
	timeout := flag.Duration("timeout", 30*time.Minute, "limit per run")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick && !set["reps"] {
		*reps = 1
	}
	if *quick && !set["impls"] {
		*impls = "ebmc,torch-f32,sklearn-f64"
	}

	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	bench := filepath.Join(root, "benchmarks")
	outDir := filepath.Join(bench, "out")
	stamp := time.Now().Format("20060102-150405")
	if *out == "" {
		*out = filepath.Join(outDir, "raw-"+stamp+".jsonl")
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		log.Fatal(err)
	}

	workloads := splitList(*wl)
	for _, w := range workloads {
		if !slices.Contains(allWorkloads, w) {
			log.Fatalf("unknown workload %q (want %s)", w, strings.Join(allWorkloads, ", "))
		}
	}
	if !haveData() {
		var keep []string
		for _, w := range workloads {
			if w == "gibbs" || w == "gibbs1" {
				keep = append(keep, w)
			} else {
				log.Printf("Fashion-MNIST not found ($FMNIST_DIR or /usr/share/datasets/fashion-mnist): skipping %s", w)
			}
		}
		workloads = keep
	}

	// Build the ebmc workload binary once.
	bin := filepath.Join(outDir, "ebmc-bench")
	log.Printf("go build -o %s ./benchmarks", bin)
	build := exec.Command("go", "build", "-o", bin, "./benchmarks")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("building the workload binary: %v", err)
	}

	torchOK := pythonHas(*python, "torch")
	sklearnOK := pythonHas(*python, "sklearn")
	if torchOK {
		if libs, ok := torchBLAS(*python); ok && !optimizedBLAS(libs) {
			log.Printf("warning: PyTorch's products run on %s, the reference BLAS: its figures will be 10–40× slower than with an optimized one (apt-get install libopenblas0-pthread)", strings.Join(libs, ", "))
		}
	}
	var chosen []*impl
	for _, name := range splitList(*impls) {
		switch {
		case name == "ebmc":
			chosen = append(chosen, &impl{label: "ebmc-f64", argv: func(w string, opts [][2]string) ([]string, bool) {
				a := []string{bin, "-workload", w}
				for _, o := range opts {
					a = append(a, "-"+o[0], o[1])
				}
				return a, true
			}})
		case name == "ebmc-f32":
			chosen = append(chosen, &impl{label: "ebmc-f32", argv: func(w string, opts [][2]string) ([]string, bool) {
				a := []string{bin, "-workload", w, "-float32"}
				for _, o := range opts {
					a = append(a, "-"+o[0], o[1])
				}
				return a, true
			}})
		case strings.HasPrefix(name, "torch-"), strings.HasPrefix(name, "sklearn-"):
			lib, prec, _ := strings.Cut(name, "-")
			dtype := map[string]string{"f32": "float32", "f64": "float64"}[prec]
			if dtype == "" {
				log.Fatalf("unknown implementation %q", name)
			}
			if (lib == "torch" && !torchOK) || (lib == "sklearn" && !sklearnOK) {
				log.Printf("%s -c 'import %s' fails: skipping %s", *python, map[string]string{"torch": "torch", "sklearn": "sklearn"}[lib], name)
				continue
			}
			script := func(w string) string {
				if w == "vsml" {
					return filepath.Join(bench, "py", "torch_dbm.py")
				}
				return filepath.Join(bench, "py", lib+"_rbm.py")
			}
			label := fmt.Sprintf("%s-%s-%dt", lib, prec, *threads)
			if lib == "sklearn" {
				label = name
			}
			chosen = append(chosen, &impl{label: label, env: []string{"OMP_WAIT_POLICY=PASSIVE"},
				argv: func(w string, opts [][2]string) ([]string, bool) {
					if lib == "sklearn" && (w == "cd1" || w == "ais" || w == "vsml") {
						return nil, false // scikit-learn has none of them
					}
					a := []string{*python, script(w), "--workload", w, "--dtype", dtype, "--threads", strconv.Itoa(*threads)}
					for _, o := range opts {
						if lib == "sklearn" && o[0] == "momentum" {
							continue
						}
						a = append(a, "--"+o[0], o[1])
					}
					return a, true
				}})
		default:
			log.Fatalf("unknown implementation %q", name)
		}
	}
	if len(chosen) == 0 {
		log.Fatal("no implementation to run")
	}

	// Size options per workload.
	opts := map[string][][2]string{}
	if *quick {
		opts["gibbs"] = [][2]string{{"sweeps", "20"}}
		opts["gibbs1"] = [][2]string{{"sweeps", "200"}}
		opts["cd1"] = [][2]string{{"rows", "3000"}}
		opts["pcd1"] = [][2]string{{"rows", "3000"}}
		opts["ais"] = [][2]string{{"betas", "100"}}
		opts["vsml"] = [][2]string{{"rows", "1000"}}
	}

	// AIS weights: the same file for every implementation.
	saveFrom := "" // set when ebmc's rep-1 cd1 run writes the weights
	if slices.Contains(workloads, "ais") && *weights == "" {
		*weights = filepath.Join(outDir, "cd1_weights.npz")
		if slices.Contains(workloads, "cd1") && chosen[0].label == "ebmc-f64" {
			saveFrom = "ebmc-f64"
		} else {
			log.Printf("training the AIS weights first (ebmc cd1, untimed) into %s", *weights)
			a := []string{bin, "-workload", "cd1", "-save", *weights}
			for _, o := range opts["cd1"] {
				a = append(a, "-"+o[0], o[1])
			}
			c := exec.Command(a[0], a[1:]...)
			c.Stderr = os.Stderr
			if err := c.Run(); err != nil {
				log.Fatalf("training the AIS weights: %v", err)
			}
		}
	}
	if *weights != "" {
		opts["ais"] = append(opts["ais"], [2]string{"load", *weights})
	}

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var recs []record
	failed := map[[2]string]int{}
	for rep := 1; rep <= *reps; rep++ {
		for _, w := range workloads {
			for _, im := range chosen {
				o := opts[w]
				if rep == 1 && w == "cd1" && im.label == saveFrom {
					o = append(slices.Clone(o), [2]string{"save", *weights})
				}
				argv, ok := im.argv(w, o)
				if !ok {
					continue
				}
				r, err := run(im, w, argv, rep, *timeout)
				if err != nil {
					log.Printf("[rep %d] %s %s FAILED: %v", rep, im.label, w, err)
					failed[[2]string{w, im.label}]++
					continue
				}
				line, _ := json.Marshal(r)
				f.Write(append(line, '\n'))
				recs = append(recs, r)
			}
		}
	}
	table := render(recs, workloads, chosen, failed, *reps, *quick)
	fmt.Print(table)
	tpath := strings.TrimSuffix(*out, ".jsonl") + ".md"
	if err := os.WriteFile(tpath, []byte(table), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("raw JSON lines: %s; table: %s", *out, tpath)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the ebmc module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

func haveData() bool {
	dir := os.Getenv("FMNIST_DIR")
	if dir == "" {
		dir = "/usr/share/datasets/fashion-mnist"
	}
	for _, n := range []string{"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// torchBLAS returns the BLAS libraries a PyTorch process has mapped once it
// has multiplied two matrices (from /proc/self/maps; ok false where that
// cannot be read). Debian's torch links the generic libblas.so.3, which
// points at the netlib reference BLAS unless OpenBLAS is installed.
func torchBLAS(python string) (libs []string, ok bool) {
	const probe = `import torch
(torch.ones(64, 64) @ torch.ones(64, 64))
for l in sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() or "mkl" in l.lower()}):
    print(l)`
	out, err := exec.Command(python, "-c", probe).Output()
	if err != nil {
		return nil, false
	}
	return strings.Fields(string(out)), true
}

// optimizedBLAS reports whether libs include an optimized BLAS (OpenBLAS,
// MKL, BLIS) or none at all (a build with its own kernels).
func optimizedBLAS(libs []string) bool {
	for _, l := range libs {
		l = strings.ToLower(l)
		if strings.Contains(l, "openblas") || strings.Contains(l, "mkl") || strings.Contains(l, "blis") {
			return true
		}
	}
	return len(libs) == 0
}

func pythonHas(python, module string) bool {
	return exec.Command(python, "-c", "import "+module).Run() == nil
}

const gnuTime = "/usr/bin/time"

// run runs one cell under /usr/bin/time -v (when present) and returns its
// JSON line with rep, command, wall time, peak RSS and CPU share added.
func run(im *impl, w string, argv []string, rep int, timeout time.Duration) (record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := argv
	timed := false
	if _, err := os.Stat(gnuTime); err == nil {
		full = append([]string{gnuTime, "-v"}, argv...)
		timed = true
	}
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	ownGroup(cmd)
	env := os.Environ()
	env = slices.DeleteFunc(env, func(s string) bool { return strings.HasPrefix(s, "OMP_WAIT_POLICY=") })
	cmd.Env = append(env, im.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	load := loadAvg()
	started := time.Now()
	err := cmd.Run()
	wall := time.Since(started).Seconds()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("timed out after %v", timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, tail(stderr.String(), 12))
	}
	var r record
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "{") {
			r = nil
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				return nil, fmt.Errorf("bad JSON line %q: %v", l, err)
			}
		}
	}
	if r == nil {
		return nil, fmt.Errorf("no JSON line in the output")
	}
	r["label"] = im.label
	r["rep"] = rep
	r["cmd"] = strings.TrimSpace(strings.Join(im.env, " ") + " " + strings.Join(argv, " "))
	r["process_wall_s"] = math.Round(wall*1000) / 1000
	r["loadavg_1m"] = load
	r["started"] = started.Format(time.RFC3339)
	if timed {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if v, ok := strings.CutPrefix(l, "Maximum resident set size (kbytes):"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					r["maxrss_mb"] = math.Round(kb/1024*10) / 10
				}
			}
			if v, ok := strings.CutPrefix(l, "Percent of CPU this job got:"); ok {
				if p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "%"), 64); err == nil {
					r["cpu_percent"] = p
				}
			}
		}
	}
	key := map[string]string{"gibbs": "chain_sweeps_per_s", "gibbs1": "chain_sweeps_per_s", "ais": "logZ"}[w]
	if key == "" {
		key = "seconds_per_epoch"
	}
	sec, _ := r.num("seconds")
	fig, _ := r.num(key)
	rss, _ := r.num("maxrss_mb")
	log.Printf("[rep %d] %-14s %-7s seconds=%.3f %s=%.4g rss=%.0fMB", rep, im.label, w, sec, key, fig, rss)
	return r, nil
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// field returns the values of key over the runs that have it.
func field(rs []record, key string) []float64 {
	var out []float64
	for _, r := range rs {
		if v, ok := r.num(key); ok {
			out = append(out, v)
		}
	}
	return out
}

func fmtNum(x float64) string {
	switch a := math.Abs(x); {
	case math.IsNaN(x):
		return "–"
	case a >= 10000:
		return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(x, 'f', 2, 64)
	default:
		return strconv.FormatFloat(x, 'f', 3, 64)
	}
}

// title describes a workload with the sizes its runs report.
func title(w string, rs []record) string {
	var r record
	if len(rs) > 0 {
		r = rs[0]
	}
	n := func(k string, def int) int {
		if v, ok := r.num(k); ok {
			return int(v)
		}
		return def
	}
	switch w {
	case "gibbs":
		return fmt.Sprintf("W1 gibbs: %d chains × %d sweeps", n("chains", 100), n("sweeps", 1000))
	case "gibbs1":
		return fmt.Sprintf("W1s gibbs1: %d chain × %d sweeps", n("chains", 1), n("sweeps", 5000))
	case "cd1":
		return fmt.Sprintf("W2 cd1: CD-1, %d epoch of %d images", n("epochs", 1), n("rows", 60000))
	case "pcd1":
		return fmt.Sprintf("W2p pcd1: PCD-1, %d epoch of %d images", n("epochs", 1), n("rows", 60000))
	case "ais":
		return fmt.Sprintf("W4 ais: %d runs × %d temperatures", n("runs", 100), n("betas", 10000))
	case "vsml":
		return fmt.Sprintf("D1 vsml: DBM 784-500-1000, 1 epoch of %d images, %d mean-field sweeps, PCD-%d", n("rows", 60000), n("mean_field_sweeps", 25), n("k", 5))
	}
	return w
}

func render(recs []record, workloads []string, impls []*impl, failed map[[2]string]int, reps int, quick bool) string {
	var b strings.Builder
	by := map[[2]string][]record{}
	for _, r := range recs {
		k := [2]string{r["workload"].(string), r["label"].(string)}
		by[k] = append(by[k], r)
	}
	med := func(w, label, key string) float64 { return median(field(by[[2]string{w, label}], key)) }
	mode := ""
	if quick {
		mode = " — QUICK (shrunk workloads, not comparable with full runs)"
	}
	fmt.Fprintf(&b, "\n### Timed seconds, median of %d interleaved reps%s\n\n", reps, mode)
	b.WriteString("Ratios are ebmc's median seconds over the other's: below 1, ebmc is faster.\n\n")
	b.WriteString("| workload |")
	for _, im := range impls {
		fmt.Fprintf(&b, " %s |", im.label)
	}
	var others []*impl // the ratio columns, when ebmc ran
	if impls[0].label == "ebmc-f64" {
		others = impls[1:]
	}
	for _, im := range others {
		fmt.Fprintf(&b, " ebmc / %s |", im.label)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(impls)+len(others)))
	b.WriteString("\n")
	for _, w := range workloads {
		var any []record
		for _, im := range impls {
			if rs := by[[2]string{w, im.label}]; len(rs) > 0 && len(any) == 0 {
				any = rs
			}
		}
		fmt.Fprintf(&b, "| %s |", title(w, any))
		for _, im := range impls {
			b.WriteString(" " + secCell(by[[2]string{w, im.label}], failed[[2]string{w, im.label}]) + " |")
		}
		for _, im := range others {
			e, o := med(w, "ebmc-f64", "seconds"), med(w, im.label, "seconds")
			if math.IsNaN(e) || math.IsNaN(o) {
				b.WriteString(" |")
				continue
			}
			fmt.Fprintf(&b, " **%.2f** |", e/o)
		}
		b.WriteString("\n")
	}

	b.WriteString("\n### Details (medians)\n\n")
	b.WriteString("| workload | implementation | n | chain-sweeps/s | GFLOP/s (nominal) | CPU % | peak RSS MB | result |\n|---|---|---|---|---|---|---|---|\n")
	for _, w := range workloads {
		for _, im := range impls {
			rs := by[[2]string{w, im.label}]
			if len(rs) == 0 {
				continue
			}
			cs := ""
			if w == "gibbs" || w == "gibbs1" {
				cs = fmtNum(med(w, im.label, "chain_sweeps_per_s"))
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s |\n", w, im.label, len(rs), cs,
				fmtNum(med(w, im.label, "gflops")), fmtNum(med(w, im.label, "cpu_percent")),
				fmtNum(med(w, im.label, "maxrss_mb")), quality(w, rs))
		}
	}
	b.WriteString("\nCommands:\n\n")
	seen := map[[2]string]bool{}
	for _, r := range recs {
		k := [2]string{r["workload"].(string), r["label"].(string)}
		if !seen[k] {
			seen[k] = true
			fmt.Fprintf(&b, "- `%s`\n", r["cmd"])
		}
	}
	return b.String()
}

func secCell(rs []record, failed int) string {
	s := field(rs, "seconds")
	if len(s) == 0 {
		if failed > 0 {
			return "failed"
		}
		return "–"
	}
	c := fmt.Sprintf("**%s** [%s–%s]", fmtNum(median(s)), fmtNum(slices.Min(s)), fmtNum(slices.Max(s)))
	if failed > 0 {
		c += fmt.Sprintf(" (%d failed)", failed)
	}
	return c
}

func quality(w string, rs []record) string {
	m := func(k string) float64 { return median(field(rs, k)) }
	var parts []string
	switch w {
	case "gibbs", "gibbs1":
		parts = append(parts, "final mean(v) "+fmtNum(m("final_v_mean")))
		if rs[0]["init"] == "random" {
			parts = append(parts, "random init (no data)")
		}
	case "cd1", "pcd1":
		if v := m("recon_err_epoch"); !math.IsNaN(v) {
			parts = append(parts, "recon epoch "+fmtNum(v))
		}
		parts = append(parts, "recon test "+fmtNum(m("recon_err_test")))
		if mo, ok := rs[0].num("momentum"); ok && mo == 0 {
			parts = append(parts, "no momentum")
		}
	case "vsml":
		parts = append(parts, fmt.Sprintf("%s TFLOP; mean |W1| %s", fmtNum(m("tflop")), fmtNum(m("w_abs_mean"))))
	case "ais":
		var zs []string
		for _, r := range rs {
			z, _ := r.num("logZ")
			zs = append(zs, fmtNum(z))
		}
		parts = append(parts, fmt.Sprintf("log Z %s (runs %s; ±3se of median run [%s, %s]); test log p %s",
			fmtNum(m("logZ")), strings.Join(zs, ", "), fmtNum(m("logZ_lo_3se")), fmtNum(m("logZ_hi_3se")), fmtNum(m("test_logp_mean"))))
	}
	return strings.Join(parts, "; ")
}
