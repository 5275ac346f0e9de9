#pragma once
// Runs a program the way a shell user would and captures what it printed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace occ::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// argv[0] is the program path; no shell is involved, so arguments need no quoting.
inline RunResult run(const std::vector<std::string>& argv, const std::string& stdout_path = "") {
  TempDir capture;
  const std::string out_path = stdout_path.empty() ? capture.file("out") : stdout_path;
  const std::string err_path = capture.file("err");
  const pid_t child = fork();
  if (child == 0) {
    if (!freopen(out_path.c_str(), "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(127);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // A caller-chosen stdout (a file, /dev/full) is the caller's to read.
  if (stdout_path.empty()) result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

}  // namespace occ::test
