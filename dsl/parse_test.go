package dsl_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/dsl"
)

// tree prints e as an S-expression that shows its structure and nothing
// else: positions and source parentheses do not appear.
func tree(e dsl.Expr) string {
	var b strings.Builder
	writeTree(&b, e)
	return b.String()
}

func writeTree(b *strings.Builder, e dsl.Expr) {
	switch e := e.(type) {
	case *dsl.Number:
		b.WriteString(e.Text)
	case *dsl.Ref:
		b.WriteString(e.Name)
		if len(e.Indices) > 0 {
			b.WriteString("[" + names(e.Indices) + "]")
		}
	case *dsl.Call:
		b.WriteString("(" + e.Func.Name + " ")
		writeTree(b, e.Arg)
		b.WriteString(")")
	case *dsl.Unary:
		b.WriteString("(neg ")
		writeTree(b, e.X)
		b.WriteString(")")
	case *dsl.Binary:
		fmt.Fprintf(b, "(%c ", e.Op)
		writeTree(b, e.X)
		b.WriteString(" ")
		writeTree(b, e.Y)
		b.WriteString(")")
	case *dsl.Sum:
		b.WriteString("(sum[" + names(e.Indices) + "] ")
		writeTree(b, e.Body)
		b.WriteString(")")
	default:
		fmt.Fprintf(b, "<%T>", e)
	}
}

func names(ids []dsl.Ident) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.Name
	}
	return strings.Join(s, ",")
}

// roundTrip checks that Format(e) parses back to the same tree and prints
// the same text again.
func roundTrip(e dsl.Expr) error {
	s := dsl.Format(e)
	f, err := dsl.Parse("rt.ebm", []byte("model M\nenergy = "+s+"\n"))
	if err != nil {
		return fmt.Errorf("Format(%s) = %q does not parse: %v", tree(e), s, err)
	}
	e2 := f.Energies[0].Expr
	if got := dsl.Format(e2); got != s {
		return fmt.Errorf("Format(Parse(%q)) = %q, want it unchanged", s, got)
	}
	if got, want := tree(e2), tree(e); got != want {
		return fmt.Errorf("Parse(Format(e)) = %s, want %s (Format gave %q)", got, want, s)
	}
	return nil
}

func parseExpr(t *testing.T, src string) dsl.Expr {
	t.Helper()
	f, err := dsl.Parse("t.ebm", []byte("model M\nenergy = "+src+"\n"))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	if len(f.Energies) != 1 {
		t.Fatalf("Parse(%q): %d energies, want 1", src, len(f.Energies))
	}
	return f.Energies[0].Expr
}

// parseCases pin the grammar's precedence and associativity: what each
// energy expression means (tree) and how Format prints it back.
var parseCases = []struct {
	name, src, tree, format string
}{
	{"number", "2.5", "2.5", "2.5"},
	{"exponent number", "1e-3", "1e-3", "1e-3"},
	{"leading dot", ".5", ".5", ".5"},
	{"ref", "v[i]", "v[i]", "v[i]"},
	{"ref 2d", "W[i,j]", "W[i,j]", "W[i, j]"},
	{"scalar", "a", "a", "a"},
	{"call", "exp(2 * z[i])", "(exp (* 2 z[i]))", "exp(2 * z[i])"},
	{"add left assoc", "a - b - c", "(- (- a b) c)", "a - b - c"},
	{"add right paren", "a - (b - c)", "(- a (- b c))", "a - (b - c)"},
	{"mul over add", "a + b * c", "(+ a (* b c))", "a + b * c"},
	{"paren add", "(a + b) * c", "(* (+ a b) c)", "(a + b) * c"},
	{"div left assoc", "a / b / c", "(/ (/ a b) c)", "a / b / c"},
	{"div right paren", "a / (b * c)", "(/ a (* b c))", "a / (b * c)"},
	{"mul div mix", "a * b / c * d", "(* (/ (* a b) c) d)", "a * b / c * d"},
	{"pow right assoc", "a ^ b ^ c", "(^ a (^ b c))", "a^b^c"},
	{"pow left paren", "(a ^ b) ^ c", "(^ (^ a b) c)", "(a^b)^c"},
	{"pow over neg", "-a ^ 2", "(neg (^ a 2))", "-a^2"},
	{"neg base", "(-a) ^ 2", "(^ (neg a) 2)", "(-a)^2"},
	{"neg exponent", "a ^ -2", "(^ a (neg 2))", "a^-2"},
	{"neg exponent pow", "2 ^ -x ^ 2", "(^ 2 (neg (^ x 2)))", "2^-x^2"},
	{"pow over mul", "a * b ^ 2", "(* a (^ b 2))", "a * b^2"},
	{"neg over mul", "-a * b", "(* (neg a) b)", "-a * b"},
	{"double neg", "--a", "(neg (neg a))", "--a"},
	{"neg factor", "a * -b", "(* a (neg b))", "a * -b"},
	{"pow of call", "exp(z[i]) ^ 2", "(^ (exp z[i]) 2)", "exp(z[i])^2"},
	{"pow of paren", "(v[i] - b[i]) ^ 2 / 2", "(/ (^ (- v[i] b[i]) 2) 2)", "(v[i] - b[i])^2 / 2"},
	{"sum binds product", "sum(i) a[i] * v[i] + c", "(+ (sum[i] (* a[i] v[i])) c)", "sum(i) a[i] * v[i] + c"},
	{"sum binds division", "sum(i) v[i] / s[i] * h", "(sum[i] (* (/ v[i] s[i]) h))", "sum(i) v[i] / s[i] * h"},
	{"sum stops at minus", "sum(i) v[i] - sum(j) h[j]", "(- (sum[i] v[i]) (sum[j] h[j]))", "sum(i) v[i] - sum(j) h[j]"},
	{"neg sum", "-sum(i, j) v[i] * W[i, j] * h[j]", "(neg (sum[i,j] (* (* v[i] W[i,j]) h[j])))", "-sum(i, j) v[i] * W[i, j] * h[j]"},
	{"sum after factor", "a * sum(i) v[i] * b", "(* a (sum[i] (* v[i] b)))", "a * sum(i) v[i] * b"},
	{"sum paren then factor", "(sum(i) v[i]) * b", "(* (sum[i] v[i]) b)", "(sum(i) v[i]) * b"},
	{"nested sums", "sum(i) v[i] * sum(j) W[i, j] * h[j]", "(sum[i] (* v[i] (sum[j] (* W[i,j] h[j]))))", "sum(i) v[i] * sum(j) W[i, j] * h[j]"},
	{"sum of neg", "sum(i) -v[i] * b[i]", "(sum[i] (* (neg v[i]) b[i]))", "sum(i) -v[i] * b[i]"},
	{"sum in exponent", "2 ^ sum(i) a[i]", "(^ 2 (sum[i] a[i]))", "2^(sum(i) a[i])"},
	{"sum in exponent product", "2 ^ sum(i) a[i] * b", "(^ 2 (sum[i] (* a[i] b)))", "2^(sum(i) a[i] * b)"},
	{"sum base", "(sum(i) a[i]) ^ 2", "(^ (sum[i] a[i]) 2)", "(sum(i) a[i])^2"},
	{"neg paren sum times", "-(sum(i) a[i]) * b", "(* (neg (sum[i] a[i])) b)", "-(sum(i) a[i]) * b"},
	{"sum in call", "exp(sum(i) a[i])", "(exp (sum[i] a[i]))", "exp(sum(i) a[i])"},
	{"sum body paren", "sum(i) (v[i] - b[i]) ^ 2", "(sum[i] (^ (- v[i] b[i]) 2))", "sum(i) (v[i] - b[i])^2"},
	{"sum over sum", "sum(i) sum(j) W[i, j]", "(sum[i] (sum[j] W[i,j]))", "sum(i) sum(j) W[i, j]"},
	{"grbm", "sum(i) (v[i] - b[i])^2 / (2 * exp(2 * z[i])) - sum(i, j) v[i] / exp(z[i]) * W[i, j] * h[j]",
		"(- (sum[i] (/ (^ (- v[i] b[i]) 2) (* 2 (exp (* 2 z[i]))))) (sum[i,j] (* (* (/ v[i] (exp z[i])) W[i,j]) h[j])))",
		"sum(i) (v[i] - b[i])^2 / (2 * exp(2 * z[i])) - sum(i, j) v[i] / exp(z[i]) * W[i, j] * h[j]"},
	{"sum then sum product", "a - sum(i) b[i] * sum(j) c[j]", "(- a (sum[i] (* b[i] (sum[j] c[j]))))", "a - sum(i) b[i] * sum(j) c[j]"},
	{"sum left of plus in product", "(sum(i) a[i] + b) * c", "(* (+ (sum[i] a[i]) b) c)", "(sum(i) a[i] + b) * c"},
	{"minus sum minus", "a - -sum(i) a[i]", "(- a (neg (sum[i] a[i])))", "a - -sum(i) a[i]"},
}

func TestParseExpressions(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			e := parseExpr(t, c.src)
			if got := tree(e); got != c.tree {
				t.Errorf("Parse(%q)\n got %s\nwant %s", c.src, got, c.tree)
			}
			if got := dsl.Format(e); got != c.format {
				t.Errorf("Format(Parse(%q)) = %q, want %q", c.src, got, c.format)
			}
			if err := roundTrip(e); err != nil {
				t.Error(err)
			}
		})
	}
}

// Trees built by hand, that no source spells with these exact parentheses,
// must still print to text that parses back to them.
func TestFormatConstructed(t *testing.T) {
	ref := func(n string) dsl.Expr { return &dsl.Ref{Name: n} }
	num := func(s string) dsl.Expr { return &dsl.Number{Text: s} }
	bin := func(op byte, x, y dsl.Expr) dsl.Expr { return &dsl.Binary{Op: op, X: x, Y: y} }
	neg := func(x dsl.Expr) dsl.Expr { return &dsl.Unary{X: x} }
	sum := func(i string, body dsl.Expr) dsl.Expr {
		return &dsl.Sum{Indices: []dsl.Ident{{Name: i}}, Body: body}
	}
	exprs := []dsl.Expr{
		bin('*', sum("i", ref("a")), ref("b")),
		bin('/', sum("i", ref("a")), ref("b")),
		bin('^', sum("i", ref("a")), num("2")),
		bin('*', ref("a"), sum("i", ref("b"))),
		bin('*', bin('*', ref("a"), sum("i", ref("b"))), ref("c")),
		bin('+', sum("i", ref("a")), sum("j", ref("b"))),
		bin('-', ref("a"), bin('+', ref("b"), ref("c"))),
		bin('-', ref("a"), sum("i", bin('+', ref("b"), ref("c")))),
		bin('^', neg(ref("a")), neg(ref("b"))),
		bin('^', bin('^', ref("a"), ref("b")), ref("c")),
		neg(bin('+', ref("a"), ref("b"))),
		neg(bin('*', ref("a"), ref("b"))),
		neg(sum("i", ref("a"))),
		bin('*', neg(sum("i", ref("a"))), ref("b")),
		bin('^', ref("a"), neg(sum("i", ref("b")))),
		bin('*', bin('^', ref("a"), sum("i", ref("b"))), ref("c")),
		sum("i", sum("j", bin('*', ref("a"), ref("b")))),
		sum("i", bin('+', ref("a"), ref("b"))),
		&dsl.Call{Func: dsl.Ident{Name: "exp"}, Arg: sum("i", ref("a"))},
		&dsl.Number{Value: 0.25},
	}
	for _, e := range exprs {
		if _, ok := e.(*dsl.Number); ok {
			if got := dsl.Format(e); got != "0.25" {
				t.Errorf("Format(Number{Value: 0.25}) = %q", got)
			}
			continue
		}
		if err := roundTrip(e); err != nil {
			t.Error(err)
		}
	}
}

func TestFormatExamples(t *testing.T) {
	paths, _ := filepath.Glob("../examples/*.ebm")
	if len(paths) == 0 {
		t.Fatal("no examples")
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := dsl.Parse(filepath.Base(p), src)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(f.Energies) != 1 {
			t.Fatalf("%s: %d energies", p, len(f.Energies))
		}
		if err := roundTrip(f.Energies[0].Expr); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestParseFile(t *testing.T) {
	src := `/* a block comment
   over lines */ model Tiny // trailing comment
# a hash comment
const N = 3
const K=2
visible v[N] bernoulli
hidden  h[K] spin
visible y[N, K] softmax
param W[N, K] = normal(0, 0.01)
param b[N] = -0.5 fixed
param c[K] = uniform(-1, 1e-1)
param s = ones
param t fixed
param z[N] = zeros
energy = -sum(i, j) v[i] * W[i, j] * h[j] /* inline */ - sum(i) b[i] * v[i]
         # between terms
         - sum(j) c[j] * h[j] - s * t * sum(i, j) y[i, j] * z[i]
`
	f, err := dsl.Parse("tiny.ebm", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	got = append(got, fmt.Sprintf("model %s @%d:%d", f.Model.Name, f.Model.Pos.Line, f.Model.Pos.Column))
	for _, c := range f.Consts {
		got = append(got, fmt.Sprintf("const %s = %s%s @%d:%d", c.Name.Name, c.Value.Number, c.Value.Name, c.Pos.Line, c.Pos.Column))
	}
	for _, l := range f.Layers {
		var dims []string
		for _, d := range l.Dims {
			dims = append(dims, d.Number+d.Name)
		}
		got = append(got, fmt.Sprintf("%s %s[%s] %s @%d:%d kind@%d:%d", l.Role, l.Name.Name, strings.Join(dims, ","), l.Kind.Name,
			l.Pos.Line, l.Pos.Column, l.Kind.Pos.Line, l.Kind.Pos.Column))
	}
	for _, p := range f.Params {
		var dims []string
		for _, d := range p.Dims {
			dims = append(dims, d.Number+d.Name)
		}
		init := "-"
		if p.Init != nil {
			init = fmt.Sprintf("%s%v", p.Init.Name.Name, p.Init.Args)
		}
		got = append(got, fmt.Sprintf("param %s[%s] = %s fixed=%v", p.Name.Name, strings.Join(dims, ","), init, p.Fixed))
	}
	e := f.Energies[0]
	got = append(got, fmt.Sprintf("energy @%d:%d %s", e.Pos.Line, e.Pos.Column, dsl.Format(e.Expr)))
	want := []string{
		"model Tiny @2:24",
		"const N = 3 @4:1",
		"const K = 2 @5:1",
		"visible v[N] bernoulli @6:1 kind@6:14",
		"hidden h[K] spin @7:1 kind@7:14",
		"visible y[N,K] softmax @8:1 kind@8:17",
		"param W[N,K] = normal[0 0.01] fixed=false",
		"param b[N] = [-0.5] fixed=true",
		"param c[K] = uniform[-1 0.1] fixed=false",
		"param s[] = ones[] fixed=false",
		"param t[] = - fixed=true",
		"param z[N] = zeros[] fixed=false",
		"energy @15:1 -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j] - s * t * sum(i, j) y[i, j] * z[i]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Positions are 1-based and point at the construct: a binary node at its
// operator, a power at its exponent, a sum at the keyword.
func TestParsePositions(t *testing.T) {
	e := parseExpr(t, "-sum(i) a[i] * v[i]^2 + b")
	add := e.(*dsl.Binary)
	neg := add.X.(*dsl.Unary)
	s := neg.X.(*dsl.Sum)
	mul := s.Body.(*dsl.Binary)
	pow := mul.Y.(*dsl.Binary)
	got := fmt.Sprintf("add %d:%d neg %d:%d sum %d:%d i %d:%d mul %d:%d a %d:%d pow %d:%d b %d:%d",
		add.Pos.Line, add.Pos.Column, neg.Pos.Line, neg.Pos.Column, s.Pos.Line, s.Pos.Column,
		s.Indices[0].Pos.Line, s.Indices[0].Pos.Column, mul.Pos.Line, mul.Pos.Column,
		mul.X.Position().Line, mul.X.Position().Column, pow.Pos.Line, pow.Pos.Column,
		add.Y.Position().Line, add.Y.Position().Column)
	want := "add 2:32 neg 2:10 sum 2:11 i 2:15 mul 2:23 a 2:18 pow 2:30 b 2:34"
	if got != want {
		t.Errorf("positions\n got %s\nwant %s", got, want)
	}
}

// syntaxErrors are malformed files and the exact error each gives.
var syntaxErrors = []struct {
	name, src, want string
}{
	{"empty", "", "e.ebm:1:1: empty file: a model starts with model NAME"},
	{"missing model", "visible v[3] bernoulli\nenergy = v", "e.ebm:1:1: a .ebm file starts with model NAME, not \"visible\""},
	{"model without name", "model\nvisible v[3] bernoulli", "e.ebm:2:1: expected a name, found the keyword visible (keywords cannot be used as names)"},
	{"unknown character", "model M\nvisible v[3] bernoulli\nenergy = -sum(i) v[i] % 2\n", "e.ebm:3:23: unexpected character '%' (operators are + - * / ^, comments start with // or #)"},
	{"missing operator", "model M\nvisible v[3] bernoulli\nparam b[3]\nenergy = -sum(i) b[i] v[i]\n", "e.ebm:4:23: unexpected \"v\" (expected an operator + - * / ^ or a new declaration: const, visible, hidden, param or energy)"},
	{"dangling operator", "model M\nvisible v[3] bernoulli\nenergy = -sum(i) v[i] *\n", "e.ebm:3:24: unexpected end of file (expected an expression)"},
	{"unclosed paren", "model M\nvisible v[3] bernoulli\nenergy = -sum(i) (v[i] + 1\n", "e.ebm:3:27: unexpected end of file (expected \")\")"},
	{"unclosed bracket", "model M\nvisible v[3 bernoulli\n", "e.ebm:2:13: unexpected \"bernoulli\" (expected \"]\")"},
	{"empty sum", "model M\nvisible v[3] bernoulli\nenergy = sum() v[i]\n", "e.ebm:3:14: unexpected \")\" (expected a name)"},
	{"const not integer", "model M\nconst N = x y\n", "e.ebm:2:13: unexpected \"y\" (expected a declaration: const, visible, hidden, param or energy)"},
	{"const missing value", "model M\nconst N =\nvisible v[N] bernoulli\n", "e.ebm:3:1: unexpected \"visible\" (expected a size (a whole number or a const))"},
	{"layer without kind", "model M\nvisible v[3]\nenergy = sum(i) v[i]\n", "e.ebm:3:1: unexpected \"energy\" (expected a unit kind: bernoulli, spin, gaussian, softmax or laplace)"},
	{"layer without dims", "model M\nvisible v bernoulli\n", "e.ebm:2:11: unexpected \"bernoulli\" (expected \"[\")"},
	{"unclosed comment", "model M /* never closed\nvisible v[3] bernoulli\n", "e.ebm:1:9: comment /* is never closed with */"},
	{"number out of range", "model M\nvisible v[3] bernoulli\nenergy = 1e999 * sum(i) v[i]\n", "e.ebm:3:10: number 1e999 is out of range"},
	{"init out of range", "model M\nparam b[3] = -1e999\n", "e.ebm:2:14: number 1e999 is out of range"},
	{"energy without equals", "model M\nenergy sum(i) v[i]\n", "e.ebm:2:8: unexpected \"sum\" (expected \"=\")"},
	{"init expression", "model M\nparam b[3] = 1 + 2\n", "e.ebm:2:16: unexpected \"+\" (expected a declaration: const, visible, hidden, param or energy)"},
	{"cr line endings", "model M\r// comment\rvisible v[3] bernoulli\renergy = -sum(i) v[i] % 2\r", "e.ebm:4:23: unexpected character '%' (operators are + - * / ^, comments start with // or #)"},
	{"bom", "\uFEFFvisible v[3] bernoulli\n", "e.ebm:1:1: a .ebm file starts with model NAME, not \"visible\""},
	{"bom not at start", "model M\n\uFEFFvisible v[3] bernoulli\n", "e.ebm:2:1: unexpected character '\\ufeff' (names use ASCII letters, digits and _)"},
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range syntaxErrors {
		t.Run(c.name, func(t *testing.T) {
			_, err := dsl.Parse("e.ebm", []byte(c.src))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", c.src)
			}
			if err.Error() != c.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", c.src, err, c.want)
			}
		})
	}
}

// lineEndingModel has every kind of comment, one ending a line before a
// declaration that a comment running on would swallow.
const lineEndingModel = `model M // a trailing comment
# a hash comment
const N = 3
/* a block
   comment */ visible v[N] bernoulli // then more
hidden h[2] bernoulli
param W[N, 2] = normal(0, 0.01)
energy = -sum(i, j) v[i] * W[i, j] * h[j] # the end
`

// zeroOffsets clears the byte offsets of every position in v, leaving the
// lines and columns.
func zeroOffsets(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroOffsets(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			zeroOffsets(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[dsl.Pos]() {
			v.FieldByName("Offset").SetInt(0)
			return
		}
		for i := range v.NumField() {
			zeroOffsets(v.Field(i))
		}
	}
}

// A leading byte-order mark is skipped, and a lone CR ends a line as LF
// does: each variant of lineEndingModel parses to the tree of the LF text,
// with the same lines and columns (and, but for CRLF's extra bytes, the
// same offsets).
func TestParseLineEndings(t *testing.T) {
	want, err := dsl.Parse("m.ebm", []byte(lineEndingModel))
	if err != nil {
		t.Fatal(err)
	}
	lf := lineEndingModel
	for _, c := range []struct {
		name, src   string
		sameOffsets bool
	}{
		{"bom", "\uFEFF" + lf, true},
		{"cr", strings.ReplaceAll(lf, "\n", "\r"), true},
		{"bom cr", "\uFEFF" + strings.ReplaceAll(lf, "\n", "\r"), true},
		{"crlf", strings.ReplaceAll(lf, "\n", "\r\n"), false},
		{"mixed", strings.Replace(strings.Replace(lf, "\n", "\r", 2), "\n", "\r\n", 2), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := dsl.Parse("m.ebm", []byte(c.src))
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.src, err)
			}
			w := want
			if !c.sameOffsets {
				w, _ = dsl.Parse("m.ebm", []byte(lineEndingModel))
				zeroOffsets(reflect.ValueOf(w))
				zeroOffsets(reflect.ValueOf(got))
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("Parse(%q) differs from the LF text's tree:\n got %s\nwant %s", c.src, summary(got), summary(w))
			}
		})
	}
}

// summary lists a file's declarations with their positions.
func summary(f *dsl.File) string {
	s := fmt.Sprintf("model %s@%v", f.Model.Name, f.Model.Pos)
	for _, c := range f.Consts {
		s += fmt.Sprintf("; const %s@%v", c.Name.Name, c.Pos)
	}
	for _, l := range f.Layers {
		s += fmt.Sprintf("; %s %s@%v", l.Role, l.Name.Name, l.Pos)
	}
	for _, p := range f.Params {
		s += fmt.Sprintf("; param %s@%v", p.Name.Name, p.Pos)
	}
	for _, e := range f.Energies {
		s += fmt.Sprintf("; energy@%v %s", e.Pos, dsl.Format(e.Expr))
	}
	return s
}
