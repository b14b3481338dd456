package ir

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"

	"github.com/ebmc/ebmc/dsl"
)

// Limits on declared sizes; larger ones are reported as errors.
const (
	MaxUnits       = 1 << 24 // units in one layer
	MaxParamSize   = 1 << 28 // elements in one parameter tensor
	MaxPower       = 8       // integer power of an expression holding units
	maxTermsPerSum = 4096    // monomials one energy may expand into
)

// Options adjust lowering.
type Options struct {
	// Defines override consts by name, as ebmc gen -D NAME=VALUE does.
	Defines map[string]int
	// MaxBytes bounds the memory of a model's parameters (8 bytes each):
	// a larger model is refused with an error, not accepted to die of an
	// out-of-memory error when constructed. 0 means DefaultMaxBytes; a
	// negative value, no limit.
	MaxBytes int64
}

// DefaultMaxBytes is the default bound on a model's parameter memory, 16 GiB.
const DefaultMaxBytes = 16 << 30

// ParamBytes is the memory of m's parameters as float64, in bytes.
func (m *Model) ParamBytes() int64 {
	n := int64(0)
	for _, p := range m.Params {
		n += 8 * int64(p.Size)
	}
	return n
}

// Bytes writes a byte count with a binary unit: "3.0 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, k := float64(n), 0
	for v >= unit && k < 5 {
		v /= unit
		k++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[k-1])
}

var keywords = map[string]bool{
	"model": true, "const": true, "visible": true, "hidden": true, "param": true,
	"energy": true, "fixed": true, "sum": true,
	"exp": true, "log": true, "softplus": true, "sqrt": true, "abs": true,
}

var functions = map[string]Op{"exp": OpExp, "log": OpLog, "softplus": OpSoftplus, "sqrt": OpSqrt}

// Lower checks a parsed file and derives everything about its model.
// Every error found is returned, sorted by position, as a dsl.ErrorList.
func Lower(f *dsl.File, opts Options) (*Model, error) {
	l := &lowerer{
		file:   f,
		m:      &Model{Name: f.Model.Name, Pos: f.Model.Pos, Filename: f.Filename},
		consts: map[string]int{},
		layers: map[string]*Layer{},
		params: map[string]*Param{},
		where:  map[*Index]string{},
		broken: map[string]bool{},
	}
	l.declarations(opts)
	l.memory(opts)
	if len(l.file.Energies) > 0 {
		// Check the energy even after declaration errors, so that every
		// error is reported; references to broken declarations are skipped.
		l.energy()
	}
	if len(l.errs) == 0 {
		l.derive()
	}
	if len(l.errs) == 0 {
		l.finiteAtInit()
	}
	if len(l.errs) > 0 {
		l.errs.Sort()
		return nil, l.errs
	}
	return l.m, nil
}

type lowerer struct {
	file   *dsl.File
	m      *Model
	errs   dsl.ErrorList
	consts map[string]int
	layers map[string]*Layer
	params map[string]*Param
	where  map[*Index]string // what fixed an index's range, for messages
	broken map[string]bool   // names whose declaration was reported as an error
}

// finiteAtInit refuses a model whose energy is NaN at its initial
// parameters (log of a parameter initialised to 0 times a unit that is 0,
// say), naming the parameters that cause it: those that, set to 1
// instead, make it a number.
// It evaluates the energy of 2 to 8 random states (as many as 2·10⁶
// summands allow) with the initializers drawn from seed 1, for models whose
// parameters take at most 64 MiB.
func (l *lowerer) finiteAtInit() {
	m := l.m
	if m.ParamBytes() > 64<<20 {
		return
	}
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]State, min(8, max(2, 2_000_000/max(1, m.summands()))))
	for i := range xs {
		xs[i] = m.NewState()
		m.RandomState(xs[i], r)
	}
	// NaN only: weights near the float64 range may overflow a sum to ±∞
	// legitimately, but no state has an energy of NaN.
	finite := func(p Params) bool {
		for _, x := range xs {
			if math.IsNaN(m.Energy(p, x)) {
				return false
			}
		}
		return true
	}
	p := m.NewParams()
	m.InitParams(p, 1)
	if finite(p) {
		return
	}
	blamed := false
	for i, q := range m.Params {
		saved := p[i]
		one := make([]float64, len(saved))
		for k := range one {
			one[k] = 1
		}
		p[i] = one
		if finite(p) {
			l.errorf(q.Pos, "param %s: the energy is NaN at its initial values (%s): a function applied to it is outside its domain there (log or sqrt of a value ≤ 0, a division by 0); give it an initializer inside the domain",
				q.Name, initString(q.Init))
			blamed = true
		}
		p[i] = saved
	}
	if !blamed {
		l.errorf(m.Pos, "model %s: the energy is NaN at the initial parameters for random states; check the initializers and the functions applied to parameters and units", m.Name)
	}
}

// memory refuses a model whose parameters exceed opts.MaxBytes.
func (l *lowerer) memory(opts Options) {
	limit := opts.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	if limit < 0 || len(l.m.Params) == 0 {
		return
	}
	n := l.m.ParamBytes()
	if n <= limit {
		return
	}
	big := l.m.Params[0]
	for _, p := range l.m.Params {
		if p.Size > big.Size {
			big = p
		}
	}
	l.errorf(l.m.Pos, "model %s: its %d parameter tensors take %s (the largest, %s, %s), more than the limit of %s; shrink the model, or raise the limit (ebmc -max-bytes)",
		l.m.Name, len(l.m.Params), Bytes(n), big.Name, Bytes(8*int64(big.Size)), Bytes(limit))
}

func (l *lowerer) errorf(pos dsl.Pos, format string, args ...any) {
	l.errs = append(l.errs, dsl.Errorf(pos, format, args...))
}

// GoName is the exported Go identifier a .ebm name becomes.
func GoName(name string) string {
	if name == "" {
		return name
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func (l *lowerer) declarations(opts Options) {
	seen := map[string]dsl.Ident{}
	goNames := map[string]dsl.Ident{}
	declare := func(id dsl.Ident, what string) bool {
		switch {
		case keywords[id.Name]:
			l.errorf(id.Pos, "%s name %s is a keyword of the language; choose another name", what, id.Name)
			l.broken[id.Name] = true
			return false
		case strings.HasPrefix(id.Name, "_"):
			l.errorf(id.Pos, "%s name %s must start with a letter (it becomes the Go name %s)", what, id.Name, GoName(id.Name))
			l.broken[id.Name] = true
			return false
		}
		if prev, ok := seen[id.Name]; ok {
			l.errorf(id.Pos, "%s redeclared; it was declared at %d:%d", id.Name, prev.Pos.Line, prev.Pos.Column)
			return false
		}
		if prev, ok := goNames[GoName(id.Name)]; ok {
			l.errorf(id.Pos, "%s and %s (declared at %d:%d) both become the Go name %s; rename one",
				id.Name, prev.Name, prev.Pos.Line, prev.Pos.Column, GoName(id.Name))
			l.broken[id.Name] = true
			return false
		}
		seen[id.Name] = id
		goNames[GoName(id.Name)] = id
		return true
	}
	if !isLetter(l.file.Model.Name) {
		l.errorf(l.file.Model.Pos, "model name %s must start with a letter", l.file.Model.Name)
	}

	used := map[string]bool{}
	for _, c := range l.file.Consts {
		if !declare(c.Name, "const") {
			continue
		}
		v, ok := l.size(c.Value, "const "+c.Name.Name, true)
		if d, over := opts.Defines[c.Name.Name]; over {
			v, ok = d, true
			used[c.Name.Name] = true
		}
		if ok {
			l.consts[c.Name.Name] = v
			l.m.Consts = append(l.m.Consts, Const{Name: c.Name.Name, Value: v, Pos: c.Name.Pos})
		} else {
			l.broken[c.Name.Name] = true
		}
	}
	for name := range opts.Defines {
		if !used[name] {
			l.errorf(l.file.Model.Pos, "-D %s: the model declares no const %s", name, name)
		}
	}
	for _, d := range l.file.Layers {
		if !declare(d.Name, "layer") {
			continue
		}
		l.layer(d)
	}
	for _, d := range l.file.Params {
		if !declare(d.Name, "param") {
			continue
		}
		l.param(d)
	}
	visible := false
	for _, d := range l.file.Layers {
		// As declared, so that a layer with another error still counts.
		visible = visible || d.Role == dsl.Visible
	}
	if len(l.file.Layers) > 0 && !visible {
		l.errorf(l.file.Layers[0].Pos, "the model has no visible layer; declare the observed units with visible NAME[SIZE] KIND")
	}
	if len(l.file.Layers) == 0 {
		l.errorf(l.file.Model.Pos, "model %s declares no layers; add e.g. visible v[N] bernoulli", l.file.Model.Name)
	}
	switch len(l.file.Energies) {
	case 0:
		l.errorf(l.file.Model.Pos, "model %s has no energy; add energy = EXPR", l.file.Model.Name)
	case 1:
	default:
		for _, e := range l.file.Energies[1:] {
			l.errorf(e.Pos, "energy declared again; a model has one energy (add the terms to the first)")
		}
	}
}

func isLetter(s string) bool {
	r := []rune(s)
	return len(r) > 0 && unicode.IsLetter(r[0])
}

// size resolves a dimension to a positive integer.
func (l *lowerer) size(s dsl.Size, what string, isConst bool) (int, bool) {
	if s.Name != "" {
		v, ok := l.consts[s.Name]
		if !ok {
			if l.broken[s.Name] {
				return 0, false // reported where it is declared
			}
			if _, isLayer := l.layers[s.Name]; isLayer {
				l.errorf(s.Pos, "%s: %s is a layer, not a const; sizes are integers or consts", what, s.Name)
			} else {
				l.errorf(s.Pos, "%s: undeclared const %s; declare it first with const %s = VALUE", what, s.Name, s.Name)
				for _, c := range l.file.Consts {
					if c.Name.Name == s.Name {
						l.errs[len(l.errs)-1].Msg = fmt.Sprintf("%s: const %s is used before its declaration at %d:%d; declare it first",
							what, s.Name, c.Pos.Line, c.Pos.Column)
						break
					}
				}
			}
			return 0, false
		}
		return v, true
	}
	v, err := strconv.Atoi(s.Number)
	if errors.Is(err, strconv.ErrRange) {
		l.errorf(s.Pos, "%s: size %s is too large", what, s.Number)
		return 0, false
	}
	if err != nil {
		l.errorf(s.Pos, "%s: size %s is not a whole number", what, s.Number)
		return 0, false
	}
	if v <= 0 && !isConst {
		l.errorf(s.Pos, "%s: size must be at least 1, not %d", what, v)
		return 0, false
	}
	return v, true
}

func (l *lowerer) shape(dims []dsl.Size, what string) ([]int, int, bool) {
	shape := make([]int, len(dims))
	total := 1
	for i, d := range dims {
		v, ok := l.size(d, what, false)
		if !ok {
			return nil, 0, false
		}
		if v <= 0 {
			l.errorf(d.Pos, "%s: dimension %d is %s = %d; sizes must be at least 1", what, i+1, d.Name, v)
			return nil, 0, false
		}
		shape[i] = v
		if total > math.MaxInt/v {
			total = math.MaxInt // saturated; reported as too large
		} else {
			total *= v
		}
	}
	return shape, total, true
}

func (l *lowerer) layer(d *dsl.Layer) {
	declared := false
	defer func() {
		if !declared {
			l.broken[d.Name.Name] = true // reported here; skipped where used
		}
	}()
	kind, ok := kindNamed(d.Kind.Name)
	if !ok {
		names := make([]string, len(kinds))
		for k := range kinds {
			names[k] = kinds[k].Name
		}
		l.errorf(d.Kind.Pos, "layer %s: unknown unit kind %s (expected %s%s)", d.Name.Name, d.Kind.Name, kindList(), didYouMean(d.Kind.Name, names...))
		return
	}
	shape, size, ok := l.shape(d.Dims, "layer "+d.Name.Name)
	if !ok {
		return
	}
	if size > MaxUnits {
		l.errorf(d.Name.Pos, "layer %s has %s units; at most %d are supported", d.Name.Name, count(shape, size), MaxUnits)
		return
	}
	if kind == Softmax && shape[len(shape)-1] < 2 {
		l.errorf(d.Dims[len(d.Dims)-1].Pos, "softmax layer %s: a one-hot group needs at least 2 categories, not %d", d.Name.Name, shape[len(shape)-1])
		return
	}
	declared = true
	ly := &Layer{Name: d.Name.Name, Index: len(l.m.Layers), Visible: d.Role == dsl.Visible, Kind: kind, Shape: shape, Size: size, Pos: d.Pos}
	l.m.Layers = append(l.m.Layers, ly)
	l.layers[ly.Name] = ly
}

func (l *lowerer) param(d *dsl.Param) {
	declared := false
	defer func() {
		if !declared {
			l.broken[d.Name.Name] = true // reported here; skipped where used
		}
	}()
	shape, size, ok := l.shape(d.Dims, "param "+d.Name.Name)
	if !ok {
		return
	}
	if size > MaxParamSize {
		l.errorf(d.Name.Pos, "param %s has %s elements; at most %d are supported", d.Name.Name, count(shape, size), MaxParamSize)
		return
	}
	// A bad initializer is reported but leaves the shape known: keep the
	// param, so that the energy is still checked.
	init, _ := l.init(d)
	declared = true
	p := &Param{Name: d.Name.Name, Index: len(l.m.Params), Shape: shape, Size: size, Init: init, Fixed: d.Fixed, Pos: d.Pos}
	l.m.Params = append(l.m.Params, p)
	l.params[p.Name] = p
}

// normalReach bounds the standard normal draws of every generator that
// applies initializers (runtime.RNG.Normal and math/rand/v2's NormFloat64
// both stop near 14): normal(mean, std) is accepted only if
// |mean| + normalReach·std is a finite float64, so no draw overflows.
const normalReach = 20

// init checks a parameter's initializer: its name, its arguments, and that
// the values it draws are finite float64s (uniform's width hi − lo and
// normal's |mean| + normalReach·std do not overflow).
func (l *lowerer) init(d *dsl.Param) (Init, bool) {
	in := d.Init
	if in == nil {
		return Init{Kind: InitZeros}, true
	}
	what := "param " + d.Name.Name
	nargs := func(n int) bool {
		if len(in.Args) != n {
			l.errorf(in.Pos, "%s: %s takes %d arguments, got %d", what, in.Name.Name, n, len(in.Args))
			return false
		}
		return true
	}
	switch in.Name.Name {
	case "":
		return Init{Kind: InitConstant, A: in.Args[0]}, true
	case "zeros", "ones":
		if len(in.Args) > 0 {
			l.errorf(in.Pos, "%s: %s takes no arguments", what, in.Name.Name)
			return Init{}, false
		}
		if in.Name.Name == "ones" {
			return Init{Kind: InitConstant, A: 1}, true
		}
		return Init{Kind: InitZeros}, true
	case "normal":
		if !nargs(2) {
			return Init{}, false
		}
		if in.Args[1] < 0 {
			l.errorf(in.Pos, "%s: normal(mean, std) needs std ≥ 0, got %g", what, in.Args[1])
			return Init{}, false
		}
		if mean, std := in.Args[0], in.Args[1]; math.Abs(mean)+normalReach*std > math.MaxFloat64 {
			l.errorf(in.Pos, "%s: normal(mean, std) needs |mean| + %d·std within the float64 range (at most %.7g) so that no draw overflows, got normal(%g, %g); use a smaller mean or std",
				what, normalReach, math.MaxFloat64, mean, std)
			return Init{}, false
		}
		return Init{Kind: InitNormal, A: in.Args[0], B: in.Args[1]}, true
	case "uniform":
		if !nargs(2) {
			return Init{}, false
		}
		if in.Args[0] >= in.Args[1] {
			l.errorf(in.Pos, "%s: uniform(lo, hi) needs lo < hi, got %g ≥ %g", what, in.Args[0], in.Args[1])
			return Init{}, false
		}
		if lo, hi := in.Args[0], in.Args[1]; hi-lo > math.MaxFloat64 {
			l.errorf(in.Pos, "%s: uniform(lo, hi) needs hi − lo within the float64 range (at most %.7g), got uniform(%g, %g); narrow the range",
				what, math.MaxFloat64, lo, hi)
			return Init{}, false
		}
		return Init{Kind: InitUniform, A: in.Args[0], B: in.Args[1]}, true
	}
	l.errorf(in.Name.Pos, "%s: unknown initializer %s (expected zeros, ones, a number, normal(mean, std) or uniform(lo, hi)%s)", what, in.Name.Name,
		didYouMean(in.Name.Name, "zeros", "ones", "normal", "uniform"))
	return Init{}, false
}

// count prints the number of elements of a shape, with its factors.
func count(shape []int, size int) string {
	n := fmt.Sprint(size)
	if size == math.MaxInt {
		n = "more than 2⁶²"
	}
	if len(shape) < 2 {
		return n
	}
	f := make([]string, len(shape))
	for i, v := range shape {
		f[i] = fmt.Sprint(v)
	}
	return n + " (" + strings.Join(f, " × ") + ")"
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// Compile parses the .ebm source src and lowers it: the whole front end.
func Compile(filename string, src []byte, opts Options) (*Model, error) {
	f, err := dsl.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	return Lower(f, opts)
}

// summands is the number of products the interpreter evaluates for one
// energy: Σ over terms of the product of their summed index ranges.
func (m *Model) summands() int {
	n := 0
	for _, t := range m.Terms {
		k := 1
		for _, ix := range t.Sum {
			k *= ix.Size
		}
		n += k
	}
	return n
}
