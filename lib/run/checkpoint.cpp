#include "run/checkpoint.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/fault_injection.h"
#include "util/fingerprint.h"
#include "util/paths.h"

namespace s2s {
namespace {

constexpr char kMagic[8] = {'S', '2', 'S', 'C', 'K', 'P', 'T', '1'};

std::string read_payload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open checkpoint " + path);
  char magic[8];
  uint64_t checksum = 0, size = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) {
    throw Error("checkpoint " + path + " is not an s2s checkpoint (bad header)");
  }
  if (!in.read(reinterpret_cast<char*>(&checksum), 8) || !in.read(reinterpret_cast<char*>(&size), 8)) {
    throw Error("checkpoint " + path + " is truncated (header)");
  }
  // The size field is checked against the bytes the file really holds before
  // anything is allocated: a damaged field must not ask for terabytes
  // (found by tests/fuzz/fuzz_checkpoint.cpp).
  const std::streamoff header_end = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff file_end = in.tellg();
  in.seekg(header_end);
  const uint64_t available = file_end > header_end ? static_cast<uint64_t>(file_end - header_end) : 0;
  if (size > available) {
    throw Error("checkpoint " + path + " is truncated: expected " + std::to_string(size) + " payload bytes, found " +
                std::to_string(available));
  }
  std::string payload(size, '\0');
  if (!in.read(payload.data(), static_cast<std::streamsize>(size))) {
    throw Error("checkpoint " + path + " is truncated: expected " + std::to_string(size) + " payload bytes");
  }
  if (fingerprint(payload) != checksum) throw Error("checkpoint " + path + " is corrupted (checksum mismatch)");
  return payload;
}

std::string shape_text(const std::vector<int64_t>& sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

void check_shapes(const std::string& path, const CheckpointContents& contents,
                  const std::vector<std::pair<std::string, std::vector<int64_t>>>& expected) {
  std::map<std::string, std::vector<int64_t>> loaded;
  for (const auto& item : contents.model->named_parameters()) loaded[item.key()] = item.value().sizes().vec();
  for (const auto& item : contents.model->named_buffers()) loaded[item.key()] = item.value().sizes().vec();
  for (const auto& [name, sizes] : expected) {
    if (loaded[name] != sizes) {
      throw Error("checkpoint " + path + " does not match the model of " + contents.config_origin + ": " + name +
                  " is " + shape_text(loaded[name]) + " in the checkpoint but " + shape_text(sizes) +
                  " in the model (were model.* keys changed?)");
    }
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointContents& contents) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  contents.model->save(model_archive);
  archive.write("model", model_archive);
  if (contents.optimizer != nullptr) {
    contents.optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  if (contents.ema_model != nullptr) {
    torch::serialize::OutputArchive ema_archive;
    contents.ema_model->save(ema_archive);
    archive.write("ema", ema_archive);
  }
  archive.write("trainer_state", c10::IValue(contents.trainer_state.dump()));
  if (contents.rng_state.defined()) archive.write("rng_state", contents.rng_state);
  std::ostringstream buffer;
  archive.save_to(buffer);
  const std::string payload = buffer.str();
  const uint64_t checksum = fingerprint(payload), size = payload.size();
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(kMagic, 8);
    out.write(reinterpret_cast<const char*>(&checksum), 8);
    out.write(reinterpret_cast<const char*>(&size), 8);
    const auto half = static_cast<std::streamsize>(payload.size() / 2);
    out.write(payload.data(), half);
    out.flush();
    fault_point("checkpoint_write");
    out.write(payload.data() + half, static_cast<std::streamsize>(payload.size()) - half);
  });
}

static void load_archive(const std::string& path, const std::string& payload, torch::serialize::InputArchive& archive) {
  try {
    std::istringstream stream(payload);
    archive.load_from(stream);
  } catch (const std::exception& e) {
    throw Error("checkpoint " + path + " cannot be read: " + e.what());
  }
}

void load_checkpoint(const std::string& path, CheckpointContents& contents) {
  const std::string payload = read_payload(path);
  torch::serialize::InputArchive archive;
  load_archive(path, payload, archive);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    // Module::load adopts a stored tensor of another shape silently (Tensor::set_),
    // so the shapes are compared here, before anything runs on them.
    std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
    for (const auto& item : contents.model->named_parameters()) expected.emplace_back(item.key(), item.value().sizes().vec());
    for (const auto& item : contents.model->named_buffers()) expected.emplace_back(item.key(), item.value().sizes().vec());
    contents.model->load(model_archive);
    check_shapes(path, contents, expected);
    if (contents.optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      if (archive.try_read("optimizer", optimizer_archive)) contents.optimizer->load(optimizer_archive);
    }
    if (contents.ema_model != nullptr) {
      torch::serialize::InputArchive ema_archive;
      contents.ema_loaded = archive.try_read("ema", ema_archive);
      if (contents.ema_loaded) contents.ema_model->load(ema_archive);
    }
    c10::IValue state;
    archive.read("trainer_state", state);
    contents.trainer_state = nlohmann::json::parse(state.toStringRef());
    torch::Tensor rng;
    if (archive.try_read("rng_state", rng)) contents.rng_state = rng;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("checkpoint " + path + " does not match the model of " + contents.config_origin + ": " +
                first_line(e.what()));
  }
}

nlohmann::json read_checkpoint_state(const std::string& path) {
  const std::string payload = read_payload(path);
  torch::serialize::InputArchive archive;
  load_archive(path, payload, archive);
  try {
    c10::IValue state;
    archive.read("trainer_state", state);
    return nlohmann::json::parse(state.toStringRef());
  } catch (const std::exception& e) {
    throw Error("checkpoint " + path + " has no readable trainer state: " + first_line(e.what()));
  }
}

void check_run_directory_for_training(const std::string& run_dir, bool resume) {
  const std::string last = run_dir + "/checkpoint_last.pt";
  if (resume && !path_exists(last)) throw UsageError("--resume: " + last + " does not exist");
  if (!resume && path_exists(last)) {
    throw UsageError(run_dir + " already holds a training run; pass --resume to continue it or choose another --out");
  }
}

}  // namespace s2s
