package verify_test

import (
	"fmt"
	"os/exec"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/verify"
)

// Start serves harness requests from a program in any language — here a
// shell that answers every request with an error — so that verify.Run can
// check code that is not Go.
func ExampleStart() {
	d, err := verify.Start(exec.Command("sh", "-c", `while read -r line; do echo '{"Error":"not implemented"}'; done`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	_, err = d.Call(harness.Request{Model: "m", Op: "eval"})
	fmt.Println(err)
	// Output:
	// m eval: not implemented
}
