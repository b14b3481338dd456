package plot

import (
	"bytes"
	"image/png"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

func TestLinesDrawsEachSeries(t *testing.T) {
	red := Palette[1]
	b, err := Lines([]Series{{X: []float64{0, 1, 2, math.NaN()}, Y: []float64{-150, -140, -135, 0}, Color: red}}, []float64{-130})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	reds := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr>>8 == uint32(red.R) && cg>>8 == uint32(red.G) && cb>>8 == uint32(red.B) {
				reds++
			}
		}
	}
	if reds < 200 {
		t.Errorf("%d pixels of the series' colour, want a drawn line", reds)
	}
	// Negative control: an empty chart has none.
	b, _ = Lines(nil, nil)
	img, _ = png.Decode(bytes.NewReader(b))
	if cr, _, _, _ := img.At(width/2, height/2).RGBA(); cr>>8 != 255 {
		t.Errorf("empty chart is not blank in the middle")
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 10, []float64{0, 2, 4, 6, 8, 10}},
		{-168, -131, []float64{-160, -150, -140}},
		{0.5, 0.9, []float64{0.5, 0.6, 0.7, 0.8, 0.9}},
	} {
		got := ticks(c.lo, c.hi)
		for i := range got {
			got[i] = math.Round(got[i]*1e9) / 1e9
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ticks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

func TestWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curve.png")
	if err := Write(path, []Series{{X: []float64{1}, Y: []float64{2}}}, nil); err != nil {
		t.Fatal(err)
	}
}
