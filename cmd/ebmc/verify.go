package main

import (
	"fmt"
	"os"

	"github.com/ebmc/ebmc/verify"
)

func (c *cli) verify(args []string) int {
	fs := c.flags("verify")
	defs := defines{}
	fs.Var(defs, "D", "fix a const: `NAME=VALUE` (repeatable); the others are shrunk until brute force can enumerate the model")
	code := fs.String("code", "", "verify this Go `file` (ebmc's output for the model) instead of freshly generated code")
	seed := fs.Uint64("seed", 1, "seed of the random parameters, states and chains")
	module := fs.String("module", "", "`dir`ectory of the ebmc module to build against (default: the one the model's module uses)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "ebmc: %v\n", err)
		return 1
	}
	cfg := verify.Config{Defines: defs, Module: *module, Options: verify.Options{Seed: *seed}}
	if *code != "" {
		cfg.CodeName = *code
		if cfg.Code, err = os.ReadFile(*code); err != nil {
			fmt.Fprintf(c.stderr, "ebmc: %v\n", err)
			return 1
		}
	}
	rep, err := verify.File(path, src, cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "ebmc verify: %v\n", err)
		return 1
	}
	if err := rep.Write(c.stdout); err != nil {
		fmt.Fprintf(c.stderr, "ebmc verify: %v\n", err)
		return 1
	}
	failed := rep.Failed()
	for _, f := range failed {
		fmt.Fprintf(c.stderr, "ebmc verify: %s: check failed: %s: %s\n", path, f.Name, f.Detail)
	}
	if len(failed) > 0 {
		return 1
	}
	return 0
}
