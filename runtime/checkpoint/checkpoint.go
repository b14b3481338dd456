package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/fileio"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Checkpoint is the content of a checkpoint file: a model's parameters and
// training state.
//
// On disk it uses the safetensors layout: an 8-byte little-endian header
// length N, N bytes of JSON header
//
//	{"__metadata__": {"model": "RBM", "epoch": "3"},
//	 "W": {"dtype": "F64", "shape": [784, 500], "data_offsets": [0, 3136000]}, …}
//
// and then the raw little-endian tensor data, contiguous and in the order
// of the offsets. Python users can open it with
// safetensors.numpy.load_file.
type Checkpoint struct {
	// Model is the model name, stored as __metadata__["model"].
	Model string
	// Meta holds other string metadata (for example "epoch").
	Meta map[string]string
	// Tensors are float tensors (parameters, velocities, chains), saved as
	// F64. F32 tensors are converted to float64 on load. Loading refuses
	// NaN and ±∞. RNG states ("rng", "….rng"), which trainers hold as
	// float64 views of 64-bit words (RNG.EncodeState), are saved as U64
	// tensors of those words and loaded back into Tensors; checkpoints that
	// hold them as F64 bit patterns still load.
	Tensors []runtime.Tensor
	// Words are integer tensors (RNG states), saved as one-dimensional U64
	// tensors. I64 tensors are loaded here too, as their bit patterns.
	Words map[string][]uint64
}

const (
	metadataKey  = "__metadata__"
	modelKey     = "model"
	maxHeaderLen = 100 << 20 // as in the reference safetensors implementation
)

// CheckpointOf returns a checkpoint of m's parameters followed by extra
// (typically the trainer's State), with the given integer tensors and
// metadata. The tensors are views onto the model, not copies: save the
// checkpoint before training continues.
func CheckpointOf(m runtime.Model, extra []runtime.Tensor, words map[string][]uint64, meta map[string]string) *Checkpoint {
	params := m.Params()
	ts := make([]runtime.Tensor, 0, len(params)+len(extra))
	ts = append(append(ts, params...), extra...)
	return &Checkpoint{Model: m.ModelName(), Meta: maps.Clone(meta), Tensors: ts, Words: words}
}

// SaveCheckpoint writes c to path in safetensors format, atomically (see
// WriteFileAtomic): an error never leaves a partial file at path.
func SaveCheckpoint(path string, c *Checkpoint) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("runtime: save checkpoint %s: %w", path, err)
	}
	if err := fileio.WriteAtomic(path, c.write); err != nil {
		return fmt.Errorf("runtime: save checkpoint %s: %w", path, err)
	}
	return nil
}

// WriteCheckpoint writes c to w in safetensors format.
func WriteCheckpoint(w io.Writer, c *Checkpoint) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("runtime: write checkpoint: %w", err)
	}
	if err := c.write(w); err != nil {
		return fmt.Errorf("runtime: write checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a safetensors file written by SaveCheckpoint (or by
// safetensors in Python, with dtypes F64, F32, U64 or I64). See
// ReadCheckpoint for the checks performed.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: load checkpoint: %w", err)
	}
	defer f.Close()
	b, err := readDeclared(f)
	if err != nil {
		return nil, fmt.Errorf("runtime: load checkpoint %s: %w", path, err)
	}
	c, err := parseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("runtime: load checkpoint %s: %w", path, err)
	}
	return c, nil
}

// ReadCheckpoint reads a checkpoint from r. It checks that the header
// length fits the input, that the header is a JSON object of well-formed
// entries, that every tensor's byte size is the product of its shape times
// the dtype size, that the data offsets cover the data exactly, in order,
// without gaps or overlaps, and that every float tensor holds only finite
// values (the error names the tensor and its first NaN or ±∞), except RNG
// states stored as bit patterns: tensors named "rng" or ending in ".rng"
// (see RNG.EncodeState). Tensors are returned in offset order.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	b, err := readDeclared(r)
	if err != nil {
		return nil, fmt.Errorf("runtime: read checkpoint: %w", err)
	}
	c, err := parseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("runtime: read checkpoint: %w", err)
	}
	return c, nil
}

// readDeclared reads a checkpoint's bytes: the length prefix, the header,
// and as much data as the header's largest data offset declares, plus one
// byte to detect trailing data — never more, so that an endless input
// (/dev/zero, a pipe) ends in an error. Buffers grow with the data that
// arrives, not with what the header claims.
func readDeclared(r io.Reader) ([]byte, error) {
	var prefix [8]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return prefix[:n], nil // parseCheckpoint says what is missing
		}
		return nil, err
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > maxHeaderLen {
		return prefix[:], nil // refused by parseCheckpoint with the length
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	b = append(prefix[:], b...)
	if uint64(len(b)-8) < n {
		return b, nil // truncated: parseCheckpoint says so
	}
	end, ok := declaredEnd(b[8:])
	if !ok {
		return b, nil // a corrupt header: parseCheckpoint says how
	}
	data, err := io.ReadAll(io.LimitReader(r, end+1))
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// declaredEnd returns the largest data offset a header declares.
func declaredEnd(header []byte) (int64, bool) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(header, &raw) != nil {
		return 0, false
	}
	end := 0.0
	for name, msg := range raw {
		if name == metadataKey {
			continue
		}
		var info struct {
			Offsets []float64 `json:"data_offsets"`
		}
		if json.Unmarshal(msg, &info) != nil || len(info.Offsets) != 2 {
			return 0, false
		}
		end = max(end, info.Offsets[1])
	}
	if !(end >= 0) || end > 1<<50 {
		return 0, false
	}
	return int64(end), true
}

// validate checks that c can be written.
func (c *Checkpoint) validate() error {
	if _, ok := c.Meta[modelKey]; ok {
		return fmt.Errorf("metadata key %q is reserved for Checkpoint.Model", modelKey)
	}
	seen := make(map[string]bool, len(c.Tensors)+len(c.Words))
	check := func(name string) error {
		switch {
		case name == "":
			return errors.New("tensor with empty name")
		case name == metadataKey:
			return fmt.Errorf("tensor name %q is reserved", name)
		case seen[name]:
			return fmt.Errorf("duplicate tensor name %q", name)
		}
		seen[name] = true
		return nil
	}
	for _, t := range c.Tensors {
		if err := check(t.Name); err != nil {
			return err
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
		}
		if n := t.Len(); n != len(t.Data) {
			return fmt.Errorf("tensor %q: shape %v has %d elements, data has %d", t.Name, t.Shape, n, len(t.Data))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Words)) {
		if err := check(name); err != nil {
			return err
		}
	}
	return nil
}

// write encodes a validated checkpoint.
func (c *Checkpoint) write(w io.Writer) error {
	var h bytes.Buffer
	h.WriteByte('{')
	meta := maps.Clone(c.Meta)
	if c.Model != "" {
		if meta == nil {
			meta = make(map[string]string)
		}
		meta[modelKey] = c.Model
	}
	if len(meta) > 0 {
		b, err := json.Marshal(meta) // keys sorted
		if err != nil {
			return err
		}
		h.WriteString(`"` + metadataKey + `":`)
		h.Write(b)
	}
	var off int
	entry := func(name, dtype string, shape []int, nbytes int) {
		if h.Len() > 1 {
			h.WriteByte(',')
		}
		b, _ := json.Marshal(name) // strings always marshal
		h.Write(b)
		h.WriteString(`:{"dtype":"` + dtype + `","shape":[`)
		for i, d := range shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, off+nbytes)
		off += nbytes
	}
	for _, t := range c.Tensors {
		dtype := "F64"
		if isRNGState(t.Name) {
			dtype = "U64" // the bit patterns, as the integers they are
		}
		entry(t.Name, dtype, t.Shape, 8*len(t.Data))
	}
	words := slices.Sorted(maps.Keys(c.Words))
	for _, name := range words {
		entry(name, "U64", []int{len(c.Words[name])}, 8*len(c.Words[name]))
	}
	h.WriteByte('}')
	// Pad with spaces so the data starts 8-byte aligned, as safetensors does.
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	var buf [1 << 13]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(h.Len()))
	if _, err := w.Write(buf[:8]); err != nil {
		return err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	put := func(bits []uint64, floats []float64) error {
		k := 0
		n := max(len(bits), len(floats))
		for i := range n {
			var v uint64
			if bits != nil {
				v = bits[i]
			} else {
				v = math.Float64bits(floats[i])
			}
			binary.LittleEndian.PutUint64(buf[k:], v)
			k += 8
			if k == len(buf) {
				if _, err := w.Write(buf[:k]); err != nil {
					return err
				}
				k = 0
			}
		}
		if k > 0 {
			_, err := w.Write(buf[:k])
			return err
		}
		return nil
	}
	for _, t := range c.Tensors {
		if err := put(nil, t.Data); err != nil {
			return err
		}
	}
	for _, name := range words {
		if err := put(c.Words[name], nil); err != nil {
			return err
		}
	}
	return nil
}

// entry is a parsed header entry.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int
}

func dtypeSize(dtype string) int {
	switch dtype {
	case "F64", "U64", "I64":
		return 8
	case "F32":
		return 4
	}
	return 0
}

func parseCheckpoint(b []byte) (*Checkpoint, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("truncated: file has %d bytes, fewer than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	rest := uint64(len(b) - 8)
	if n > maxHeaderLen {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes (not a safetensors file?)", n, maxHeaderLen)
	}
	if n > rest {
		return nil, fmt.Errorf("truncated: header length says %d bytes, file has %d after the length prefix", n, rest)
	}
	header, data := b[8:8+n], b[8+n:]
	if t := bytes.TrimLeft(header, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("corrupt header: not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("corrupt header JSON: %w", err)
	}
	c := &Checkpoint{Meta: make(map[string]string)}
	var entries []entry
	for name, msg := range raw {
		if name == metadataKey {
			var meta map[string]string
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, fmt.Errorf("corrupt header: %s: %w", metadataKey, err)
			}
			for k, v := range meta {
				if k == modelKey {
					c.Model = v
				} else {
					c.Meta[k] = v
				}
			}
			continue
		}
		var info struct {
			Dtype   *string   `json:"dtype"`
			Shape   []int64   `json:"shape"`
			Offsets []float64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &info); err != nil {
			return nil, fmt.Errorf("corrupt header: tensor %q: %w", name, err)
		}
		if info.Dtype == nil || info.Shape == nil || info.Offsets == nil {
			return nil, fmt.Errorf("corrupt header: tensor %q needs dtype, shape and data_offsets", name)
		}
		if dtypeSize(*info.Dtype) == 0 {
			return nil, fmt.Errorf("tensor %q: unsupported dtype %q (want F64, F32, U64 or I64)", name, *info.Dtype)
		}
		if len(info.Offsets) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets has %d elements, want 2", name, len(info.Offsets))
		}
		e := entry{name: name, dtype: *info.Dtype}
		for _, o := range info.Offsets {
			if o < 0 || o != math.Trunc(o) || o > 1<<53 {
				return nil, fmt.Errorf("tensor %q: data offset %v is not a valid byte offset", name, o)
			}
		}
		e.begin, e.end = int(info.Offsets[0]), int(info.Offsets[1])
		if e.end < e.begin {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d %d] end before they begin", name, e.begin, e.end)
		}
		e.shape = make([]int, len(info.Shape))
		count, overflow := 1, false // overflow: the byte size would exceed MaxInt
		for i, d := range info.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", name, info.Shape)
			}
			e.shape[i] = int(d)
		}
		for _, d := range e.shape {
			if d != 0 && count > math.MaxInt/8/d {
				overflow = true
			} else {
				count *= d
			}
		}
		if slices.Contains(e.shape, 0) {
			count, overflow = 0, false
		}
		if size := dtypeSize(e.dtype); overflow || count*size != e.end-e.begin {
			need := "more than 2⁶³"
			if !overflow {
				need = strconv.Itoa(count * size)
			}
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %s bytes, data_offsets [%d %d] span %d",
				name, info.Shape, e.dtype, need, e.begin, e.end, e.end-e.begin)
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.begin != b.begin {
			return a.begin - b.begin
		}
		if a.end != b.end {
			return a.end - b.end
		}
		return strings.Compare(a.name, b.name)
	})
	pos := 0
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return nil, fmt.Errorf("tensor %q (bytes %d–%d) overlaps tensor %q", e.name, e.begin, e.end, entries[i-1].name)
		case e.begin > pos:
			return nil, fmt.Errorf("gap: no tensor covers data bytes %d–%d (before tensor %q)", pos, e.begin, e.name)
		}
		pos = e.end
	}
	switch {
	case pos > len(data):
		return nil, fmt.Errorf("truncated: header says %d bytes of data, file has %d", pos, len(data))
	case pos < len(data):
		return nil, fmt.Errorf("data after the last tensor: the header declares %d bytes of data, and more follow", pos)
	}
	for _, e := range entries {
		raw := data[e.begin:e.end]
		switch e.dtype {
		case "F64":
			x := make([]float64, len(raw)/8)
			for i := range x {
				x[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
			c.Tensors = append(c.Tensors, runtime.Tensor{Name: e.name, Shape: e.shape, Data: x})
		case "F32":
			x := make([]float64, len(raw)/4)
			for i := range x {
				x[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			}
			c.Tensors = append(c.Tensors, runtime.Tensor{Name: e.name, Shape: e.shape, Data: x})
		case "U64", "I64":
			if isRNGState(e.name) { // a trainer's RNG states: float64 views of the words
				x := make([]float64, len(raw)/8)
				for i := range x {
					x[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
				}
				c.Tensors = append(c.Tensors, runtime.Tensor{Name: e.name, Shape: e.shape, Data: x})
				continue
			}
			w := make([]uint64, len(raw)/8)
			for i := range w {
				w[i] = binary.LittleEndian.Uint64(raw[8*i:])
			}
			if c.Words == nil {
				c.Words = make(map[string][]uint64)
			}
			c.Words[e.name] = w
		}
	}
	for _, t := range c.Tensors {
		if isRNGState(t.Name) {
			continue
		}
		for k, v := range t.Data {
			if v-v != 0 { // NaN − NaN and ∞ − ∞ are NaN
				return nil, fmt.Errorf("tensor %q: element %s is %s; a checkpoint must hold finite values (saved from a diverged run?): use an earlier checkpoint or train again",
					t.Name, layout.ElementString(t.Shape, k), nonFinite(v))
			}
		}
	}
	return c, nil
}

// isRNGState reports whether the float tensor name holds random-number
// generator states as bit patterns (RNG.EncodeState), which may read as
// NaN or ±∞: "rng", as Trainer.State names them, or a name ending in
// ".rng" (a trainer's state nested under a prefix, such as "hybrid.rng").
func isRNGState(name string) bool {
	return name == "rng" || strings.HasSuffix(name, ".rng")
}

// nonFinite names a non-finite value: NaN, +Inf or -Inf.
func nonFinite(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v > 0:
		return "+Inf"
	}
	return "-Inf"
}

// Restore copies the checkpoint's tensors into m's parameters and into the
// extra tensors (typically a Trainer's State), matching them by name.
//
// It fails, changing nothing, if the checkpoint names another model
// ("checkpoint is for model DBM, not RBM"; a checkpoint without a model
// name is accepted), lacks one of m's parameters, or has a tensor whose
// shape differs from the model's ("param W: checkpoint shape [784 500],
// model shape [784 20]"). Extra tensors missing from the checkpoint are
// left unchanged, so a parameters-only checkpoint can start a new training
// run.
func (c *Checkpoint) Restore(m runtime.Model, extra []runtime.Tensor) error {
	name := m.ModelName()
	if c.Model != "" && c.Model != name {
		return fmt.Errorf("runtime: restore: checkpoint is for model %s, not %s", c.Model, name)
	}
	saved := make(map[string]*runtime.Tensor, len(c.Tensors))
	for i := range c.Tensors {
		saved[c.Tensors[i].Name] = &c.Tensors[i]
	}
	params := m.Params()
	type pair struct{ dst, src []float64 }
	copies := make([]pair, 0, len(params)+len(extra))
	match := func(kind string, t runtime.Tensor, required bool) error {
		s, ok := saved[t.Name]
		if !ok {
			if required {
				return fmt.Errorf("runtime: restore %s: missing %s %q in checkpoint", name, kind, t.Name)
			}
			return nil
		}
		if !slices.Equal(s.Shape, t.Shape) {
			return fmt.Errorf("runtime: restore %s: %s %s: checkpoint shape %v, model shape %v", name, kind, t.Name, s.Shape, t.Shape)
		}
		if len(s.Data) != len(t.Data) {
			return fmt.Errorf("runtime: restore %s: %s %s: checkpoint has %d values, model has %d", name, kind, t.Name, len(s.Data), len(t.Data))
		}
		copies = append(copies, pair{t.Data, s.Data})
		return nil
	}
	for _, p := range params {
		if err := match("param", p, true); err != nil {
			return err
		}
	}
	for _, t := range extra {
		if err := match("state", t, false); err != nil {
			return err
		}
	}
	for _, p := range copies {
		copy(p.dst, p.src)
	}
	return nil
}
