// The induced accelerations' tree-sparse solve compiled for baseline x86-64 flags (no ISA suffix)
// (iaa_tree_solve.hpp).
#define SP_IAA_ISA tree_generic
#include "cpu/iaa_tree_solve.hpp"
