// Debian's LibTorch is built with Gloo but its CMake config does not say so;
// ProcessGroupGloo.hpp declares the class only under this macro.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include "distributed/data_parallel.h"

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "util/error.h"

namespace s2s {

struct DataParallel::Links {
  c10::intrusive_ptr<c10d::Store> store;
  // The concrete type: a ProcessGroup in LibTorch 1.13, a Backend in 2.x, with the same collectives.
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHeartbeatPeriod = std::chrono::milliseconds(500);
constexpr int64_t kBucketBytes = 25 << 20;  // DDP's default bucket size

std::string message_of(const std::exception& e) {
  std::string text = e.what();
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) text = c10_error->what_without_backtrace();
  return first_line(text);
}

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }
std::string text_of(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

std::string seconds_text(double seconds) {
  std::ostringstream out;
  out << seconds << " s";
  return out.str();
}

c10::intrusive_ptr<c10d::Store> open_store(const WorldSpec& spec, bool serve, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(spec.master_port);
  options.isServer = serve;
  options.numWorkers = static_cast<size_t>(spec.world_size);
  options.waitWorkers = false;  // our own rendezvous names who is missing
  options.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(spec.master_addr, options);
  return c10::make_intrusive<c10d::PrefixStore>(spec.store_prefix, store);
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const WorldSpec& spec) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (spec.master_addr == "localhost" || spec.master_addr.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

DataParallel::DataParallel(const WorldSpec& spec, const std::string& config_fingerprint)
    : spec_(spec),
      timeout_(std::chrono::milliseconds(static_cast<int64_t>(spec.timeout_seconds * 1000))),
      links_(std::make_unique<Links>()) {
  const std::string timeout_text = seconds_text(spec.timeout_seconds) + " (train.distributed_timeout_seconds)";
  const bool serve = spec_.is_main() && !spec_.agent_store;
  try {
    links_->store = open_store(spec_, serve, timeout_);
  } catch (const std::exception& e) {
    if (serve) throw Error("rank 0 cannot serve the rendezvous store on port " + std::to_string(spec_.master_port) + ": " + message_of(e));
    throw PeerFailure("rank " + std::to_string(spec_.rank) + " could not reach the rendezvous store at " + store_address() +
                " (served by rank 0) within " + timeout_text + ": " + message_of(e));
  }
  auto& store = *links_->store;
  try {
    store.set("arrived/" + std::to_string(spec_.rank), bytes_of(config_fingerprint));
    // Our own wait, so the message can name every rank that is missing.
    const auto deadline = Clock::now() + timeout_;
    std::vector<int> missing;
    while (true) {
      missing.clear();
      for (int r = 0; r < spec_.world_size; ++r) {
        if (!store.check({"arrived/" + std::to_string(r)})) missing.push_back(r);
      }
      if (missing.empty() || Clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!missing.empty()) {
      std::string names;
      for (int r : missing) names += (names.empty() ? "" : ", ") + std::to_string(r);
      throw PeerFailure(std::string(missing.size() == 1 ? "rank " : "ranks ") + names + " of " + std::to_string(spec_.world_size) +
                  " never arrived at the rendezvous at " + store_address() + " within " + timeout_text);
    }
    const std::string main_fingerprint = text_of(store.get("arrived/0"));
    if (main_fingerprint != config_fingerprint) {
      throw UsageError("rank " + std::to_string(spec_.rank) + " resolved another training config than rank 0 "
                       "(fingerprint " + config_fingerprint + " against " + main_fingerprint +
                       "); every rank must run the same config and the same --resume");
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("the rendezvous at " + store_address() + " failed on rank " + std::to_string(spec_.rank) + ": " + message_of(e));
  }
  heartbeat_ = std::thread([this] { beat_heart(); });
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
    options->devices.push_back(gloo_device(spec_));
    auto group_store = c10::make_intrusive<c10d::PrefixStore>("gloo", links_->store);
    links_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group_store, spec_.rank, spec_.world_size, options);
  } catch (const std::exception& e) {
    fail("connecting the process group", message_of(e));
  }
}

DataParallel::~DataParallel() {
  stopping_ = true;
  if (heartbeat_.joinable()) heartbeat_.join();
  links_->group.reset();
  links_->store.reset();
}

std::string DataParallel::store_address() const { return spec_.master_addr + ":" + std::to_string(spec_.master_port); }

// Its own store connection: the main thread's may be blocked in a wait.
void DataParallel::beat_heart() {
  try {
    auto store = open_store(spec_, false, timeout_);
    const std::string key = "heartbeat/" + std::to_string(spec_.rank);
    while (!stopping_) {
      store->add(key, 1);
      for (auto slept = std::chrono::milliseconds(0); slept < kHeartbeatPeriod && !stopping_; slept += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  } catch (const std::exception&) {
    // The store went away (rank 0 ended); the main thread finds out on its own.
  }
}

int64_t DataParallel::heartbeat_of(int rank) { return links_->store->add("heartbeat/" + std::to_string(rank), 0); }

std::string DataParallel::diagnose() {
  auto& store = *links_->store;
  try {
    std::string failures;
    for (int r = 0; r < spec_.world_size; ++r) {
      const std::string key = "failed/" + std::to_string(r);
      if (r != spec_.rank && store.check({key})) {
        failures += (failures.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " stopped on an error: " + text_of(store.get(key));
      }
    }
    if (!failures.empty()) return failures;
    std::vector<int64_t> before(spec_.world_size);
    for (int r = 0; r < spec_.world_size; ++r) before[r] = heartbeat_of(r);
    std::this_thread::sleep_for(kHeartbeatPeriod * 4);
    std::string stale;
    for (int r = 0; r < spec_.world_size; ++r) {
      if (r != spec_.rank && heartbeat_of(r) == before[r]) stale += (stale.empty() ? "" : ", ") + std::to_string(r);
    }
    if (!stale.empty()) {
      return (stale.find(',') == std::string::npos ? "rank " : "ranks ") + stale +
             " stopped responding (killed, crashed or frozen: no heartbeat for " +
             seconds_text(std::chrono::duration<double>(kHeartbeatPeriod * 4).count()) + ")";
    }
    return "every rank still answers the store";
  } catch (const std::exception&) {
    return "rank 0 is gone (it serves the rendezvous store at " + store_address() + "; killed, crashed or stopped on an error)";
  }
}

void DataParallel::fail(const std::string& during, const std::string& detail) { stop(during, diagnose() + " [" + detail + "]"); }

void DataParallel::stop(const std::string& during, const std::string& blame) {
  throw PeerFailure("data-parallel training failed on rank " + std::to_string(spec_.rank) + " while " + during + ": " + blame +
                    "; every rank stops");
}

void DataParallel::sum(const std::vector<torch::Tensor>& tensors, const std::string& during) {
  const auto start = Clock::now();
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& tensor : tensors) {
      std::vector<at::Tensor> one{tensor};
      works.push_back(links_->group->allreduce(one));
    }
    for (auto& work : works) work->wait();
  } catch (const std::exception& e) {
    fail(during, message_of(e));
  }
  communication_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

void DataParallel::broadcast_from_main(const std::vector<torch::Tensor>& tensors, const std::string& during) {
  torch::NoGradGuard no_grad;
  try {
    for (const auto& tensor : tensors) {
      // One contiguous copy per tensor: Gloo broadcasts dense memory.
      std::vector<at::Tensor> one{tensor.contiguous()};
      links_->group->broadcast(one)->wait();
      if (!one[0].is_same(tensor)) tensor.copy_(one[0]);
    }
  } catch (const std::exception& e) {
    fail(during, message_of(e));
  }
}

void DataParallel::sum_gradients(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  if (bucketed_parameters_ != parameters.size()) {
    // Reverse order: the last layers' gradients are complete first.
    buckets_.clear();
    Bucket bucket;
    int64_t bytes = 0, elements = 0;
    auto close = [&] {
      if (bucket.parameters.empty()) return;
      bucket.flat = torch::zeros({elements}, parameters[bucket.parameters[0]].options().requires_grad(false));
      buckets_.push_back(std::move(bucket));
      bucket = Bucket();
      bytes = elements = 0;
    };
    for (size_t i = parameters.size(); i-- > 0;) {
      bucket.parameters.push_back(i);
      elements += parameters[i].numel();
      bytes += parameters[i].numel() * static_cast<int64_t>(parameters[i].element_size());
      if (bytes >= kBucketBytes) close();
    }
    close();
    bucketed_parameters_ = parameters.size();
  }
  const auto start = Clock::now();
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& bucket : buckets_) {
      int64_t offset = 0;
      for (size_t i : bucket.parameters) {
        const auto& p = parameters[i];
        auto slice = bucket.flat.narrow(0, offset, p.numel());
        if (p.grad().defined()) slice.copy_(p.grad().reshape(-1));
        else slice.zero_();
        offset += p.numel();
      }
      // Launched as soon as it is filled: Gloo's threads sum it while the next one is copied.
      std::vector<at::Tensor> one{bucket.flat};
      works.push_back(links_->group->allreduce(one));
    }
    for (size_t b = 0; b < buckets_.size(); ++b) {
      works[b]->wait();
      int64_t offset = 0;
      for (size_t i : buckets_[b].parameters) {
        auto p = parameters[i];
        auto slice = buckets_[b].flat.narrow(0, offset, p.numel()).view(p.sizes());
        if (p.grad().defined()) p.mutable_grad().copy_(slice);
        else p.mutable_grad() = slice.clone();
        offset += p.numel();
      }
    }
  } catch (const std::exception& e) {
    fail("summing the gradients", message_of(e));
  }
  communication_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

void DataParallel::barrier(const std::string& during) {
  sum({torch::zeros({1})}, during);
}

void DataParallel::publish(const std::string& key, const std::string& value) {
  try {
    links_->store->set("published/" + key, bytes_of(value));
  } catch (const std::exception& e) {
    fail("publishing " + key, message_of(e));
  }
}

std::string DataParallel::receive(const std::string& key) {
  const std::string full = "published/" + key;
  auto& store = *links_->store;
  try {
    int64_t beat = heartbeat_of(0);
    auto beat_changed = Clock::now();
    while (true) {
      if (store.check({full})) return text_of(store.get(full));
      if (store.check({"failed/0"})) {
        stop("waiting for " + key, "rank 0 stopped on an error: " + text_of(store.get("failed/0")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const int64_t now_beat = heartbeat_of(0);
      if (now_beat != beat) {
        beat = now_beat;
        beat_changed = Clock::now();
      } else if (Clock::now() - beat_changed > timeout_) {
        stop("waiting for " + key, "rank 0 stopped responding (no heartbeat for " + seconds_text(spec_.timeout_seconds) +
                                       ", train.distributed_timeout_seconds)");
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    stop("waiting for " + key, "rank 0 is gone (it serves the rendezvous store at " + store_address() +
                                   "; killed, crashed or stopped on an error) [" + message_of(e) + "]");
  }
}

void DataParallel::report_failure(const std::string& message) noexcept {
  try {
    links_->store->set("failed/" + std::to_string(spec_.rank), bytes_of(message));
    // Rank 0 serves the store: stay a moment so the others can read why.
    if (spec_.is_main()) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  } catch (...) {
  }
}

double DataParallel::take_communication_seconds() {
  const double seconds = communication_seconds_;
  communication_seconds_ = 0.0;
  return seconds;
}

}  // namespace s2s
