#pragma once
// SP_HD marks per-element math that both the CPU backend and CUDA kernels call (design.md §3.1).
#if defined(__CUDACC__)
#define SP_HD __host__ __device__ __forceinline__
#else
#define SP_HD inline
#endif

// SP_KERNEL_FN marks the body of a CUDA kernel that tests also run on the CPU, in a lockstep
// emulation of a group's lanes (kernels/common/dtw_wavefront.hpp): device code under nvcc, plain
// inline host code under a host compiler. The same source text, so the emulation cannot drift
// from the kernel.
#if defined(__CUDACC__)
#define SP_KERNEL_FN __device__ __forceinline__
#else
#define SP_KERNEL_FN inline
#endif
