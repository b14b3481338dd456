package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// LoadCSV reads a numeric CSV file; see ReadCSV.
func LoadCSV(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: load CSV: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path)
}

// ReadCSV reads comma-separated numbers, one example per record; name is
// used in error messages. If no cell of the first record is a number, that
// record is taken as a header and skipped. Cells may be surrounded by
// spaces; empty lines are ignored. A cell that is not a number gives the
// error `name:line:col: cell "abc" is not a number` (NaN and ±Inf are
// rejected too), and a record whose
// length differs from the first one's is an error naming its line.
func ReadCSV(r io.Reader, name string) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	d := &Dataset{}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("runtime: %s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("runtime: read CSV %s: %w", name, err)
		}
		if first {
			first = false
			if isHeader(rec) {
				continue
			}
		}
		line, _ := cr.FieldPos(0)
		if d.Cols == 0 {
			d.Cols = len(rec)
		} else if len(rec) != d.Cols {
			return nil, fmt.Errorf("runtime: %s:%d: row has %d fields, want %d like the first row", name, line, len(rec), d.Cols)
		}
		for j, cell := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
			if err != nil {
				l, c := cr.FieldPos(j)
				return nil, fmt.Errorf("runtime: %s:%d:%d: cell %q is not a number", name, l, c, cell)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				l, c := cr.FieldPos(j)
				return nil, fmt.Errorf("runtime: %s:%d:%d: cell %q is not a finite number", name, l, c, cell)
			}
			d.X = append(d.X, v)
		}
		d.Rows++
	}
	if d.Rows == 0 {
		return nil, fmt.Errorf("runtime: read CSV %s: no data rows", name)
	}
	return d, nil
}

// isHeader reports whether no cell of rec parses as a number.
func isHeader(rec []string) bool {
	for _, cell := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err == nil {
			return false
		}
	}
	return true
}
