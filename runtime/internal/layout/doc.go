// Package layout holds the helpers that lay data out over the layers of a
// model reached through runtime.Reflective: the size of a layer's shape, the
// width of a data row, the copy of rows into the visible layers of a batch of
// chains, and the position of a flat index within a shape. The estimators,
// the trainers, the checkpoints and the deep models share them.
package layout
