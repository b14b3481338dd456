package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	dbm "github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/checkpoint"
	"github.com/ebmc/ebmc/runtime/deep"
)

// restoreRow restores the models of row r that an earlier run saved in
// the -load directory, instead of training them: the row keeps that run's
// settings, epochs, training seconds and learning curve (from its
// table.json), and gets new estimates, pictures and copies of the models
// in the -out directory.
func (e *env) restoreRow(r *row, res *Result) (*deep.DBN, runtime.Reflective, error) {
	prev, err := savedRow(e.o.load, r.id)
	if err != nil {
		return nil, nil, err
	}
	res.Settings, res.Epochs, res.TrainSeconds, res.Curve, res.CurveWhat = prev.Settings, prev.Epochs, prev.TrainSeconds, prev.Curve, prev.CurveWhat
	if prev.Training != "" {
		res.Training = prev.Training
	}
	src := filepath.Join(e.o.load, r.id)
	fmt.Fprintf(e.stdout, "evaluating the models saved in %s\n", src)
	if r.dbn != nil {
		d, err := newDBN(e.o.seed)
		if err != nil {
			return nil, nil, err
		}
		for k := range d.Len() {
			if err := restore(d.Generative(k), filepath.Join(src, fmt.Sprintf("layer%d.safetensors", k+1))); err != nil {
				return nil, nil, err
			}
		}
		return d, nil, nil
	}
	var m runtime.Reflective
	switch {
	case r.dbm != nil:
		m = dbm.NewDBM(e.o.seed).Reflect()
	case r.cd != nil:
		m, _, err = r.newModel(e.o.seed, r.cd.config(e.o.seed))
	default:
		m, _, err = r.newModel(e.o.seed, runtime.CDConfig{})
	}
	if err != nil {
		return nil, nil, err
	}
	return nil, m, restore(m, filepath.Join(src, "model.safetensors"))
}

// savedRow reads row id of the table.json in dir.
func savedRow(dir, id string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "table.json"))
	if err != nil {
		return nil, err
	}
	var t Table
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "table.json"), err)
	}
	for _, r := range t.Rows {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%s has no row %s", filepath.Join(dir, "table.json"), id)
}

// restore loads a checkpoint into m.
func restore(m runtime.Model, path string) error {
	c, err := checkpoint.LoadCheckpoint(path)
	if err != nil {
		return err
	}
	if err := c.Restore(m, nil); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
