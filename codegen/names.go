package codegen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/ir"
)

// Names are the identifiers a generated file declares, by scope: the
// package block, and the fields and methods of each type (which share one
// name space per type). They are read from the generated source itself, so
// that the collision check and the printer cannot disagree: whatever the
// printer emits is what is checked.
type Names struct {
	// Package maps each package-level name to how many declarations use it.
	Package map[string]int
	// Members maps a type name to its field and method names, each with
	// how many declarations use it.
	Members map[string]map[string]int
}

// DeclaredNames parses a generated Go file and returns its declarations.
func DeclaredNames(src []byte) (*Names, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	n := &Names{Package: map[string]int{}, Members: map[string]map[string]int{}}
	member := func(typ, name string) {
		if n.Members[typ] == nil {
			n.Members[typ] = map[string]int{}
		}
		n.Members[typ][name]++
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) == 0 {
				n.Package[d.Name.Name]++
				continue
			}
			member(receiverType(d.Recv.List[0].Type), d.Name.Name)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					n.Package[s.Name.Name]++
					st, ok := s.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fld := range st.Fields.List {
						if len(fld.Names) == 0 { // embedded: the type's name
							member(s.Name.Name, receiverType(fld.Type))
						}
						for _, id := range fld.Names {
							member(s.Name.Name, id.Name)
						}
					}
				case *ast.ValueSpec:
					for _, id := range s.Names {
						if id.Name != "_" {
							n.Package[id.Name]++
						}
					}
				}
			}
		}
	}
	return n, nil
}

// receiverType is the name of T, *T, pkg.T or T[…].
func receiverType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return receiverType(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return receiverType(e.X)
	case *ast.IndexListExpr:
		return receiverType(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// Collisions lists the names declared more than once, each as "T.Name"
// (a field or method of type T, where a field and a method of one name
// also collide) or "Name" (the package block), sorted.
func (n *Names) Collisions() []string {
	var out []string
	for name, k := range n.Package {
		if k > 1 {
			out = append(out, name)
		}
	}
	for typ, ms := range n.Members {
		for name, k := range ms {
			if k > 1 {
				out = append(out, typ+"."+name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// userName is a name of the .ebm source and the Go name it becomes.
type userName struct {
	what, name, goName string
	pos                dsl.Pos
}

func userNames(m *ir.Model, typ string) []userName {
	var out []userName
	for _, c := range m.Consts {
		pos := c.Pos
		if pos.Line == 0 {
			pos = m.Pos
		}
		out = append(out, userName{"const", c.Name, ir.GoName(c.Name), pos})
	}
	for _, ly := range m.Layers {
		out = append(out, userName{"layer", ly.Name, ir.GoName(ly.Name), ly.Pos})
	}
	for _, q := range m.Params {
		out = append(out, userName{"param", q.Name, ir.GoName(q.Name), q.Pos})
	}
	out = append(out, userName{"model", m.Name, typ, m.Pos})
	return out
}

// collisionErrors turns the collisions of a generated file, whose model
// type is typ, into errors at
// the .ebm declarations whose Go names take part in them: the name that
// is the colliding identifier (a param hold against the method Hold; a
// const Chains of model M against the type MChains), or else the one with
// the longest Go name that ends it (a layer chainsV against fieldChainsV,
// which the generator emits for a layer v).
func collisionErrors(m *ir.Model, typ string, src []byte) error {
	names, err := DeclaredNames(src)
	if err != nil {
		return nil // the compile step reports code that does not parse
	}
	var errs dsl.ErrorList
	for _, c := range names.Collisions() {
		typ, id, member := strings.Cut(c, ".")
		if !member {
			typ, id = "", c
		}
		where := "the package"
		if member {
			where = "type " + typ
		}
		var blame *userName
		for _, u := range userNames(m, typ) {
			u := u
			if u.goName == id || (u.what == "const" && typ+u.goName == id) {
				blame = &u
				break
			}
			// Otherwise the longest Go name that ends the identifier.
			if u.what != "model" && strings.HasSuffix(strings.ToLower(id), strings.ToLower(u.goName)) &&
				(blame == nil || len(u.goName) > len(blame.goName)) {
				blame = &u
			}
		}
		if blame == nil {
			errs = append(errs, dsl.Errorf(m.Pos, "model %s: the generated code would declare %s twice in %s, from no name of the model: a bug in ebmc, please report it", m.Name, id, where))
			continue
		}
		errs = append(errs, dsl.Errorf(blame.pos, "%s %s: the generated code would declare %s twice in %s (the %s's Go name %s meets a name the generator emits); rename the %s",
			blame.what, blame.name, id, where, blame.what, blame.goName, blame.what))
	}
	if len(errs) == 0 {
		return nil
	}
	errs.Sort()
	return errs
}

// PackageClash reports the package-level names that two generated files
// of one package both declare, as an error naming the files.
func PackageClash(a, b []byte, nameA, nameB string) error {
	na, err := DeclaredNames(a)
	if err != nil {
		return nil
	}
	nb, err := DeclaredNames(b)
	if err != nil {
		return nil
	}
	var both []string
	for name := range na.Package {
		if nb.Package[name] > 0 {
			both = append(both, name)
		}
	}
	if len(both) == 0 {
		return nil
	}
	sort.Strings(both)
	return fmt.Errorf("%s and %s both declare %s in one package; rename one of the models or generate them into different packages", nameA, nameB, strings.Join(both, ", "))
}
