// Package cli holds what the example commands (examples/<name>/main.go)
// share: their flag handling and common flags, writing metrics.json, the
// progress lines they pass on, the version a figure was measured at, and
// the estimates with error bars that metrics.json reports.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/ebmc/ebmc/runtime/fileio"
)

// FashionDir is where Debian's dataset-fashion-mnist installs the four IDX
// files of Fashion-MNIST, the default of every -data flag.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// Command is an example command: its name (the prefix of its error
// messages) and where it writes.
type Command struct {
	Name           string
	Stdout, Stderr io.Writer
}

// FlagSet returns an empty flag set named for the command that reports
// errors and -h on Stderr and returns them instead of exiting.
func (c Command) FlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	return fs
}

// Parse parses args with fs. When the command should stop, ok is false and
// code is its exit status: 0 after -h, 2 for a bad flag or an argument that
// is not a flag (named on Stderr).
func (c Command) Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "%s: unexpected arguments %v\n", c.Name, fs.Args())
		return 2, false
	}
	return 0, true
}

// Fail reports err on Stderr, prefixed by the command's name, and returns
// the exit status 1.
func (c Command) Fail(err error) int {
	fmt.Fprintf(c.Stderr, "%s: %v\n", c.Name, err)
	return 1
}

// Usage reports a bad combination of flags and returns the exit status 2.
func (c Command) Usage(err error) int {
	fmt.Fprintf(c.Stderr, "%s: %v\n", c.Name, err)
	return 2
}

// DataFlag defines -data, the directory of the Fashion-MNIST IDX files.
func DataFlag(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "data", FashionDir, "directory of the Fashion-MNIST IDX files")
}

// OutFlag defines -out, the directory the command writes what is listed
// in what to, by default def.
func OutFlag(fs *flag.FlagSet, dst *string, def, what string) {
	fs.StringVar(dst, "out", def, "directory for "+what)
}

// SeedFlag defines -seed, the random seed, 1 by default.
func SeedFlag(fs *flag.FlagSet, dst *uint64) {
	fs.Uint64Var(dst, "seed", 1, "random seed")
}

// WriteMetrics writes v, indented JSON and a final newline, to
// dir/metrics.json (atomically: a reader sees the old file or the new one)
// and returns its path.
func WriteMetrics(dir string, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("metrics: %w", err)
	}
	path := filepath.Join(dir, "metrics.json")
	if err := fileio.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return "", err
	}
	return path, nil
}

// EveryNth passes on to W the progress lines of every Nth epoch and of the
// last one ("epoch 3/10 …", as training.Fit writes them, with its ETA), and
// every other line; N ≤ 1 passes on everything.
type EveryNth struct {
	W io.Writer
	N int
}

func (e *EveryNth) Write(b []byte) (int, error) {
	var done, total int
	if _, err := fmt.Sscanf(string(b), "epoch %d/%d", &done, &total); err == nil && e.N > 1 && done%e.N != 0 && done != total {
		return len(b), nil
	}
	return e.W.Write(b)
}

// Version is the commit the running command was built from, with
// "+dirty" for a modified tree, as the Go toolchain stamped it (go build
// and go install do; go run does not), or else Commit: the commit checked
// out in the working directory. Read it once, when a run starts: a tree
// edited while a long run goes on changes Commit, not the code running.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Commit()
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return Commit()
	}
	return rev + dirty
}

// Commit is the checked-out commit, with "+dirty" when tracked files have
// changes, or "unknown" outside a git work tree: the commit a figure was
// measured at.
func Commit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "+dirty"
	}
	return c
}

// SoftMemoryLimit sets the Go runtime's soft memory limit
// (runtime/debug.SetMemoryLimit) to limit bytes, unless getenv (os.Getenv)
// gives GOMEMLIMIT, which the runtime has then read at start and which
// stands. It returns the limit in force. Beyond the data and the chains a
// command holds, Go's collector lets the heap grow to about twice what is
// live before it collects (GOGC=100); the limit makes it collect sooner
// when the heap nears it, at some cost in speed, and only that: what is
// live is never freed by it, and a limit below what is live makes the
// collector run often (at most about half of the CPU), not fail.
func SoftMemoryLimit(limit int64, getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(limit)
	return limit
}
