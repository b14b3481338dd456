package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ebmc/ebmc/internal/suggest"

	"github.com/ebmc/ebmc/codegen"
	"github.com/ebmc/ebmc/ir"
)

// Version is the version of ebmc and of the runtime contract it emits; it
// is written in the header of generated files.
const Version = codegen.Version

type command struct {
	name, args, summary string
	run                 func(c *cli, args []string) int
}

var commands []command

func init() {
	commands = []command{
		{"check", "[-D NAME=VALUE]... FILE.ebm...", "check models; exit 1 with positioned errors", (*cli).check},
		{"explain", "[-format text|markdown|latex] [-D NAME=VALUE]... FILE.ebm", "print every derivation as readable maths", (*cli).explain},
		{"gen", "[-target go|torch] [-check] [-o FILE] [-pkg NAME] [-D NAME=VALUE]... [-bench] [-float32] FILE.ebm", "generate Go code (or with -target torch a PyTorch module) for a model, or with -check only tell whether the output is up to date", (*cli).gen},
		{"verify", "[-D NAME=VALUE]... [-code FILE.go] [-seed N] [-module DIR] FILE.ebm", "check generated code against brute force at tiny sizes; exit 1 on any failure", (*cli).verify},
		{"version", "", "print the version", (*cli).version},
	}
}

// cli holds the streams of one invocation; there is no global state.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// maxBytes bounds a model's parameter memory (-max-bytes).
	maxBytes byteSize
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return c.runCommand(args[1], []string{"-h"})
		}
		c.usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	return c.runCommand(args[0], args[1:])
}

func (c *cli) runCommand(name string, args []string) int {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd.run(c, args)
		}
	}
	fmt.Fprintf(c.stderr, "ebmc: unknown command %q\n", name)
	if s := suggestCommand(name); s != "" {
		fmt.Fprintf(c.stderr, "Did you mean 'ebmc %s'?\n\n", s)
	}
	c.usage(c.stderr)
	return 2
}

// suggestCommand returns the command a mistyped name most likely meant:
// one whose name starts the typed one or is started by it ("generate",
// "ver"), or one at most two edits away ("chekc"); "" when there is none.
func suggestCommand(name string) string {
	if len(name) < 2 {
		return ""
	}
	for _, cmd := range commands {
		if strings.HasPrefix(name, cmd.name) || strings.HasPrefix(cmd.name, name) {
			return cmd.name
		}
	}
	for _, cmd := range commands {
		if suggest.EditDistance(name, cmd.name) <= 2 {
			return cmd.name
		}
	}
	return ""
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "ebmc compiles energy-based models (.ebm) to Go.\n\nUsage:\n\n")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  ebmc %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "\nRun 'ebmc help COMMAND' or 'ebmc COMMAND -h' for a command's flags.\n")
}

// flags returns a flag set for a command that prints its usage on -h.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ebmc "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if name == "check" || name == "gen" || name == "explain" || name == "verify" {
		c.maxBytes = ir.DefaultMaxBytes
		fs.Var(&c.maxBytes, "max-bytes", "refuse models whose parameters take more memory than `SIZE` (bytes, or with K, M, G, T: 512M, 64G)")
	}
	for _, cmd := range commands {
		if cmd.name == name {
			fs.Usage = func() {
				fmt.Fprintf(c.stderr, "usage: ebmc %s %s\n\n%s.\n", name, cmd.args, strings.ToUpper(cmd.summary[:1])+cmd.summary[1:])
				if hasFlags(fs) {
					fmt.Fprintf(c.stderr, "\nFlags:\n")
					fs.PrintDefaults()
				}
			}
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags; it returns an exit code and false when the command should stop.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// byteSize is a -max-bytes value: bytes, or a number with a binary unit
// K, M, G or T.
type byteSize int64

func (b *byteSize) String() string { return ir.Bytes(int64(*b)) }

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	if n := len(s); n > 0 {
		if i := strings.IndexByte("KMGT", s[n-1]); i >= 0 {
			mult = int64(1) << (10 * (i + 1))
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > math.MaxInt64/mult {
		return fmt.Errorf("want a positive size such as 512M or 64G, got %q", s)
	}
	*b = byteSize(v * mult)
	return nil
}

// defines collects repeated -D NAME=VALUE flags.
type defines map[string]int

func (d defines) String() string {
	var parts []string
	for k, v := range d {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (d defines) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v, err := strconv.Atoi(value)
	if err != nil || v <= 0 {
		return fmt.Errorf("%s: value %q is not a positive whole number", name, value)
	}
	d[name] = v
	return nil
}

// load reads and compiles one model, printing its errors.
func (c *cli) load(path string, defs defines) (*ir.Model, bool) {
	m, _, ok := c.loadSource(path, defs)
	return m, ok
}

// loadSource is load that also returns the source text.
func (c *cli) loadSource(path string, defs defines) (*ir.Model, []byte, bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "ebmc: %v\n", err)
		return nil, nil, false
	}
	m, err := ir.Compile(path, src, ir.Options{Defines: defs, MaxBytes: int64(c.maxBytes)})
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return nil, nil, false
	}
	return m, src, true
}

func (c *cli) check(args []string) int {
	fs := c.flags("check")
	defs := defines{}
	fs.Var(defs, "D", "override a const: `NAME=VALUE` (repeatable)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	// Each model is generated in memory, as gen would: the collisions of
	// generated names are found by the same check, so check and gen agree.
	// Models of one directory would share a package, so their
	// package-level names must differ too.
	code := 0
	type generated struct{ path, src string }
	byDir := map[string][]generated{}
	for _, path := range fs.Args() {
		m, src, ok := c.loadSource(path, defs)
		if !ok {
			code = 1
			continue
		}
		files, err := codegen.Generate(m, codegen.Options{Package: "ebmccheck", Source: filepath.Base(path), Text: src})
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			code = 1
			continue
		}
		dir := filepath.Dir(path)
		for _, other := range byDir[dir] {
			if err := codegen.PackageClash([]byte(other.src), files[0].Content, other.path, path); err != nil {
				fmt.Fprintf(c.stderr, "ebmc check: %v\n", err)
				code = 1
			}
		}
		byDir[dir] = append(byDir[dir], generated{path, string(files[0].Content)})
	}
	return code
}

func (c *cli) explain(args []string) int {
	fs := c.flags("explain")
	defs := defines{}
	format := fs.String("format", "text", "output `format`: text (Unicode), markdown (with LaTeX maths) or latex")
	fs.Var(defs, "D", "override a const: `NAME=VALUE` (repeatable)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	f, ok := map[string]ir.Format{"text": ir.Text, "markdown": ir.Markdown, "md": ir.Markdown, "latex": ir.TeX, "tex": ir.TeX}[*format]
	if !ok {
		fmt.Fprintf(c.stderr, "ebmc explain: unknown -format %q (expected text, markdown or latex)\n", *format)
		return 2
	}
	m, ok := c.load(fs.Arg(0), defs)
	if !ok {
		return 1
	}
	if err := ir.Explain(c.stdout, m, f); err != nil {
		fmt.Fprintf(c.stderr, "ebmc explain: %v\n", err)
		return 1
	}
	return 0
}

func (c *cli) version(args []string) int {
	fs := c.flags("version")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintf(c.stdout, "ebmc %s\n", Version)
	return 0
}
