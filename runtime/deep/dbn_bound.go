package deep

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

// The variational lower bound on a DBN's log-likelihood (Salakhutdinov &
// Murray 2008), with log Z of the top model from AIS.

// TopLogZ returns log Z of the top model: exact by enumeration when that
// takes at most 2²⁴ configurations, otherwise estimated by AIS (cfg) from the
// base-rate model TopBase fits to data and labels. Forward AIS errs low in
// expectation (E[Ẑ] = Z, so E[log Ẑ] ≤ log Z), which errs the bound high;
// ReverseAIS from the same base errs the other way.
func (d *DBN) TopLogZ(data dataset.Source, labels []int, cfg estimators.AISConfig) (*estimators.Estimate, error) {
	top := d.top()
	start := time.Now()
	if z, err := top.m.LogZ(1 << 24); err == nil {
		return &estimators.Estimate{Method: "exact (enumeration)", LogZ: z, Low: z, High: z, LogZBase: math.NaN(), Seconds: time.Since(start).Seconds()}, nil
	}
	base, err := d.TopBase(data, labels)
	if err != nil {
		return nil, err
	}
	est, err := estimators.AIS(top.m, base, cfg)
	if err != nil {
		return nil, fmt.Errorf("runtime: DBN top log Z: %w", err)
	}
	return est, nil
}

// TopBase fits the base-rate model of AIS (BaseRate, with a pseudo-count
// of 5% of the rows) to the top model's visible layers on data mapped up
// by the recognition means, with the one-hot labels appended when the top
// model has a label layer (labels must then hold one class per row): the
// rows of TopSource, a batch at a time.
func (d *DBN) TopBase(data dataset.Source, labels []int) (*estimators.Base, error) {
	src, err := d.TopSource(data, labels)
	if err != nil {
		return nil, fmt.Errorf("runtime: DBN top base rate: %w", err)
	}
	rows, _ := src.Shape()
	base, err := estimators.BaseRate(d.top().m, src, float64(rows)/20)
	if err != nil {
		return nil, fmt.Errorf("runtime: DBN top base rate: %w", err)
	}
	return base, nil
}

// SwappedTopBase fits the base-rate model of AIS over the top model's
// hidden layer h_L: BaseRate of swapped (the top with its layers swapped,
// as RAISESwapped takes it), with a pseudo-count of 5% of the rows, on
// E[h_L | h_{L−1}] of the rows of TopSource — the data mapped up by the
// recognition means, then by the top's conditional means (one up-pass,
// dbnUpSource) — a batch at a time. The top model must have no label layer.
func (d *DBN) SwappedTopBase(data dataset.Source, swapped runtime.Reflective) (*estimators.Base, error) {
	fail := func(err error) error { return fmt.Errorf("runtime: DBN base over the top's hidden layer: %w", err) }
	top := d.top()
	if top.classes > 0 {
		return nil, fail(fmt.Errorf("the top model %s has a label layer", top.m.ModelName()))
	}
	if _, _, err := checkSwapped(top, swapped); err != nil {
		return nil, fail(err)
	}
	if err := d.checkData(data, 0); err != nil {
		return nil, fail(err)
	}
	levels := make([]*dbnLevel, 0, len(d.gen))
	for k := range len(d.gen) - 1 {
		levels = append(levels, d.recog(k))
	}
	up := upSourceLevels(data, append(levels, top), 0, false, 0)
	rows, _ := up.Shape()
	base, err := estimators.BaseRate(swapped, up, float64(rows)/20)
	if err != nil {
		return nil, fail(err)
	}
	return base, nil
}

// DBNBoundConfig configures DBN.LowerBound.
type DBNBoundConfig struct {
	// Samples is the number of draws of q(h | v) per row; 0 means 10.
	Samples int
	// Importance averages the draws' weights w = p(v, h)/q(h | v) instead
	// of their logs: each row's value becomes log (1/S)·Σ_s w_s − log Z, the
	// importance-sampling estimate of log p(v) with q as the proposal. For
	// a known log Z it is a stochastic lower bound that tightens with S
	// toward log p(v) (Burda, Grosse & Salakhutdinov 2016), where the
	// variational bound stays KL(q ‖ p(h | v)) below; with log Z from
	// forward AIS, which errs low, it may err high.
	Importance bool
	Seed       uint64
}

// DBNBound is an estimate of the average variational lower bound on
// log p(v) over the rows of a data set, in nats.
type DBNBound struct {
	// Value is the mean over rows of the per-row estimates; StdErr their
	// standard error, sd/√rows.
	Value, StdErr float64
	// Low and High are Value ∓ 3·StdErr widened by the interval of log Z
	// (a larger log Z lowers the bound): Value − 3·StdErr − (LogZ.High −
	// LogZ.LogZ) and Value + 3·StdErr + (LogZ.LogZ − LogZ.Low).
	Low, High float64
	PerRow    []float64
	LogZ      estimators.Estimate // of the top model
	Samples   int
	Method    string
	Seconds   float64
}

// LowerBound estimates, for every row v of data, the variational bound
//
//	log p(v) ≥ E_q[ Σ_{k<L−1} log p_k(h_k | h_{k+1}) + log p*_top(h_{L−1}) − log q(h_1, …, h_{L−1} | v) ] − log Z_top
//
// with q(h_1, …, h_{L−1} | v) = Π_k q_k(h_{k+1} | h_k) the recognition
// conditionals (the bracket minus log q is E_q[log p(v, h)] + H(q)), and
// log p*_top(h) = −F_top(h) the top model's unnormalized marginal of its
// input, summed over the label when it has one: log Σ_y exp(−F_top(h, y)).
// Each row's expectation is the average over cfg.Samples draws of q; logZ
// is log Z_top (TopLogZ). The gap to log p(v) is KL(q(h | v) ‖ p(h | v)).
func (d *DBN) LowerBound(data dataset.Source, logZ *estimators.Estimate, cfg DBNBoundConfig) (*DBNBound, error) {
	start := time.Now()
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN lower bound: %w", err)
	}
	if logZ == nil || math.IsNaN(logZ.LogZ) || math.IsInf(logZ.LogZ, 0) {
		return nil, fmt.Errorf("runtime: DBN lower bound: log Z of the top model is missing or not finite")
	}
	if cfg.Samples < 0 {
		return nil, fmt.Errorf("runtime: DBN lower bound: %d samples", cfg.Samples)
	}
	samples := cfg.Samples
	if samples == 0 {
		samples = 10
	}
	top := d.top()
	up := d.newUpSampler(cfg.Seed)
	topC := dbnNewChains(top.m, cfg.Seed, uint64(2*(len(d.gen)-1)))
	nrows, cols := data.Shape()
	rows := make([]float64, nrows)
	nb := min(dbnBatch, nrows)
	in, idx := make([]float64, nb*cols), make([]int, nb)
	lp := make([]float64, nb)
	fy := make([]float64, max(top.classes, 1)*nb)
	labels := make([]int, nb)
	col := make([]float64, top.classes)
	var iw []float64 // the log-weights of every draw, with Importance
	if cfg.Importance {
		iw = make([]float64, samples*nb)
	}
	for lo := 0; lo < nrows; lo += dbnBatch {
		n := min(dbnBatch, nrows-lo)
		acc := rows[lo : lo+n]
		for r := range n {
			idx[r] = lo + r
		}
		data.Gather(in[:n*cols], idx[:n])
		for s := 0; s < samples; s++ {
			if cfg.Importance {
				acc = iw[s*n : (s+1)*n]
			}
			cur, stride := up.draw(in, cols, n, acc)
			z := topC.get(n)
			dbnPut(z, top.in, cur, n, top.nin, stride)
			if top.classes == 0 {
				top.m.FreeEnergy(z, top.feIn, 1, lp[:n])
				for r := range acc {
					acc[r] -= lp[r]
				}
				continue
			}
			for c := 0; c < top.classes; c++ {
				for r := range labels[:n] {
					labels[r] = c
				}
				dbnOneHot(z, top.label, top.classes, labels[:n])
				top.m.FreeEnergy(z, top.feIn, 1, fy[c*n:(c+1)*n])
			}
			for r := range acc {
				for c := range col {
					col[c] = -fy[c*n+r]
				}
				acc[r] += runtime.LogSumExp(col)
			}
		}
		if cfg.Importance {
			acc = rows[lo : lo+n]
			w := make([]float64, samples)
			for r := range acc {
				for s := range w {
					w[s] = iw[s*n+r]
				}
				acc[r] = runtime.LogMeanExp(w) - logZ.LogZ
			}
			clear(iw)
			continue
		}
		for r := range acc {
			acc[r] = acc[r]/float64(samples) - logZ.LogZ
		}
	}
	mean, sq := 0.0, 0.0
	for _, b := range rows {
		mean += b
	}
	mean /= float64(len(rows))
	for _, b := range rows {
		sq += (b - mean) * (b - mean)
	}
	se := 0.0
	if len(rows) > 1 {
		se = math.Sqrt(sq / float64(len(rows)-1) / float64(len(rows)))
	}
	method := fmt.Sprintf("variational lower bound E_q[log p(v,h) − log q(h|v)], %d samples of q per row, log Z of the top model %s", samples, logZ.Method)
	if cfg.Importance {
		method = fmt.Sprintf("importance sampling log (1/S)·Σ p(v,h_s)/q(h_s|v), S = %d samples of q per row, log Z of the top model %s", samples, logZ.Method)
	}
	return &DBNBound{Value: mean, StdErr: se,
		Low: mean - 3*se - (logZ.High - logZ.LogZ), High: mean + 3*se + (logZ.LogZ - logZ.Low),
		PerRow: rows, LogZ: *logZ, Samples: samples,
		Method:  method,
		Seconds: time.Since(start).Seconds()}, nil
}

// dbnUpSampler draws the hidden layers of a DBN from the recognition
// conditionals q(h_1, …, h_{L−1} | v), for LowerBound and RAISE.
type dbnUpSampler struct {
	d          *DBN
	recC, genC []*dbnChains
	lp, tmp    []float64
}

func (d *DBN) newUpSampler(seed uint64) *dbnUpSampler {
	last := len(d.gen) - 1
	u := &dbnUpSampler{d: d, recC: make([]*dbnChains, last), genC: make([]*dbnChains, last),
		lp: make([]float64, dbnBatch), tmp: make([]float64, dbnBatch)}
	for k := range last {
		u.recC[k] = dbnNewChains(d.recog(k).m, seed, uint64(2*k))
		u.genC[k] = dbnNewChains(d.gen[k].m, seed, uint64(2*k+1))
	}
	return u
}

// draw samples h_1, …, h_{L−1} for n ≤ dbnBatch rows v (at in, stride
// values apart) and adds to acc[r] the log-ratio of the directed part to
// the proposal,
//
//	Σ_{k<L−1} log p_k(h_k | h_{k+1}) − log q(h_1, …, h_{L−1} | v),  h_0 = v,
//
// which for tied weights is Σ_k F_k(h_{k+1}) − F_k(h_k) (the energies
// cancel). It returns the top model's input h_{L−1}, rows stride apart,
// valid until the next draw.
func (u *dbnUpSampler) draw(in []float64, stride, n int, acc []float64) ([]float64, int) {
	d := u.d
	lp, tmp := u.lp[:n], u.tmp[:n]
	cur := in
	for k := range u.recC {
		rk, gk := d.recog(k), &d.gen[k]
		x := u.recC[k].get(n)
		dbnPut(x, rk.in, cur, n, rk.nin, stride)
		rk.m.Sample(x, rk.hid, 1)
		next := x.Layers()[rk.hid].Data
		if d.rec == nil {
			rk.m.FreeEnergy(x, rk.feHid, 1, lp)
			rk.m.FreeEnergy(x, rk.feIn, 1, tmp)
			for r := range acc {
				acc[r] += lp[r] - tmp[r]
			}
			cur, stride = next, gk.nhid
			continue
		}
		rk.logUp(x, lp, tmp)
		for r := range acc {
			acc[r] -= lp[r]
		}
		y := u.genC[k].get(n)
		dbnPut(y, gk.in, cur, n, gk.nin, stride)
		dbnPut(y, gk.hid, next, n, gk.nhid, gk.nhid)
		gk.logDown(y, lp, tmp)
		for r := range acc {
			acc[r] += lp[r]
		}
		cur, stride = next, gk.nhid
	}
	return cur, stride
}

// RAISE estimates log p(v) of every row of data by RAISE through the DBN
// (Burda, Grosse & Salakhutdinov 2015, §5): with h = (h_1, …, h_{L−1})
// drawn from the recognition conditionals q(h | v) and p̂_ann(h_{L−1}) the
// weight of one reverse-annealing run of the top model (RAISE) started at
// h_{L−1},
//
//	w = Π_{k<L−1} p_k(h_k | h_{k+1}) · p̂_ann(h_{L−1}) / q(h | v),  E[w] = p_ann(v),
//
// where p_ann(v) = Σ_h Π_k p_k(h_k | h_{k+1})·p_ann(h_{L−1}) is the DBN with
// the top model replaced by its annealing model. The log of the mean of
// cfg.Runs such weights per row (each its own draw of q and its own run)
// is, by Jensen's inequality, a stochastic lower bound on log p_ann(v),
// and so approximately on log p(v); unlike the variational bound it
// tightens as the runs grow. base is the top model's base (TopBase); the
// top model must have no label layer.
func (d *DBN) RAISE(data dataset.Source, base *estimators.Base, cfg estimators.RAISEConfig) (*estimators.RAISEResult, error) {
	start := time.Now()
	fail := func(err error) error { return fmt.Errorf("runtime: DBN RAISE: %w", err) }
	if err := d.checkData(data, 0); err != nil {
		return nil, fail(err)
	}
	nrows, _ := data.Shape()
	top := d.top()
	if top.classes > 0 {
		return nil, fail(fmt.Errorf("the top model %s has a label layer; RAISE of p(v) would anneal each class in turn, which is not implemented", top.m.ModelName()))
	}
	runs, err := raiseRuns(cfg.Runs)
	if err != nil {
		return nil, fail(err)
	}
	betas, err := estimators.AISConfig{Betas: cfg.Betas, Temperatures: cfg.Temperatures}.Schedule()
	if err != nil {
		return nil, fail(err)
	}
	hs, lw := d.raiseDraws(data, runs, cfg.Seed)
	tc := cfg
	tc.Runs = 1
	ra, err := estimators.RAISE(top.m, base, hs, tc)
	if err != nil {
		return nil, fail(err)
	}
	for c := range lw {
		lw[c] += ra.LogP[c]
	}
	return raiseResult(fmt.Sprintf("RAISE through the DBN: %d draws of q(h | v) per row, each with one reverse run of the top model, %d temperatures, %d rows",
		runs, len(betas)-1, nrows), lw, nrows, runs, start), nil
}

// raiseRuns checks RAISEConfig.Runs and returns the runs per row.
func raiseRuns(runs int) (int, error) {
	switch {
	case runs == 0:
		return estimators.DefaultRAISERuns, nil
	case runs < 0 || runs > dbnBatch:
		return 0, fmt.Errorf("Runs is %d; 0 means %d, otherwise it must be between 1 and %d", runs, estimators.DefaultRAISERuns, dbnBatch)
	}
	return runs, nil
}

// raiseDraws draws runs samples of h_{L−1} from q(h | v) for every row of
// data: row r's run j is row r·runs + j of hs, and lw holds for it the
// log-ratio of the directed part to the proposal (dbnUpSampler.draw).
func (d *DBN) raiseDraws(data dataset.Source, runs int, seed uint64) (hs *dataset.Dataset, lw []float64) {
	nrows, cols := data.Shape()
	top := d.top()
	n := nrows * runs
	hs = &dataset.Dataset{Rows: n, Cols: top.nin, X: make([]float64, n*top.nin)}
	lw = make([]float64, n)
	up := d.newUpSampler(seed)
	rep := make([]float64, dbnBatch*cols)
	per := max(1, dbnBatch/runs)
	row, one := make([]float64, cols), []int{0}
	for lo := 0; lo < nrows; lo += per {
		hi := min(nrows, lo+per)
		m := (hi - lo) * runs
		for r := lo; r < hi; r++ {
			one[0] = r
			data.Gather(row, one)
			for j := range runs {
				copy(rep[((r-lo)*runs+j)*cols:], row)
			}
		}
		cur, stride := up.draw(rep, cols, m, lw[lo*runs:lo*runs+m])
		for c := range m {
			copy(hs.X[(lo*runs+c)*top.nin:], cur[c*stride:c*stride+top.nin])
		}
	}
	return hs, lw
}

// raiseResult averages the log weights lw of runs runs per row (row r's
// run j at r·runs + j) into RAISE's per-row estimates.
func raiseResult(method string, lw []float64, nrows, runs int, start time.Time) *estimators.RAISEResult {
	res := &estimators.RAISEResult{Method: method, LogP: make([]float64, nrows), ESS: make([]float64, nrows)}
	for r := range nrows {
		w := lw[r*runs : (r+1)*runs]
		res.LogP[r] = runtime.LogMeanExp(w)
		res.ESS[r] = stats.KishESS(w)
	}
	res.Mean, res.SE = stats.MeanSE(res.LogP)
	res.Seconds = time.Since(start).Seconds()
	return res
}

// RAISESwapped is RAISE through the DBN with the top RBM annealed over
// its hidden layer h_L instead of its input h_{L−1}: swapped must be the
// top model with its layers swapped (its visible layer the top's hidden
// one, its hidden layer the top's input, the same energy at every state;
// checked on random states), base a base model over swapped's visible
// layer (BaseRate on data mapped up to h_L, say). For each draw of
// h_{L−1} from q(h | v), h_L is drawn from p(h_L | h_{L−1}) and one run of
// reverse AIS of swapped (estimators.ReverseAISFrom, no burn-in) anneals
// h_L down to the base. With W that run's weight, Z_0 the base's
// normalizer and p*(h_{L−1}) = exp(−F(h_{L−1})) the top's unnormalized
// marginal of its input,
//
//	w = Π_{k<L−1} p_k(h_k | h_{k+1}) · p*(h_{L−1}) · W / (Z_0 · q(h | v)),  E[w] = p_ann(v),
//
// where the annealing model generates h_L by AIS over the top's hidden
// layer and then h_{L−1} from p(h_{L−1} | h_L): the reverse run starts in
// the exact conditional, so the weight is RAISE's with the roles of the
// layers exchanged. The log-mean weight per row is a stochastic lower
// bound on log p_ann(v), as with RAISE; it tightens where annealing over
// h_L does (a top whose marginal of h_L is easier to anneal than that of
// h_{L−1}).
func (d *DBN) RAISESwapped(data dataset.Source, swapped runtime.Reflective, base *estimators.Base, cfg estimators.RAISEConfig) (*estimators.RAISEResult, error) {
	start := time.Now()
	fail := func(err error) error { return fmt.Errorf("runtime: DBN RAISE over the top's hidden layer: %w", err) }
	if err := d.checkData(data, 0); err != nil {
		return nil, fail(err)
	}
	top := d.top()
	if top.classes > 0 {
		return nil, fail(fmt.Errorf("the top model %s has a label layer", top.m.ModelName()))
	}
	if cfg.Proposal != nil {
		return nil, fail(errors.New("RAISEConfig.Proposal is not used: h_L starts at p(h_L | h_{L−1})"))
	}
	sv, sh, err := checkSwapped(top, swapped)
	if err != nil {
		return nil, fail(err)
	}
	runs, err := raiseRuns(cfg.Runs)
	if err != nil {
		return nil, fail(err)
	}
	acfg := estimators.AISConfig{Betas: cfg.Betas, Temperatures: cfg.Temperatures, Seed: cfg.Seed, Progress: cfg.Progress}
	betas, err := acfg.Schedule()
	if err != nil {
		return nil, fail(err)
	}
	nrows, _ := data.Shape()
	hs, lw := d.raiseDraws(data, runs, cfg.Seed)
	n := hs.Rows
	// p*(h_{L−1}) and a draw of h_L from p(h_L | h_{L−1}), dbnBatch rows at a time.
	h2 := make([]float64, n*top.nhid)
	chains := dbnNewChains(top.m, cfg.Seed, 0x5a)
	fe := make([]float64, dbnBatch)
	for lo := 0; lo < n; lo += dbnBatch {
		m := min(dbnBatch, n-lo)
		x := chains.get(m)
		dbnPut(x, top.in, hs.X[lo*top.nin:], m, top.nin, top.nin)
		top.m.FreeEnergy(x, top.feIn, 1, fe[:m])
		for c := range m {
			lw[lo+c] -= fe[c]
		}
		top.m.Sample(x, top.hid, 1)
		dbnGet(h2[lo*top.nhid:], x, top.hid, m, top.nhid, top.nhid)
	}
	st := make([][]float64, len(swapped.Layers()))
	st[sv], st[sh] = h2, hs.X
	rev, err := estimators.ReverseAISFrom(swapped, base, acfg, st, 0)
	if err != nil {
		return nil, fail(err)
	}
	for c := range lw {
		lw[c] += rev.LogW[c] - rev.LogZBase
	}
	return raiseResult(fmt.Sprintf("RAISE through the DBN over the top's hidden layer: %d draws of q(h | v) per row, each with one reverse run of the swapped top from p(h_L | h_{L−1}), %d temperatures, %d rows",
		runs, len(betas)-1, nrows), lw, nrows, runs, start), nil
}

// checkSwapped checks that swapped is the top model with its two layers
// swapped — one visible layer of the top's hidden units and one hidden
// layer of its input units, and the top's energy at three random states
// with the layers exchanged — and returns the indices of swapped's
// visible and hidden layer.
func checkSwapped(top *dbnLevel, swapped runtime.Reflective) (sv, sh int, err error) {
	layers := swapped.Layers()
	sv, sh = -1, -1
	for i, ly := range layers {
		switch {
		case ly.Visible && sv < 0:
			sv = i
		case !ly.Visible && sh < 0:
			sh = i
		default:
			return 0, 0, fmt.Errorf("%s has more than one visible and one hidden layer", swapped.ModelName())
		}
	}
	tl := top.m.Layers()
	if sv < 0 || sh < 0 || layers[sv].Units() != top.nhid || layers[sh].Units() != top.nin ||
		layers[sv].Kind != tl[top.hid].Kind || layers[sh].Kind != tl[top.in].Kind {
		return 0, 0, fmt.Errorf("%s is not %s with its layers swapped: its layers are %v", swapped.ModelName(), top.m.ModelName(), layers)
	}
	const n = 3
	x, y := top.m.NewChains(n, 0x5eed), swapped.NewChains(n, 0x5eed)
	xl, yl := x.Layers(), y.Layers()
	rng := runtime.NewRNG(0x5eed, 1)
	for _, l := range [][2]int{{top.in, sh}, {top.hid, sv}} {
		ly, dst := tl[l[0]], xl[l[0]].Data
		zero, one := make([]float64, len(dst)), make([]float64, len(dst))
		for i := range one {
			one[i] = 1
		}
		ly.Kind.Draw(&rng, ly.Shape[len(ly.Shape)-1], zero, one, dst) // uniform states; N(0, 1) for gaussian units
		copy(yl[l[1]].Data, dst)
	}
	ex, ey := make([]float64, n), make([]float64, n)
	top.m.Energy(x, ex)
	swapped.Energy(y, ey)
	for c := range n {
		if math.Abs(ex[c]-ey[c]) > 1e-9*(1+math.Abs(ex[c])) {
			return 0, 0, fmt.Errorf("%s is not %s with its layers swapped: energy %.9g against %.9g at the same state", swapped.ModelName(), top.m.ModelName(), ey[c], ex[c])
		}
	}
	return sv, sh, nil
}
