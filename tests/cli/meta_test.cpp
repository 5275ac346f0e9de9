// Meta-tests over the command table: every registered command answers
// --help, `occ help CMD` says the same, its man page names every long option,
// and `occ --help` lists exactly the registered commands.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "support/run.h"

namespace occ::test {
namespace {

// Command names as `occ --help` lists them: indented lines under headings.
std::vector<std::string> listed_commands() {
  const RunResult result = run({OCC_BINARY, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  std::vector<std::string> names;
  const std::regex line(R"(^  ([a-z][a-z0-9-]*)  +\S.*$)");
  std::istringstream lines(result.out);
  std::string text;
  while (std::getline(lines, text)) {
    std::smatch match;
    if (std::regex_match(text, match, line)) names.push_back(match[1]);
  }
  return names;
}

std::set<std::string> long_options(const std::string& help) {
  std::set<std::string> options;
  const std::regex option(R"((^|[ ,])(--[a-z][a-z0-9-]*))");
  std::istringstream lines(help);
  std::string text;
  while (std::getline(lines, text)) {
    // Only the option column: the description may mention other options.
    const std::string column = text.substr(0, std::min<size_t>(text.size(), 34));
    for (std::sregex_iterator it(column.begin(), column.end(), option), end; it != end; ++it) {
      options.insert((*it)[2]);
    }
  }
  return options;
}

TEST(Meta, HelpListsExactlyTheManPagesOfRegisteredCommands) {
  const auto names = listed_commands();
  ASSERT_FALSE(names.empty());
  std::set<std::string> pages;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(OCC_SOURCE_DIR) + "/man")) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("occ-", 0) == 0) pages.insert(file.substr(4, file.size() - 4 - 2));
  }
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), pages)
      << "every registered command has man/occ-<command>.1 and no page describes a missing command";
  const std::string main_page = read_text(std::string(OCC_SOURCE_DIR) + "/man/occ.1");
  for (const auto& name : names) {
    EXPECT_NE(main_page.find("occ-" + name), std::string::npos) << "occ.1 refers to occ-" << name;
  }
}

TEST(Meta, EveryCommandAnswersHelpAndHelpCommandAgrees) {
  for (const auto& name : listed_commands()) {
    const RunResult direct = run({OCC_BINARY, name, "--help"});
    EXPECT_EQ(direct.exit_code, 0) << name << ": " << direct.err;
    EXPECT_NE(direct.out.find("occ " + name), std::string::npos) << direct.out;
    EXPECT_TRUE(direct.err.empty()) << direct.err;
    const RunResult via_help = run({OCC_BINARY, "help", name});
    EXPECT_EQ(via_help.exit_code, 0);
    EXPECT_EQ(via_help.out, direct.out) << "occ help " << name << " differs from occ " << name << " --help";
  }
}

TEST(Meta, ManPagesNameEveryLongOption) {
  for (const auto& name : listed_commands()) {
    const std::string help = run({OCC_BINARY, name, "--help"}).out;
    const std::string page = read_text(std::string(OCC_SOURCE_DIR) + "/man/occ-" + name + ".1");
    ASSERT_FALSE(page.empty()) << "man/occ-" << name << ".1";
    const auto options = long_options(help);
    EXPECT_TRUE(options.count("--threads")) << "global options are on every command";
    for (const auto& option : options) {
      // roff escapes the dashes: \-\-threads
      std::string escaped;
      for (char c : option) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
      EXPECT_TRUE(page.find(escaped) != std::string::npos || page.find(option) != std::string::npos)
          << "man/occ-" << name << ".1 does not mention " << option;
    }
  }
}

TEST(Meta, GlobalUsageAndVersion) {
  const RunResult bare = run({OCC_BINARY});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("usage: occ"), std::string::npos);
  const RunResult version = run({OCC_BINARY, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  for (const char* library : {"occ ", "LibTorch ", "OpenCV ", "HDF5 ", "zstd ", "CUDA "}) {
    EXPECT_NE(version.out.find(library), std::string::npos) << library;
  }
  const RunResult unknown = run({OCC_BINARY, "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "occ: unknown command 'frobnicate' (see 'occ --help')\n");
  const RunResult bad_option = run({OCC_BINARY, "inspect", "--no-such-option", "x.h5"});
  EXPECT_EQ(bad_option.exit_code, 2);
  EXPECT_EQ(bad_option.err.rfind("occ inspect: ", 0), 0u) << bad_option.err;
  const RunResult bad_threads = run({OCC_BINARY, "inspect", "-j", "-3", "x.h5"});
  EXPECT_EQ(bad_threads.exit_code, 2) << bad_threads.err;
}

TEST(Meta, FailedStdoutIsAnError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const RunResult result = run({OCC_BINARY, "--help"}, "/dev/full");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("error writing standard output"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace occ::test
