// The induced accelerations' triangular solves compiled for AVX2 + FMA (iaa_solve.hpp).
#define SP_IAA_ISA avx2
#include "cpu/iaa_solve.hpp"
