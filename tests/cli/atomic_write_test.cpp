// A writer killed half way never leaves a partial file at the output path:
// SIGKILL leaves no file or the previous complete one; SIGINT/SIGTERM also
// remove the temporary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/run.h"

namespace occ::test {
namespace {

struct SlowWriter {
  pid_t pid = -1;
  std::string temp_path;
};

// Starts `h5_test_writer slow OUT 500 20` and waits until it has written its
// first frame (it prints "started <temp path>").
SlowWriter start_slow_writer(const std::string& out) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  SlowWriter writer;
  writer.pid = fork();
  if (writer.pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    execl(OCC_TEST_WRITER, OCC_TEST_WRITER, "slow", out.c_str(), "500", "20", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  FILE* output = fdopen(pipe_fds[0], "r");
  char line[4096] = {};
  if (!fgets(line, sizeof line, output)) throw std::runtime_error("writer did not start");
  fclose(output);
  std::string text(line);
  text.erase(text.find_last_not_of('\n') + 1);
  writer.temp_path = text.substr(text.find(' ') + 1);
  return writer;
}

int kill_and_wait(pid_t pid, int signal_number) {
  kill(pid, signal_number);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

void expect_complete_previous_file(const std::string& path) {
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(h5::read_int_attribute(file, "/", "frames"), 3);
  EXPECT_EQ(h5::read<float>(file, "/frames").shape, (h5::Shape{3, 64, 64}));
}

TEST(AtomicWrite, SigkillLeavesNoFileAtTheOutputPath) {
  TempDir dir;
  const std::string out = dir.file("out.h5");
  const SlowWriter writer = start_slow_writer(out);
  EXPECT_TRUE(std::filesystem::exists(writer.temp_path)) << writer.temp_path;
  const int status = kill_and_wait(writer.pid, SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(AtomicWrite, SigkillKeepsThePreviousCompleteFile) {
  TempDir dir;
  const std::string out = dir.file("out.h5");
  ASSERT_EQ(run({OCC_TEST_WRITER, "slow", out, "3", "0"}).exit_code, 0);
  expect_complete_previous_file(out);
  const SlowWriter writer = start_slow_writer(out);
  kill_and_wait(writer.pid, SIGKILL);
  expect_complete_previous_file(out);
}

TEST(AtomicWrite, SigintAndSigtermRemoveTheTemporary) {
  for (int signal_number : {SIGINT, SIGTERM}) {
    TempDir dir;
    const std::string out = dir.file("out.h5");
    ASSERT_EQ(run({OCC_TEST_WRITER, "slow", out, "3", "0"}).exit_code, 0);
    const SlowWriter writer = start_slow_writer(out);
    const int status = kill_and_wait(writer.pid, signal_number);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal_number) << "ends with the same signal";
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.h5"}) << "temporary removed";
    expect_complete_previous_file(out);
  }
}

TEST(AtomicWrite, UnwritableOutputFolderIsAClearErrorAndLeavesNothing) {
  TempDir dir;
  const std::string missing = dir.file("no/such/folder/out.h5");
  const RunResult result = run({OCC_TEST_WRITER, "dtypes", missing});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "h5_test_writer: cannot write '" + missing + "': No such file or directory\n");
  if (geteuid() != 0) {  // root writes anywhere
    std::filesystem::create_directory(dir.file("locked"));
    chmod(dir.file("locked").c_str(), 0500);
    const RunResult locked = run({OCC_TEST_WRITER, "dtypes", dir.file("locked/out.h5")});
    EXPECT_EQ(locked.exit_code, 1);
    EXPECT_NE(locked.err.find("Permission denied"), std::string::npos) << locked.err;
    chmod(dir.file("locked").c_str(), 0700);
    EXPECT_TRUE(std::filesystem::is_empty(dir.file("locked")));
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});
}

}  // namespace
}  // namespace occ::test
