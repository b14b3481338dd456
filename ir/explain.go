package ir

import (
	"fmt"
	"io"
	"strings"
)

// Format selects the layout of Explain's report.
type Format int

const (
	Text     Format = iota // Unicode text for a terminal
	Markdown               // headings and $$ LaTeX $$ display maths
	TeX                    // LaTeX sections with align* environments
)

// section is a heading with lines of maths (and notes written as prose).
type section struct {
	title string
	lines []line
}

type line struct {
	math string // a formula in the report's style
	note string // prose, printed as is
}

// Explain writes every derivation of m as readable maths: layers,
// parameters, the normalized energy, the layer graph and Gibbs schedule,
// conditionals, mean-field updates, free energies, gradients, the sums that
// run as matrix products over a batch, input gradients, flip deltas and the
// tempered forms.
func Explain(w io.Writer, m *Model, f Format) error {
	style := Plain
	if f != Text {
		style = LaTeX
	}
	x := explainer{m: m, pr: printer{style: style}}
	if m.Sparse != nil {
		return x.write(w, f, []section{
			x.declarations(),
			x.energy(),
			x.conditionals(),
			x.sparse(),
			x.refused(),
			x.gradients(),
			x.inputGradients(),
		})
	}
	secs := []section{
		x.declarations(),
		x.energy(),
		x.schedule(),
		x.conditionals(),
		x.meanField(),
		x.freeEnergies(),
		x.gradients(),
		x.plans(),
		x.inputGradients(),
		x.flipDeltas(),
		x.tempered(),
	}
	return x.write(w, f, secs)
}

// write prints the sections of a report.
func (x explainer) write(w io.Writer, f Format, secs []section) error {
	m := x.m
	var b strings.Builder
	switch f {
	case Text:
		fmt.Fprintf(&b, "model %s (%s)\n", m.Name, m.Filename)
	case Markdown:
		fmt.Fprintf(&b, "# model %s (`%s`)\n", m.Name, m.Filename)
	case TeX:
		fmt.Fprintf(&b, "%% model %s (%s), written by ebmc explain\n", m.Name, m.Filename)
	}
	for _, s := range secs {
		if len(s.lines) == 0 {
			continue
		}
		writeSection(&b, s, f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// texMath rewrites the Unicode left in a formula as LaTeX; commands the
// printer already wrote are kept as they are.
var texMath = strings.NewReplacer(
	`\operatorname{softplus}`, `\operatorname{softplus}`,
	"softplus", `\operatorname{softplus}`,
	"−", "-", "·", ` \cdot `, "←", ` \leftarrow `, "²", "^{2}", "½", `\tfrac{1}{2}`,
	"π", `\pi `, "∂", `\partial `, "≠", ` \neq `, "±", `\pm `, "μ", `\mu `, "β", `\beta `,
	"σ", `\sigma `, "Σ", `\sum`, "θ", `\theta `, "tanh", `\tanh`, "log 2cosh", `\log 2\cosh`,
	"log ", `\log `, "log(", `\log(`, "exp(", `\exp(`, "[·]", "", "′", "'",
	"| rest)", `\mid \text{rest})`, " flipped)", `\text{ flipped})`,
)

// texProse rewrites Unicode in prose for LaTeX.
var texProse = strings.NewReplacer(
	"−", "-", "·", `$\cdot$`, "←", `$\leftarrow$`, "²", `$^2$`, "½", `$\frac12$`, "π", `$\pi$`,
	"∂", `$\partial$`, "≠", `$\neq$`, "±", `$\pm$`, "μ", `$\mu$`, "β", `$\beta$`, "σ", `$\sigma$`,
	"Σ", `$\Sigma$`, "θ", `$\theta$`, "ℝ", `$\mathbb{R}$`, "—", "--", "–", "--", "∝", `$\propto$`,
	"→", `$\to$`, "Δ", `$\Delta$`, "_", `\_`, "{", `\{`, "}", `\}`, "[·]", "",
)

func writeSection(b *strings.Builder, s section, f Format) {
	if f != Text {
		for i, l := range s.lines {
			s.lines[i].math = texMath.Replace(l.math)
			if f == TeX {
				s.lines[i].note = texProse.Replace(l.note)
			}
		}
		if f == TeX {
			s.title = texProse.Replace(s.title)
		}
	}
	switch f {
	case Text:
		fmt.Fprintf(b, "\n%s\n", s.title)
		for _, l := range s.lines {
			if l.note != "" {
				fmt.Fprintf(b, "  %s\n", l.note)
			} else {
				fmt.Fprintf(b, "  %s\n", l.math)
			}
		}
	case Markdown:
		fmt.Fprintf(b, "\n## %s\n\n", s.title)
		afterNote := false
		for _, l := range s.lines {
			if l.note != "" {
				fmt.Fprintf(b, "- %s\n", l.note)
				afterNote = true
				continue
			}
			if afterNote {
				b.WriteString("\n") // end the list before display maths
				afterNote = false
			}
			fmt.Fprintf(b, "$$%s$$\n\n", l.math)
		}
	case TeX:
		fmt.Fprintf(b, "\n\\section*{%s}\n", s.title)
		inMath := false
		for _, l := range s.lines {
			if l.note != "" {
				if inMath {
					b.WriteString("\\end{align*}\n")
					inMath = false
				}
				fmt.Fprintf(b, "%s\n", l.note)
				continue
			}
			if !inMath {
				b.WriteString("\\begin{align*}\n")
				inMath = true
			}
			fmt.Fprintf(b, "  %s \\\\\n", l.math)
		}
		if inMath {
			b.WriteString("\\end{align*}\n")
		}
	}
}

type explainer struct {
	m  *Model
	pr printer
}

func (x explainer) tex() bool { return x.pr.latex() }

// sym picks the plain or LaTeX spelling of a symbol.
func (x explainer) sym(plain, tex string) string {
	if x.tex() {
		return tex
	}
	return plain
}

func (x explainer) note(format string, args ...any) line {
	return line{note: fmt.Sprintf(format, args...)}
}

func (x explainer) math(format string, args ...any) line {
	return line{math: fmt.Sprintf(format, args...)}
}

func shape(s []int) string {
	if len(s) == 0 {
		return ""
	}
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprint(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (x explainer) declarations() section {
	s := section{title: "Layers and parameters"}
	for _, ly := range x.m.Layers {
		role := "hidden"
		if ly.Visible {
			role = "visible"
		}
		desc := fmt.Sprintf("layer %s%s: %s %s, values in %s", ly.Name, shape(ly.Shape), role, ly.Kind, ly.Kind.Info().Values)
		if ly.Kind == Softmax {
			desc = fmt.Sprintf("layer %s%s: %s softmax, %d one-hot group(s) of %d categories", ly.Name, shape(ly.Shape), role, ly.Groups(), ly.Categories())
		}
		if ly.Lateral {
			desc += "; lateral couplings"
		}
		s.lines = append(s.lines, x.note("%s", desc))
	}
	for _, p := range x.m.Params {
		role := "trained"
		if p.Fixed {
			role = "fixed"
		}
		sh := shape(p.Shape)
		if sh == "" {
			sh = " (scalar)"
		}
		s.lines = append(s.lines, x.note("param %s%s: %s, initialized %s", p.Name, sh, role, initString(p.Init)))
	}
	units := 0
	for _, ly := range x.m.Layers {
		units += ly.Size
	}
	values := x.m.ParamBytes() / 8
	s.lines = append(s.lines, x.note("memory: %d parameter values, %s as float64 (a generated model, its zero copy for gradients and an SGD velocity hold three times that); %d units, %s per chain",
		values, Bytes(8*values), units, Bytes(8*int64(units))))
	return s
}

func initString(in Init) string {
	switch in.Kind {
	case InitConstant:
		return "to " + number(in.A)
	case InitNormal:
		return fmt.Sprintf("from N(%s, %s²)", number(in.A), number(in.B))
	case InitUniform:
		return fmt.Sprintf("from U(%s, %s)", number(in.A), number(in.B))
	}
	return "to 0"
}

func (x explainer) args(layers []*Layer) string {
	names := make([]string, len(layers))
	for i, ly := range layers {
		names[i] = ly.Name
	}
	return strings.Join(names, ",")
}

func (x explainer) energy() section {
	s := section{title: "Energy (normalized: kind identities applied, lateral couplings split)"}
	e := x.pr.terms(x.m.Terms)
	for _, p := range x.m.Penalties {
		e += " + " + x.pr.penalty(p)
	}
	s.lines = append(s.lines, x.math("E(%s) = %s", x.args(x.m.Layers), e))
	return s
}

func (x explainer) schedule() section {
	s := section{title: "Layer graph and Gibbs schedule"}
	m := x.m
	for a, la := range m.Layers {
		for b := a + 1; b < len(m.Layers); b++ {
			if m.Interacts[a][b] {
				s.lines = append(s.lines, x.note("%s — %s", la.Name, m.Layers[b].Name))
			}
		}
		if la.Lateral {
			s.lines = append(s.lines, x.note("%s — %s (lateral)", la.Name, la.Name))
		}
	}
	for i, b := range m.Schedule {
		how := "in parallel"
		for _, ly := range b.Layers {
			if ly.Lateral {
				how = "site by site (lateral couplings)"
			}
		}
		s.lines = append(s.lines, x.note("step %d: sample {%s} given the rest, %s", i+1, x.args(b.Layers), how))
	}
	return s
}

// field writes the name of the field of a layer's unit: a_h[j].
func (x explainer) field(c *Conditional, letter string) string {
	if x.tex() {
		return fmt.Sprintf("{%s^{%s}_{%s}}", letter, c.Layer.Name, x.unitNames(c))
	}
	return fmt.Sprintf("%s_%s[%s]", letter, c.Layer.Name, x.unitNames(c))
}

func (x explainer) unitNames(c *Conditional) string {
	names := make([]string, len(c.Unit))
	for i, ix := range c.Unit {
		names[i] = ix.Name
	}
	return strings.Join(names, ",")
}

func (x explainer) unit(c *Conditional) string { return x.pr.indexed(c.Layer.Name, c.Unit) }

func (x explainer) conditionals() section {
	s := section{title: "Conditionals p(unit | rest), with E = ½·P·x² − a·x + (terms without x)"}
	for _, c := range x.m.Conditionals {
		a, u := x.field(c, "a"), x.unit(c)
		switch c.Family {
		case Logistic:
			s.lines = append(s.lines, x.math("p(%s = 1 | rest) = %s(%s)", u, x.sym("σ", `\sigma`), a))
		case Tanh:
			s.lines = append(s.lines, x.math("p(%s = ±1 | rest) = %s(±2%s),  E[%s] = tanh(%s)", u, x.sym("σ", `\sigma`), a, u, a))
		case Categorical:
			// The normalizing sum runs over the categories under a primed
			// name, so that it does not clash with the unit's own index.
			g := c.Unit[len(c.Unit)-1].Name + "′"
			other := x.field(c, "a")
			if i := strings.LastIndex(other, c.Unit[len(c.Unit)-1].Name); i >= 0 {
				other = other[:i] + g + other[i+len(c.Unit[len(c.Unit)-1].Name):]
			}
			s.lines = append(s.lines, x.math("p(%s = 1 | rest) = exp(%s) / %s exp(%s)", u, a, x.sym("Σ_"+g, `\sum_{`+g+`}`), other))
		case Normal:
			p := x.field(c, "P")
			s.lines = append(s.lines, x.math("p(%s | rest) = N(%s/%s, 1/%s)", u, a, p, p))
		case Proximal:
			s.lines = append(s.lines, x.note("p(%s | rest) is not derived (the L1 term; see Refused); %s and %s below give the smooth part's gradient", u, a, x.field(c, "P")))
		}
		s.lines = append(s.lines, x.math("    %s = %s", a, x.pr.contributions(c.Field)))
		if c.Family == Normal || c.Family == Proximal {
			s.lines = append(s.lines, x.math("    %s = %s", x.field(c, "P"), x.pr.contributions(c.Precision)))
		}
	}
	return s
}

func (x explainer) meanField() section {
	s := section{title: "Mean-field updates (visible layers clamped; neighbours replaced by their means μ)"}
	for _, b := range x.m.Schedule {
		for _, ly := range b.Layers {
			if ly.Visible {
				continue
			}
			c := x.m.Conditionals[ly.Index]
			mu := x.sym("μ", `\mu`)
			a := x.field(c, "a") + "(" + mu + ")"
			var rhs string
			switch c.Family {
			case Logistic:
				rhs = x.sym("σ", `\sigma`) + "(" + a + ")"
			case Tanh:
				rhs = "tanh(" + a + ")"
			case Categorical:
				rhs = "softmax(" + a + ")"
			case Normal:
				rhs = a + "/" + x.field(c, "P") + "(" + mu + ")"
			}
			order := "all units at once"
			if ly.Lateral {
				order = "site by site"
			}
			if x.tex() {
				s.lines = append(s.lines, x.math("%s^{%s}_{%s} ← %s \\qquad\\text{(%s)}", mu, ly.Name, x.unitNames(c), rhs, order))
			} else {
				s.lines = append(s.lines, x.math("%s_%s ← %s    (%s)", mu, x.unit(c), rhs, order))
			}
		}
	}
	if len(s.lines) > 0 {
		s.lines = append(s.lines, x.note("Updates follow the Gibbs schedule and repeat until no mean moves more than the tolerance."))
	}
	return s
}

func (x explainer) freeEnergies() section {
	s := section{title: "Free energies F = −log Σ exp(−E) over a block"}
	for _, fe := range x.m.FreeEnergies {
		rest := x.pr.terms(fe.Rest)
		var parts []string
		for _, ly := range fe.SumOut {
			c := x.m.Conditionals[ly.Index]
			a := x.field(c, "a")
			sum := x.sym("Σ_{"+x.unitNames(c)+"} ", `\sum_{`+x.unitNames(c)+`} `)
			if text := ly.Kind.Info().LogPartitionText; text != "" {
				parts = append(parts, sum+fmt.Sprintf(text, a, x.field(c, "P")))
				continue
			}
			if ly.Kind == Softmax {
				g := c.Unit[:len(c.Unit)-1]
				gs := ""
				for i, ix := range g {
					if i > 0 {
						gs += ","
					}
					gs += ix.Name
				}
				cat := c.Unit[len(c.Unit)-1].Name
				if gs == "" {
					parts = append(parts, "log "+x.sym("Σ_"+cat, `\sum_{`+cat+`}`)+" exp("+a+")")
				} else {
					parts = append(parts, x.sym("Σ_{"+gs+"} ", `\sum_{`+gs+`} `)+"log "+x.sym("Σ_"+cat, `\sum_{`+cat+`}`)+" exp("+a+")")
				}
			}
		}
		s.lines = append(s.lines, x.math("F(%s) = %s − %s", x.args(fe.Keep), rest, strings.Join(parts, " − ")))
		s.lines = append(s.lines, x.note("summing out %s; ∂F/∂θ = E_{p(%s | %s)}[∂E/∂θ]", x.args(fe.SumOut), x.args(fe.SumOut), x.args(fe.Keep)))
	}
	return s
}

func (x explainer) gradients() section {
	s := section{title: "Parameter gradients ∂E/∂θ (learning: Δθ ∝ E_data[−∂E/∂θ] − E_model[−∂E/∂θ])"}
	if x.m.Sparse != nil {
		s.title = "Parameter gradients ∂E/∂θ (dictionary learning: θ ← θ − η·mean over rows of ∂E/∂θ at the MAP codes)"
	}
	for _, g := range x.m.Gradients {
		for _, grp := range x.gradientGroups(g) {
			line := fmt.Sprintf("∂E/∂%s = %s", x.pr.indexed(g.Param.Name, grp.wrt), x.pr.series(grp.items, grp.negs))
			if grp.cond != "" {
				line += "  (" + grp.cond + ")"
			}
			s.lines = append(s.lines, x.math("%s", line))
		}
	}
	for _, p := range x.m.Params {
		if p.Fixed {
			s.lines = append(s.lines, x.note("%s is fixed: not trained", p.Name))
		}
	}
	return s
}

// gradGroup is the gradient of a parameter at the elements whose indices
// follow one pattern: W[i,j] (every element), J[i,i] (the diagonal), …
type gradGroup struct {
	wrt   []*Index
	key   string
	items []string
	negs  []bool
	conds []string
	cond  string
}

// gradientGroups writes each part of g with its differentiated reference
// renamed to the first part of the same index pattern, so that every
// line reads ∂E/∂θ[indices] = Σ parts in those indices. Constraints on the
// indices of θ alone (i ≠ k, from split lateral couplings) are shown after.
func (x explainer) gradientGroups(g *Gradient) []*gradGroup {
	var groups []*gradGroup
	for _, part := range g.Parts {
		key := indexPattern(part.Wrt.Index)
		var grp *gradGroup
		for _, q := range groups {
			if q.key == key {
				grp = q
			}
		}
		if grp == nil {
			grp = &gradGroup{wrt: part.Wrt.Index, key: key}
			groups = append(groups, grp)
		}
		sub := map[*Index]*Index{}
		for k, ix := range part.Wrt.Index {
			sub[ix] = grp.wrt[k]
		}
		own := map[*Index]bool{}
		for _, ix := range grp.wrt {
			own[ix] = true
		}
		var inner []Distinct
		var conds []string
		for _, d := range part.Distinct {
			d = Distinct{A: substIndices(d.A, sub), B: substIndices(d.B, sub)}
			if allIn(d.A, own) && allIn(d.B, own) {
				conds = append(conds, x.pr.tuple(d.A)+" ≠ "+x.pr.tuple(d.B))
			} else {
				inner = append(inner, d)
			}
		}
		sum := substIndices(remaining(part.Sum, part.Wrt.Index), sub)
		neg, body := x.pr.monomial(part.Coef.Substitute(sub), substUnits(part.Units, sub), sum, inner)
		grp.items, grp.negs = append(grp.items, body), append(grp.negs, neg)
		grp.conds = append(grp.conds, strings.Join(conds, ", "))
	}
	for _, grp := range groups {
		same := true
		for _, c := range grp.conds {
			same = same && c == grp.conds[0]
		}
		if same {
			grp.cond = grp.conds[0]
			continue
		}
		for i, c := range grp.conds {
			if c != "" {
				grp.items[i] += " [" + c + "]"
			}
		}
	}
	return groups
}

// indexPattern tells apart index tuples that repeat variables differently:
// (i,j) → "0,1", (i,i) → "0,0".
func indexPattern(idx []*Index) string {
	var b strings.Builder
	for k, ix := range idx {
		first := k
		for j := range k {
			if idx[j] == ix {
				first = j
				break
			}
		}
		fmt.Fprintf(&b, "%d,", first)
	}
	return b.String()
}

func allIn(idx []*Index, set map[*Index]bool) bool {
	for _, ix := range idx {
		if !set[ix] {
			return false
		}
	}
	return true
}

// remaining lists the summed indices that are not the gradient's own indices.
func remaining(sum, own []*Index) []*Index {
	var out []*Index
	for _, ix := range sum {
		keep := true
		for _, o := range own {
			if o == ix {
				keep = false
			}
		}
		if keep {
			out = append(out, ix)
		}
	}
	return out
}

// plans lists the sums that generated code computes as matrix products
// over a batch of chains (the plans of plan.go); capitals are the batch's
// rows of a layer.
func (x explainer) plans() section {
	s := section{title: "Batched products (over a batch of chains; capitals are a layer's rows, one per chain)"}
	batch := func(ly *Layer) string { return strings.ToUpper(ly.Name) }
	scaled := func(sc Scaling) string {
		var fs []string
		for _, f := range sc.Num {
			fs = append(fs, ExprString(f))
		}
		for _, f := range sc.Den {
			fs = append(fs, "1/"+ExprString(f))
		}
		return strings.Join(fs, "·")
	}
	coef := func(c float64) string {
		switch c {
		case 1:
			return ""
		case -1:
			return "−"
		}
		return fmt.Sprintf("%g·", c)
	}
	n := 0
	for _, c := range x.m.Conditionals {
		for _, ct := range c.Field {
			k := ct.MatVec
			if k == nil {
				continue
			}
			w := k.Param.Name
			if k.Transposed {
				w += "ᵀ"
			}
			line := fmt.Sprintf("a_%s += %s%s·%s", c.Layer.Name, coef(k.Coef), batch(k.Neighbour), w)
			if !k.Col.Empty() {
				line += fmt.Sprintf(", the columns of %s scaled by %s", batch(k.Neighbour), scaled(k.Col))
			}
			if !k.Row.Empty() {
				line += fmt.Sprintf(", the result's columns by %s", scaled(k.Row))
			}
			if k.Neighbour.Visible && c.ClampedProducts() {
				line += " (mean field computes it once per call: the visible layers are clamped)"
			}
			s.lines = append(s.lines, x.note("%s", line))
			n++
		}
	}
	for _, g := range x.m.Gradients {
		for _, part := range g.Parts {
			switch {
			case part.Outer != nil:
				o := part.Outer
				line := fmt.Sprintf("∂E/∂%s += %s%sᵀ·%s", g.Param.Name, coef(o.Coef), batch(o.A), batch(o.B))
				if !o.Scaled() {
					line += " (an outer product summed over the chains)"
				} else {
					line += fmt.Sprintf(" (an outer product summed over the chains, scaled by %s)", scaled(Scaling{Num: append(append([]*Expr(nil), o.FA.Num...), o.FB.Num...), Den: append(append([]*Expr(nil), o.FA.Den...), o.FB.Den...)}))
				}
				s.lines = append(s.lines, x.note("%s", line))
				n++
			case part.RowSum != nil:
				s.lines = append(s.lines, x.note("∂E/∂%s += %sΣ_chains %s (a sum of rows)", g.Param.Name, coef(part.RowSum.Coef), batch(part.RowSum.Layer)))
				n++
			}
		}
	}
	if n == 0 {
		s.lines = append(s.lines, x.note("none: every sum runs as a loop nest over its indices"))
	} else {
		s.lines = append(s.lines, x.note("Every other sum runs as a loop nest over its indices, chain by chain."))
	}
	return s
}

func (x explainer) inputGradients() section {
	s := section{title: "Input gradients of gaussian layers (Langevin, score matching)"}
	for _, c := range x.m.Conditionals {
		if c.Family != Normal {
			continue
		}
		u, a, p := x.unit(c), x.field(c, "a"), x.field(c, "P")
		s.lines = append(s.lines, x.math("∂E/∂%s = %s·%s − %s,  ∂²E/∂%s² = %s", u, p, u, a, u, p))
	}
	return s
}

func (x explainer) flipDeltas() section {
	s := section{title: "Flip deltas of binary layers (Metropolis–Hastings, pseudo-likelihood, ratio matching)"}
	for _, c := range x.m.Conditionals {
		if delta := c.Layer.Kind.Info().FlipDelta; delta != "" {
			u, a := x.unit(c), x.field(c, "a")
			s.lines = append(s.lines, x.math("E(%s flipped) − E = "+delta, u, a))
		}
	}
	for _, fe := range x.m.FreeEnergies {
		for _, ly := range fe.Keep {
			if ly.Kind.Info().Two != nil {
				s.lines = append(s.lines, x.note("F(%s) with %s[·] flipped: the fields of %s move by ±∂a/∂%s, computed incrementally", x.args(fe.Keep), ly.Name, x.args(fe.SumOut), ly.Name))
			}
		}
	}
	return s
}

func (x explainer) tempered() section {
	s := section{title: "Tempered forms (E → β·E, for annealing and tempering)"}
	s.lines = append(s.lines, x.note("Every field a and precision P is multiplied by β: p_β(x=1 | rest) = σ(β·a), N(a/P, 1/(β·P)); free energies use softplus(β·a) and β times the remaining terms."))
	return s
}

// sparse writes the MAP derivation of the laplace layer: the split into a
// smooth quadratic part and the L1 part, the gradient, the thresholds and
// the proximal step.
func (x explainer) sparse() section {
	sp := x.m.Sparse
	c := x.m.Conditionals[sp.Layer.Index]
	h := sp.Layer.Name
	u := x.unit(c)
	a, p := x.field(c, "a"), x.field(c, "P")
	lam := "λ_" + u
	if x.tex() {
		lam = `\lambda_{` + u + `}`
	}
	s := section{title: fmt.Sprintf("MAP inference of laplace layer %s (proximal gradient: ISTA, FISTA)", h)}
	s.lines = append(s.lines,
		x.note("With the visible layers fixed, E = f + g: f is smooth and quadratic in %s, g = Σ λ·|%s| is the L1 part.", h, h),
		x.math("∂f/∂%s = %s·%s − %s", u, p, u, a),
		x.math("%s = %s", lam, x.pr.contributions(sp.Threshold)),
		x.math("prox: %s ← %s", u, fmt.Sprintf(sp.Layer.Kind.Info().ProxText, "z", "t·"+lam)),
		x.note("with z = %s − t·∂f/∂%s and step t = 1/L, L the largest eigenvalue of the Hessian Q of f (Q_uu = %s, Q_uw = −∂a_u/∂%s_w).", u, u, p, h),
	)
	if sp.SharedHessian {
		s.lines = append(s.lines, x.note("Q does not depend on the visible units: one Q (and L) serves every data row."))
	} else {
		s.lines = append(s.lines, x.note("Q depends on the visible units: Q and L are computed per data row."))
	}
	return s
}

// refused lists the methods a laplace layer rules out, and why.
func (x explainer) refused() section {
	s := section{title: "Refused (not derived for a laplace layer)"}
	for w := GibbsConditional; w <= Sampling; w++ {
		if err := x.m.Refusal(w); err != nil {
			s.lines = append(s.lines, x.note("%s", err.Msg))
		}
	}
	return s
}
