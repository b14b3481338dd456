// Package layout holds the helpers that lay data rows out over the layers of
// a model reached through runtime.Reflective: the size of a layer's shape,
// the width of a data row, and the copy of rows into the visible layers of a
// batch of chains. The estimators, the trainers and the deep models share
// them.
package layout
