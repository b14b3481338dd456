package ir

// Plain-text renderings of derived quantities, for doc comments of generated code.

// FieldString writes the field a_u = Σ contributions.
func (c *Conditional) FieldString() string {
	return printer{style: Plain}.contributions(c.Field)
}

// PrecisionString writes the precision P_u of a gaussian layer.
func (c *Conditional) PrecisionString() string {
	return printer{style: Plain}.contributions(c.Precision)
}

// UnitString writes the generic unit: h[j].
func (c *Conditional) UnitString() string {
	return printer{style: Plain}.indexed(c.Layer.Name, c.Unit)
}

// RestString writes the terms of a free energy that do not sum out.
func (fe *FreeEnergy) RestString() string {
	return printer{style: Plain}.terms(fe.Rest)
}

// String writes ∂E/∂θ[…] = … in plain style.
func (g *Gradient) String() string {
	pr := printer{style: Plain}
	var items []string
	var negs []bool
	lhs := g.Param.Name
	for _, part := range g.Parts {
		neg, body := pr.monomial(part.Coef, part.Units, remaining(part.Sum, part.Wrt.Index), part.Distinct)
		items, negs = append(items, body), append(negs, neg)
		lhs = pr.indexed(g.Param.Name, part.Wrt.Index)
	}
	return "∂E/∂" + lhs + " = " + pr.series(items, negs)
}

// DiagonalString writes Q_uu, the diagonal of the smooth part's Hessian.
func (s *Sparse) DiagonalString() string { return printer{style: Plain}.contributions(s.Diagonal) }

// CouplingString writes the contributions −Q_uw·h_w (w ≠ u) of the Hessian.
func (s *Sparse) CouplingString() string { return printer{style: Plain}.contributions(s.Coupling) }

// LinearString writes b_u, the smooth part's linear coefficient.
func (s *Sparse) LinearString() string { return printer{style: Plain}.contributions(s.Linear) }

// ThresholdString writes λ_u, the coefficient of |h_u|.
func (s *Sparse) ThresholdString() string { return printer{style: Plain}.contributions(s.Threshold) }
