#include "h5/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(AtomicPath, CommitReplacesTheOutputInOneStep) {
  test::TempDir dir;
  const std::string out = dir.file("out.h5");
  write_text(out, "old");
  {
    AtomicPath atomic(out);
    EXPECT_EQ(std::filesystem::path(atomic.temp_path()).parent_path(), dir.path()) << "same folder";
    write_text(atomic.temp_path(), "new");
    EXPECT_EQ(read_text(out), "old") << "untouched until commit";
    atomic.commit();
  }
  EXPECT_EQ(read_text(out), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.h5"});
}

TEST(AtomicPath, WithoutCommitNothingIsLeft) {
  test::TempDir dir;
  const std::string out = dir.file("out.h5");
  {
    AtomicPath atomic(out);
    write_text(atomic.temp_path(), "partial");
  }
  EXPECT_TRUE(dir.entries().empty());
  write_text(out, "old");
  {
    AtomicPath atomic(out);
    write_text(atomic.temp_path(), "partial");
    atomic.discard();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.h5"});
  EXPECT_EQ(read_text(out), "old");
}

TEST(AtomicPath, UnwritableFolderFailsBeforeAnyWork) {
  test::TempDir dir;
  if (geteuid() == 0) {
    // root ignores folder permissions; a missing folder still fails.
    EXPECT_THROW(AtomicPath(dir.file("no/such/folder/out.h5")), IoError);
    return;
  }
  std::filesystem::create_directory(dir.file("locked"));
  chmod(dir.file("locked").c_str(), 0500);
  try {
    AtomicPath atomic(dir.file("locked/out.h5"));
    FAIL();
  } catch (const IoError& error) {
    EXPECT_NE(std::string(error.what()).find("Permission denied"), std::string::npos) << error.what();
  }
}

TEST(AtomicPath, ErrorsNameTheOutput) {
  test::TempDir dir;
  try {
    AtomicPath atomic(dir.file("missing/out.h5"));
    FAIL();
  } catch (const IoError& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot write '" + dir.file("missing/out.h5") + "': No such file or directory");
  }
  EXPECT_THROW(AtomicPath(dir.path().string()), IoError) << "a directory is not an output file";
  EXPECT_THROW(AtomicPath(""), UsageError);
}

}  // namespace
}  // namespace occ::h5
