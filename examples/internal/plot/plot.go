// Package plot draws learning curves as PNG line charts with the standard
// library alone: one or more series of (x, y) points on shared axes, with
// tick labels in a built-in 3×5 pixel font, so that a user sees at a glance
// where training is heading.
package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"github.com/ebmc/ebmc/runtime/fileio"
)

// Series is one curve: points (X[i], Y[i]) joined by lines. Non-finite
// points are skipped.
type Series struct {
	X, Y  []float64
	Color color.RGBA
}

// Palette is the colours given to series in order.
var Palette = []color.RGBA{{0x1f, 0x77, 0xb4, 255}, {0xd6, 0x27, 0x28, 255}, {0x2c, 0xa0, 0x2c, 255}, {0xff, 0x7f, 0x0e, 255}, {0x94, 0x67, 0xbd, 255}}

const (
	width, height = 640, 400
	left, right   = 70, 20
	top, bottom   = 20, 40
)

// Lines draws the series on one chart and returns it as PNG bytes. A
// horizontal dashed line is drawn at each value of refs (published figures,
// say). Series with no finite point are ignored; with none at all the chart
// is empty but valid.
func Lines(series []Series, refs []float64) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	x0, x1, y0, y1 := bounds(series, refs)
	px := func(x float64) int { return left + int(math.Round((x-x0)/(x1-x0)*float64(width-left-right))) }
	py := func(y float64) int {
		return height - bottom - int(math.Round((y-y0)/(y1-y0)*float64(height-top-bottom)))
	}
	grey := color.RGBA{0xbb, 0xbb, 0xbb, 255}
	black := color.RGBA{0, 0, 0, 255}
	for _, t := range ticks(y0, y1) {
		hline(img, left, width-right, py(t), grey, 1)
		label(img, left-4, py(t)-2, format(t), black, true)
	}
	for _, t := range ticks(x0, x1) {
		vline(img, px(t), top, height-bottom, grey)
		label(img, px(t)-len(format(t))*2, height-bottom+6, format(t), black, false)
	}
	hline(img, left, width-right, height-bottom, black, 1)
	vline(img, left, top, height-bottom, black)
	for _, r := range refs {
		hline(img, left, width-right, py(r), color.RGBA{0x55, 0x55, 0x55, 255}, 6)
	}
	for i, s := range series {
		c := s.Color
		if c.A == 0 {
			c = Palette[i%len(Palette)]
		}
		prevX, prevY, have := 0, 0, false
		for k := range s.X {
			if k >= len(s.Y) || !finite(s.X[k]) || !finite(s.Y[k]) {
				continue
			}
			x, y := px(s.X[k]), py(s.Y[k])
			dot(img, x, y, c)
			if have {
				line(img, prevX, prevY, x, y, c)
			}
			prevX, prevY, have = x, y, true
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write draws the chart with Lines and writes it to path atomically.
func Write(path string, series []Series, refs []float64) error {
	b, err := Lines(series, refs)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return fileio.WriteFileAtomic(path, b)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// bounds returns the data's ranges, widened by 5% and never empty.
func bounds(series []Series, refs []float64) (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range series {
		for k := range s.X {
			if k < len(s.Y) && finite(s.X[k]) && finite(s.Y[k]) {
				x0, x1 = math.Min(x0, s.X[k]), math.Max(x1, s.X[k])
				y0, y1 = math.Min(y0, s.Y[k]), math.Max(y1, s.Y[k])
			}
		}
	}
	for _, r := range refs {
		if finite(r) {
			y0, y1 = math.Min(y0, r), math.Max(y1, r)
		}
	}
	if x0 > x1 {
		x0, x1 = 0, 1
	}
	if y0 > y1 {
		y0, y1 = 0, 1
	}
	if x1 == x0 {
		x0, x1 = x0-1, x1+1
	}
	if y1 == y0 {
		y0, y1 = y0-1, y1+1
	}
	pad := 0.05 * (y1 - y0)
	return x0, x1, y0 - pad, y1 + pad
}

// ticks returns round values (1, 2 or 5 times a power of ten apart)
// between lo and hi, about five of them.
func ticks(lo, hi float64) []float64 {
	raw := (hi - lo) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{2, 5, 10} {
		if step >= raw {
			break
		}
		step = m * p
	}
	var t []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		t = append(t, v)
	}
	return t
}

func format(v float64) string {
	if math.Abs(v) < 1e-9 {
		v = 0
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA, dash int) {
	for x := x0; x <= x1; x++ {
		if dash == 1 || (x/dash)%2 == 0 {
			img.SetRGBA(x, y, c)
		}
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

func dot(img *image.RGBA, x, y int, c color.RGBA) {
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			if dx*dx+dy*dy <= 4 {
				img.SetRGBA(x+dx, y+dy, c)
			}
		}
	}
}

// line draws from (x0, y0) to (x1, y1) by Bresenham's algorithm, two pixels thick.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// glyphs are 3×5 bitmaps, one row of three bits per line, top first.
var glyphs = map[rune][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, '-': {0, 0, 7, 0, 0}, '.': {0, 0, 0, 0, 2},
	'e': {0, 7, 7, 4, 7}, '+': {0, 2, 7, 2, 0},
}

// label writes s with its top-left corner at (x, y), or its top-right
// corner with alignRight.
func label(img *image.RGBA, x, y int, s string, c color.RGBA, alignRight bool) {
	if alignRight {
		x -= 4 * len(s)
	}
	for _, r := range s {
		g := glyphs[r]
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row]>>(2-col)&1 == 1 {
					img.SetRGBA(x+col, y+row, c)
				}
			}
		}
		x += 4
	}
}
