package dsl

import (
	"github.com/alecthomas/participle/v2/lexer"
)

// MaxNesting is how deeply Parse lets expressions nest: parentheses (of
// sums, calls and grouping) and the prefixes that nest what follows them —
// a unary minus, a power's exponent, a sum's body — counted over every
// level still open. Models nest a handful deep; the parser recurses once
// a level (about 10 KB of stack each), so the bound keeps it far from Go's
// stack limit, whose overflow no program survives.
const MaxNesting = 256

// checkNesting scans the tokens of src and returns an error at the first
// token that opens a level beyond MaxNesting. A sum's body runs to the end
// of its term (a binary + or −, a comma, an =, or the closing
// parenthesis); a unary minus or an exponent only to the next * or / as
// well. Counting so, it may miss a unary minus before a sum (at most
// doubling the depth it allows) but never a chain of one kind. Tokens the
// lexer rejects end the scan, leaving the error to the parser.
func checkNesting(filename string, src []byte) *Error {
	syms := ebmLexer.Symbols()
	punct, keyword := syms["Punct"], syms["Keyword"]
	skip := map[lexer.TokenType]bool{syms["Space"]: true, syms["LineComment"]: true, syms["BlockComment"]: true}
	lx, err := ebmLexer.LexString(filename, string(src))
	if err != nil {
		return nil
	}
	type level struct{ sums, others int } // the prefixes pending in the level's term
	levels := []level{{}}
	total := 0       // Σ pending prefixes + open parentheses
	operand := false // the last token ended an operand: a + or − after it is binary
	for {
		t, err := lx.Next()
		if err != nil || t.EOF() {
			return nil
		}
		if skip[t.Type] {
			continue
		}
		top := &levels[len(levels)-1]
		p := t.Type == punct
		opens := false
		switch {
		case p && (t.Value == "(" || t.Value == "["):
			levels = append(levels, level{})
			total++
			opens = true
		case p && (t.Value == ")" || t.Value == "]"):
			if len(levels) > 1 {
				total -= 1 + top.sums + top.others
				levels = levels[:len(levels)-1]
			}
		case p && (t.Value == "+" || t.Value == "-") && operand, p && (t.Value == "," || t.Value == "="):
			total -= top.sums + top.others // the term ends
			*top = level{}
		case p && (t.Value == "*" || t.Value == "/") && operand:
			total -= top.others // a factor ends
			top.others = 0
		case p && (t.Value == "-" || t.Value == "^"):
			top.others++
			total++
			opens = true
		case t.Type == keyword && t.Value == "sum":
			top.sums++
			total++
			opens = true
		}
		if opens && total > MaxNesting {
			return Errorf(t.Pos, "expressions nest more than %d deep here (parentheses, unary minus, powers and sums inside one another); a model needs a handful of levels: write the expression flatter", MaxNesting)
		}
		operand = !p && t.Type != keyword || t.Value == ")" || t.Value == "]"
	}
}
