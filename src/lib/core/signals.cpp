#include "core/signals.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace occ {
namespace {

// A fixed table so the signal handler touches no heap memory: it may only
// call async-signal-safe functions (unlink, signal, raise).
constexpr int kSlots = 64;
constexpr int kPathBytes = 4096;
char g_paths[kSlots][kPathBytes];
std::atomic<bool> g_claimed[kSlots];  // owned by some caller
std::atomic<bool> g_active[kSlots];   // path filled in: the handler may read it

std::atomic<bool> g_cooperative{false};
std::atomic<int> g_interrupt_signal{0};

extern "C" void remove_temps_and_reraise(int signal_number) {
  if (g_cooperative.load() && signal_number != SIGHUP) {
    int expected = 0;
    if (g_interrupt_signal.compare_exchange_strong(expected, signal_number)) return;
  }
  for (int i = 0; i < kSlots; ++i) {
    if (g_active[i].load()) unlink(g_paths[i]);
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

}  // namespace

void install_signal_handlers() {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  struct sigaction action {};
  action.sa_handler = remove_temps_and_reraise;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal_number, &action, nullptr);
}

int register_temp_path(const std::string& path) {
  if (path.size() + 1 > static_cast<size_t>(kPathBytes)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    // Claim the slot, fill it, then publish: the handler only reads active
    // slots, so it never sees a half-copied path.
    if (g_claimed[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
      g_active[i] = true;
      return i;
    }
  }
  return -1;
}

void unregister_temp_path(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  g_active[slot] = false;
  g_claimed[slot] = false;
}

void set_cooperative_interrupt(bool enabled) {
  g_cooperative = enabled;
}
bool interrupt_requested() {
  return g_interrupt_signal.load() != 0;
}
int interrupt_signal() {
  return g_interrupt_signal.load();
}

}  // namespace occ
