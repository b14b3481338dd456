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

func ExampleNewLabelled() {
	x := &dataset.Dataset{Rows: 2, Cols: 2, X: []float64{0.5, 1, 0, 0.25}}
	l, err := dataset.NewLabelled(x, []int{1, 0}, 3)
	if err != nil {
		log.Fatal(err)
	}
	rows := make([]float64, 2*5)
	l.Gather(rows, []int{1, 0})
	fmt.Println(rows)
	// Output:
	// [0 0.25 1 0 0 0.5 1 0 1 0]
}

func ExampleNewByteDataset() {
	d, err := dataset.NewByteDataset(2, 2, []byte{0, 51, 255, 128})
	if err != nil {
		log.Fatal(err)
	}
	row := make([]float64, 2)
	d.Row(0, row)
	fmt.Println(row, d.Binarized(0.5).Dense().X)
	// Output:
	// [0 0.2] [0 0 1 1]
}
