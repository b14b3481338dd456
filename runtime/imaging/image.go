package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io/fs"
	"math"
	"os"

	"github.com/ebmc/ebmc/runtime/fileio"
)

// separatorGray is the gray level of the 1-pixel lines between tiles and
// of unused grid cells.
const separatorGray = 128

// TileImage arranges n images of h×w pixels, stored one after another
// row-major in x, into a grid with cols tiles per row (cols ≤ 0 means
// ⌈√n⌉) and ⌈n/cols⌉ rows, separated and surrounded by 1-pixel mid-gray
// lines. The image is (cols·(w+1)+1) × (rows·(h+1)+1) pixels.
//
// Values are clamped to [0, 1] and mapped to gray levels round(255·v). With
// normalize, each tile is first rescaled from its own minimum..maximum to
// 0..1, which suits weight filters (a constant tile becomes mid-gray). NaN
// pixels are black. TileImage panics if h or w is not positive or x holds
// fewer than n·h·w values.
func TileImage(x []float64, n, h, w, cols int, normalize bool) *image.Gray {
	if h <= 0 || w <= 0 || n < 0 || len(x) < n*h*w {
		panic("runtime: TileImage: bad dimensions")
	}
	cols, rows := gridShape(n, cols)
	img := image.NewGray(image.Rect(0, 0, cols*(w+1)+1, rows*(h+1)+1))
	for i := range img.Pix {
		img.Pix[i] = separatorGray
	}
	for k := range n {
		tile := x[k*h*w : (k+1)*h*w]
		lo, scale := 0.0, 1.0
		flat := false
		if normalize {
			lo, scale, flat = tileRange(tile)
		}
		ox, oy := (k%cols)*(w+1)+1, (k/cols)*(h+1)+1
		for r := range h {
			row := img.Pix[(oy+r)*img.Stride+ox:]
			for c := range w {
				v := tile[r*w+c]
				if flat {
					v = 0.5
				} else {
					v = (v - lo) * scale
				}
				row[c] = grayLevel(v)
			}
		}
	}
	return img
}

// tileRange returns the offset and scale mapping the finite values of tile
// onto [0, 1]; flat reports that they are all equal (or absent).
func tileRange(tile []float64) (lo, scale float64, flat bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range tile {
		if v-v != 0 {
			continue // skip NaN and ±∞
		}
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	if !(hi > lo) {
		return 0, 1, true
	}
	return lo, 1 / (hi - lo), false
}

func grayLevel(v float64) uint8 {
	switch {
	case v >= 1:
		return 255
	case v > 0:
		return uint8(255*v + 0.5)
	}
	return 0 // v ≤ 0 or NaN
}

func gridShape(n, cols int) (int, int) {
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = max(1, min(cols, max(n, 1)))
	return cols, max(1, (n+cols-1)/cols)
}

func checkTiles(x []float64, n, h, w int) error {
	switch {
	case h <= 0 || w <= 0:
		return fmt.Errorf("tile size %d×%d is not positive", h, w)
	case n <= 0:
		return errors.New("no images")
	case len(x) < n*h*w:
		return fmt.Errorf("%d images of %d×%d need %d values, have %d", n, h, w, n*h*w, len(x))
	}
	return nil
}

// WriteTiles writes the grid built by TileImage as a grayscale PNG file,
// atomically.
func WriteTiles(path string, x []float64, n, h, w, cols int, normalize bool) error {
	if err := checkTiles(x, n, h, w); err != nil {
		return fmt.Errorf("runtime: write tiles %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, TileImage(x, n, h, w, cols, normalize)); err != nil {
		return fmt.Errorf("runtime: write tiles %s: %w", path, err)
	}
	if err := fileio.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("runtime: write tiles: %w", err)
	}
	return nil
}

// MaxGIFFrames bounds the frames AppendGIF writes, so that a wrong frame
// number cannot fill memory with padding.
const MaxGIFFrames = 1 << 16

// AppendGIF writes one frame, the grid TileImage builds from x (values in
// [0, 1], not normalised, shown for delay hundredths of a second), as frame
// at (counted from 0) of the animated GIF at path, and writes the file back
// atomically, looping forever as WriteGIF's. The file's frames before at
// keep their pixels and the later ones are dropped, so that a run resumed
// after its last saved epoch replaces the frames it repeats; frames before
// at that the file lacks (a missing file, a frame that failed to write)
// are black tiles, so that frame i always stands for step i. A file that is not
// a GIF, or whose frames are not the size of the new one, is refused.
func AppendGIF(path string, at int, x []float64, n, h, w, cols, delay int) error {
	if err := checkTiles(x, n, h, w); err != nil {
		return fmt.Errorf("runtime: append GIF %s: %w", path, err)
	}
	if at >= MaxGIFFrames {
		return fmt.Errorf("runtime: append GIF %s: frame %d, past the %d frames an animation may hold", path, at, MaxGIFFrames)
	}
	frame := paletted(TileImage(x, n, h, w, cols, false))
	keep := max(at, 0)
	anim := &gif.GIF{}
	if b, err := os.ReadFile(path); err == nil {
		if anim, err = gif.DecodeAll(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("runtime: append GIF %s: %w", path, err)
		}
		anim.Image, anim.Delay, anim.Disposal = anim.Image[:min(keep, len(anim.Image))], anim.Delay[:min(keep, len(anim.Delay))], nil
		for i, p := range anim.Image {
			if p.Rect != frame.Rect {
				return fmt.Errorf("runtime: append GIF %s: frame %d is %v, the new one %v", path, i, p.Rect.Size(), frame.Rect.Size())
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("runtime: append GIF: %w", err)
	}
	if len(anim.Image) < keep {
		blank := paletted(TileImage(make([]float64, len(x)), n, h, w, cols, false))
		for len(anim.Image) < keep {
			anim.Image, anim.Delay = append(anim.Image, blank), append(anim.Delay, delay)
		}
	}
	anim.Image, anim.Delay = append(anim.Image, frame), append(anim.Delay, delay)
	// A file of one frame has no loop count (gif.EncodeAll writes none), so
	// the decoded count is -1, "play once", which would otherwise stick.
	// The gray palette is global: frames over it need no table of their own.
	anim.LoopCount = 0
	anim.Config = image.Config{ColorModel: frame.Palette, Width: frame.Rect.Dx(), Height: frame.Rect.Dy()}
	return encodeGIF(path, anim, "append")
}

// encodeGIF writes anim to path atomically; verb names the caller in errors.
func encodeGIF(path string, anim *gif.GIF, verb string) error {
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		return fmt.Errorf("runtime: %s GIF %s: %w", verb, path, err)
	}
	if err := fileio.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("runtime: %s GIF: %w", verb, err)
	}
	return nil
}

// grayPalette is the 256 gray levels, palette index i gray level i.
func grayPalette() color.Palette {
	palette := make(color.Palette, 256)
	for i := range palette {
		palette[i] = color.Gray{Y: uint8(i)}
	}
	return palette
}

// paletted returns g as a paletted image over grayPalette.
func paletted(g *image.Gray) *image.Paletted {
	p := image.NewPaletted(g.Rect, grayPalette())
	copy(p.Pix, g.Pix) // palette index i is gray level i; same stride
	return p
}

// WriteGIF writes an animated GIF, atomically, whose frames are the grids
// TileImage builds from each element of frames (values in [0, 1], not
// normalised), shown for delay hundredths of a second each and looping
// forever. The palette is the 256 gray levels.
func WriteGIF(path string, frames [][]float64, n, h, w, cols int, delay int) error {
	if len(frames) == 0 {
		return fmt.Errorf("runtime: write GIF %s: no frames", path)
	}
	anim := &gif.GIF{}
	for f, x := range frames {
		if err := checkTiles(x, n, h, w); err != nil {
			return fmt.Errorf("runtime: write GIF %s: frame %d: %w", path, f, err)
		}
		anim.Image = append(anim.Image, paletted(TileImage(x, n, h, w, cols, false)))
		anim.Delay = append(anim.Delay, delay)
	}
	return encodeGIF(path, anim, "write")
}
