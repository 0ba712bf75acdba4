// Internal (not installed): the floor the autograd ops and the recurrent layers stand on,
// for xgrad's own .cpp files, tests/gemm.cpp and bench/. It is not part of the API:
//   core/gemm.hpp       GEMM with packed B, AVX-512/AVX2/generic by the CPU (xg::gemm)
//   core/parallel.hpp   parallel_for over the persistent pool
//   core/workspace.hpp  recycled scratch blocks (Workspace<T>)
//   core/simd.hpp       element loops over contiguous buffers (xg::simd)
// Users set threads and read memory figures through core/runtime.hpp.
#pragma once

#include "core/gemm.hpp"
#include "core/parallel.hpp"
#include "core/simd.hpp"
#include "core/workspace.hpp"
