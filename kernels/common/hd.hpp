#pragma once
// SP_HD marks per-element math that both the CPU backend and CUDA kernels call (design.md §3.1).
#if defined(__CUDACC__)
#define SP_HD __host__ __device__ __forceinline__
#else
#define SP_HD inline
#endif
