#include "router.hpp"

namespace swingpipe::server {
namespace {

/// Splits "/a/b/c" into {"a", "b", "c"}; "" and "/" give no segments. A trailing slash counts as
/// an empty last segment (so "/v1/tasks/" does not match "/v1/tasks").
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path == "/") return out;
  if (path.front() == '/') path.remove_prefix(1);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find('/', start);
    out.push_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool path_matches(const std::vector<std::string_view>& pattern,
                  const std::vector<std::string_view>& actual, PathParams* params) {
  if (pattern.size() != actual.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto p = pattern[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      if (actual[i].empty()) return false;
      if (params) params->emplace_back(std::string(p.substr(1, p.size() - 2)), actual[i]);
    } else if (p != actual[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Match Router::match(std::string_view method, std::string_view path) const {
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  const auto actual = segments(path);
  Match m;
  for (const auto& r : routes_) {
    const auto pattern = segments(r.path);
    if (!path_matches(pattern, actual, nullptr)) continue;
    if (r.method == wanted) {
      m.route = &r;
      m.params.clear();
      path_matches(pattern, actual, &m.params);
      m.allow.clear();
      return m;
    }
    if (m.allow.find(r.method) == std::string::npos)
      m.allow += (m.allow.empty() ? "" : ", ") + r.method;
  }
  return m;
}

}  // namespace swingpipe::server
