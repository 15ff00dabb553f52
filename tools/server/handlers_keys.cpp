// Key management (scope admin): list, create (the secret is in the response, once), revoke (the
// verified-key cache drops the key at once).
#include "request_body.hpp"
#include "server_impl.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::server {
namespace {

using Json = nlohmann::ordered_json;

Json iso_or_null(const std::optional<int64_t>& t) {
  if (!t) return nullptr;
  std::string s = auth::format_utc(*t);  // "YYYY-MM-DD HH:MM:SS.000000"
  s[10] = 'T';
  return s.substr(0, 19) + "Z";
}

Json scopes_json(auth::Scopes s) {
  Json out = Json::array();
  if (s & auth::kRead) out.push_back("read");
  if (s & auth::kRun) out.push_back("run");
  if (s & auth::kAdmin) out.push_back("admin");
  return out;
}

}  // namespace

nlohmann::ordered_json key_json(const auth::KeyInfo& k) {
  return Json{{"id", k.id},
              {"name", k.name},
              {"user", k.user_email},
              {"scopes", scopes_json(k.scopes)},
              {"active", k.active},
              {"expires_at", iso_or_null(k.expires_at)},
              {"last_used", iso_or_null(k.last_used)},
              {"usage_count", k.usage_count},
              {"created_at", iso_or_null(auth::parse_utc(k.created_at))},
              {"legacy", k.legacy},
              {"bcrypt", k.bcrypt}};
}

void Server::Impl::list_keys(Call& c) {
  Json list = Json::array();
  for (const auto& k : keys.list()) list.push_back(key_json(k));
  reply(c.res, 200, Json{{"keys", std::move(list)}});
}

void Server::Impl::create_key(Call& c) {
  const KeyRequest req = parse_key_request(parse_json_body(c));
  const std::string& name = req.name;
  const auth::Scopes scopes = req.scopes;
  std::optional<int64_t> expires;
  if (req.expires_in_days) expires = auth::now_unix() + int64_t{*req.expires_in_days} * 86400;
  auto user = req.user;
  if (!user) {  // the creating admin's user
    const auto creator = keys.find(c.principal.key_id);
    user = creator && !creator->user_email.empty() ? creator->user_email : "api@localhost";
  }
  const auto created = keys.create(name, scopes, expires, *user, config.bcrypt_cost);
  c.res.set_header("Location", "/v1/keys/" + std::to_string(created.info.id));
  reply(c.res, 201, Json{{"key", key_json(created.info)}, {"secret", created.secret}});
}

void Server::Impl::revoke_key(Call& c) {
  const int64_t id =
      parse_integer("id", c.path_param("id"), 1, std::numeric_limits<int64_t>::max() / 10);
  if (!verifier.revoke(id))
    throw ApiError(404, "key_not_found", "no API key " + std::to_string(id));
  reply(c.res, 200, Json{{"revoked", id}});
}

}  // namespace swingpipe::server
