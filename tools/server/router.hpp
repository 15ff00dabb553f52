#pragma once
// The route table and its matcher: literal segments and {name} captures, no regular expressions.
// Each route declares its scope and its query parameters, so the dispatcher rejects unknown ones
// and the OpenAPI test compares the document with this table.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "swingpipe/host/auth.hpp"

namespace swingpipe::server {

struct Call;  // server_impl.hpp
using Handler = std::function<void(Call&)>;

enum class Body { none, json, upload };

struct Route {
  std::string method;              ///< GET, POST, DELETE
  std::string path;                ///< "/v1/tasks/{id}"
  auth::Scopes scope = 0;          ///< 0: no key needed
  std::vector<std::string> query;  ///< accepted query parameters
  Body body = Body::none;
  Handler handler;
};

using PathParams = std::vector<std::pair<std::string, std::string>>;

struct Match {
  const Route* route = nullptr;  ///< nullptr: see `allow`
  PathParams params;
  std::string allow;  ///< methods of the routes whose path matched ("" = no such path)
};

class Router {
 public:
  void add(Route r) { routes_.push_back(std::move(r)); }
  /// HEAD matches GET routes.
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace swingpipe::server
