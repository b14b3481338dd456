package imaging

import (
	"bytes"
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

// TestAppendGIF builds an animation one frame at a time, as a training
// run does after each epoch: the frames keep their pixels and order, keep
// drops the frames after it (a run resumed at an earlier epoch; all of
// them when it is negative), the animation loops forever (a file of one
// frame holds no loop count, and decodes as "play once"), and a file of
// another frame size or not a GIF at all is refused and left as it was.
func TestAppendGIF(t *testing.T) {
	const n, h, w, cols = 5, 3, 4, 3
	r := runtime.NewRNG(2, 0)
	frame := func() []float64 {
		x := make([]float64, n*h*w)
		r.FillUniform(x)
		return x
	}
	a, b, c, d := frame(), frame(), frame(), frame()
	path := filepath.Join(t.TempDir(), "chains.gif")
	check := func(step string, want ...[]float64) {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		g, err := gif.DecodeAll(f)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(g.Image) != len(want) || len(g.Delay) != len(want) {
			t.Fatalf("%s: %d frames (%d delays), want %d", step, len(g.Image), len(g.Delay), len(want))
		}
		if len(want) > 1 && g.LoopCount != 0 {
			t.Errorf("%s: loop count %d, want 0 (forever)", step, g.LoopCount)
		}
		for i, x := range want {
			if x == nil { // a frame the file lacked: black
				x = make([]float64, n*h*w)
			}
			tiles := TileImage(x, n, h, w, cols, false)
			for p := range tiles.Pix {
				if g.Image[i].Pix[p] != tiles.Pix[p] || g.Delay[i] != 10 {
					t.Fatalf("%s: frame %d differs at pixel %d (delay %d)", step, i, p, g.Delay[i])
				}
			}
		}
	}
	for i, x := range [][]float64{a, b, c} {
		if err := AppendGIF(path, i, x, n, h, w, cols, 10); err != nil {
			t.Fatal(err)
		}
	}
	check("three frames", a, b, c)
	if err := AppendGIF(path, 1, d, n, h, w, cols, 10); err != nil {
		t.Fatal(err)
	}
	check("resumed after the first", a, d)
	if err := AppendGIF(path, 4, c, n, h, w, cols, 10); err != nil {
		t.Fatal(err)
	}
	check("a frame beyond the file's", a, d, nil, nil, c)
	if err := AppendGIF(path, -1, b, n, h, w, cols, 10); err != nil {
		t.Fatal(err)
	}
	check("negative keep", b)
	for i, x := range [][]float64{c, d} {
		if err := AppendGIF(path, i+1, x, n, h, w, cols, 10); err != nil {
			t.Fatal(err)
		}
	}
	check("after a new start", b, c, d)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := AppendGIF(path, 2, a, n, h, w, cols, 10); err != nil {
		t.Fatal(err)
	}
	check("a missing file at frame 2", nil, nil, a)
	if err := AppendGIF(path, 3, b, n, h, w, cols, 10); err != nil {
		t.Fatal(err)
	}
	check("appended to the padded file", nil, nil, a, b)

	before, _ := os.ReadFile(path)
	if err := AppendGIF(path, 3, make([]float64, 4*h*w), 4, h, w, 2, 10); err == nil || !strings.Contains(err.Error(), "frame 0") {
		t.Errorf("another frame size: %v, want it refused", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a refused frame changed the file")
	}
	bad := filepath.Join(t.TempDir(), "bad.gif")
	os.WriteFile(bad, []byte("not a gif"), 0o644)
	if err := AppendGIF(bad, 0, a, n, h, w, cols, 10); err == nil || !strings.Contains(err.Error(), "bad.gif") {
		t.Errorf("a file that is not a GIF: %v, want it refused", err)
	}
	if err := AppendGIF(path, MaxGIFFrames, a, n, h, w, cols, 10); err == nil || !strings.Contains(err.Error(), "past the") {
		t.Errorf("a frame past MaxGIFFrames: %v, want it refused", err)
	}
	if err := AppendGIF(path, 0, a[:3], n, h, w, cols, 10); err == nil {
		t.Error("a short frame was accepted")
	}
}
