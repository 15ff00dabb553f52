#include "swingpipe/pipeline/progress.hpp"

#include <unistd.h>

#include "swingpipe/error.hpp"
#include "swingpipe/host/untrusted.hpp"

namespace swingpipe::pipeline {

Progress::Mode Progress::parse_mode(const std::string& text) {
  if (text == "auto") return Mode::automatic;
  if (text == "always") return Mode::always;
  if (text == "never") return Mode::never;
  throw InputError("progress must be auto, always or never, got " + io::quote_input(text));
}

Progress::Progress(std::string label, int64_t total, Mode mode, FILE* out)
    : label_(std::move(label)), total_(total), out_(out) {
  tty_ = isatty(fileno(out)) != 0;
  enabled_ = mode == Mode::always || (mode == Mode::automatic && tty_);
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  finish();
}

void Progress::advance(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;  // short work: no bar at all
  const auto gap = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (drawn_ && now - last_draw_ < gap) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && drawn_) draw(true);
}

void Progress::draw(bool final) {
  drawn_ = true;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  const double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1;
  constexpr int width = 30;
  std::string bar(width, ' ');
  for (int i = 0; i < static_cast<int>(frac * width) && i < width; ++i) bar[i] = '#';
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0;
  std::fprintf(out_, "%s%s [%s] %lld/%lld %.1f/s %s %.0fs%s", tty_ ? "\r" : "", label_.c_str(),
               bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), rate,
               final ? "in" : "ETA", final ? secs : eta, (tty_ && !final) ? "" : "\n");
  std::fflush(out_);
}

}  // namespace swingpipe::pipeline
