package deep_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// dbmStub is a model that knows only its layers: enough for the checks
// that refuse bad input before any other method is called (every other
// method panics, so reaching one fails the test).
type dbmStub struct {
	runtime.Reflective
	layers []runtime.LayerInfo
}

func (s dbmStub) ModelName() string           { return "Stub" }
func (s dbmStub) Layers() []runtime.LayerInfo { return s.layers }

type dbmStubChains struct{ runtime.Chains }

func dbmLayers(kinds ...string) []runtime.LayerInfo {
	var out []runtime.LayerInfo
	for i, k := range kinds {
		vis := strings.HasPrefix(k, "visible ")
		out = append(out, runtime.LayerInfo{Name: string(rune('a' + i)), Kind: runtime.UnitKind(strings.TrimPrefix(k, "visible ")), Shape: []int{2}, Visible: vis})
	}
	return out
}

func dbmWantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want one containing %q", err, want)
	}
}

func TestDBMLayoutRefusesOtherShapes(t *testing.T) {
	_, err := deep.NewDBMLayout(dbmStub{layers: dbmLayers("visible bernoulli", "visible bernoulli", "bernoulli")})
	dbmWantError(t, err, "two visible layers, a and b")
	_, err = deep.NewDBMLayout(dbmStub{layers: dbmLayers("visible bernoulli")})
	dbmWantError(t, err, "no hidden layer")
	_, err = deep.NewDBMLayout(dbmStub{layers: dbmLayers("bernoulli", "bernoulli")})
	dbmWantError(t, err, "no visible layer")
}

func TestELBORefusesGaussianHiddenLayers(t *testing.T) {
	m := dbmStub{layers: dbmLayers("visible bernoulli", "bernoulli", "gaussian")}
	d := &dataset.Dataset{Rows: 1, Cols: 2, X: []float64{0, 1}}
	_, err := deep.ELBO(m, d, 0, deep.ELBOConfig{})
	dbmWantError(t, err, "hidden layer c is gaussian")
	err = deep.ELBOAt(m, dbmStubChains{}, 0, make([]float64, 1))
	dbmWantError(t, err, "hidden layer c is gaussian")
	_, err = deep.ELBO(nil, d, 0, deep.ELBOConfig{})
	dbmWantError(t, err, "nil model")
}

func TestICMRefusesBadArguments(t *testing.T) {
	m := dbmStub{layers: dbmLayers("visible bernoulli", "bernoulli")}
	_, err := estimators.ICM(m, dbmStubChains{}, [][]bool{{true}}, 10)
	dbmWantError(t, err, "clamp mask of layer a has 1 flags for 2 units")
	_, err = estimators.ICM(m, dbmStubChains{}, [][]bool{nil, nil, nil}, 10)
	dbmWantError(t, err, "3 masks for 2 layers")
	_, err = estimators.ICM(m, dbmStubChains{}, nil, 0)
	dbmWantError(t, err, "maxSweeps = 0")
	_, err = estimators.ICM(m, nil, nil, 1)
	dbmWantError(t, err, "nil model or chains")
	_, err = estimators.MeanFieldClamped(m, dbmStubChains{}, nil, 10, 0, 1)
	dbmWantError(t, err, "damping 1 is outside [0, 1)")
}

func TestICMCompleteRefusesBadInput(t *testing.T) {
	m := dbmStub{layers: dbmLayers("visible bernoulli", "bernoulli")}
	d := &dataset.Dataset{Rows: 2, Cols: 2, X: []float64{0, 1, 1, 0}}
	_, err := estimators.Complete(m, d, []bool{true}, estimators.CompleteConfig{})
	dbmWantError(t, err, "missing has 1 flags; want 2 (one mask) or 4 (one per row)")
	_, err = estimators.Complete(m, &dataset.Dataset{Rows: 1, Cols: 3, X: make([]float64, 3)}, make([]bool, 3), estimators.CompleteConfig{})
	dbmWantError(t, err, "data has 3 columns, the visible layers have 2 units")
	_, err = estimators.Complete(m, d, make([]bool, 2), estimators.CompleteConfig{Method: 7})
	dbmWantError(t, err, "unknown method CompletionMethod(7)")
	_, err = estimators.Complete(m, &dataset.Dataset{Cols: 2}, make([]bool, 2), estimators.CompleteConfig{})
	dbmWantError(t, err, "empty data set")
}

// termStub is a model known by its layers, parameters and terms: enough
// for NewDBMLayout, which reads the structure off the terms.
type termStub struct {
	dbmStub
	params []runtime.Tensor
	terms  []runtime.TermInfo
}

func (s termStub) Params() []runtime.Tensor    { return s.params }
func (s termStub) Terms() []runtime.TermInfo   { return s.terms }
func (s termStub) Layers() []runtime.LayerInfo { return s.layers }

// NewDBMLayout reads the chain, the weights and the biases off the terms,
// and refuses every other structure with a message naming what breaks it.
func TestDBMLayoutFromTerms(t *testing.T) {
	term := func(params []int, layers ...int) runtime.TermInfo {
		powers := make([]int, len(layers))
		for i := range powers {
			powers[i] = 1
		}
		return runtime.TermInfo{Params: params, Layers: layers, Powers: powers}
	}
	// Layers a (visible), b, c, d; parameters p0…p5, p5 fixed.
	params := make([]runtime.Tensor, 6)
	for i := range params {
		params[i] = runtime.Tensor{Name: fmt.Sprintf("p%d", i), Shape: []int{1}, Data: []float64{1}}
	}
	params[5].Fixed = true
	chain := []runtime.TermInfo{term([]int{0}, 0, 1), term([]int{1}, 1, 2), term([]int{2}, 0), term([]int{3}, 1), term([]int{4}, 2)}
	for _, c := range []struct {
		name   string
		layers int
		terms  []runtime.TermInfo
		want   string // an error, or "" for the chain a–b–c
	}{
		{"a chain", 3, chain, ""},
		{"a chain with a constant and a gaussian square", 3, append([]runtime.TermInfo{term(nil), {Params: []int{2}, Layers: []int{0}, Powers: []int{2}}}, chain...), ""},
		{"three layers in one term", 3, append([]runtime.TermInfo{term([]int{1}, 0, 1, 2)}, chain...), "parameter p1 couples three or more layers in one term"},
		{"lateral", 3, append([]runtime.TermInfo{term([]int{3}, 1, 1)}, chain...), "layer b is coupled to itself"},
		{"visible in the middle", 3, []runtime.TermInfo{term([]int{0}, 0, 1), term([]int{1}, 0, 2)}, "the visible layer a interacts with 2 layers"},
		{"a branch", 4, []runtime.TermInfo{term([]int{0}, 0, 1), term([]int{1}, 1, 2), term([]int{2}, 1, 3)}, "layer b interacts with both c and d"},
		{"a skip from b to d", 4, []runtime.TermInfo{term([]int{0}, 0, 1), term([]int{1}, 1, 2), term([]int{2}, 2, 3), term([]int{3}, 1, 3)}, "layer b interacts with both c and d"},
		{"a loose layer", 4, chain, "layer d does not interact with the chain"},
		{"a fixed coupling", 3, []runtime.TermInfo{term([]int{0}, 0, 1), term([]int{5}, 1, 2)}, "the coupling of b and c has no trained parameter"},
		{"one parameter in two roles", 3, append([]runtime.TermInfo{term([]int{0}, 0)}, chain...), "parameter p0 appears both in"},
	} {
		kinds := []string{"visible bernoulli", "bernoulli", "bernoulli", "bernoulli"}[:c.layers]
		m := termStub{dbmStub: dbmStub{layers: dbmLayers(kinds...)}, params: params, terms: c.terms}
		lay, err := deep.NewDBMLayout(m)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := &deep.DBMLayout{Chain: []int{0, 1, 2}, Weights: [][]int{{0}, {1}}, Biases: [][]int{{2}, {3}, {4}}}
		if !reflect.DeepEqual(lay, want) {
			t.Errorf("%s: layout %+v, want %+v", c.name, lay, want)
		}
	}
}
