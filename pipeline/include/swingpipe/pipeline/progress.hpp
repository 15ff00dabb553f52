#pragma once
// A progress bar on stderr for work that takes over a second: on a terminal it redraws one line
// at most 10 times a second; elsewhere (logs, CI) it prints a line every 5 seconds.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace swingpipe::pipeline {

class Progress {
 public:
  enum class Mode { automatic, always, never };
  Progress(std::string label, int64_t total, Mode mode = Mode::automatic, FILE* out = stderr);
  ~Progress();
  void advance(int64_t n = 1);
  void finish();
  static Mode parse_mode(const std::string& text);  ///< auto, always, never

 private:
  void draw(bool final);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool drawn_ = false;
  bool finished_ = false;
  FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace swingpipe::pipeline
