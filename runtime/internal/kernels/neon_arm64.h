// Encodings of the Advanced SIMD (NEON) instructions the arm64 kernels use
// and Go's assembler does not accept, on float64 lanes (arrangement 2D).
// Arguments are register numbers: d, n, m for Vd, Vn, Vm; h is the lane
// (0 or 1) of Vm for the by-element forms.

// FMLAE: FMLA Vd.2D, Vn.2D, Vm.D[h]   (Vd += Vn·Vm[h])
#define FMLAE(d, n, m, h) WORD $(0x4FC01000 | ((m)<<16) | ((h)<<11) | ((n)<<5) | (d))

// FMULE: FMUL Vd.2D, Vn.2D, Vm.D[h]   (Vd = Vn·Vm[h])
#define FMULE(d, n, m, h) WORD $(0x4FC09000 | ((m)<<16) | ((h)<<11) | ((n)<<5) | (d))

// FADDV2: FADD Vd.2D, Vn.2D, Vm.2D   (Vd = Vn + Vm)
#define FADDV2(d, n, m) WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))

// FMULV2: FMUL Vd.2D, Vn.2D, Vm.2D   (Vd = Vn·Vm)
#define FMULV2(d, n, m) WORD $(0x6E60DC00 | ((m)<<16) | ((n)<<5) | (d))

// FADDP2: FADDP Dd, Vn.2D            (Dd = Vn[0] + Vn[1])
#define FADDP2(d, n) WORD $(0x7E70D800 | ((n)<<5) | (d))

// FMLAV2: FMLA Vd.2D, Vn.2D, Vm.2D   (Vd += Vn·Vm)
#define FMLAV2(d, n, m) WORD $(0x4E60CC00 | ((m)<<16) | ((n)<<5) | (d))

// FMLSV2: FMLS Vd.2D, Vn.2D, Vm.2D   (Vd −= Vn·Vm)
#define FMLSV2(d, n, m) WORD $(0x4EE0CC00 | ((m)<<16) | ((n)<<5) | (d))

// FDIVV2: FDIV Vd.2D, Vn.2D, Vm.2D   (Vd = Vn / Vm)
#define FDIVV2(d, n, m) WORD $(0x6E60FC00 | ((m)<<16) | ((n)<<5) | (d))

// FMAXV2, FMINV2: FMAX, FMIN Vd.2D, Vn.2D, Vm.2D (NaN if either is NaN)
#define FMAXV2(d, n, m) WORD $(0x4E60F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMINV2(d, n, m) WORD $(0x4EE0F400 | ((m)<<16) | ((n)<<5) | (d))

// FRINTNV2: FRINTN Vd.2D, Vn.2D      (round to nearest, ties to even)
#define FRINTNV2(d, n) WORD $(0x4E618800 | ((n)<<5) | (d))

// FCVTZSV2: FCVTZS Vd.2D, Vn.2D      (to int64, toward zero)
#define FCVTZSV2(d, n) WORD $(0x4EE1B800 | ((n)<<5) | (d))

// ADDV2: ADD Vd.2D, Vn.2D, Vm.2D     (int64 lanes)
#define ADDV2(d, n, m) WORD $(0x4EE08400 | ((m)<<16) | ((n)<<5) | (d))

// SHL52V2: SHL Vd.2D, Vn.2D, #52
#define SHL52V2(d, n) WORD $(0x4F745400 | ((n)<<5) | (d))

// MOVV: ORR Vd.16B, Vn.16B, Vn.16B   (Vd = Vn)
#define MOVV(d, n) WORD $(0x4EA01C00 | ((n)<<16) | ((n)<<5) | (d))

// FSUBV2: FSUB Vd.2D, Vn.2D, Vm.2D   (Vd = Vn − Vm)
#define FSUBV2(d, n, m) WORD $(0x4EE0D400 | ((m)<<16) | ((n)<<5) | (d))

// FABSV2: FABS Vd.2D, Vn.2D
#define FABSV2(d, n) WORD $(0x4EE0F800 | ((n)<<5) | (d))

// FCMGTV2: FCMGT Vd.2D, Vn.2D, Vm.2D (lanes of ones where Vn > Vm, else 0)
#define FCMGTV2(d, n, m) WORD $(0x6EE0E400 | ((m)<<16) | ((n)<<5) | (d))

// BITV: BIT Vd.16B, Vn.16B, Vm.16B   (Vd = Vn where Vm is set, Vd elsewhere)
#define BITV(d, n, m) WORD $(0x6EA01C00 | ((m)<<16) | ((n)<<5) | (d))

// BICV: BIC Vd.16B, Vn.16B, Vm.16B   (Vd = Vn & ^Vm)
#define BICV(d, n, m) WORD $(0x4E601C00 | ((m)<<16) | ((n)<<5) | (d))
