#pragma once
// Training checkpoints: everything needed to continue a run exactly where it
// stopped, in one folder.
//
//   <dir>/checkpoint.json                  the record: epochs done, run settings,
//                                          random-stream seeds, history, best, time
//   <dir>/checkpoint-e0007.safetensors     model state dict ("model.<name>") and
//                                          SGD momentum ("optimizer.momentum.<name>")
//
// Both files are written atomically (temporary name + rename). The tensor file
// of epoch N is written first, then the JSON record that names it, then older
// tensor files are removed: a run killed at any moment leaves a consistent
// checkpoint (the previous or the new one); the next save removes what such a
// kill leaves (a newer tensor file, temporaries). The tensor file's metadata repeats
// the epoch count, and loading checks it against the record.
//
// Random state: every random stream of epoch e (LibTorch's generators for
// dropout, the data order and augmentation of the BatchSource) is seeded from
// epoch_seed(seed, e) at the start of the epoch, so the record's (seed,
// epochs_done) pair determines the random state of the resumed run.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "distdiff/train/progress.hpp"
#include "distdiff/train/sgd.hpp"

namespace distdiff::train {

inline constexpr const char* kCheckpointFormat = "distdiff-train-checkpoint";
inline constexpr int kCheckpointVersion = 1;

// The JSON record of a checkpoint (everything but the tensors).
struct CheckpointRecord {
  std::int64_t epochs_done = 0;
  std::uint64_t seed = 0;
  double seconds = 0;               // training wall time accumulated over all sessions
  std::vector<EpochStats> history;  // one entry per completed epoch
  nlohmann::json settings;          // the run's settings; resuming requires equality
};

namespace detail {

inline std::filesystem::path checkpoint_record_path(const std::filesystem::path& dir) {
  return dir / "checkpoint.json";
}
inline std::string checkpoint_tensor_name(std::int64_t epochs_done) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "checkpoint-e%04lld.safetensors", static_cast<long long>(epochs_done));
  return buf;
}

}  // namespace detail

// True when `dir` holds a checkpoint record.
inline bool has_checkpoint(const std::filesystem::path& dir) {
  return std::filesystem::is_regular_file(detail::checkpoint_record_path(dir));
}

inline void save_checkpoint(const std::filesystem::path& dir, const torch::nn::Module& model, const Sgd& optimizer,
                            const CheckpointRecord& record) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("save_checkpoint: cannot create folder '" + dir.string() + "': " + ec.message());
  // A run killed inside an atomic write left its temporary file here.
  distdiff::detail::remove_stale_temporaries(dir, /*subfolders=*/false);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [name, t] : models::state_dict(model)) tensors.emplace("model." + name, t);
  for (const auto& [name, t] : optimizer.momentum_buffers()) tensors.emplace("optimizer.momentum." + name, t);
  const std::string tensor_file = detail::checkpoint_tensor_name(record.epochs_done);
  models::save_safetensors(dir / tensor_file, tensors,
                           {{"format", kCheckpointFormat}, {"epochs_done", std::to_string(record.epochs_done)}});

  nlohmann::json j;
  j["format"] = kCheckpointFormat;
  j["version"] = kCheckpointVersion;
  j["epochs_done"] = record.epochs_done;
  j["tensors"] = tensor_file;
  j["seed"] = record.seed;
  j["rng"] = {{"scheme", "epoch_seed(seed, epoch) = splitmix64; reseeded at the start of every epoch"},
              {"next_epoch", record.epochs_done}};
  j["seconds"] = record.seconds;
  j["settings"] = record.settings;
  j["history"] = nlohmann::json::array();
  for (const auto& s : record.history) j["history"].push_back(to_json(s));
  distdiff::detail::write_file_atomic(detail::checkpoint_record_path(dir), j.dump(2) + "\n", "save_checkpoint");

  // Remove tensor files of earlier epochs (the record no longer names them).
  static const std::regex pattern(R"(checkpoint-e\d+\.safetensors)");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name != tensor_file && std::regex_match(name, pattern)) fs::remove(entry.path(), ec);
  }
}

// Reads and checks the JSON record in `dir` (std::nullopt when there is none),
// without touching any model.
inline std::optional<CheckpointRecord> read_checkpoint_record(const std::filesystem::path& dir,
                                                              std::string* tensor_file_out = nullptr) {
  const auto record_path = detail::checkpoint_record_path(dir);
  if (!std::filesystem::is_regular_file(record_path)) return std::nullopt;
  const std::string where = "load_checkpoint: '" + record_path.string() + "'";
  nlohmann::json j;
  {
    std::ifstream in(record_path);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      j = nlohmann::json::parse(ss.str());
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": not valid JSON: " + e.what());
    }
  }
  CheckpointRecord r;
  std::string tensor_file;
  try {
    if (j.at("format").get<std::string>() != kCheckpointFormat)
      throw std::runtime_error("format is not " + std::string(kCheckpointFormat));
    if (j.at("version").get<int>() != kCheckpointVersion)
      throw std::runtime_error("unsupported version " + j.at("version").dump());
    r.epochs_done = j.at("epochs_done").get<std::int64_t>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.seconds = j.at("seconds").get<double>();
    r.settings = j.at("settings");
    for (const auto& h : j.at("history")) r.history.push_back(epoch_stats_from_json(h));
    tensor_file = j.at("tensors").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": malformed checkpoint record: " + e.what());
  }
  if (static_cast<std::int64_t>(r.history.size()) != r.epochs_done)
    throw std::runtime_error(where + ": history has " + std::to_string(r.history.size()) + " epochs, record says " +
                             std::to_string(r.epochs_done));
  if (tensor_file_out) *tensor_file_out = tensor_file;
  return r;
}

// Reads the record in `dir` (std::nullopt when there is none) and restores the
// model and the optimizer state from the tensor file it names. All-or-nothing:
// on any error neither the model nor the optimizer is changed.
inline std::optional<CheckpointRecord> load_checkpoint(const std::filesystem::path& dir, torch::nn::Module& model,
                                                       Sgd& optimizer) {
  std::string tensor_file;
  auto record = read_checkpoint_record(dir, &tensor_file);
  if (!record) return std::nullopt;
  CheckpointRecord& r = *record;
  const std::string where = "load_checkpoint: '" + detail::checkpoint_record_path(dir).string() + "'";
  const auto tensor_path = dir / tensor_file;
  if (!std::filesystem::is_regular_file(tensor_path))
    throw std::runtime_error(where + ": names tensor file '" + tensor_path.string() + "', which is missing");
  const auto file = models::SafetensorsFile::open(tensor_path);
  const auto& meta = file.header().metadata;
  const auto it = meta.find("epochs_done");
  if (it == meta.end() || it->second != std::to_string(r.epochs_done))
    throw std::runtime_error("load_checkpoint: '" + tensor_path.string() + "' does not belong to the record (epoch " +
                             (it == meta.end() ? std::string("?") : it->second) + " vs " +
                             std::to_string(r.epochs_done) + ")");
  std::map<std::string, torch::Tensor> model_tensors, momentum;
  const std::string mp = "model.", op = "optimizer.momentum.";
  for (const auto& name : file.names()) {
    if (name.rfind(mp, 0) == 0)
      model_tensors.emplace(name.substr(mp.size()), file.tensor(name));
    else if (name.rfind(op, 0) == 0)
      momentum.emplace(name.substr(op.size()), file.tensor(name));
    else
      throw std::runtime_error("load_checkpoint: '" + tensor_path.string() + "': unexpected tensor '" + name + "'");
  }
  const std::string where_tensors = "load_checkpoint: '" + tensor_path.string() + "': ";
  try {
    optimizer.check_momentum_buffers(momentum);
    models::load_state_dict(model, model_tensors);  // strict; checks everything before copying
  } catch (const std::exception& e) {
    throw std::runtime_error(where_tensors + e.what());
  }
  optimizer.load_momentum_buffers(momentum);
  return record;
}

}  // namespace distdiff::train
