package runtime

import "fmt"

// StreamState holds the random streams of a trainer as float64s, so that a
// checkpoint resumes them bitwise. Stream i's four state words
// (RNG.EncodeState: math.Float64frombits of each uint64) sit in
//
//	Data[i·stride : i·stride+4]
//
// and the other stride−4 values of each stream stay zero. The float64s are
// the source of truth between training steps: a trainer calls Load before a
// step draws from the streams and Save after it, and exports Tensor from
// its State, into which loading a checkpoint writes. Save and Load allocate
// nothing.
//
// Generated trainers keep the streams of their negative chains with stride
// 8 (the layout their checkpoints have always had); the objective trainers
// of runtime/training keep one stream with stride 4.
type StreamState struct {
	streams []RNG
	data    []float64
	stride  int
}

// NewStreamState returns the state of streams, which it mirrors (it keeps
// the slice, not a copy), with stride float64s a stream, saved once. It
// panics if stride < 4, which would not hold a stream's four words.
func NewStreamState(streams []RNG, stride int) StreamState {
	if stride < 4 {
		panic(fmt.Sprintf("runtime: NewStreamState: stride %d holds less than a stream's 4 state words", stride))
	}
	s := StreamState{streams: streams, data: make([]float64, stride*len(streams)), stride: stride}
	s.Save()
	return s
}

// Save stores the streams' states in the float64s.
func (s *StreamState) Save() {
	for i := range s.streams {
		s.streams[i].EncodeState(s.data[i*s.stride : i*s.stride+4])
	}
}

// Load sets the streams from the float64s: the states of the last Save, or
// of a checkpoint written into Tensor's data since.
func (s *StreamState) Load() {
	for i := range s.streams {
		s.streams[i].DecodeState(s.data[i*s.stride : i*s.stride+4])
	}
}

// Tensor returns the float64s as the trainer state tensor "rng" of shape
// [stride × streams], a view: writing into its Data and calling Load
// resumes the streams.
func (s *StreamState) Tensor() Tensor {
	return Tensor{Name: "rng", Shape: []int{len(s.data)}, Data: s.data}
}
