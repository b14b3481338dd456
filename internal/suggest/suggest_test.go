package suggest

import "testing"

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"gen", "gen", 0},
		{"chekc", "check", 2},
		{"kitten", "sitting", 3},
		{"W1", "W2", 1},
		{"visible", "visibel", 2},
	} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := EditDistance(c.b, c.a); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"v", "h1", "h2", "W1", "W2", "bias", "NV"}
	for _, c := range []struct {
		name string
		max  int
		want string
	}{
		{"w1", 2, "W1"}, // one substitution
		{"h3", 2, "h1"}, // the first of equals
		{"biass", 2, "bias"},
		{"g", 2, ""},     // a one-letter name is never replaced whole
		{"gamma", 2, ""}, // nothing near
		{"bais", 1, ""},  // two edits away, max 1
		{"bais", 2, "bias"},
	} {
		if got := Closest(c.name, names, c.max); got != c.want {
			t.Errorf("Closest(%q, max %d) = %q, want %q", c.name, c.max, got, c.want)
		}
	}
}
