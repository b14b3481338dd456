package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Error is a positioned message about the source text.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.Filename, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Errorf returns an *Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is every error found in a file, in source order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the list by position and drops exact duplicates.
func (l *ErrorList) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Pos == s[i-1].Pos && e.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Err returns nil for an empty list and the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// MaxSourceBytes is the largest source Parse accepts. Models take a few
// kilobytes; the bound keeps the parser's time and memory, which grow with
// the source (about 10 KB of memory for every written-out term of a sum),
// bounded for any input.
const MaxSourceBytes = 256 << 10

// Parse parses the .ebm source src, naming positions after filename.
// A syntax error, a source longer than MaxSourceBytes or expressions that
// nest deeper than MaxNesting are returned as an ErrorList holding one
// *Error.
//
// A leading UTF-8 byte-order mark is skipped (offsets count from after it),
// and a CR not followed by LF ends a line as LF and CRLF do.
func Parse(filename string, src []byte) (*File, error) {
	if len(src) > MaxSourceBytes {
		return nil, ErrorList{Errorf(Pos{Filename: filename, Line: 1, Column: 1},
			"the source is %d bytes, more than the %d (256 KiB) accepted: a model's energy is a few sums over indices (sum(i, j) v[i] * W[i, j] * h[j]), not its terms written out one by one", len(src), MaxSourceBytes)}
	}
	src = normalize(src)
	if e := checkNesting(filename, src); e != nil {
		return nil, ErrorList{e}
	}
	g, err := ebmParser.ParseBytes(filename, src)
	if err != nil {
		return nil, ErrorList{syntaxError(filename, src, err)}
	}
	var c converter
	f := c.file(filename, g)
	if len(c.errs) > 0 {
		c.errs.Sort()
		return nil, c.errs
	}
	return f, nil
}

// normalize drops a leading byte-order mark and turns every lone CR into
// LF, byte for byte, so that the lexer, which counts lines by LF, sees the
// file's lines. src is not modified.
func normalize(src []byte) []byte {
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	if bytes.IndexByte(src, '\r') < 0 {
		return src
	}
	out := bytes.Clone(src)
	for i, b := range out {
		if b == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// syntaxError turns a participle error into a positioned message in the
// language's own vocabulary, with a hint drawn from the surrounding tokens.
func syntaxError(filename string, src []byte, err error) *Error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return &Error{Pos: Pos{Filename: filename, Line: 1, Column: 1}, Msg: err.Error()}
	}
	pos := perr.Position()
	pos.Filename = filename
	if pos.Line == 0 {
		pos.Line, pos.Column = 1, 1
	}
	toks := tokens(filename, src)
	var u *participle.UnexpectedTokenError
	if !errors.As(err, &u) {
		// A lexer error: a character that starts no token.
		if pos.Offset >= 0 && pos.Offset < len(src) {
			r, _ := utf8.DecodeRune(src[pos.Offset:])
			hint := "operators are + - * / ^, comments start with // or #"
			if r >= utf8.RuneSelf {
				hint = "names use ASCII letters, digits and _"
			}
			return &Error{Pos: pos, Msg: fmt.Sprintf("unexpected character %q (%s)", r, hint)}
		}
		return &Error{Pos: pos, Msg: strings.TrimPrefix(perr.Message(), "lexer: ")}
	}
	expect := expected(u.Message())
	tok := u.Unexpected
	if tok.EOF() {
		if len(toks) == 0 {
			return &Error{Pos: pos, Msg: "empty file: a model starts with model NAME"}
		}
		last := toks[len(toks)-1]
		pos = last.Pos
		pos.Filename = filename
		pos.Column += utf8.RuneCountInString(last.Value)
		pos.Offset += len(last.Value)
		msg := "unexpected end of file"
		switch {
		case expect != "":
			msg += " (expected " + expect + ")"
		case declKeyword(toks, len(src)) == "energy":
			msg += " (is the energy expression complete?)"
		}
		return &Error{Pos: pos, Msg: msg}
	}
	if len(toks) > 0 && tok.Pos.Offset == toks[0].Pos.Offset && tok.Value != "model" {
		return &Error{Pos: pos, Msg: fmt.Sprintf("a .ebm file starts with model NAME, not %q", tok.Value)}
	}
	if tok.Value == "/" && bytes.HasPrefix(src[tok.Pos.Offset:], []byte("/*")) {
		return &Error{Pos: pos, Msg: "comment /* is never closed with */"}
	}
	if tok.Type == ebmLexer.Symbols()["Keyword"] && strings.HasPrefix(expect, "a name") {
		return &Error{Pos: pos, Msg: fmt.Sprintf("expected a name, found the keyword %s (keywords cannot be used as names)", tok.Value)}
	}
	msg := fmt.Sprintf("unexpected %q", tok.Value)
	switch {
	case tok.Value == "model":
		msg += " (a file declares one model, on its first line)"
	case expect != "":
		msg += " (expected " + expect + ")"
	case declKeyword(toks, tok.Pos.Offset) == "energy":
		msg += " (expected an operator + - * / ^ or a new declaration: const, visible, hidden, param or energy)"
	default:
		msg += " (expected a declaration: const, visible, hidden, param or energy)"
	}
	return &Error{Pos: pos, Msg: msg}
}

// tokens lexes src as far as it can, without spaces and comments.
func tokens(filename string, src []byte) []lexer.Token {
	lex, err := ebmLexer.LexString(filename, string(src))
	if err != nil {
		return nil
	}
	skip := map[lexer.TokenType]bool{}
	for _, name := range []string{"Space", "LineComment", "BlockComment"} {
		skip[ebmLexer.Symbols()[name]] = true
	}
	var out []lexer.Token
	for {
		t, err := lex.Next()
		if err != nil || t.EOF() {
			return out
		}
		if !skip[t.Type] {
			out = append(out, t)
		}
	}
}

// declKeyword is the keyword of the declaration in progress at offset.
func declKeyword(toks []lexer.Token, offset int) string {
	kw := ""
	for _, t := range toks {
		if t.Pos.Offset >= offset {
			break
		}
		switch t.Value {
		case "model", "const", "visible", "hidden", "param", "energy":
			kw = t.Value
		}
	}
	return kw
}

// expectedWords name the grammar's symbols for users.
var expectedWords = map[string]string{
	"<ident>": "a name", "GName": "a name", "<number>": "a number", "GSigned": "a number",
	"GSize": "a size (a whole number or a const)", "GKind": "a unit kind: bernoulli, spin, gaussian, softmax or laplace",
	"GExpr": "an expression", "GTerm": "an expression", "GUnary": "an expression", "GPrimary": "an expression",
	"GInit": "an initializer: zeros, ones, a number, normal(mean, std) or uniform(lo, hi)",
	"GDecl": "a declaration: const, visible, hidden, param or energy",
}

// expected reads the first item of participle's "(expected …)" grammar
// suffix, the token that would have let parsing go on, in plain words.
func expected(msg string) string {
	i := strings.Index(msg, "(expected ")
	if i < 0 {
		return ""
	}
	rest := strings.TrimSuffix(msg[i+len("(expected "):], ")")
	if strings.HasPrefix(rest, `"`) {
		if j := strings.Index(rest[1:], `"`); j >= 0 {
			return rest[:j+2]
		}
		return ""
	}
	item, _, _ := strings.Cut(rest, " ")
	return expectedWords[item]
}

type converter struct {
	errs ErrorList
}

func (c *converter) errorf(pos Pos, format string, args ...any) {
	c.errs = append(c.errs, Errorf(pos, format, args...))
}

func (c *converter) file(filename string, g *gFile) *File {
	f := &File{Filename: filename, Model: ident(g.Model)}
	for _, d := range g.Decls {
		switch {
		case d.Const != nil:
			f.Consts = append(f.Consts, &Const{Pos: d.Const.Pos, Name: ident(d.Const.Name), Value: size(d.Const.Value)})
		case d.Layer != nil:
			l := d.Layer
			f.Layers = append(f.Layers, &Layer{Pos: l.Pos, Role: Role(l.Role), Name: ident(l.Name), Dims: sizes(l.Dims), Kind: Ident{Pos: l.Kind.Pos, Name: l.Kind.Name}})
		case d.Param != nil:
			p := d.Param
			f.Params = append(f.Params, &Param{Pos: p.Pos, Name: ident(p.Name), Dims: sizes(p.Dims), Init: c.init(p.Init), Fixed: p.Fixed})
		case d.Energy != nil:
			f.Energies = append(f.Energies, &Energy{Pos: d.Energy.Pos, Expr: c.expr(d.Energy.Expr)})
		}
	}
	return f
}

func ident(g *gName) Ident { return Ident{Pos: g.Pos, Name: g.Name} }

func size(g *gSize) Size {
	s := Size{Pos: g.Pos}
	if g.Number != nil {
		s.Number = *g.Number
	} else {
		s.Name = *g.Name
	}
	return s
}

func sizes(gs []*gSize) []Size {
	out := make([]Size, len(gs))
	for i, g := range gs {
		out[i] = size(g)
	}
	return out
}

func (c *converter) init(g *gInit) *Init {
	if g == nil {
		return nil
	}
	in := &Init{Pos: g.Pos}
	switch {
	case g.Func != nil:
		in.Name = ident(g.Func)
		for _, a := range g.Args {
			in.Args = append(in.Args, c.signed(a))
		}
	case g.Number != nil:
		in.Args = []float64{c.signed(g.Number)}
	default:
		in.Name = ident(g.Word)
	}
	return in
}

func (c *converter) signed(g *gSigned) float64 {
	v := c.number(g.Pos, g.Number)
	if g.Neg {
		return -v
	}
	return v
}

func (c *converter) number(pos Pos, text string) float64 {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		c.errorf(pos, "number %s is out of range", text)
	}
	return v
}

func (c *converter) expr(g *gExpr) Expr {
	x := c.term(g.Left)
	for _, a := range g.Rest {
		x = &Binary{Pos: a.Pos, Op: a.Op[0], X: x, Y: c.term(a.Term)}
	}
	return x
}

func (c *converter) term(g *gTerm) Expr {
	x := c.unary(g.Left)
	for _, m := range g.Rest {
		x = &Binary{Pos: m.Pos, Op: m.Op[0], X: x, Y: c.unary(m.Unary)}
	}
	return x
}

func (c *converter) unary(g *gUnary) Expr {
	switch {
	case g.Neg != nil:
		return &Unary{Pos: g.Pos, X: c.unary(g.Neg)}
	case g.Sum != nil:
		s := &Sum{Pos: g.Sum.Pos, Body: c.term(g.Sum.Body)}
		for _, n := range g.Sum.Indices {
			s.Indices = append(s.Indices, ident(n))
		}
		return s
	default:
		base := c.primary(g.Power.Base)
		if g.Power.Exp == nil {
			return base
		}
		exp := c.unary(g.Power.Exp)
		return &Binary{Pos: g.Power.Exp.Pos, Op: '^', X: base, Y: exp}
	}
}

func (c *converter) primary(g *gPrimary) Expr {
	switch {
	case g.Number != nil:
		return &Number{Pos: g.Pos, Text: *g.Number, Value: c.number(g.Pos, *g.Number)}
	case g.Call != nil:
		return &Call{Pos: g.Call.Pos, Func: ident(g.Call.Func), Arg: c.expr(g.Call.Arg)}
	case g.Ref != nil:
		r := &Ref{Pos: g.Ref.Pos, Name: g.Ref.Name}
		for _, n := range g.Ref.Indices {
			r.Indices = append(r.Indices, ident(n))
		}
		return r
	default:
		return c.expr(g.Paren)
	}
}
