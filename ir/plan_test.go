package ir_test

import "testing"

// The plans name the sums that run as matrix products: a DBM's couplings
// are products (from the visible layer, clamped in mean field), its biases
// sums of rows; a coupling with a third index, or a lateral layer, is not
// split for mean field.
func TestPlans(t *testing.T) {
	m := mustLower(t, "dbm.ebm", `model D
visible v[4] bernoulli
hidden h1[3] bernoulli
hidden h2[2] bernoulli
param W1[4, 3]
param W2[3, 2]
param b[4]
param c2[2]
energy = -sum(i, j) v[i] * W1[i, j] * h1[j] - sum(j, k) h1[j] * W2[j, k] * h2[k] - sum(i) b[i] * v[i] - sum(k) c2[k] * h2[k]
`, nil)
	products := map[string][]string{} // layer → "param neighbour transposed"
	for _, c := range m.Conditionals {
		for _, ct := range c.Field {
			if k := ct.MatVec; k != nil {
				products[c.Layer.Name] = append(products[c.Layer.Name], k.Param.Name+" "+k.Neighbour.Name+map[bool]string{true: " T", false: ""}[k.Transposed])
			}
		}
	}
	want := map[string][]string{"v": {"W1 h1 T"}, "h1": {"W1 v", "W2 h2 T"}, "h2": {"W2 h1"}}
	for ly, w := range want {
		if got := products[ly]; len(got) != len(w) || (len(w) > 0 && (got[0] != w[0] || got[len(got)-1] != w[len(w)-1])) {
			t.Errorf("products into %s: %v, want %v", ly, got, w)
		}
	}
	split := map[string]bool{}
	for _, c := range m.Conditionals {
		split[c.Layer.Name] = c.ClampedProducts()
	}
	if !split["h1"] || split["h2"] || split["v"] {
		t.Errorf("ClampedProducts: %v, want h1 alone", split)
	}
	outers, rows := 0, 0
	for _, g := range m.Gradients {
		for _, part := range g.Parts {
			if part.Outer != nil {
				outers++
			}
			if part.RowSum != nil {
				rows++
			}
		}
	}
	if outers != 2 || rows != 2 {
		t.Errorf("%d outer products and %d sums of rows, want 2 and 2", outers, rows)
	}

	// A three-way coupling is no matrix product, and a lateral layer is
	// updated site by site.
	m = mustLower(t, "odd.ebm", `model O
visible v[3] bernoulli
hidden h[2] bernoulli
param U[3, 2, 2]
param J[2, 2]
energy = -sum(i, j, k) v[i] * U[i, j, k] * h[j] * h[k] - sum(j, k) h[j] * J[j, k] * h[k]
`, nil)
	for _, c := range m.Conditionals {
		for _, ct := range c.Field {
			if ct.MatVec != nil {
				t.Errorf("%s: a product planned from a three-way or lateral term (%s)", c.Layer.Name, ct.MatVec.Param.Name)
			}
		}
		if c.ClampedProducts() {
			t.Errorf("%s: split for mean field", c.Layer.Name)
		}
	}
}
