package imaging

// Upscale returns n images of h×w pixels (row-major, one after another)
// enlarged f times in each direction by repeating pixels, so that small
// images (bars and stripes are 4×4) can be seen in a tile grid.
func Upscale(x []float64, n, h, w, f int) []float64 {
	out := make([]float64, n*h*w*f*f)
	W := w * f
	for k := 0; k < n; k++ {
		src := x[k*h*w : (k+1)*h*w]
		dst := out[k*h*w*f*f : (k+1)*h*w*f*f]
		for r := 0; r < h*f; r++ {
			for c := 0; c < W; c++ {
				dst[r*W+c] = src[(r/f)*w+c/f]
			}
		}
	}
	return out
}
