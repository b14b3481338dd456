package gentest

// Fixture is one generated test model: the file that
//
//	ebmc gen -pkg Package [-D NAME=VALUE …] [-type Type] [-float32] -o Dir/Out Source
//
// writes. Paths are relative to the repository's root and use slashes.
type Fixture struct {
	Dir     string         // the package's directory
	Package string         // the package's name
	Source  string         // the .ebm file
	Defines map[string]int // const overrides (-D)
	Type    string         // the Go name of the model's type (-type); empty: the model's name
	Float32 bool           // batched products in float32 (-float32)
	Out     string         // the generated file's name, in Dir
}

// Fixtures names every generated test model of the repository (the
// generated files under examples/ and benchmarks/ have go:generate lines of
// their own, as a user's package would). go generate in this directory
// (go run ./gen) writes them; the test of ./gen fails when a committed file
// is not what its entry generates.
var Fixtures = []Fixture{
	// Small instances of the examples, for the tests of runtime/training
	// and runtime/estimators.
	{Dir: "internal/gentest/rbm", Package: "rbm", Source: "examples/rbm.ebm", Defines: map[string]int{"NV": 6, "NH": 3}, Out: "rbm_ebm.go"},
	{Dir: "internal/gentest/grbm", Package: "grbm", Source: "examples/grbm.ebm", Defines: map[string]int{"NV": 3, "NH": 2}, Out: "grbm_ebm.go"},
	{Dir: "internal/gentest/classrbm", Package: "classrbm", Source: "examples/classrbm.ebm", Defines: map[string]int{"NV": 4, "NH": 3, "NY": 3}, Out: "classrbm_ebm.go"},
	{Dir: "internal/gentest/fvbm", Package: "fvbm", Source: "internal/gentest/fvbm/fvbm.ebm", Out: "fvbm_ebm.go"},
	{Dir: "internal/gentest/gauss", Package: "gauss", Source: "internal/gentest/gauss/gauss.ebm", Out: "gauss_ebm.go"},

	// The layers of tiny deep belief networks and a DBM that a DBN refuses,
	// for runtime/deep.
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/rbm1.ebm", Defines: map[string]int{"NV": 4, "NH": 3}, Type: "Tiny1", Out: "tiny1_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/rbm1.ebm", Defines: map[string]int{"NV": 3, "NH": 3}, Type: "Tiny2", Out: "tiny2_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/rbm1.ebm", Defines: map[string]int{"NV": 3, "NH": 2}, Type: "TinyRBM", Out: "tinyrbm_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/rbm1.ebm", Defines: map[string]int{"NV": 3, "NH": 6}, Type: "TinyWide", Out: "tinywide_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/rbm1.ebm", Defines: map[string]int{"NV": 2, "NH": 3}, Type: "TinyRBMSwapped", Out: "tinyrbmswapped_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbn/top.ebm", Defines: map[string]int{"NV": 3, "NY": 2, "NH": 2}, Type: "TinyTop", Out: "tinytop_ebm.go"},
	{Dir: "internal/gentest/dbn", Package: "dbn", Source: "examples/dbm.ebm", Defines: map[string]int{"NV": 3, "N1": 3, "N2": 2}, Type: "TinyDBM", Out: "tinydbm_ebm.go"},
	{Dir: "internal/gentest/dbmtest", Package: "dbmtest", Source: "internal/gentest/dbmtest/dbm.ebm", Out: "dbm_ebm.go"},
	{Dir: "internal/gentest/dbmtest", Package: "dbmtest", Source: "internal/gentest/dbmtest/kinds.ebm", Out: "kinds_ebm.go"},

	// Mixtures and their neighbours, for training.EM.
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/mix.ebm", Out: "mix_ebm.go"},
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/tiny.ebm", Out: "tiny_ebm.go"},
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/odd.ebm", Out: "odd_ebm.go"},
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/noprior.ebm", Out: "noprior_ebm.go"},
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/ghid.ebm", Out: "ghid_ebm.go"},
	{Dir: "internal/gentest/emtest", Package: "emtest", Source: "internal/gentest/emtest/deep.ebm", Out: "deep_ebm.go"},

	// Models with a laplace layer, for runtime/sparse.
	{Dir: "internal/gentest/sctest", Package: "sctest", Source: "internal/gentest/sctest/sc.ebm", Out: "sc_ebm.go"},
	{Dir: "internal/gentest/sctest", Package: "sctest", Source: "internal/gentest/sctest/weighted.ebm", Out: "weighted_ebm.go"},
}
