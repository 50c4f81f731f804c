#include "train/data_parallel.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>

#include "timbrel/error.h"

namespace timbrel::train {
namespace {

long long env_integer(const std::function<const char*(const char*)>& getenv, const char* name, long long fallback, long long lo, long long hi) {
  const char* text = getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    throw Error(name, std::string("is '") + text + "', expected a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

}  // namespace

DistributedEnv distributed_env(const std::function<const char*(const char*)>& getenv_fn) {
  const auto env = getenv_fn ? getenv_fn : [](const char* name) -> const char* { return std::getenv(name); };
  DistributedEnv e;
  e.world_size = int(env_integer(env, "WORLD_SIZE", 1, 1, 65536));
  e.rank = int(env_integer(env, "RANK", 0, 0, e.world_size - 1));
  e.local_rank = int(env_integer(env, "LOCAL_RANK", e.rank, 0, 65535));
  e.master_port = int(env_integer(env, "MASTER_PORT", 29500, 1, 65535));
  e.timeout_seconds = double(env_integer(env, "TIMBREL_DIST_TIMEOUT", 120, 1, 86400));
  if (const char* addr = env("MASTER_ADDR"); addr && *addr) e.master_addr = addr;
  else if (e.world_size > 1) throw Error("MASTER_ADDR", "is needed with WORLD_SIZE > 1 (the host of rank 0)");
  return e;
}

struct DataParallel::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel(const DistributedEnv& env) : env_(env), impl_(std::make_unique<Impl>()) {
  if (!env.active()) return;
  const auto timeout = std::chrono::milliseconds(int64_t(env.timeout_seconds * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = uint16_t(env.master_port);
    so.isServer = env.leader();
    so.numWorkers = env.world_size;
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size),
                "could not join the training group at " + env.master_addr + ":" + std::to_string(env.master_port) + " within " +
                    std::to_string(int(env.timeout_seconds)) + " s: " + e.what());
  }
}

DataParallel::~DataParallel() = default;

namespace {

// Runs a collective; a peer that died or timed out becomes a clear error.
template <class F>
void collective(const DistributedEnv& env, const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (why.size() > 400) why = why.substr(0, 400) + "...";
    throw Error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size),
                std::string(what) + " failed (a rank stopped or timed out after " + std::to_string(int(env.timeout_seconds)) + " s): " + why);
  }
}

}  // namespace

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!env_.active()) return;
  torch::NoGradGuard no_grad;
  collective(env_, "broadcasting the parameters", [&] {
    for (const auto& t : tensors) {
      std::vector<at::Tensor> one{t.data()};
      impl_->group->broadcast(one)->wait();
    }
  });
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters) {
  if (!env_.active()) return;
  torch::NoGradGuard no_grad;
  constexpr int64_t kBucketValues = 4 << 20;  // 16 MB of float32 per all-reduce
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);  // unused this step: a zero gradient still joins in
    grads.push_back(p.grad());
  }
  collective(env_, "averaging the gradients", [&] {
    for (size_t first = 0; first < grads.size();) {
      size_t last = first;
      int64_t values = 0;
      while (last < grads.size() && (last == first || values + grads[last].numel() <= kBucketValues)) values += grads[last++].numel();
      std::vector<torch::Tensor> flat_parts;
      for (size_t i = first; i < last; ++i) flat_parts.push_back(grads[i].reshape({-1}));
      std::vector<at::Tensor> bucket{torch::cat(flat_parts)};
      impl_->group->allreduce(bucket)->wait();
      bucket[0].div_(double(env_.world_size));
      int64_t at = 0;
      for (size_t i = first; i < last; ++i) {
        grads[i].copy_(bucket[0].narrow(0, at, grads[i].numel()).view_as(grads[i]));
        at += grads[i].numel();
      }
      first = last;
    }
  });
}

double DataParallel::average(double value) {
  if (!env_.active()) return value;
  std::vector<at::Tensor> one{torch::full({1}, value, torch::kDouble)};
  collective(env_, "averaging the loss", [&] { impl_->group->allreduce(one)->wait(); });
  return one[0].item<double>() / env_.world_size;
}

std::pair<size_t, size_t> DataParallel::slice(size_t n) const {
  const size_t world = size_t(env_.world_size), rank = size_t(env_.rank);
  if (n % world != 0)
    throw Error("batch", std::to_string(n) + " does not divide among " + std::to_string(world) + " ranks (give a multiple of the world size)");
  return {rank * (n / world), (rank + 1) * (n / world)};
}

void quiet_unless_leader(const DistributedEnv& env, MessageSink& log, MessageSink* progress) {
  if (env.leader()) return;
  log = [](const std::string&) {};
  if (progress) *progress = [](const std::string&) {};
}

}  // namespace timbrel::train
