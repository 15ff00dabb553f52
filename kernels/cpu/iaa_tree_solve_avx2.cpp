// The induced accelerations' tree-sparse solve compiled for AVX2 + FMA (iaa_tree_solve.hpp).
#define SP_IAA_ISA tree_avx2
#include "cpu/iaa_tree_solve.hpp"
