package main

import "fmt"

func (c *cli) gen(args []string) int {
	fmt.Fprintln(c.stderr, "ebmc gen: not built yet")
	return 1
}
