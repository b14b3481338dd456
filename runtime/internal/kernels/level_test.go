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

// Levels lists LevelGo first and CPULevel last; SetLevel gives the
// requested level where the CPU runs it and falls back within its family
// otherwise, never to a level the CPU cannot run.
func TestSetLevel(t *testing.T) {
	ls := Levels()
	if ls[0] != LevelGo || ls[len(ls)-1] != CPULevel {
		t.Fatalf("Levels() = %v with CPULevel %d", ls, CPULevel)
	}
	defer SetLevel(SetLevel(Level))
	for _, l := range []int{LevelGo, LevelAVX2, LevelAVX512, LevelNEON, -1, 99} {
		SetLevel(l)
		switch {
		case !Supported(Level):
			t.Errorf("SetLevel(%d) chose level %d, which this CPU cannot run", l, Level)
		case Supported(l) && Level != l:
			t.Errorf("SetLevel(%d) chose level %d", l, Level)
		case l == LevelAVX512 && !Supported(l) && Supported(LevelAVX2) && Level != LevelAVX2:
			t.Errorf("SetLevel(AVX-512) on an AVX2 CPU chose level %d", Level)
		case !Supported(l) && l != LevelAVX512 && Level != LevelGo:
			t.Errorf("SetLevel(%d) without it chose level %d, want LevelGo", l, Level)
		}
	}
}
