package runtime

import (
	"fmt"
	"math"
	"time"
)

// The variational lower bound on a DBN's log-likelihood (Salakhutdinov &
// Murray 2008), with log Z of the top model from AIS.

// TopLogZ returns log Z of the top model: exact by enumeration when that
// takes at most 2²⁴ configurations, otherwise estimated by AIS (cfg) from the
// base-rate model TopBase fits to data and labels. Forward AIS errs low in
// expectation (E[Ẑ] = Z, so E[log Ẑ] ≤ log Z), which errs the bound high;
// ReverseAIS from the same base errs the other way.
func (d *DBN) TopLogZ(data *Dataset, labels []int, cfg AISConfig) (*Estimate, error) {
	top := d.top()
	start := time.Now()
	if z, err := top.m.LogZ(1 << 24); err == nil {
		return &Estimate{Method: "exact (enumeration)", LogZ: z, Low: z, High: z, LogZBase: math.NaN(), Seconds: time.Since(start).Seconds()}, nil
	}
	base, err := d.TopBase(data, labels)
	if err != nil {
		return nil, err
	}
	est, err := AIS(top.m, base, cfg)
	if err != nil {
		return nil, fmt.Errorf("runtime: DBN top log Z: %w", err)
	}
	return est, nil
}

// TopBase fits the base-rate model of AIS (BaseRate, with a pseudo-count
// of 5% of the rows) to the top model's visible layers on data mapped up
// by the recognition means, with the one-hot labels appended when the top
// model has a label layer (labels must then hold one class per row).
func (d *DBN) TopBase(data *Dataset, labels []int) (*Base, error) {
	if err := d.checkData(data); err != nil {
		return nil, fmt.Errorf("runtime: DBN top base rate: %w", err)
	}
	if err := d.checkLabels(labels, data.Rows); err != nil {
		return nil, fmt.Errorf("runtime: DBN top base rate: %w", err)
	}
	top := d.top()
	cur := data
	for k := 0; k < len(d.gen)-1; k++ {
		extra := 0
		if k == len(d.gen)-2 {
			extra = top.classes
		}
		cur = d.up(k, cur, false, 0, extra)
	}
	for r, l := range labels {
		cur.X[r*cur.Cols+top.nin+l] = 1
	}
	base, err := BaseRate(top.m, cur, float64(cur.Rows)/20)
	if err != nil {
		return nil, fmt.Errorf("runtime: DBN top base rate: %w", err)
	}
	return base, nil
}

// DBNBoundConfig configures DBN.LowerBound.
type DBNBoundConfig struct {
	// Samples is the number of draws of q(h | v) per row; 0 means 10.
	Samples int
	Seed    uint64
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
	LogZ      Estimate // of the top model
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
func (d *DBN) LowerBound(data *Dataset, logZ *Estimate, cfg DBNBoundConfig) (*DBNBound, error) {
	start := time.Now()
	if err := d.checkData(data); err != nil {
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
	last, top := len(d.gen)-1, d.top()
	recC, genC := make([]*dbnChains, last), make([]*dbnChains, last)
	for k := range last {
		recC[k] = dbnNewChains(d.recog(k).m, cfg.Seed, uint64(2*k))
		genC[k] = dbnNewChains(d.gen[k].m, cfg.Seed, uint64(2*k+1))
	}
	topC := dbnNewChains(top.m, cfg.Seed, uint64(2*last))
	rows := make([]float64, data.Rows)
	nb := min(dbnBatch, data.Rows)
	lp, tmp := make([]float64, nb), make([]float64, nb)
	fy := make([]float64, max(top.classes, 1)*nb)
	labels := make([]int, nb)
	col := make([]float64, top.classes)
	for lo := 0; lo < data.Rows; lo += dbnBatch {
		n := min(dbnBatch, data.Rows-lo)
		acc := rows[lo : lo+n]
		for s := 0; s < samples; s++ {
			cur := data.X[lo*data.Cols:]
			stride := data.Cols
			for k := range last {
				rk, gk := d.recog(k), &d.gen[k]
				x := recC[k].get(n)
				dbnPut(x, rk.in, cur, n, rk.nin, stride)
				rk.m.Sample(x, rk.hid, 1)
				next := x.Layers()[rk.hid].Data
				if d.rec == nil {
					// Tied: log p(v | h) − log q(h | v) = F(h) − F(v), the energies cancel.
					rk.m.FreeEnergy(x, rk.feHid, 1, lp[:n])
					rk.m.FreeEnergy(x, rk.feIn, 1, tmp[:n])
					for r := range acc {
						acc[r] += lp[r] - tmp[r]
					}
					cur, stride = next, gk.nhid
					continue
				}
				rk.logUp(x, lp[:n], tmp[:n])
				for r := range acc {
					acc[r] -= lp[r]
				}
				y := genC[k].get(n)
				dbnPut(y, gk.in, cur, n, gk.nin, stride)
				dbnPut(y, gk.hid, next, n, gk.nhid, gk.nhid)
				gk.logDown(y, lp[:n], tmp[:n])
				for r := range acc {
					acc[r] += lp[r]
				}
				cur, stride = next, gk.nhid
			}
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
				acc[r] += LogSumExp(col)
			}
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
	return &DBNBound{Value: mean, StdErr: se,
		Low: mean - 3*se - (logZ.High - logZ.LogZ), High: mean + 3*se + (logZ.LogZ - logZ.Low),
		PerRow: rows, LogZ: *logZ, Samples: samples,
		Method:  fmt.Sprintf("variational lower bound E_q[log p(v,h) − log q(h|v)], %d samples of q per row, log Z of the top model %s", samples, logZ.Method),
		Seconds: time.Since(start).Seconds()}, nil
}
