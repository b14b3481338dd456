package dsl

import (
	"strconv"
	"strings"
)

// Format prints e in the language's own syntax with the fewest parentheses
// that keep its meaning.
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e, 0, false)
	return b.String()
}

// Binding strengths: + - bind loosest, then * / and sums, then unary minus, then ^.
func precedence(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case '+', '-':
			return 1
		case '*', '/':
			return 2
		default:
			return 4
		}
	case *Sum:
		return 2
	case *Unary:
		return 3
	default:
		return 5
	}
}

// format writes e where operators of precedence below min need parentheses;
// closed says a * / or ^ follows, which an unparenthesized sum would swallow.
func format(b *strings.Builder, e Expr, min int, closed bool) {
	_, isSum := e.(*Sum)
	if precedence(e) < min || isSum && (closed || min > 2) {
		b.WriteByte('(')
		defer b.WriteByte(')')
		closed = false
	}
	switch e := e.(type) {
	case *Number:
		if e.Text != "" {
			b.WriteString(e.Text)
		} else {
			b.WriteString(strconv.FormatFloat(e.Value, 'g', -1, 64))
		}
	case *Ref:
		b.WriteString(e.Name)
		if len(e.Indices) > 0 {
			b.WriteByte('[')
			writeIdents(b, e.Indices)
			b.WriteByte(']')
		}
	case *Call:
		b.WriteString(e.Func.Name)
		b.WriteByte('(')
		format(b, e.Arg, 0, false)
		b.WriteByte(')')
	case *Unary:
		b.WriteByte('-')
		if _, ok := e.X.(*Sum); ok {
			format(b, e.X, 2, closed)
		} else {
			format(b, e.X, 3, closed)
		}
	case *Sum:
		b.WriteString("sum(")
		writeIdents(b, e.Indices)
		b.WriteString(") ")
		format(b, e.Body, 2, false)
	case *Binary:
		p := precedence(e)
		switch e.Op {
		case '^':
			format(b, e.X, 5, true)
			b.WriteByte('^')
			format(b, e.Y, 3, closed)
		case '+', '-':
			format(b, e.X, p, false)
			b.WriteString(" " + string(e.Op) + " ")
			format(b, e.Y, p+1, closed)
		default:
			format(b, e.X, p, true)
			b.WriteString(" " + string(e.Op) + " ")
			if _, ok := e.Y.(*Sum); ok {
				// a * sum(i) x reads as a * (sum(i) x): no parentheses
				// unless a * / or ^ follows, which the sum would swallow.
				format(b, e.Y, p, closed)
			} else {
				format(b, e.Y, p+1, closed)
			}
		}
	}
}

func writeIdents(b *strings.Builder, ids []Ident) {
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(id.Name)
	}
}
