#include <cstdio>
#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/progress.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

std::string contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(Progress, ParsesModes) {
  EXPECT_EQ(Progress::parse_mode("auto"), Progress::Mode::automatic);
  EXPECT_EQ(Progress::parse_mode("always"), Progress::Mode::always);
  EXPECT_EQ(Progress::parse_mode("never"), Progress::Mode::never);
  EXPECT_THROW(Progress::parse_mode("sometimes"), InputError);
}

TEST(Progress, ShortWorkAndNeverModePrintNothing) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("quick", 3, Progress::Mode::always, f);  // under a second: no bar
    p.advance(3);
  }
  {
    Progress p("silent", 1000000, Progress::Mode::never, f);
    for (int i = 0; i < 1000000; ++i) p.advance();
  }
  {
    Progress p("not a tty", 5, Progress::Mode::automatic, f);  // auto: only on terminals
    p.advance(5);
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

}  // namespace
}  // namespace swingpipe::pipeline
