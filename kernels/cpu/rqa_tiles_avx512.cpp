// The RQA tile template (rqa_tiles.hpp) for AVX-512 (16 float32 / 8 float64 cells per operation);
// built with the ISA flags by kernels/CMakeLists.txt and called only after a run-time check.
#define SP_RQA_TILES_IMPL
#include "cpu/rqa_tiles.hpp"

namespace swingpipe::rqa::cpu {

void tile_views_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v) {
  tile_views_impl<float, 16>(job, i0, j0, rows, cols, lower_clear, v);
}
void tile_views_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v) {
  tile_views_impl<double, 8>(job, i0, j0, rows, cols, lower_clear, v);
}
float tile_max_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols) {
  return tile_max_impl<float, 16>(job, i0, j0, rows, cols);
}
double tile_max_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols) {
  return tile_max_impl<double, 8>(job, i0, j0, rows, cols);
}
void tile_count_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<float>& count) {
  tile_count_impl<float, 16>(job, i0, j0, rows, mask, count);
}
void tile_count_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<double>& count) {
  tile_count_impl<double, 8>(job, i0, j0, rows, mask, count);
}

}  // namespace swingpipe::rqa::cpu
