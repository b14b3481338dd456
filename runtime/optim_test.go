package runtime

import (
	"math"
	"slices"
	"testing"
)

func TestSchedules(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     Schedule
		epoch int
		want  float64
	}{
		{"constant 0", ConstantSchedule(), 0, 1},
		{"constant 50", ConstantSchedule(), 50, 1},
		{"exp 0", ExponentialDecay(0.9), 0, 1},
		{"exp 1", ExponentialDecay(0.9), 1, 0.9},
		{"exp 3", ExponentialDecay(0.9), 3, 0.729},
		{"exp to 2", ExponentialDecayTo(0.5, 0.2), 2, 0.25},
		{"exp to floor", ExponentialDecayTo(0.5, 0.2), 3, 0.2},
		{"exp to floor later", ExponentialDecayTo(0.5, 0.2), 40, 0.2},
		{"linear 0", LinearDecay(10, 0.1), 0, 1},
		{"linear 5", LinearDecay(10, 0.1), 5, 0.55},
		{"linear 10", LinearDecay(10, 0.1), 10, 0.1},
		{"linear past end", LinearDecay(10, 0.1), 25, 0.1},
		{"linear no epochs", LinearDecay(0, 0.3), 4, 0.3},
		{"geometric 0", GeometricDecay(4, 1.0/16), 0, 1},
		{"geometric 1", GeometricDecay(4, 1.0/16), 1, 0.5},
		{"geometric 3", GeometricDecay(4, 1.0/16), 3, 0.125},
		{"geometric end", GeometricDecay(4, 1.0/16), 4, 1.0 / 16},
		{"geometric past end", GeometricDecay(4, 1.0/16), 9, 1.0 / 16},
		{"geometric no epochs", GeometricDecay(0, 0.3), 2, 0.3},
	} {
		if got := c.s(c.epoch); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: s(%d) = %v, want %v", c.name, c.epoch, got, c.want)
		}
	}
}

func TestSGDUpdate(t *testing.T) {
	// Two steps worked out by hand from v ← μv + ηs(g − λθ), θ ← θ + v.
	for _, c := range []struct {
		name      string
		opt       SGD
		epoch     int
		theta     []float64
		grads     [2][]float64
		wantTheta []float64
		wantVel   []float64
	}{
		{
			name:  "plain",
			opt:   SGD{LearningRate: 0.1},
			theta: []float64{1, -2}, grads: [2][]float64{{1, 1}, {-2, 0.5}},
			// θ = (1.1, −1.9) then (0.9, −1.85); v = last step.
			wantTheta: []float64{0.9, -1.85}, wantVel: []float64{-0.2, 0.05},
		},
		{
			name:  "momentum",
			opt:   SGD{LearningRate: 0.1, Momentum: 0.5},
			theta: []float64{0}, grads: [2][]float64{{1}, {1}},
			// v₁ = 0.1, θ₁ = 0.1; v₂ = 0.05 + 0.1 = 0.15, θ₂ = 0.25.
			wantTheta: []float64{0.25}, wantVel: []float64{0.15},
		},
		{
			name:  "decay",
			opt:   SGD{LearningRate: 0.5, WeightDecay: 0.1},
			theta: []float64{2}, grads: [2][]float64{{0}, {0}},
			// v₁ = 0.5·(−0.2) = −0.1, θ₁ = 1.9; v₂ = 0.5·(−0.19) = −0.095, θ₂ = 1.805.
			wantTheta: []float64{1.805}, wantVel: []float64{-0.095},
		},
		{
			name:  "all with schedule",
			opt:   SGD{LearningRate: 1, Momentum: 0.9, WeightDecay: 0.5, Schedule: ExponentialDecay(0.5)},
			epoch: 2, // s = 0.25
			theta: []float64{1}, grads: [2][]float64{{2}, {2}},
			// v₁ = 0.25·(2 − 0.5) = 0.375, θ₁ = 1.375;
			// v₂ = 0.9·0.375 + 0.25·(2 − 0.6875) = 0.3375 + 0.328125 = 0.665625, θ₂ = 2.040625.
			wantTheta: []float64{2.040625}, wantVel: []float64{0.665625},
		},
		{
			name:  "before the final momentum",
			opt:   SGD{LearningRate: 0.1, Momentum: 0.5, FinalMomentum: 0.9, MomentumEpochs: 5},
			epoch: 4,
			theta: []float64{0}, grads: [2][]float64{{1}, {1}},
			// μ = 0.5, as "momentum".
			wantTheta: []float64{0.25}, wantVel: []float64{0.15},
		},
		{
			name:  "final momentum",
			opt:   SGD{LearningRate: 0.1, Momentum: 0.5, FinalMomentum: 0.9, MomentumEpochs: 5},
			epoch: 5,
			theta: []float64{0}, grads: [2][]float64{{1}, {1}},
			// μ = 0.9: v₁ = 0.1, θ₁ = 0.1; v₂ = 0.09 + 0.1 = 0.19, θ₂ = 0.29.
			wantTheta: []float64{0.29}, wantVel: []float64{0.19},
		},
	} {
		theta := append([]float64(nil), c.theta...)
		vel := make([]float64, len(theta))
		for _, g := range c.grads {
			c.opt.Update(theta, g, vel, c.epoch)
		}
		for i := range theta {
			if math.Abs(theta[i]-c.wantTheta[i]) > 1e-14 || math.Abs(vel[i]-c.wantVel[i]) > 1e-14 {
				t.Errorf("%s: θ = %v, v = %v; want θ = %v, v = %v", c.name, theta, vel, c.wantTheta, c.wantVel)
				break
			}
		}
	}
}

func TestSGDNilVelocity(t *testing.T) {
	o := SGD{LearningRate: 0.5, WeightDecay: 0.2}
	a := []float64{1, 2}
	b := append([]float64(nil), a...)
	g := []float64{0.3, -0.4}
	o.Update(a, g, nil, 0)
	o.Update(b, g, make([]float64, 2), 0)
	if a[0] != b[0] || a[1] != b[1] {
		t.Errorf("nil velocity: θ = %v, want %v", a, b)
	}
	defer func() {
		if recover() == nil {
			t.Error("nil velocity with momentum did not panic")
		}
	}()
	(&SGD{Momentum: 0.5}).Update(a, g, nil, 0)
}

func TestSGDFinalMomentumNilVelocity(t *testing.T) {
	// No momentum at first, then some: velocity is needed from that epoch on.
	o := SGD{LearningRate: 0.5, FinalMomentum: 0.9, MomentumEpochs: 2}
	a, g := []float64{1}, []float64{0.5}
	o.Update(a, g, nil, 1)
	defer func() {
		if recover() == nil {
			t.Error("nil velocity at the final momentum did not panic")
		}
	}()
	o.Update(a, g, nil, 2)
}

// TestSGDConstrain checks the max-norm constraint against each column's
// norm computed directly: columns above c end at norm c in the same
// direction, the others are untouched.
func TestSGDConstrain(t *testing.T) {
	const rows, cols, c = 3, 4, 2.0
	theta := []float64{
		3, 0.1, 1, -4,
		0, 0.2, 1, 0,
		4, 0.3, 1, 3,
	} // column norms 5, 0.37, √3, 5
	want := slices.Clone(theta)
	for j := range cols {
		n := 0.0
		for r := range rows {
			n += want[r*cols+j] * want[r*cols+j]
		}
		if n = math.Sqrt(n); n > c {
			for r := range rows {
				want[r*cols+j] *= c / n
			}
		}
	}
	norms := make([]float64, cols)
	o := SGD{MaxNorm: c}
	o.Constrain(theta, cols, norms)
	for i := range theta {
		if math.Abs(theta[i]-want[i]) > 1e-15 {
			t.Fatalf("Constrain: θ[%d] = %v, want %v", i, theta[i], want[i])
		}
	}
	if math.Abs(theta[0]-1.2) > 1e-15 || theta[1] != 0.1 || theta[2] != 1 || math.Abs(theta[3]+1.6) > 1e-15 {
		t.Errorf("Constrain: first row %v, want [1.2 0.1 1 -1.6]", theta[:cols])
	}
	// Control: without MaxNorm nothing moves, so the columns keep norm 5.
	free := []float64{3, 4}
	(&SGD{}).Constrain(free, 1, norms)
	if free[0] != 3 || free[1] != 4 {
		t.Errorf("Constrain without MaxNorm changed θ to %v", free)
	}
	if a := testing.AllocsPerRun(100, func() { o.Constrain(theta, cols, norms) }); a != 0 {
		t.Errorf("Constrain allocates %v times", a)
	}
}

func TestSGDNoAllocs(t *testing.T) {
	o := SGD{LearningRate: 0.01, Momentum: 0.9, WeightDecay: 1e-4, Schedule: LinearDecay(10, 0)}
	theta, grad, vel := make([]float64, 1000), make([]float64, 1000), make([]float64, 1000)
	if a := testing.AllocsPerRun(100, func() { o.Update(theta, grad, vel, 3) }); a != 0 {
		t.Errorf("SGD.Update allocates %v times", a)
	}
}

func BenchmarkSGDUpdate(b *testing.B) {
	o := SGD{LearningRate: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
	n := 784 * 500
	theta, grad, vel := make([]float64, n), make([]float64, n), make([]float64, n)
	for b.Loop() {
		o.Update(theta, grad, vel, 0)
	}
}

// sgdRange's four-at-a-time loop gives the bits of the update written one
// element at a time, v ← μv + η(g − λθ), θ ← θ + v, for every length
// around the multiples of four and for ranges that start off them.
func TestSGDRangeUnrolled(t *testing.T) {
	rng := NewRNG(3, 0)
	for n := 0; n <= 13; n++ {
		for lo := 0; lo <= min(n, 3); lo++ {
			theta, grad, vel := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range n {
				theta[i], grad[i], vel[i] = rng.Normal(), rng.Normal(), rng.Normal()
			}
			wantT, wantV := append([]float64(nil), theta...), append([]float64(nil), vel...)
			const eta, mu, lambda = 0.03, 0.9, 2e-4
			for i := lo; i < n; i++ {
				v := mu*wantV[i] + eta*(grad[i]-lambda*wantT[i])
				wantV[i], wantT[i] = v, wantT[i]+v
			}
			sgdRange(eta, mu, lambda, theta, grad, vel, lo, n)
			for i := range n {
				if theta[i] != wantT[i] || vel[i] != wantV[i] {
					t.Fatalf("n %d, lo %d: element %d θ %v v %v, want %v %v", n, lo, i, theta[i], vel[i], wantT[i], wantV[i])
				}
			}
		}
	}
}
