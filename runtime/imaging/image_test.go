package imaging

import (
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

func TestTileImage(t *testing.T) {
	// Three 2×2 tiles in a grid of 2 columns: 7×7 pixels.
	x := []float64{
		0, 1, 0.5, 0.2, // tile 0
		1.5, -1, 1, 0, // tile 1 (clamped)
		0, 0, 0, 1, // tile 2
	}
	img := TileImage(x, 3, 2, 2, 2, false)
	if b := img.Bounds(); b.Dx() != 7 || b.Dy() != 7 {
		t.Fatalf("bounds %v, want 7×7", b)
	}
	const s = separatorGray
	want := [7][7]uint8{
		{s, s, s, s, s, s, s},
		{s, 0, 255, s, 255, 0, s},
		{s, 128, 51, s, 255, 0, s},
		{s, s, s, s, s, s, s},
		{s, 0, 0, s, s, s, s}, // unused cell stays gray
		{s, 0, 255, s, s, s, s},
		{s, s, s, s, s, s, s},
	}
	for y := range 7 {
		for xx := range 7 {
			if got := img.GrayAt(xx, y).Y; got != want[y][xx] {
				t.Errorf("pixel (%d,%d) = %d, want %d", xx, y, got, want[y][xx])
			}
		}
	}

	// normalize rescales each tile to its own range.
	n := TileImage([]float64{-3, 0, 3, 6, 5, 5, 5, 5}, 2, 2, 2, 0, true)
	if b := n.Bounds(); b.Dx() != 7 || b.Dy() != 4 {
		t.Fatalf("normalized bounds %v, want 7×4 (cols = ⌈√2⌉ = 2)", b)
	}
	for _, c := range []struct {
		x, y int
		want uint8
	}{{1, 1, 0}, {2, 1, 85}, {1, 2, 170}, {2, 2, 255}, {4, 1, 128}, {5, 2, 128}} {
		if got := n.GrayAt(c.x, c.y).Y; got != c.want {
			t.Errorf("normalized pixel (%d,%d) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
}

func TestWriteTilesAndGIF(t *testing.T) {
	dir := t.TempDir()
	x := make([]float64, 5*3*4)
	r := runtime.NewRNG(1, 0)
	r.FillUniform(x)
	path := filepath.Join(dir, "tiles.png")
	if err := WriteTiles(path, x, 5, 3, 4, 3, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want := TileImage(x, 5, 3, 4, 3, false)
	if dec.Bounds() != want.Bounds() || dec.Bounds().Dx() != 3*5+1 || dec.Bounds().Dy() != 2*4+1 {
		t.Fatalf("PNG bounds %v, want %v", dec.Bounds(), want.Bounds())
	}
	for y := range want.Rect.Dy() {
		for xx := range want.Rect.Dx() {
			if g := dec.(*image.Gray).GrayAt(xx, y); g != want.GrayAt(xx, y) {
				t.Fatalf("PNG pixel (%d,%d) = %v, want %v", xx, y, g, want.GrayAt(xx, y))
			}
		}
	}

	frames := [][]float64{x, make([]float64, len(x))}
	gpath := filepath.Join(dir, "anim.gif")
	if err := WriteGIF(gpath, frames, 5, 3, 4, 3, 20); err != nil {
		t.Fatal(err)
	}
	gf, err := os.Open(gpath)
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	g, err := gif.DecodeAll(gf)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 2 || g.Delay[0] != 20 || g.Delay[1] != 20 {
		t.Fatalf("GIF has %d frames with delays %v", len(g.Image), g.Delay)
	}
	for i, fr := range frames {
		want := TileImage(fr, 5, 3, 4, 3, false)
		for y := range want.Rect.Dy() {
			for xx := range want.Rect.Dx() {
				r, _, _, _ := g.Image[i].At(xx, y).RGBA()
				if uint8(r>>8) != want.GrayAt(xx, y).Y {
					t.Fatalf("GIF frame %d pixel (%d,%d) = %d, want %d", i, xx, y, r>>8, want.GrayAt(xx, y).Y)
				}
			}
		}
	}
}

func TestWriteTilesErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"short", WriteTiles(filepath.Join(dir, "a.png"), make([]float64, 5), 2, 2, 2, 1, false), "need 8 values, have 5"},
		{"bad size", WriteTiles(filepath.Join(dir, "b.png"), nil, 1, 0, 2, 1, false), "not positive"},
		{"no frames", WriteGIF(filepath.Join(dir, "c.gif"), nil, 1, 1, 1, 1, 1), "no frames"},
		{"short frame", WriteGIF(filepath.Join(dir, "d.gif"), [][]float64{make([]float64, 4), {1}}, 1, 2, 2, 1, 1), "frame 1"},
		{"missing dir", WriteTiles(filepath.Join(dir, "no", "e.png"), make([]float64, 4), 1, 2, 2, 1, false), "e.png"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, c.err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed writes left %v", entries)
	}
}

func BenchmarkTileImage(b *testing.B) {
	x := make([]float64, 100*28*28)
	r := runtime.NewRNG(1, 0)
	r.FillUniform(x)
	for b.Loop() {
		TileImage(x, 100, 28, 28, 10, true)
	}
}

func TestUpscale(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6} // two 1×3 images
	got := Upscale(x, 2, 1, 3, 2)
	want := []float64{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Upscale = %v, want %v", got, want)
		}
	}
}
