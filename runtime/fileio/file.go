package fileio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFileAtomic writes data to path atomically: it writes a temporary
// file in the same directory, flushes it to stable storage (fsync) and
// renames it over path. Readers see either the previous file or the
// complete new one; on error path is left untouched and the temporary file
// is removed. The file gets mode 0644.
//
// A process killed during a write leaves its temporary file,
// ".NAME.tmp-" and decimal digits for path NAME. A successful write of
// NAME removes those that were last modified before it began; other
// files are left alone. Concurrent writes of one path are not coordinated
// beyond that: the last rename wins.
func WriteFileAtomic(path string, data []byte) error {
	err := WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("runtime: write %s: %w", path, err)
	}
	return nil
}

// WriteAtomic is WriteFileAtomic with the content produced by write, which
// receives a buffered writer onto the temporary file. Errors are returned
// unwrapped for the caller to put in context.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("%q names a directory, not a file", path)
	}
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	var began time.Time // the temporary file's creation, by the file system's clock
	if fi, err := f.Stat(); err == nil {
		began = fi.ModTime()
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	removeStaleTemps(dir, base, began)
	// Make the rename durable; not every platform can sync a directory,
	// so failures here are ignored.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// tempPrefix is the start of the name of WriteAtomic's temporary files for
// the file base; os.CreateTemp appends random decimal digits.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// removeStaleTemps removes from dir the temporary files of earlier,
// interrupted writes of base: regular files named tempPrefix(base) and
// decimal digits, last modified before began. Errors are ignored: the
// files are only clutter.
func removeStaleTemps(dir, base string, began time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(began) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// CheckWritable checks that a file can be written at path by WriteAtomic:
// that path does not name a directory and that its directory takes a new
// file, by creating and removing an empty temporary file there.
func CheckWritable(path string) error {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("%q names a directory, not a file; set FitConfig.Checkpoint to a file path", path)
	}
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("it is a directory; set FitConfig.Checkpoint to a file path")
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("directory %s: %w; create the directory or set FitConfig.Checkpoint to a path in a writable one", filepath.Clean(dir), err)
	}
	f.Close()
	return os.Remove(f.Name())
}
