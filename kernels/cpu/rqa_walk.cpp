// The CUDA RQA backend's algorithm on the host (rqa_internal.hpp: walk_lines), for tests: the same
// walkers (common/rqa_math.hpp) over the same columns and diagonals with the same weights.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/rqa_internal.hpp"

namespace swingpipe::rqa::detail {

template <class T>
Histograms walk_lines(const LineProblem<T>& p) {
  const std::size_t n = static_cast<std::size_t>(std::max(p.walk.x.count, p.walk.y.count) + 1);
  std::vector<int64_t> d(n, 0), v(n, 0), wh(n, 0);
  const DiagonalPlan plan = diagonal_plan(p);
  for (int64_t j = 0; j < p.walk.y.count; ++j)
    walk_column(
        p.walk, j, [&](uint32_t len) { ++v[len]; }, [&](uint32_t len) { ++wh[len]; });
  for (int64_t k = plan.first; k < plan.last; ++k) {
    if ((k < 0 ? -k : k) < p.walk.w_diag) continue;
    walk_diagonal(p.walk, k, [&](uint32_t len) { d[len] += plan.weight; });
  }
  if (plan.main_line > 0) ++d[static_cast<std::size_t>(plan.main_line)];
  auto trim = [](std::vector<int64_t>& x) {
    while (!x.empty() && x.back() == 0) x.pop_back();
  };
  trim(d);
  trim(v);
  trim(wh);
  return {std::move(d), std::move(v), std::move(wh)};
}

template Histograms walk_lines<float>(const LineProblem<float>&);
template Histograms walk_lines<double>(const LineProblem<double>&);

}  // namespace swingpipe::rqa::detail
