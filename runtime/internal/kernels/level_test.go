package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// The level follows the features x/sys/cpu reports: AVX-512 kernels only
// with F, DQ, BW and VL, the AVX2 ones only with AVX2 and FMA.
func TestDetectLevel(t *testing.T) {
	x := cpu.X86
	t.Logf("level %d; AVX2 %v FMA %v AVX-512 F %v DQ %v BW %v VL %v", CPULevel, x.HasAVX2, x.HasFMA, x.HasAVX512F, x.HasAVX512DQ, x.HasAVX512BW, x.HasAVX512VL)
	avx512 := x.HasAVX2 && x.HasFMA && x.HasAVX512F && x.HasAVX512DQ && x.HasAVX512BW && x.HasAVX512VL
	switch {
	case CPULevel == LevelAVX512 && !avx512:
		t.Error("AVX-512 kernels chosen without the features they need")
	case CPULevel == LevelAVX2 && !(x.HasAVX2 && x.HasFMA):
		t.Error("AVX2 kernels chosen without AVX2 and FMA")
	}
}
