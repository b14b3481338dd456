package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/fileio"
)

// toyModel is a Model with a weight matrix and a bias.
type toyModel struct {
	name string
	w, b []float64
	rows int
}

func newToy(name string, rows, cols int) *toyModel {
	return &toyModel{name: name, w: make([]float64, rows*cols), b: make([]float64, cols), rows: rows}
}

func (m *toyModel) ModelName() string { return m.name }
func (m *toyModel) Params() []runtime.Tensor {
	return []runtime.Tensor{
		{Name: "W", Shape: []int{m.rows, len(m.b)}, Data: m.w},
		{Name: "b", Shape: []int{len(m.b)}, Data: m.b},
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := newToy("RBM", 2, 3)
	copy(m.w, []float64{1, -2, 3.5, -math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)})
	copy(m.b, []float64{0.25, 0.5, 0.75})
	vel := runtime.Tensor{Name: "velocity.W", Shape: []int{2, 3}, Data: []float64{6, 5, 4, 3, 2, 1}}
	scalar := runtime.Tensor{Name: "temperature", Shape: []int{}, Data: []float64{1.5}}
	rng := runtime.NewRNG(3, 4)
	rngT := runtime.Tensor{Name: "rng", Shape: []int{4}, Data: make([]float64, 4)}
	rng.EncodeState(rngT.Data)
	words := map[string][]uint64{"rng.words": {math.MaxUint64, 0, 1 << 63}}
	c := CheckpointOf(m, []runtime.Tensor{vel, scalar, rngT}, words, map[string]string{"epoch": "7"})

	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	// The data section starts 8-byte aligned.
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "RBM" || !maps1(got.Meta, map[string]string{"epoch": "7"}) {
		t.Errorf("model %q meta %v", got.Model, got.Meta)
	}
	if len(got.Tensors) != 5 {
		t.Fatalf("%d tensors, want 5", len(got.Tensors))
	}
	for i, want := range c.Tensors {
		g := got.Tensors[i] // declaration order is kept
		if g.Name != want.Name || !slices.Equal(g.Shape, want.Shape) || len(g.Data) != len(want.Data) {
			t.Errorf("tensor %d: %s %v, want %s %v", i, g.Name, g.Shape, want.Name, want.Shape)
			continue
		}
		for j := range g.Data {
			if math.Float64bits(g.Data[j]) != math.Float64bits(want.Data[j]) {
				t.Errorf("%s[%d] = %v, want %v (bit for bit)", g.Name, j, g.Data[j], want.Data[j])
			}
		}
	}
	if !slices.Equal(got.Words["rng.words"], words["rng.words"]) {
		t.Errorf("words = %v", got.Words)
	}

	// Restore into a fresh model and state.
	m2 := newToy("RBM", 2, 3)
	vel2 := runtime.Tensor{Name: "velocity.W", Shape: []int{2, 3}, Data: make([]float64, 6)}
	rng2 := runtime.Tensor{Name: "rng", Shape: []int{4}, Data: make([]float64, 4)}
	absent := runtime.Tensor{Name: "chain.h", Shape: []int{3}, Data: []float64{9, 9, 9}}
	if err := got.Restore(m2, []runtime.Tensor{vel2, rng2, absent}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.b, m.b) || !slices.Equal(vel2.Data, vel.Data) || m2.w[0] != 1 || m2.w[3] != -math.MaxFloat64 {
		t.Errorf("restored W %v b %v vel %v", m2.w, m2.b, vel2.Data)
	}
	if !slices.Equal(absent.Data, []float64{9, 9, 9}) {
		t.Errorf("extra tensor missing from the checkpoint was changed: %v", absent.Data)
	}
	var r2 runtime.RNG
	r2.DecodeState(rng2.Data)
	if r2.Uint64() != rng.Uint64() {
		t.Error("RNG state did not survive the checkpoint")
	}
}

func maps1(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// handWritten builds a safetensors file byte by byte, as Python's
// safetensors would: a header with keys in arbitrary order, spaces, F32
// and I64 tensors and padding.
func handWritten(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestReadCheckpointHandWritten(t *testing.T) {
	header := `{"b": {"dtype": "F32", "shape": [2], "data_offsets": [48, 56]},
		"__metadata__": {"format": "np", "model": "RBM"},
		"steps": {"dtype": "I64", "shape": [1], "data_offsets": [56, 64]},
		"W": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}}   `
	data := le(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, float32(0.5), float32(-1.25), int64(-3))
	c, err := ReadCheckpoint(bytes.NewReader(handWritten(header, data)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "RBM" || c.Meta["format"] != "np" || len(c.Meta) != 1 {
		t.Errorf("model %q meta %v", c.Model, c.Meta)
	}
	if len(c.Tensors) != 2 || c.Tensors[0].Name != "W" || c.Tensors[1].Name != "b" {
		t.Fatalf("tensors %+v", c.Tensors)
	}
	if !slices.Equal(c.Tensors[0].Data, []float64{1, 2, 3, 4, 5, 6}) || !slices.Equal(c.Tensors[0].Shape, []int{2, 3}) {
		t.Errorf("W = %v %v", c.Tensors[0].Shape, c.Tensors[0].Data)
	}
	if !slices.Equal(c.Tensors[1].Data, []float64{0.5, -1.25}) {
		t.Errorf("b (F32) = %v", c.Tensors[1].Data)
	}
	if w := c.Words["steps"]; len(w) != 1 || int64(w[0]) != -3 {
		t.Errorf("steps (I64) = %v", w)
	}
}

func TestReadCheckpointErrors(t *testing.T) {
	w := `"W": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}`
	d16 := le(1.0, 2.0)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated: file has 0 bytes, fewer than the 8-byte header length"},
		{"short", []byte{1, 2, 3}, "truncated: file has 3 bytes"},
		{"header past end", append(le(uint64(100)), `{}`...), "truncated: header length says 100 bytes, file has 2 after the length prefix"},
		{"absurd header length", le(uint64(1) << 60), "exceeds the limit"},
		{"corrupt JSON", handWritten(`{"W": {"dtype": "F64",`, nil), "corrupt header JSON"},
		{"not an object", handWritten(`null`, nil), "not a JSON object"},
		{"bad metadata", handWritten(`{"__metadata__": {"a": 1}}`, nil), "__metadata__"},
		{"missing fields", handWritten(`{"W": {"dtype": "F64"}}`, nil), "needs dtype, shape and data_offsets"},
		{"bad dtype", handWritten(`{"W": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}`, le(uint16(1))), `unsupported dtype "BF16"`},
		{"three offsets", handWritten(`{"W": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8, 9]}}`, le(1.0)), "data_offsets has 3 elements"},
		{"negative offset", handWritten(`{"W": {"dtype": "F64", "shape": [1], "data_offsets": [-8, 0]}}`, le(1.0)), "not a valid byte offset"},
		{"reversed offsets", handWritten(`{"W": {"dtype": "F64", "shape": [0], "data_offsets": [8, 0]}}`, le(1.0)), "end before they begin"},
		{"size mismatch", handWritten(`{"W": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}`, d16), "shape [3] of F64 needs 24 bytes, data_offsets [0 16] span 16"},
		{"huge shape", handWritten(`{"W": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}}`, d16), "needs more than 2⁶³ bytes"},
		{"negative dim", handWritten(`{"W": {"dtype": "F64", "shape": [-2], "data_offsets": [0, 16]}}`, d16), "negative dimension"},
		{"truncated data", handWritten(`{`+w+`}`, d16[:10]), "truncated: header says 16 bytes of data, file has 10"},
		{"trailing data", handWritten(`{`+w+`}`, append(d16, 0, 0)), "data after the last tensor"},
		{"overlap", handWritten(`{`+w+`, "V": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}`, d16), "overlaps"},
		{"gap", handWritten(`{"W": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}`, d16), "gap: no tensor covers data bytes 0–8"},
	} {
		_, err := ReadCheckpoint(bytes.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// LoadCheckpoint names the file.
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, handWritten(`{`+w+`}`, d16[:8]), 0o644)
	_, err := LoadCheckpoint(path)
	if want := "runtime: load checkpoint " + path + ": truncated: header says 16 bytes of data, file has 8"; err == nil || err.Error() != want {
		t.Errorf("LoadCheckpoint error %q, want %q", err, want)
	}
}

// TestReadCheckpointNonFinite: a NaN or ±∞ in a float tensor is refused
// on load, naming the tensor and the first bad element; RNG states stored
// as bit patterns ("rng", "….rng") may hold any bits.
func TestReadCheckpointNonFinite(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	for _, c := range []struct {
		name   string
		header string
		data   []byte
		want   string // "" for a checkpoint that loads
	}{
		{"NaN in F64",
			`{"W": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}}`, le(1.0, nan, inf),
			`tensor "W": element [1] is NaN; a checkpoint must hold finite values (saved from a diverged run?): use an earlier checkpoint or train again`},
		{"-Inf in 2-D F64, after finite tensors",
			`{"b": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}, "W": {"dtype": "F64", "shape": [2, 3], "data_offsets": [16, 64]}}`,
			le(0.5, -0.5, 1.0, 2.0, 3.0, -inf, 5.0, 6.0),
			`tensor "W": element [1 0] (flat index 3) is -Inf`},
		{"+Inf in F32",
			`{"b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, le(float32(1), float32(inf)),
			`tensor "b": element [1] is +Inf`},
		{"scalar NaN",
			`{"nce.logZ": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}}`, le(nan),
			`tensor "nce.logZ": element [] is NaN`},
		{"RNG state with NaN bits",
			`{"rng": {"dtype": "F64", "shape": [4], "data_offsets": [0, 32]}, "hybrid.rng": {"dtype": "F64", "shape": [2], "data_offsets": [32, 48]}}`,
			le(nan, inf, -inf, 1.0, nan, 2.0), ""},
		{"U64 words are not floats",
			`{"rng.words": {"dtype": "U64", "shape": [1], "data_offsets": [0, 8]}}`, le(math.Float64bits(nan)), ""},
	} {
		_, err := ReadCheckpoint(bytes.NewReader(handWritten(c.header, c.data)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// LoadCheckpoint refuses what SaveCheckpoint wrote from a diverged model.
	m := newToy("RBM", 2, 2)
	m.b[1] = math.NaN()
	path := filepath.Join(t.TempDir(), "nan.safetensors")
	if err := SaveCheckpoint(path, CheckpointOf(m, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCheckpoint(path)
	if want := "runtime: load checkpoint " + path + `: tensor "b": element [1] is NaN`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadCheckpoint error %v, want it to start with %q", err, want)
	}
}

func TestRestoreErrors(t *testing.T) {
	src := newToy("RBM", 784, 500)
	c := CheckpointOf(src, nil, nil, nil)
	for _, x := range []struct {
		name string
		c    *Checkpoint
		m    runtime.Model
		want string
	}{
		{"wrong model", c, newToy("DBM", 784, 500), "checkpoint is for model RBM, not DBM"},
		{"wrong shape", c, newToy("RBM", 784, 20), "param W: checkpoint shape [784 500], model shape [784 20]"},
		{"missing param", &Checkpoint{Model: "RBM", Tensors: c.Tensors[1:]}, newToy("RBM", 784, 500), `missing param "W"`},
	} {
		m := x.m.(*toyModel)
		for i := range m.b {
			m.b[i] = 42
		}
		err := x.c.Restore(m, nil)
		if err == nil || !strings.Contains(err.Error(), x.want) {
			t.Errorf("%s: error %v, want it to contain %q", x.name, err, x.want)
		}
		if m.b[0] != 42 {
			t.Errorf("%s: failed Restore modified the model", x.name)
		}
	}
	// A shape mismatch in a state tensor is an error too.
	bad := runtime.Tensor{Name: "velocity.W", Shape: []int{2}, Data: make([]float64, 2)}
	c2 := CheckpointOf(src, []runtime.Tensor{{Name: "velocity.W", Shape: []int{3}, Data: make([]float64, 3)}}, nil, nil)
	if err := c2.Restore(newToy("RBM", 784, 500), []runtime.Tensor{bad}); err == nil || !strings.Contains(err.Error(), "state velocity.W") {
		t.Errorf("state shape mismatch: %v", err)
	}
	// A checkpoint without a model name (written by hand) is accepted.
	anon := &Checkpoint{Tensors: c.Tensors}
	if err := anon.Restore(newToy("Other", 784, 500), nil); err != nil {
		t.Errorf("anonymous checkpoint: %v", err)
	}
}

func TestSaveCheckpointInvalid(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		c    *Checkpoint
		want string
	}{
		{"shape/data mismatch", &Checkpoint{Tensors: []runtime.Tensor{{Name: "W", Shape: []int{2, 2}, Data: make([]float64, 3)}}}, "shape [2 2] has 4 elements, data has 3"},
		{"duplicate", &Checkpoint{Tensors: []runtime.Tensor{{Name: "W", Shape: []int{1}, Data: []float64{1}}}, Words: map[string][]uint64{"W": {1}}}, `duplicate tensor name "W"`},
		{"reserved", &Checkpoint{Tensors: []runtime.Tensor{{Name: "__metadata__", Shape: []int{}, Data: []float64{1}}}}, "reserved"},
		{"model in meta", &Checkpoint{Meta: map[string]string{"model": "x"}}, "reserved"},
		{"empty name", &Checkpoint{Tensors: []runtime.Tensor{{Shape: []int{}, Data: []float64{1}}}}, "empty name"},
	} {
		err := SaveCheckpoint(filepath.Join(dir, "x"), c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left files: %v", entries)
	}
}

func TestSaveCheckpointAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	m := newToy("RBM", 2, 2)
	m.b[0] = 1
	if err := SaveCheckpoint(path, CheckpointOf(m, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	// A save that fails half-way through writing leaves the old file.
	m.b[0] = 2
	c := CheckpointOf(m, nil, nil, nil)
	boom := errors.New("disk full")
	err := fileio.WriteAtomic(path, func(w io.Writer) error {
		if err := c.write(&limitedWriter{w: w, n: 20}); err != nil {
			return err
		}
		return boom
	})
	if err == nil {
		t.Fatal("interrupted write succeeded")
	}
	// A save that fails at the rename (the target is a directory) too.
	if err := SaveCheckpoint(dir+string(os.PathSeparator), c); err == nil {
		t.Error("saving onto a directory path succeeded")
	}
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	if err := SaveCheckpoint(filepath.Join(dir, "d"), c); err == nil {
		t.Error("saving over a directory succeeded")
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatalf("old checkpoint unreadable after failed save: %v", err)
	}
	if got.Tensors[1].Data[0] != 1 {
		t.Errorf("old checkpoint changed: b = %v", got.Tensors[1].Data)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"d", "model.safetensors"}) {
		t.Errorf("directory holds %v, want only d and model.safetensors (no temporary files)", names)
	}
	// WriteFileAtomic replaces the content in one step.
	if err := fileio.WriteFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("WriteFileAtomic wrote %q", b)
	}
}

// TestSaveRemovesStaleTemps: a successful save of NAME removes the
// temporary files ".NAME.tmp-<digits>" that interrupted saves left beside
// it, and nothing else: not other names, not other patterns, not a
// directory, not a temporary file younger than the save (another writer's).
func TestSaveRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	hourAgo := time.Now().Add(-time.Hour)
	stale := []string{".c.safetensors.tmp-1", ".c.safetensors.tmp-4294967295"}
	kept := []string{
		".c.safetensors.tmp-",        // no random part
		".c.safetensors.tmp-12a",     // not the digits CreateTemp writes
		".c.safetensors.tmp-12.bak",  // a suffix
		"c.safetensors.tmp-12",       // no leading dot
		".d.safetensors.tmp-12",      // another file's
		".c.safetensors.tmp-7.tmp-8", // another name's (".c.safetensors.tmp-7")
		".c.safetensors.tmp-99/",     // a directory
		".c.safetensors.tmp-555",     // written after the save started
	}
	for _, name := range append(stale, kept...) {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".c.safetensors.tmp-555" {
			if err := os.Chtimes(p, hourAgo, hourAgo); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Chtimes(p, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	m := newToy("RBM", 2, 2)
	// A failed save removes nothing.
	boom := errors.New("disk full")
	if err := fileio.WriteAtomic(path, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stale[0])); err != nil {
		t.Errorf("a failed save removed a stale temporary file: %v", err)
	}
	if err := SaveCheckpoint(path, CheckpointOf(m, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"c.safetensors"}
	for _, k := range kept {
		want = append(want, strings.TrimSuffix(k, "/"))
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("after a successful save the directory holds\n%q\nwant\n%q", names, want)
	}
}

// limitedWriter fails after n bytes.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		l.w.Write(p[:l.n])
		l.n = 0
		return 0, errors.New("disk full")
	}
	l.n -= len(p)
	return l.w.Write(p)
}

func TestWriteCheckpointHeaderIsJSON(t *testing.T) {
	m := newToy(`quote"and\backslash`, 1, 2)
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, CheckpointOf(m, nil, nil, map[string]string{"k\n": "v\t"})); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	var h map[string]any
	if err := json.Unmarshal(b[8:8+n], &h); err != nil {
		t.Fatalf("header is not JSON: %v\n%s", err, b[8:8+n])
	}
	c, err := ReadCheckpoint(&buf)
	if err != nil || c.Model != m.name || c.Meta["k\n"] != "v\t" {
		t.Errorf("round trip: %+v, %v", c, err)
	}
}

func FuzzReadCheckpoint(f *testing.F) {
	var buf bytes.Buffer
	m := newToy("RBM", 2, 3)
	WriteCheckpoint(&buf, CheckpointOf(m, nil, map[string][]uint64{"rng": {1, 2, 3, 4}}, map[string]string{"epoch": "1"}))
	f.Add(buf.Bytes())
	f.Add(handWritten(`{"b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, le(float32(1), float32(2))))
	f.Add(handWritten(`{"W": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}}`, le(1.0)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadCheckpoint(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, tn := range c.Tensors {
			if tn.Len() != len(tn.Data) {
				t.Fatalf("tensor %s: shape %v with %d values", tn.Name, tn.Shape, len(tn.Data))
			}
		}
		// Whatever parses can be written and read back identically.
		var out bytes.Buffer
		if err := WriteCheckpoint(&out, c); err != nil {
			return // e.g. a tensor and a word tensor share a name
		}
		c2, err := ReadCheckpoint(&out)
		if err != nil {
			t.Fatalf("re-reading a written checkpoint: %v", err)
		}
		if len(c2.Tensors) != len(c.Tensors) || len(c2.Words) != len(c.Words) || c2.Model != c.Model {
			t.Fatalf("round trip changed the checkpoint")
		}
	})
}

// RNG states are written as U64 tensors of their words (numpy reads them as
// uint64), read back into the same float64 views bit for bit, and old
// checkpoints that hold them as F64 bit patterns still load.
func TestCheckpointRNGStatesAsWords(t *testing.T) {
	m := newToy("RBM", 2, 2)
	st := []float64{math.Float64frombits(0x7ff8000000000001), math.Float64frombits(1), math.Inf(-1), 0}
	extra := []runtime.Tensor{{Name: "rng", Shape: []int{4}, Data: st}, {Name: "hybrid.rng", Shape: []int{1}, Data: []float64{math.Float64frombits(1 << 63)}}}
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, CheckpointOf(m, extra, nil, nil)); err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(buf.Bytes()[:8])
	header := string(buf.Bytes()[8 : 8+n])
	for _, name := range []string{"rng", "hybrid.rng"} {
		if !strings.Contains(header, `"`+name+`":{"dtype":"U64"`) {
			t.Errorf("header %s: %s is not U64", header, name)
		}
	}
	c, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]runtime.Tensor, len(extra))
	for i, e := range extra {
		got[i] = runtime.Tensor{Name: e.Name, Shape: e.Shape, Data: make([]float64, len(e.Data))}
	}
	if err := c.Restore(newToy("RBM", 2, 2), got); err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		for k := range extra[i].Data {
			if math.Float64bits(got[i].Data[k]) != math.Float64bits(extra[i].Data[k]) {
				t.Errorf("%s[%d]: %x after the round trip, want %x", extra[i].Name, k, math.Float64bits(got[i].Data[k]), math.Float64bits(extra[i].Data[k]))
			}
		}
	}
	if len(c.Words) != 0 {
		t.Errorf("RNG states landed in Words: %v", c.Words)
	}
}

// Loading reads no more than the header declares: /dev/zero (an endless
// input whose header length is 0) and a pipe that keeps sending after a
// valid checkpoint end in errors, not in reading forever.
func TestLoadCheckpointEndless(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := LoadCheckpoint("/dev/zero"); err == nil {
			t.Error("LoadCheckpoint(/dev/zero) succeeded")
		}
	}
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, CheckpointOf(newToy("RBM", 2, 2), nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	endless := io.MultiReader(&buf, zeros{})
	if _, err := ReadCheckpoint(endless); err == nil || !strings.Contains(err.Error(), "data after the last tensor") {
		t.Errorf("a checkpoint followed by endless zeros: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
