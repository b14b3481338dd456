package dsl

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
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

// Parse parses the .ebm source src, naming positions after filename.
// A syntax error is returned as an ErrorList holding one *Error.
func Parse(filename string, src []byte) (*File, error) {
	g, err := ebmParser.ParseBytes(filename, src)
	if err != nil {
		return nil, ErrorList{syntaxError(filename, err)}
	}
	var c converter
	f := c.file(filename, g)
	if len(c.errs) > 0 {
		c.errs.Sort()
		return nil, c.errs
	}
	return f, nil
}

func syntaxError(filename string, err error) *Error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return &Error{Pos: Pos{Filename: filename, Line: 1, Column: 1}, Msg: err.Error()}
	}
	pos := perr.Position()
	if pos.Filename == "" {
		pos.Filename = filename
	}
	if pos.Line == 0 {
		pos.Line, pos.Column = 1, 1
	}
	return &Error{Pos: pos, Msg: friendly(perr.Message())}
}

// friendly rewrites participle's token vocabulary into the language's.
func friendly(msg string) string {
	r := strings.NewReplacer(
		"<ident>", "a name",
		"<number>", "a number",
		"<eof>", "end of file",
		`unexpected token "<EOF>"`, "unexpected end of file",
		"invalid input text", "unexpected character in",
		"GUnary", "an expression", "GTerm", "an expression", "GExpr", "an expression",
		"GPrimary", "an expression", "GDecl", "a declaration (const, visible, hidden, param or energy)",
		"GName", "a name", "GSize", "a size", "GInit", "an initializer", "GSigned", "a number",
	)
	msg = strings.TrimPrefix(r.Replace(msg), "lexer: ")
	if !strings.Contains(msg, "(expected") {
		if strings.HasPrefix(msg, "unexpected end of file") {
			msg += " (is the energy expression complete?)"
		} else if strings.HasPrefix(msg, "unexpected token") {
			msg += " (expected a declaration: const, visible, hidden, param or energy)"
		}
	}
	return msg
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
			f.Layers = append(f.Layers, &Layer{Pos: l.Pos, Role: Role(l.Role), Name: ident(l.Name), Dims: sizes(l.Dims), Kind: ident(l.Kind)})
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
