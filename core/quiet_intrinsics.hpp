// GCC 12's AVX-512 intrinsics (avx512fintrin.h) start some results from a deliberately
// uninitialised register (`__m512 __Y = __Y;`), and once inlined into xsimd's code GCC warns
// about it, even from a system header: 253 warnings in an AVX-512 build (GCC bug 105593,
// fixed in GCC 13). This header includes <immintrin.h> first with exactly those two
// warnings off for the intrinsics' own lines; warnings in our code and in xsimd stay on.
// tensor.hpp and simd.hpp include it before xtensor and xsimd, so every xgrad file does.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
