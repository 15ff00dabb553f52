// Invariants every reader keeps on any input (see fuzz_support.hpp and FUZZING.md).
#include "fuzz_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "api_error.hpp"
#include "request_body.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "swingpipe/pipeline/config.hpp"

namespace swingpipe::fuzz {
namespace {

namespace fs = std::filesystem;

// A .tsv/.ts input can hold hundreds of series, each read the same way: the export round trips
// and the library check take the first few (any bug in a later one is also a bug in a first one,
// in a shorter input the fuzzer finds too), so a long file costs about what a short one does.
constexpr std::size_t kRoundTripsPerInput = 8;
constexpr std::size_t kLibraryRecordingsPerInput = 4;

/// SWINGPIPE_FUZZ_VERBOSE=1: each check says what became of its input (for seeds and replays).
void note(const std::string& what) {
  static const bool verbose = [] {
    const char* v = std::getenv("SWINGPIPE_FUZZ_VERBOSE");
    return v && *v && std::string_view(v) != "0";
  }();
  if (verbose) std::fprintf(stderr, "  %s\n", io::quote_input(what, 200).c_str());
}

[[noreturn]] void violation(const std::string& what) {
  std::fprintf(stderr, "\n*** fuzz invariant violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// The message is built only when the check fails: these checks run millions of times, and
// building every message eagerly cost about a sixth of each execution.
#define SP_REQUIRE(ok, what)      \
  do {                            \
    if (!(ok)) violation((what)); \
  } while (false)

/// An error message that names the input (`name` first), is valid UTF-8 and stays short.
void check_message(const std::string& msg, const std::string& name) {
  SP_REQUIRE(msg.rfind(name, 0) == 0, "error message does not start with the file name: " + msg);
  SP_REQUIRE(io::is_valid_utf8(msg),
             "error message is not valid UTF-8: " + io::quote_input(msg, 400));
  SP_REQUIRE(msg.size() <= 1500,
             "error message of " + std::to_string(msg.size()) +
                 " bytes (untrusted input dumped whole?): " + io::quote_input(msg, 400));
}

bool same_bits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

void same_values(const std::vector<double>& a, const std::vector<double>& b,
                 const std::string& what) {
  SP_REQUIRE(a.size() == b.size(),
             what + ": " + std::to_string(a.size()) + " values became " + std::to_string(b.size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i]))
      violation(what + ": value " + std::to_string(i) + " changed from " + std::to_string(a[i]) +
                " to " + std::to_string(b[i]));
}

void same_meta(const RecordingMeta& a, const RecordingMeta& b, const std::string& what) {
  SP_REQUIRE(a.filename == b.filename, what + ": filename changed");
  SP_REQUIRE(a.golfer_name == b.golfer_name, what + ": golfer_name changed");
  SP_REQUIRE(a.date_recorded == b.date_recorded, what + ": date_recorded changed");
  SP_REQUIRE(a.club_type == b.club_type, what + ": club_type changed");
  SP_REQUIRE(a.model_name == b.model_name, what + ": model_name changed");
  SP_REQUIRE(a.swing_type == b.swing_type, what + ": swing_type changed");
  SP_REQUIRE(a.rating == b.rating, what + ": rating changed");
  SP_REQUIRE(a.tags == b.tags, what + ": tags changed");
  SP_REQUIRE(a.notes == b.notes, what + ": notes changed");
  SP_REQUIRE(same_bits(a.duration, b.duration), what + ": duration changed");
  SP_REQUIRE(same_bits(a.peak_club_speed, b.peak_club_speed), what + ": peak_club_speed changed");
  SP_REQUIRE(a.num_frames == b.num_frames, what + ": num_frames changed");
  SP_REQUIRE(a.label == b.label, what + ": label changed");
}

/// Everything a recording holds, bit for bit (ids and checksums aside: the library sets those).
void same_recording(const Recording& a, const Recording& b, const std::string& what) {
  same_meta(a.meta, b.meta, what);
  SP_REQUIRE(same_bits(a.sample_rate, b.sample_rate), what + ": sample rate changed");
  SP_REQUIRE(a.channels == b.channels, what + ": channel names changed");
  SP_REQUIRE(a.units == b.units, what + ": units changed");
  SP_REQUIRE(a.meta.attributes == b.meta.attributes, what + ": attributes changed");
  same_values(a.data, b.data, what);
}

/// What every accepted recording must be.
void check_accepted(const Recording& rec, const io::ValueOptions& opt) {
  SP_REQUIRE(rec.channel_count() >= 1, "accepted a recording without channels");
  SP_REQUIRE(rec.frames() >= 1, "accepted a recording without frames");
  try {
    validate(rec, "accepted recording");
  } catch (const InputError& e) {
    violation(std::string("accepted an invalid recording: ") + e.what());
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double v : rec.data) {
    if (std::isnan(v)) SP_REQUIRE(same_bits(v, nan), "a NaN that is not the canonical quiet NaN");
    if (std::isinf(v)) SP_REQUIRE(opt.allow_infinite, "accepted +-inf without allow_infinite");
  }
  const auto& m = rec.meta;
  for (const std::string* s : {&m.filename, &m.golfer_name, &m.date_recorded, &m.club_type,
                               &m.model_name, &m.swing_type, &m.notes, &m.checksum, &m.label})
    SP_REQUIRE(io::is_valid_utf8(*s), "accepted metadata text that is not UTF-8");
  for (const auto& c : rec.channels)
    SP_REQUIRE(io::is_valid_utf8(c) && io::control_char_at(c) == std::string::npos,
               "accepted a channel name with invalid UTF-8 or a control character");
}

/// The outcome of one read: the recordings, or the error message.
struct Outcome {
  std::vector<Recording> recs;
  std::optional<std::string> error;
};

template <class ReadFn>
Outcome read_with(ReadFn&& read_fn, const std::string& name, const io::ValueOptions& opt) {
  try {
    io::ImportOptions o;
    o.values = opt;
    return {read_fn(o), std::nullopt};
  } catch (const InputError& e) {
    check_message(e.what(), name);
    return {{}, e.what()};
  } catch (const std::exception& e) {
    violation(std::string("reader threw ") + typeid(e).name() +
              " instead of InputError: " + e.what());
  }
}

/// Reading back what a writer wrote, under the same options.
Recording read_back(std::string_view bytes, const fs::path& name, const io::ValueOptions& opt,
                    double sample_rate) {
  try {
    if (name.extension() == ".npy") return io::parse_npy(bytes, name, sample_rate, opt);
    io::ImportOptions o;
    o.values = opt;
    auto recs = io::parse_any(bytes, name, o);
    SP_REQUIRE(recs.size() == 1, "a written file read back as " + std::to_string(recs.size()));
    return recs[0];
  } catch (const std::exception& e) {
    violation("what " + name.string() + " wrote does not read back: " + e.what());
  }
}

void check_round_trips(const Recording& rec, const io::ValueOptions& opt) {
  // JSON keeps everything.
  const Recording j = read_back(io::json_text(rec, "rt.json"), "rt.json", opt, 0);
  same_recording(rec, j, "JSON round trip");

  // NPY keeps the shape and every value (names become c0, c1, ...; the rate is not in the file).
  const Recording n = read_back(io::npy_bytes(rec, "rt.npy"), "rt.npy", opt, rec.sample_rate);
  SP_REQUIRE(n.channel_count() == rec.channel_count() && n.frames() == rec.frames(),
             "NPY round trip changed the shape");
  same_values(rec.data, n.data, "NPY round trip");

  // CSV keeps names and values; the time column carries the rate (from two frames on) to
  // rounding. A channel named like the time column cannot be written with one.
  std::string csv;
  try {
    csv = io::csv_text(rec, "rt.csv");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    SP_REQUIRE(msg.find("clashes with the time column") != std::string::npos ||
                   msg.find("every channel name reads as a number") != std::string::npos,
               "CSV writer refused a recording: " + msg);
    return;
  }
  const Recording c = read_back(csv, "rt.csv", opt, 0);
  SP_REQUIRE(c.channels == rec.channels, "CSV round trip changed channel names");
  same_values(rec.data, c.data, "CSV round trip");
  if (rec.sample_rate > 0 && rec.frames() >= 2)
    SP_REQUIRE(std::abs(c.sample_rate - rec.sample_rate) <= 1e-12 * rec.sample_rate,
               "CSV round trip changed the sample rate from " + std::to_string(rec.sample_rate) +
                   " to " + std::to_string(c.sample_rate));
  else
    SP_REQUIRE(c.sample_rate == 0, "CSV round trip invented a sample rate");
}

/// One library per process, in $SWINGPIPE_FUZZ_TMP (tools/fuzz.sh: /dev/shm) or the temp folder.
class ScratchLibrary {
 public:
  ScratchLibrary() {
    const char* env = std::getenv("SWINGPIPE_FUZZ_TMP");
    const fs::path base = env && *env ? fs::path(env) : fs::temp_directory_path();
    dir_ = base / ("swingpipe-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    lib_ = std::make_unique<RecordingLibrary>(dir_ / "library.db");
  }
  ~ScratchLibrary() {
    lib_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RecordingLibrary& get() { return *lib_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::unique_ptr<RecordingLibrary> lib_;
};

ScratchLibrary& scratch() {
  static ScratchLibrary lib;
  return lib;
}

RecordingLibrary& library() {
  return scratch().get();
}

void check_library(const std::vector<Recording>& recs) {
  RecordingLibrary& lib = library();
  const int64_t before = lib.count();
  std::vector<int64_t> ids;
  try {
    ids = lib.add_all(recs);
  } catch (const std::exception& e) {
    violation(std::string("the library refused what the reader accepted: ") + e.what());
  }
  SP_REQUIRE(ids.size() == recs.size(), "add_all returned the wrong number of ids");
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const Recording back = lib.get(ids[i]);
    same_recording(recs[i], back, "library round trip");
    if (!recs[i].meta.checksum.empty())
      SP_REQUIRE(back.meta.checksum == recs[i].meta.checksum, "library checksum differs");
  }
  // Adding them again is refused (duplicate filenames) and changes nothing.
  const int64_t after = lib.count();
  try {
    lib.add_all(recs);
    violation("the library accepted duplicate filenames");
  } catch (const InputError&) {
  }
  SP_REQUIRE(lib.count() == after, "a refused add_all changed the library");
  for (int64_t id : ids) lib.remove(id);
  SP_REQUIRE(lib.count() == before, "removing what was added did not restore the library");
}

/// The invariants of one input read by `read_fn(ImportOptions)`, strictly and leniently; `name`
/// starts every error message.
template <class ReadFn>
void check_reads(ReadFn&& read_fn, const std::string& name) {
  const io::ValueOptions strict;
  io::ValueOptions lenient;
  lenient.allow_infinite = true;
  lenient.empty_is_missing = true;

  const Outcome s = read_with(read_fn, name, strict);
  const Outcome l = read_with(read_fn, name, lenient);
  if (!s.error) {
    SP_REQUIRE(!l.error,
               "the lenient read refused what the strict read accepted: " + l.error.value_or(""));
    SP_REQUIRE(s.recs.size() == l.recs.size(), "strict and lenient reads differ in size");
    for (std::size_t i = 0; i < s.recs.size(); ++i) {
      check_accepted(s.recs[i], strict);
      same_recording(s.recs[i], l.recs[i], "strict vs lenient read");
    }
  }
  if (l.error) {
    note("refused: " + *l.error);
    return;
  }
  note("accepted: " + std::to_string(l.recs.size()) + " recording(s)" +
       (s.error ? ", strictly refused: " + *s.error : std::string()));
  SP_REQUIRE(!l.recs.empty(), "a read returned no recordings and no error");
  for (std::size_t i = 0; i < l.recs.size(); ++i) {
    check_accepted(l.recs[i], lenient);
    if (i < kRoundTripsPerInput) check_round_trips(l.recs[i], lenient);
  }
  const std::size_t n = std::min(l.recs.size(), kLibraryRecordingsPerInput);
  check_library({l.recs.begin(), l.recs.begin() + static_cast<std::ptrdiff_t>(n)});
}

/// Writes `bytes` to `path` (replacing what was there).
void write_scratch(const fs::path& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  SP_REQUIRE(f != nullptr, "cannot create the scratch file " + path.string());
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  SP_REQUIRE(std::fclose(f) == 0 && ok, "cannot write the scratch file " + path.string());
}

}  // namespace

void check_reader(const uint8_t* data, std::size_t size, const char* extension) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const fs::path name = std::string("fuzz") + extension;
  check_reads([&](const io::ImportOptions& o) { return io::parse_any(bytes, name, o); },
              name.string());
}

void check_file_reader(const uint8_t* data, std::size_t size, const char* extension) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const fs::path path = scratch().dir() / (std::string("fuzz") + extension);
  write_scratch(path, bytes);
  check_reads([&](const io::ImportOptions& o) { return io::read_any(path, o); }, path.string());
  // Reading never changes the file.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  SP_REQUIRE(f != nullptr, "the reader removed its input file");
  std::string again(size + 1, '\0');
  const std::size_t n = std::fread(again.data(), 1, again.size(), f);
  std::fclose(f);
  SP_REQUIRE(n == size && std::string_view(again.data(), n) == bytes,
             "the reader changed its input");
}

void check_run_config(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz.json";
  nlohmann::json j;
  pipeline::RunConfig config;
  try {
    j = io::parse_json(text, source);
    config = pipeline::parse_run_config(j, source);
  } catch (const InputError& e) {
    check_message(e.what(), source);
    return;
  } catch (const std::exception& e) {
    violation(std::string("run config parsing threw ") + typeid(e).name() +
              " instead of InputError: " + e.what());
  }
  // An accepted config prints to JSON that parses back to the same config.
  try {
    const nlohmann::json printed = pipeline::to_json(config);
    const std::string dumped = printed.dump();
    const nlohmann::json again =
        pipeline::to_json(pipeline::parse_run_config(io::parse_json(dumped, source), source));
    SP_REQUIRE(again == printed, "a run config does not survive to_json -> parse_run_config");
  } catch (const std::exception& e) {
    violation(std::string("the printed run config does not parse back: ") + e.what());
  }
}

namespace {

/// A refused request: an ApiError with a 4xx status, or an InputError (the dispatcher's 400
/// invalid_request); the message starts with `name`, is valid UTF-8 and short.
template <class Fn>
bool refused_properly(Fn&& fn, const std::string& name, const char* what) {
  try {
    fn();
    return false;
  } catch (const server::ApiError& e) {
    SP_REQUIRE(e.status() >= 400 && e.status() < 500,
               std::string(what) + ": status " + std::to_string(e.status()) + " for bad input");
    check_message(e.what(), name);
    note(std::string(what) + " refused: " + e.code() + ": " + e.what());
  } catch (const InputError& e) {
    check_message(e.what(), name);
    note(std::string(what) + " refused: " + e.what());
  } catch (const std::exception& e) {
    violation(std::string(what) + " threw " + typeid(e).name() +
              " instead of ApiError/InputError: " + e.what());
  }
  return true;
}

}  // namespace

void check_http_json(const uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  if (refused_properly([&] { j = server::parse_json_body(body); }, "request", "parse_json_body"))
    return;
  SP_REQUIRE(j.is_object(), "parse_json_body accepted a body that is not an object");
  const nlohmann::json original = j;
  note("parse_json_body accepted the body");

  // POST /v1/runs: an accepted request runs on the server's library and output folder, whatever
  // the body says, and its config prints to JSON that parses back to the same config.
  const server::ServerConfig config;
  server::RunRequest run;
  if (!refused_properly([&] { run = server::parse_run_request(j, config, "api-fuzz"); }, "request",
                        "parse_run_request")) {
    note("parse_run_request accepted run " + run.run_id);
    SP_REQUIRE(!run.run_id.empty(), "an accepted run request has no run id");
    SP_REQUIRE(run.config.library == config.library, "a run request chose the library");
    SP_REQUIRE(run.config.output.dir == config.output_dir, "a run request chose the output folder");
    try {
      const nlohmann::json printed = pipeline::to_json(run.config);
      const nlohmann::json again = pipeline::to_json(
          pipeline::parse_run_config(io::parse_json(printed.dump(), "printed"), "printed"));
      SP_REQUIRE(again == printed, "an accepted run request's config does not print back");
    } catch (const std::exception& e) {
      violation(std::string("an accepted run request's config does not parse back: ") + e.what());
    }
  }

  // POST /v1/simulations: an accepted request names a model file inside the models folder, never
  // a path of the client's choosing, with its counts in range.
  server::SimulationRequest simulation;
  if (!refused_properly([&] { simulation = server::parse_simulation_request(j, config); },
                        "request", "parse_simulation_request")) {
    note("parse_simulation_request accepted model " + simulation.model);
    const auto& o = simulation.options;
    SP_REQUIRE(o.model.parent_path() == std::filesystem::path(config.models_dir) &&
                   o.model.filename() == simulation.model + ".xml" &&
                   simulation.model.find('/') == std::string::npos &&
                   simulation.model.rfind('.', 0) != 0,
               "an accepted simulation request names a file outside the models folder");
    SP_REQUIRE(o.count >= 1 && o.count <= config.simulation_max_count && o.batch_size >= 0,
               "an accepted simulation request has counts out of range");
    SP_REQUIRE(o.threads == config.simulation_threads, "a simulation request chose its threads");
  }

  // POST /v1/keys: an accepted request has a name, known scopes and a bounded expiry.
  server::KeyRequest key;
  if (!refused_properly([&] { key = server::parse_key_request(j); }, "request",
                        "parse_key_request")) {
    note("parse_key_request accepted key " + key.name);
    SP_REQUIRE(j.contains("name") && j["name"].is_string() && j["name"] == key.name,
               "an accepted key request changed the name");
    SP_REQUIRE((key.scopes & ~(auth::kRead | auth::kRun | auth::kAdmin)) == 0,
               "an accepted key request has unknown scope bits");
    if (key.expires_in_days)
      SP_REQUIRE(*key.expires_in_days >= 1 && *key.expires_in_days <= 36500,
                 "an accepted key request expires out of range");
  }
  SP_REQUIRE(j == original, "parsing a request changed the body");
}

void check_http_upload(const uint8_t* data, std::size_t size) {
  // The first byte picks the upload's file name (its format), the rest is the body.
  static const char* const kNames[] = {"up.csv", "up.npy", "up.tsv", "up.ts", "up.json",
                                       "up.c3d", "up.mot", "up.sto", "up.trc"};
  const std::size_t pick = size > 0 ? data[0] % std::size(kNames) : 0;
  const std::string filename = kNames[pick];
  const std::string_view body =
      size > 0 ? std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)
               : std::string_view();
  const fs::path dir = scratch().dir() / "upload";
  static const bool made = fs::create_directories(dir) || fs::is_directory(dir);
  SP_REQUIRE(made, "cannot create the upload folder");

  std::vector<Recording> recs;
  try {
    recs = server::read_upload(body, filename, dir);
  } catch (const server::ApiError& e) {
    const std::string msg = e.what();
    SP_REQUIRE(e.status() == 400 && e.code() == "invalid_upload",
               "a bad upload answered " + std::to_string(e.status()) + " " + e.code());
    check_message(msg, filename);
    note("upload refused: " + msg);
    // (unless the body holds that text itself: the message may quote the body)
    SP_REQUIRE(msg.find(dir.string()) == std::string::npos ||
                   body.find(dir.string()) != std::string_view::npos,
               "an upload error shows the server's folder: " + io::quote_input(msg, 400));
    return;
  } catch (const std::exception& e) {
    violation(std::string("read_upload threw ") + typeid(e).name() +
              " instead of ApiError: " + e.what());
  }
  note("upload " + filename + " accepted: " + std::to_string(recs.size()) + " recording(s)");
  SP_REQUIRE(!recs.empty(), "an accepted upload holds no recordings");
  for (const auto& r : recs) check_accepted(r, io::ValueOptions{});
  // The formats read in memory too: the file reader and the in-memory reader agree.
  const auto format = io::format_from_path(filename);
  using io::Format;
  if (format == Format::csv || format == Format::npy || format == Format::ucr_tsv ||
      format == Format::sktime_ts || format == Format::json) {
    std::vector<Recording> mem;
    try {
      mem = io::parse_any(body, filename);
    } catch (const std::exception& e) {
      violation(std::string("an upload read from a file is refused in memory: ") + e.what());
    }
    SP_REQUIRE(mem.size() == recs.size(), "file and in-memory readers return different counts");
    for (std::size_t i = 0; i < mem.size(); ++i)
      same_recording(recs[i], mem[i], "file vs in-memory read of an upload");
  }
}

}  // namespace swingpipe::fuzz
