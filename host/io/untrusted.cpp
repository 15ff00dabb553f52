// parse_json (a SAX parser that builds the value with an explicit stack), UTF-8 validation and
// quoting of input text for error messages.
#include "swingpipe/host/untrusted.hpp"

#include <cstdint>
#include <vector>

#include "swingpipe/error.hpp"

namespace swingpipe::io {

namespace {

using Json = nlohmann::json;

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Offset of the `target`-th (0-based) SAX event's token in JSON text that the parser has already
/// read past (so it is well formed up to there): strings (keys count as their own event), numbers,
/// literals and brackets are events; ',' ':' and whitespace are not.
std::size_t event_offset(std::string_view s, std::size_t target) {
  std::size_t i = 0, n = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (is_json_space(c) || c == ',' || c == ':') {
      ++i;
      continue;
    }
    if (n++ == target) return i;
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i)
        if (s[i] == '\\') ++i;
      ++i;
    } else if (c == '{' || c == '}' || c == '[' || c == ']') {
      ++i;
    } else {
      while (i < s.size() && !is_json_space(s[i]) && s[i] != ',' && s[i] != ':' && s[i] != ']' &&
             s[i] != '}')
        ++i;
    }
  }
  return s.size();
}

/// nlohmann's message without its "[json.exception...] " tag and "parse error at " prefix, with
/// the "last read: '...'" token (which can be the whole rest of a long string) quoted short.
std::string short_message(const std::string& what) {
  std::string m = what;
  if (!m.empty() && m[0] == '[') {
    const auto close = m.find("] ");
    if (close != std::string::npos) m.erase(0, close + 2);
  }
  if (m.rfind("parse error at ", 0) == 0) m.erase(0, 15);
  const std::string marker = "; last read: '";
  const auto at = m.find(marker);
  if (at != std::string::npos) {
    std::string token = m.substr(at + marker.size());
    if (!token.empty() && token.back() == '\'') token.pop_back();
    m = m.substr(0, at) + "; last read: " + quote_input(token);
  }
  return m;
}

/// Builds the value event by event (no recursion), refusing deep nesting and duplicate keys.
class DomBuilder {
 public:
  DomBuilder(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Json& result() { return root_; }

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return put(Json(v)); }
  bool string(Json::string_t& v) { return put(Json(std::move(v))); }
  bool binary(Json::binary_t& v) { return put(Json::binary(std::move(v))); }

  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(Json::string_t& k) {
    Json& object = *stack_.back();
    if (object.contains(k)) fail_at_event("duplicate key " + quote_input(k) + " in an object");
    ++events_;
    key_ = std::move(k);
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& ex) {
    // chars_read_total counts the offending character: its offset is one less.
    std::size_t at = position > 0 ? position - 1 : 0;
    if (at > text_.size()) at = text_.size();
    if (ex.id == 406) {  // out_of_range: number overflow; the position is past the number
      at = position >= token.size() ? position - token.size() : 0;
      fail(at, "number outside the float64 range: " + quote_input(token));
    }
    fail(at, "invalid JSON: " + short_message(ex.what()));
  }

 private:
  [[noreturn]] void fail(std::size_t offset, const std::string& what) const {
    throw InputError(source_ + ": byte " + std::to_string(offset) + ": " + what);
  }
  [[noreturn]] void fail_at_event(const std::string& what) const {
    fail(event_offset(text_, events_), what);
  }

  /// Stores a scalar (or an empty container) where the next value goes; returns its address.
  Json* place(Json&& v) {
    ++events_;
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }
  bool put(Json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(Json&& container) {
    if (stack_.size() >= kMaxJsonDepth)
      fail_at_event("nesting deeper than " + std::to_string(kMaxJsonDepth) +
                    " levels of arrays and objects");
    stack_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    ++events_;
    stack_.pop_back();
    return true;
  }

  std::string_view text_;
  const std::string& source_;
  Json root_;
  std::vector<Json*> stack_;
  std::string key_;
  std::size_t events_ = 0;
};

}  // namespace

Json parse_json(std::string_view text, const std::string& source) {
  // The parser would take a NUL byte for the end of the input and ignore what follows.
  const auto nul = text.find('\0');
  if (nul != std::string_view::npos)
    throw InputError(source + ": byte " + std::to_string(nul) +
                     ": NUL byte (JSON text cannot contain one)");
  DomBuilder dom(text, source);
  Json::sax_parse(text.begin(), text.end(), &dom, nlohmann::json::input_format_t::json,
                  /*strict=*/true);
  return std::move(dom.result());
}

std::size_t invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // a continuation byte first, C0/C1 (overlong) or F5..FF
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::size_t control_char_at(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

std::string quote_input(std::string_view text, std::size_t max_bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  std::size_t i = 0;
  while (i < text.size() && i < max_bytes) {
    const auto c = static_cast<unsigned char>(text[i]);
    // The length of a well-formed character starting here, or 0 for a byte to escape.
    std::size_t len = 0;
    if (c >= 0x20 && c < 0x7F) {
      len = 1;
    } else if (c >= 0x80) {
      const std::size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + want <= text.size() && invalid_utf8_at(text.substr(i, want)) == std::string::npos)
        len = want;
    }
    if (len == 0) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  out += '\'';
  if (i < text.size()) {
    out.insert(out.size() - 1, "...");
    out += " (" + std::to_string(text.size()) + " bytes)";
  }
  return out;
}

}  // namespace swingpipe::io
