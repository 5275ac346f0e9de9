#include "core/spawn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/signals.h"
#include "core/strings.h"

namespace occ {
namespace {

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int run_self_copies(const std::vector<ChildProcess>& children) {
  std::vector<pid_t> pids;
  for (const ChildProcess& child : children) {
    // Everything the child needs is prepared before fork: after it only
    // async-signal-safe calls are allowed.
    std::vector<std::string> argv_storage{"occ"};
    argv_storage.insert(argv_storage.end(), child.arguments.begin(), child.arguments.end());
    std::vector<char*> argv;
    for (auto& argument : argv_storage) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment_storage;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      const std::string entry = *variable;
      const std::string name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& [key, value] : child.environment) replaced = replaced || key == name;
      if (!replaced) environment_storage.push_back(entry);
    }
    for (const auto& [key, value] : child.environment) environment_storage.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : environment_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const pid_t parent = getpid();

    const pid_t pid = fork();
    if (pid < 0) {
      for (pid_t started : pids) kill(started, SIGTERM);
      throw Error(str("cannot start a process: ", std::strerror(errno)));
    }
    if (pid == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);  // the parent died before prctl
      execve("/proc/self/exe", argv.data(), envp.data());
      _exit(127);
    }
    pids.push_back(pid);
  }

  // Our own SIGINT/SIGTERM only sets a flag while we wait; it is passed on.
  set_cooperative_interrupt(true);
  bool forwarded = false;
  int result = 0;
  size_t running = pids.size();
  std::vector<bool> done(pids.size(), false);
  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      if (interrupt_requested() && !forwarded) {
        for (size_t i = 0; i < pids.size(); ++i) {
          if (!done[i]) kill(pids[i], SIGINT);
        }
        forwarded = true;
      }
      usleep(20000);
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] != pid || done[i]) continue;
      done[i] = true;
      --running;
      const int code = exit_status(status);
      if (code != 0 && result == 0) {
        result = code;
        // One rank failed: the others would wait for it forever.
        for (size_t j = 0; j < pids.size(); ++j) {
          if (!done[j]) kill(pids[j], SIGTERM);
        }
      }
    }
  }
  set_cooperative_interrupt(false);
  return result;
}

int free_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(str("cannot open a socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw Error(str("cannot find a free port: ", std::strerror(errno)));
  }
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace occ
