#pragma once
// Data-parallel training over LibTorch's c10d with the Gloo backend (CPU; a
// CUDA build of LibTorch would use NCCL the same way): every process trains
// on its own slice of each global batch and the gradients are averaged
// before every update, as torch.nn.parallel.DistributedDataParallel does.
// Processes find each other through the torchrun/Slurm-style environment:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace occ::train {

struct DistributedEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  bool enabled() const { return world_size > 1; }
};

// Reads the variables above; world size 1 when WORLD_SIZE is unset. Throws
// UsageError naming the variable for malformed or inconsistent values.
DistributedEnvironment distributed_environment_from_env();

// `occ train --nproc N`: runs this process's command line again once per
// rank, without --nproc, with RANK/WORLD_SIZE/LOCAL_RANK and a free loopback
// MASTER_PORT set, and waits for all (core/spawn.h). Returns the first
// failing rank's exit status, 0 when all succeeded.
int launch_local_ranks(int nproc);

class ProcessGroup {
 public:
  // Connects to the other processes (rank 0 hosts the rendezvous store);
  // throws Error naming the address when they do not all arrive in time.
  explicit ProcessGroup(const DistributedEnvironment& environment);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  // Averages the tensors over all processes, in place (one flattened
  // all-reduce per dtype, so small tensors cost one round trip together).
  void average(std::vector<at::Tensor>& tensors);
  // Copies rank 0's values into every process's tensors, in place.
  void broadcast_from_rank0(std::vector<at::Tensor>& tensors);
  // The largest value over all processes (a collective stop decision).
  double max(double value);

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  int rank_ = 0;
  int world_size_ = 1;
};

}  // namespace occ::train
