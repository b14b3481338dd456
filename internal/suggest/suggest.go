// Package suggest finds the name a user probably meant: the ebmc command
// for a misspelt one, the declared name for an undeclared one in a model.
package suggest

import "strings"

// Closest returns the candidate nearest to name by edit distance, letter
// case ignored (w1 finds W1), if that distance is at most max and smaller
// than name's length (so that a one-letter name is not "corrected" into an
// unrelated one by replacing it whole); the first of equals; "" when there
// is none.
func Closest(name string, candidates []string, max int) string {
	best, bestDist := "", max+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if d := EditDistance(lower, strings.ToLower(c)); d < bestDist && d < len(name) {
			best, bestDist = c, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b, in bytes: the
// fewest insertions, deletions and substitutions that turn a into b.
func EditDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
