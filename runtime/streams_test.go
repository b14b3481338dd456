package runtime

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func newStreams(n int, seed uint64) []RNG {
	r := make([]RNG, n)
	for i := range r {
		r[i] = NewRNG(seed, uint64(i))
	}
	return r
}

// draws advances every stream by a few draws of mixed kinds and returns
// them.
func draws(streams []RNG) []float64 {
	var out []float64
	for i := range streams {
		for range 5 {
			out = append(out, streams[i].Normal(), streams[i].Float64(), float64(streams[i].Intn(7)))
		}
	}
	return out
}

// resumeError saves s, draws, then resumes from a copy of s's tensor in a
// second state of fresh streams, as a checkpoint would (calling Load when
// load is set), and reports where the resumed draws part from the first.
func resumeError(n, stride int, load bool) error {
	first := newStreams(n, 1)
	s := NewStreamState(first, stride)
	draws(first) // streams move on after the save …
	s.Save()
	want := draws(first)

	second := newStreams(n, 2) // … a fresh trainer …
	r := NewStreamState(second, stride)
	copy(r.Tensor().Data, s.Tensor().Data) // … loads the checkpoint
	if load {
		r.Load()
	}
	got := draws(second)
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			return fmt.Errorf("draw %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func TestStreamState(t *testing.T) {
	for _, c := range []struct{ streams, stride int }{
		{1, 4}, // the objective trainers
		{3, 8}, // the generated trainers' chains
		{2, 5},
		{0, 8},
	} {
		name := fmt.Sprintf("%d×%d", c.streams, c.stride)
		if err := resumeError(c.streams, c.stride, true); err != nil {
			t.Errorf("%s: resumed streams differ: %v", name, err)
		}
		// Negative control: without Load the fresh streams go their own way.
		if err := resumeError(c.streams, c.stride, false); c.streams > 0 && err == nil {
			t.Errorf("%s: streams not loaded from the checkpoint still matched", name)
		}

		streams := newStreams(c.streams, 9)
		s := NewStreamState(streams, c.stride)
		ten := s.Tensor()
		if ten.Name != "rng" || len(ten.Shape) != 1 || ten.Shape[0] != c.streams*c.stride || len(ten.Data) != ten.Shape[0] {
			t.Errorf("%s: tensor %q shape %v with %d values, want \"rng\" [%d]", name, ten.Name, ten.Shape, len(ten.Data), c.streams*c.stride)
		}
		for i := range streams {
			st := streams[i].State()
			for j := range c.stride {
				want := 0.0
				if j < 4 {
					want = math.Float64frombits(st[j])
				}
				if got := ten.Data[i*c.stride+j]; math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%s: stream %d word %d = %x, want %x", name, i, j, math.Float64bits(got), math.Float64bits(want))
				}
			}
		}
	}
}

// generatedLayout is the buffer generated trainers filled before
// StreamState: 8 float64s a chain, EncodeState into the first 4.
func generatedLayout(streams []RNG) []float64 {
	buf := make([]float64, 8*len(streams))
	for ch := range streams {
		streams[ch].EncodeState(buf[8*ch : 8*ch+8])
	}
	return buf
}

// TestStreamStateCheckpointLayout: a StreamState of stride 8 is bit for bit
// the "rng" tensor of earlier generated trainers, so their checkpoints load;
// negative control: stride 4 is not.
func TestStreamStateCheckpointLayout(t *testing.T) {
	streams := newStreams(4, 3)
	draws(streams)
	old := generatedLayout(streams)
	same := func(stride int) bool {
		st := NewStreamState(streams, stride)
		d := st.Tensor().Data
		if len(d) != len(old) {
			return false
		}
		for i := range d {
			if math.Float64bits(d[i]) != math.Float64bits(old[i]) {
				return false
			}
		}
		return true
	}
	if !same(8) {
		t.Error("stride 8 differs from the generated trainers' layout")
	}
	if same(4) {
		t.Error("negative control: stride 4 matched the generated trainers' layout")
	}
}

func TestStreamStateNoAllocs(t *testing.T) {
	s := NewStreamState(newStreams(16, 1), 8)
	if n := testing.AllocsPerRun(100, func() { s.Load(); s.Save() }); n != 0 {
		t.Errorf("Load and Save allocate %v times, want 0", n)
	}
}

func TestNewStreamStateStride(t *testing.T) {
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "stride 3") {
			t.Errorf("stride 3: recovered %v, want a panic naming the stride", r)
		}
	}()
	NewStreamState(newStreams(1, 1), 3)
}
