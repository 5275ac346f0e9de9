#include "core/provenance.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace occ {
namespace {

TEST(Provenance, UuidsAreVersion4AndDistinct) {
  const std::regex pattern("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = make_uuid();
    EXPECT_TRUE(std::regex_match(uuid, pattern)) << uuid;
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Provenance, CommandLineIsReplayableInAShell) {
  const char* argv[] = {"occ", "prep", "synth", "--name", "it's a test", "-o", "out dir/x.h5", ""};
  set_command_line(8, argv);
  EXPECT_EQ(command_line(), "occ prep synth --name 'it'\\''s a test' -o 'out dir/x.h5' ''");
}

TEST(Provenance, TimestampIsIsoUtc) {
  EXPECT_TRUE(std::regex_match(utc_timestamp(), std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)")));
}

}  // namespace
}  // namespace occ
