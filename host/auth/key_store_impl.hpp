#pragma once
// Private to host/auth: KeyStore's state, shared by key_store.cpp and migrate.cpp.
#include <filesystem>
#include <string>

#include "storage/pool.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {

struct KeyStore::Impl {
  std::filesystem::path path;
  KeyStore::Options options;
  storage::Pool pool;

  Impl(std::filesystem::path p, KeyStore::Options o);
  /// The id of the user with this e-mail, added when absent (NotFoundError when the table needs
  /// fields swingpipe does not know, as the Python suite's does).
  int64_t user_id_for(const storage::Connection& c, const std::string& email);
};

}  // namespace swingpipe::auth
