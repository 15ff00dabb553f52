// The induced accelerations' tree-sparse solve compiled for AVX-512 (F, DQ, BW, VL)
// (iaa_tree_solve.hpp).
#define SP_IAA_ISA tree_avx512
#include "cpu/iaa_tree_solve.hpp"
