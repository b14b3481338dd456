package deep_test

import (
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
