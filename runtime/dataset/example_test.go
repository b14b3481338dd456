package dataset_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/runtime/dataset"
)

func ExampleLoadIDX() {
	dir, _ := os.MkdirTemp("", "ebmc-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "labels.idx")
	// Magic 0x00000801 (unsigned bytes, one dimension), 3 labels.
	os.WriteFile(path, []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1}, 0o644)
	d, err := dataset.LoadIDX(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Rows, d.Cols, d.X)
	// Output:
	// 3 1 [7 2 1]
}
