package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/ebmc/ebmc/runtime/fileio"
)

// maxIDXValues bounds the number of values an IDX header may declare
// (2³² bytes of pixels, 32 GiB as float64) so that a corrupt header yields
// an error instead of an absurd allocation.
const maxIDXValues = 1 << 32

// LoadIDX reads an IDX file (the format of the MNIST distribution), plain
// or gzip-compressed; see ReadIDX.
func LoadIDX(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: load IDX: %w", err)
	}
	defer f.Close()
	holds := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		holds = st.Size()
	}
	d, err := readIDX(f, holds)
	if err != nil {
		return nil, fmt.Errorf("runtime: read IDX %s: %w", path, err)
	}
	return d, nil
}

// maxDeflateRatio bounds how many bytes deflate can expand one byte into
// (about 1032: a run of a repeated byte), so that a gzipped file of size s
// holds at most maxDeflateRatio·s bytes.
const maxDeflateRatio = 1032

// ReadIDX reads an IDX stream; name is used in error messages. A stream
// starting with the gzip magic bytes 1f 8b is decompressed first.
//
// Only unsigned-byte data (type code 0x08) is supported. A one-dimensional
// file (magic 0x00000801, labels) gives Rows = d₀ and Cols = 1 with the
// values unchanged; a file with two or more dimensions (magic 0x00000803
// for images) gives Rows = d₀ and Cols = d₁·d₂·… with the values scaled to
// [0, 1] by x/255.
func ReadIDX(r io.Reader, name string) (*Dataset, error) {
	d, err := readIDX(r, -1)
	if err != nil {
		return nil, fmt.Errorf("runtime: read IDX %s: %w", name, err)
	}
	return d, nil
}

// readIDX reads an IDX stream of size bytes (−1: unknown), refusing
// dimensions that declare more data than a file of that size can hold
// (gzipped: maxDeflateRatio times its size) before it allocates.
func readIDX(r io.Reader, size int64) (*Dataset, error) {
	br, dims, total, gzipped, closeFn, err := idxHeader(r)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if err := checkIDXSize(dims, total, size, gzipped); err != nil {
		return nil, err
	}
	ndim := len(dims)
	// Read without trusting the header for the allocation size: the buffer
	// grows only as far as the data actually present.
	data, err := io.ReadAll(io.LimitReader(br, int64(total)+1))
	if err != nil {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	if len(data) < total {
		return nil, fmt.Errorf("truncated: dimensions %v need %d bytes of data, got %d", dims, total, len(data))
	}
	if len(data) > total {
		return nil, fmt.Errorf("trailing data after the %d bytes declared by dimensions %v", total, dims)
	}
	d := &Dataset{Rows: dims[0], Cols: total / dims[0], X: make([]float64, total)}
	if ndim == 1 {
		for i, b := range data {
			d.X[i] = float64(b)
		}
	} else {
		for i, b := range data {
			d.X[i] = float64(b) / 255
		}
	}
	return d, nil
}

// checkIDXSize refuses dimensions that declare more data (total bytes)
// than a file of size bytes (−1: unknown) can hold, gzipped or not.
func checkIDXSize(dims []int, total int, size int64, gzipped bool) error {
	if size < 0 {
		return nil
	}
	holds := size
	what := fmt.Sprintf("the file's %d bytes", size)
	if gzipped {
		holds = maxDeflateRatio * size
		what = fmt.Sprintf("the file's %d compressed bytes can expand to (at most %d)", size, holds)
	}
	if int64(total) > holds {
		return fmt.Errorf("dimensions %v declare %d bytes of data, more than %s: the header is corrupt, or the file is cut short", dims, total, what)
	}
	return nil
}

// idxHeader reads the magic number and dimensions of an IDX stream,
// decompressing it if it is gzipped, and returns the reader positioned at
// the data, the dimensions, their product and a function releasing the
// decompressor.
func idxHeader(r io.Reader) (br *bufio.Reader, dims []int, total int, gzipped bool, closeFn func(), err error) {
	closeFn = func() {}
	br = bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, 0, true, closeFn, fmt.Errorf("gzip: %w", err)
		}
		closeFn = func() { zr.Close() }
		br = bufio.NewReader(zr)
		gzipped = true
	}
	fail := func(err error) (*bufio.Reader, []int, int, bool, func(), error) {
		closeFn()
		return nil, nil, 0, gzipped, func() {}, err
	}
	var magic [4]byte
	if n, err := io.ReadFull(br, magic[:]); err != nil {
		return fail(truncIDX("magic number", 4, n, err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return fail(fmt.Errorf("bad magic number %#08x: IDX files start with two zero bytes", binary.BigEndian.Uint32(magic[:])))
	}
	if magic[2] != 0x08 {
		return fail(fmt.Errorf("unsupported type code %#02x (%s): only 0x08 (unsigned byte) is supported", magic[2], idxTypeName(magic[2])))
	}
	ndim := int(magic[3])
	if ndim == 0 {
		return fail(errors.New("bad magic number: zero dimensions"))
	}
	dimBytes := make([]byte, 4*ndim)
	if n, err := io.ReadFull(br, dimBytes); err != nil {
		return fail(truncIDX("dimensions", len(dimBytes), n, err))
	}
	total = 1
	dims = make([]int, ndim)
	for i := range dims {
		v := binary.BigEndian.Uint32(dimBytes[4*i:])
		if v == 0 {
			return fail(fmt.Errorf("dimension %d is zero", i))
		}
		dims[i] = int(v)
		if uint64(total)*uint64(v) > maxIDXValues {
			return fail(fmt.Errorf("dimensions %v declare more than %d values", dims[:i+1], uint64(maxIDXValues)))
		}
		total *= int(v)
	}
	return br, dims, total, gzipped, closeFn, nil
}

func truncIDX(what string, want, got int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: expected %d bytes of %s, got %d", want, what, got)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

func idxTypeName(code byte) string {
	switch code {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0b:
		return "short"
	case 0x0c:
		return "int"
	case 0x0d:
		return "float"
	case 0x0e:
		return "double"
	}
	return "unknown"
}

// WriteIDX writes the rows of d as an unsigned-byte IDX image file (magic
// 0x00000803) of dims, whose product must be d.Rows·d.Cols with dims[0] =
// d.Rows — e.g. {rows, 28, 28} — so that ReadIDX gives back d: each value
// x in [0, 1] is stored as the byte round(255·x), exactly for binary
// images (0 and 1 as 0 and 255). Values outside [0, 1], NaN among them,
// are refused.
func WriteIDX(w io.Writer, d *Dataset, dims []int) error {
	if len(dims) < 2 || len(dims) > 255 || dims[0] != d.Rows {
		return fmt.Errorf("runtime: write IDX: dimensions %v do not start with the %d rows", dims, d.Rows)
	}
	total := 1
	for _, n := range dims {
		if n <= 0 || uint64(n) > math.MaxUint32 || uint64(total) > maxIDXValues/uint64(n) {
			return fmt.Errorf("runtime: write IDX: dimension %d out of range", n)
		}
		total *= n
	}
	if total != d.Rows*d.Cols || len(d.X) != total {
		return fmt.Errorf("runtime: write IDX: dimensions %v hold %d values, the data set %d×%d", dims, total, d.Rows, d.Cols)
	}
	bw := bufio.NewWriter(w)
	head := binary.BigEndian.AppendUint32(nil, 0x00000800|uint32(len(dims)))
	for _, n := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(n))
	}
	bw.Write(head)
	for i, x := range d.X {
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("runtime: write IDX: value %g of row %d is outside [0, 1]", x, i/d.Cols)
		}
		bw.WriteByte(byte(math.Round(255 * x)))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("runtime: write IDX: %w", err)
	}
	return nil
}

// SaveIDX writes d to path atomically with WriteIDX, gzip-compressed when
// path ends in ".gz".
func SaveIDX(path string, d *Dataset, dims []int) error {
	var b bytes.Buffer
	var w io.Writer = &b
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(&b)
		w = zw
	}
	if err := WriteIDX(w, d, dims); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("runtime: write IDX: %w", err)
		}
	}
	return fileio.WriteFileAtomic(path, b.Bytes())
}
