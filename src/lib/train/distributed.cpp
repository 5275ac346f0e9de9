#define USE_C10D_GLOO 1
#include "train/distributed.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>

#include "core/error.h"
#include "core/provenance.h"
#include "core/spawn.h"
#include "core/strings.h"

namespace occ::train {
namespace {

int integer_variable(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1 << 20) {
    throw UsageError(str("environment variable ", name, "=", quoted(text), " is not a non-negative integer"));
  }
  return static_cast<int>(value);
}

// Flattens same-dtype tensors into one buffer, runs `collective` on it and
// copies the result back.
template <typename Collective>
void flattened(std::vector<at::Tensor>& tensors, Collective collective) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor& tensor : tensors) flat.push_back(tensor.detach().reshape({-1}).to(at::kDouble));
  std::vector<at::Tensor> buffer{at::cat(flat)};
  collective(buffer);
  int64_t offset = 0;
  for (at::Tensor& tensor : tensors) {
    const int64_t count = tensor.numel();
    tensor.detach().copy_(buffer[0].slice(0, offset, offset + count).view(tensor.sizes()));
    offset += count;
  }
}

}  // namespace

DistributedEnvironment distributed_environment_from_env() {
  DistributedEnvironment environment;
  environment.world_size = std::max(1, integer_variable("WORLD_SIZE", 1));
  environment.rank = integer_variable("RANK", 0);
  environment.local_rank = integer_variable("LOCAL_RANK", environment.rank);
  environment.master_port = integer_variable("MASTER_PORT", 29500);
  if (const char* address = std::getenv("MASTER_ADDR"); address != nullptr && *address != '\0') {
    environment.master_addr = address;
  }
  if (environment.rank >= environment.world_size) {
    throw UsageError(str("RANK=", environment.rank, " must be below WORLD_SIZE=", environment.world_size));
  }
  if (environment.master_port < 1 || environment.master_port > 65535) {
    throw UsageError(str("MASTER_PORT=", environment.master_port, " is not a port"));
  }
  return environment;
}

int launch_local_ranks(int nproc) {
  const std::vector<std::string>& argv = command_arguments();
  std::vector<std::string> arguments;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "--nproc") {
      ++i;  // and its value
      continue;
    }
    if (argv[i].rfind("--nproc=", 0) == 0) continue;
    arguments.push_back(argv[i]);
  }
  const std::string port = std::to_string(free_local_port());
  std::vector<ChildProcess> children;
  for (int rank = 0; rank < nproc; ++rank) {
    children.push_back({arguments,
                        {{"RANK", std::to_string(rank)},
                         {"LOCAL_RANK", std::to_string(rank)},
                         {"WORLD_SIZE", std::to_string(nproc)},
                         {"MASTER_ADDR", "127.0.0.1"},
                         {"MASTER_PORT", port}}});
  }
  return run_self_copies(children);
}

struct ProcessGroup::State {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedEnvironment& environment)
    : state_(std::make_unique<State>()), rank_(environment.rank), world_size_(environment.world_size) {
  const auto timeout = std::chrono::minutes(5);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(environment.master_port);
    store_options.isServer = environment.rank == 0;
    store_options.numWorkers = environment.world_size;
    store_options.timeout = timeout;
    state_->store = c10::make_intrusive<c10d::TCPStore>(environment.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // Bind where the store is reachable: loopback for one machine, else the
    // host's own address.
    const bool local = environment.master_addr == "127.0.0.1" || environment.master_addr == "localhost";
    options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;
    state_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(state_->store, environment.rank,
                                                                environment.world_size, options);
  } catch (const std::exception& error) {
    throw Error(str("cannot join the process group at ", environment.master_addr, ":",
                    environment.master_port, " as rank ", environment.rank, " of ", environment.world_size,
                    ": ", error.what()));
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::average(std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) return;
  flattened(tensors, [&](std::vector<at::Tensor>& buffer) {
    state_->group->allreduce(buffer)->wait();
    buffer[0].div_(static_cast<double>(world_size_));
  });
}

void ProcessGroup::broadcast_from_rank0(std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) return;
  flattened(tensors, [&](std::vector<at::Tensor>& buffer) {
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    state_->group->broadcast(buffer, options)->wait();
  });
}

double ProcessGroup::max(double value) {
  std::vector<at::Tensor> buffer{at::full({1}, value, at::kDouble)};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  state_->group->allreduce(buffer, options)->wait();
  return buffer[0].item<double>();
}

}  // namespace occ::train
