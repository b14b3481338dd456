package imaging_test

import (
	"fmt"

	"github.com/ebmc/ebmc/runtime/imaging"
)

func ExampleTileImage() {
	// Two 2×2 images side by side with 1-pixel separators.
	img := imaging.TileImage([]float64{0, 1, 1, 0, 1, 1, 1, 1}, 2, 2, 2, 2, false)
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), img.GrayAt(1, 1).Y, img.GrayAt(2, 1).Y)
	// Output:
	// 7 4 0 255
}
