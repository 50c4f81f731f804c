#pragma once
// Data-parallel training over libtorch's c10d, launched as torchrun launches: RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR and MASTER_PORT from the environment (so torchrun, Slurm's srun and a
// Kubernetes PyTorchJob or indexed Job start it unchanged). Rendezvous through a TCPStore that
// rank 0 serves; gradients all-reduced in buckets over Gloo (CPU tensors). Every step works on
// one global batch, drawn alike on every rank: rank r computes the loss of its slice, the
// gradients are averaged, and the update equals one process's on the whole batch. A rank that
// dies makes the others fail within the timeout (TIMBREL_DIST_TIMEOUT seconds, default 120)
// with an error naming it, never hang.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/torch_pch.h"

namespace timbrel::train {

struct DistributedEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_seconds = 120;
  bool active() const { return world_size > 1; }
  bool leader() const { return rank == 0; }
};

using MessageSink = std::function<void(const std::string&)>;
// Rank 0 speaks for the job: on the other ranks `log` (and `progress`, when given) drop everything.
void quiet_unless_leader(const DistributedEnv& env, MessageSink& log, MessageSink* progress = nullptr);

// The launch variables (world 1 when WORLD_SIZE is unset); errors name the variable.
DistributedEnv distributed_env(const std::function<const char*(const char*)>& getenv = {});

class DataParallel {
 public:
  // Joins the group (nothing to do for a world of 1).
  explicit DataParallel(const DistributedEnv& env);
  ~DataParallel();
  const DistributedEnv& env() const { return env_; }
  // Rank 0's values into every rank's tensors (in place).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Each parameter's gradient replaced by the mean over the ranks (buckets of ~16 MB).
  void average_gradients(const std::vector<torch::Tensor>& parameters);
  // The mean of a value over the ranks.
  double average(double value);
  // This rank's part [first, last) of a global batch of n items; n must divide by the world size.
  std::pair<size_t, size_t> slice(size_t n) const;

 private:
  struct Impl;
  DistributedEnv env_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel::train
