package main

// A minimal reader and writer of NumPy's .npz archives (a zip of .npy
// files), enough to exchange RBM weights with the Python benchmarks:
// float64 or float32, little-endian, C order.

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// readNPZ returns every array of an .npz file as float64, with its shape.
func readNPZ(path string) (map[string][]float64, map[string][]int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	data, shapes := map[string][]float64{}, map[string][]int{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		rc, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, nil, err
		}
		x, shape, err := parseNPY(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		data[name], shapes[name] = x, shape
	}
	return data, shapes, nil
}

var (
	npyDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

func parseNPY(raw []byte) ([]float64, []int, error) {
	if len(raw) < 10 || string(raw[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("not an .npy array")
	}
	var hlen, off int
	switch raw[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(raw[8:10])), 10
	case 2, 3:
		if len(raw) < 12 {
			return nil, nil, fmt.Errorf("truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	default:
		return nil, nil, fmt.Errorf("unsupported .npy version %d", raw[6])
	}
	if off+hlen > len(raw) {
		return nil, nil, fmt.Errorf("truncated header")
	}
	header := string(raw[off : off+hlen])
	body := raw[off+hlen:]
	d, f, s := npyDescr.FindStringSubmatch(header), npyFortran.FindStringSubmatch(header), npyShape.FindStringSubmatch(header)
	if d == nil || f == nil || s == nil {
		return nil, nil, fmt.Errorf("bad header %q", header)
	}
	if f[1] == "True" {
		return nil, nil, fmt.Errorf("fortran order is not supported")
	}
	var shape []int
	n := 1
	for _, p := range strings.Split(s[1], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, err := strconv.Atoi(p)
		if err != nil {
			return nil, nil, fmt.Errorf("bad shape %q", s[1])
		}
		shape = append(shape, k)
		n *= k
	}
	x := make([]float64, n)
	switch d[1] {
	case "<f8":
		if len(body) < 8*n {
			return nil, nil, fmt.Errorf("truncated data")
		}
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
	case "<f4":
		if len(body) < 4*n {
			return nil, nil, fmt.Errorf("truncated data")
		}
		for i := range x {
			x[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])))
		}
	default:
		return nil, nil, fmt.Errorf("unsupported dtype %s (want <f8 or <f4)", d[1])
	}
	return x, shape, nil
}

type npyArray struct {
	name  string
	shape []int
	data  []float64
}

// writeNPZ writes float64 arrays as an uncompressed .npz, as numpy.savez does.
func writeNPZ(path string, arrays []npyArray) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range arrays {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a.name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		dims := make([]string, len(a.shape))
		for i, k := range a.shape {
			dims[i] = strconv.Itoa(k)
		}
		shape := strings.Join(dims, ", ")
		if len(a.shape) == 1 {
			shape += ","
		}
		header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", shape)
		pad := 64 - (10+len(header)+1)%64
		if pad == 64 {
			pad = 0
		}
		header += strings.Repeat(" ", pad) + "\n"
		pre := []byte("\x93NUMPY\x01\x00")
		pre = binary.LittleEndian.AppendUint16(pre, uint16(len(header)))
		body := make([]byte, 0, len(pre)+len(header)+8*len(a.data))
		body = append(append(body, pre...), header...)
		for _, v := range a.data {
			body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v))
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
