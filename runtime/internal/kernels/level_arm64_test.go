//go:build arm64 && !purego

package kernels

import "testing"

// Every arm64 CPU has Advanced SIMD: the NEON kernels are chosen, and
// neither x86 level is reported as runnable.
func TestDetectNEON(t *testing.T) {
	if CPULevel != LevelNEON || Supported(LevelAVX2) || Supported(LevelAVX512) {
		t.Fatalf("CPULevel %d, Levels() %v: want LevelNEON (%d) alone besides LevelGo", CPULevel, Levels(), LevelNEON)
	}
}
