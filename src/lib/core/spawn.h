#pragma once
// Running copies of this executable side by side (`occ train --nproc N`
// starts one training process per rank this way).
#include <string>
#include <utility>
#include <vector>

namespace occ {

struct ChildProcess {
  std::vector<std::string> arguments;                            // argv without argv[0]
  std::vector<std::pair<std::string, std::string>> environment;  // set on top of ours
};

// Starts every child (this executable, /proc/self/exe) at once and waits for
// all. The children run in their own process group, so a Ctrl-C reaches them
// once, forwarded by us as SIGINT (they stop cleanly); they get SIGTERM if we
// die. When one fails the others are terminated. Returns 0 when all
// succeeded, else the first failure's exit status (128 + signal if killed).
int run_self_copies(const std::vector<ChildProcess>& children);

// A TCP port on 127.0.0.1 that was free a moment ago (for a rendezvous).
int free_local_port();

}  // namespace occ
