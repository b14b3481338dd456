package dsl_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/dsl"
)

// TestLimits checks that Parse refuses sources beyond its bounds — longer
// than MaxSourceBytes, or nesting deeper than MaxNesting through
// parentheses, unary minus, powers or sums — with a positioned error, and
// accepts the flat or shallow sources beside each (the controls): a long
// sum of terms, a long product of powers, MaxNesting parentheses, and
// parentheses in a comment.
func TestLimits(t *testing.T) {
	const head = "model M\nvisible v[3] bernoulli\nparam b[3]\nenergy = "
	rep := func(s string, n int) string { return strings.Repeat(s, n) }
	deep := dsl.MaxNesting + 1
	for _, c := range []struct {
		name, energy string
		want         string // "" when the source must parse
	}{
		// The minus and the sum are two levels: the parenthesis that opens
		// level MaxNesting+1 is the (MaxNesting−1)th.
		{"parentheses", "-sum(i) " + rep("(", deep) + "b[i] * v[i]" + rep(")", deep), "4:" + strconv.Itoa(len("energy = -sum(i) ")+dsl.MaxNesting-1) + ": expressions nest more than 256 deep"},
		{"parentheses at the bound", rep("(", dsl.MaxNesting-3) + "-sum(i) b[i] * v[i]" + rep(")", dsl.MaxNesting-3), ""}, // with the minus, the sum and its index list's parentheses
		{"unary minus", rep("- ", deep) + "sum(i) b[i] * v[i]", "expressions nest more than 256 deep"},
		{"powers", "-sum(i) b[i] * v[i]" + rep("^1", deep), "expressions nest more than 256 deep"},
		{"sums", rep("sum(i) ", deep) + "b[i] * v[i]", "expressions nest more than 256 deep"},
		{"a long sum", rep("- sum(i) b[i] * v[i] ", 3000), ""},
		{"a long product of powers", "-sum(i) v[i]" + rep(" * b[i]^1", 3000), ""},
		{"parentheses in a comment", "// " + rep("(", 3000) + "\n-sum(i) b[i] * v[i]", ""},
		{"too long", "-sum(i) b[i] * v[i] // " + rep("x", dsl.MaxSourceBytes), "1:1: the source is"},
	} {
		_, err := dsl.Parse("m.ebm", []byte(head+c.energy+"\n"))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}
