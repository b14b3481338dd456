package main

import "testing"

// TestOptimizedBLAS checks which mapped libraries count as an optimized
// BLAS; the netlib reference BLAS of Debian's alternatives does not.
func TestOptimizedBLAS(t *testing.T) {
	for _, c := range []struct {
		libs []string
		want bool
	}{
		{[]string{"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"}, true},
		{[]string{"/opt/intel/lib/libmkl_rt.so.2"}, true},
		{[]string{"/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3"}, true},
		{nil, true},
		{[]string{"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"}, false},
		{[]string{"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3"}, false},
	} {
		if got := optimizedBLAS(c.libs); got != c.want {
			t.Errorf("optimizedBLAS(%q) = %v, want %v", c.libs, got, c.want)
		}
	}
}
