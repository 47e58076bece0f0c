#pragma once
// Fine-tuning from pretrained weights (paper Table 7: ImageNet-pretrained
// ResNeXt-50 fine-tuned on the original and the expanded Caltech-101).
//
//   auto net = distdiff::train::make_classifier("resnext50_32x4d", 102);
//   auto report = distdiff::train::load_pretrained(net, "resnext50_32x4d_imagenet.safetensors");
//   // every tensor but fc.* loaded; fc is freshly initialised for 102 classes
//
// The weights file is a safetensors export of a torchvision state dict, e.g.
//   safetensors.torch.save_file(torchvision.models.resnext50_32x4d(weights="IMAGENET1K_V2").state_dict(), path)
// Names match the classifiers of this family exactly. When the file's
// classification head has another number of classes than the model, the head
// (fc.* or classifier.1.*) is skipped and keeps its fresh initialisation;
// every other tensor must be present with the right shape.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "distdiff/train/classifier.hpp"

namespace distdiff::train {

struct PretrainedOptions {
  // Skip the head when its shape differs from the model's (else: an error).
  bool replace_mismatched_head = true;
  // Always skip the head, even when shapes match (fine-tune a fresh head).
  bool always_replace_head = false;
};

inline models::LoadReport load_pretrained(Classifier& model, const std::map<std::string, torch::Tensor>& weights,
                                          const PretrainedOptions& options = {}, const std::string& source = "weights") {
  const std::string where = "load_pretrained('" + model.name() + "', '" + source + "')";
  const auto own = models::state_dict(model.module());
  bool skip_head = options.always_replace_head;
  for (const auto& [name, t] : weights) {
    if (!model.is_head(name)) continue;
    const auto it = own.find(name);
    if (it != own.end() && it->second.sizes() != t.sizes()) {
      if (!options.replace_mismatched_head)
        throw std::runtime_error(where + ": head '" + name + "' has shape " + c10::str(t.sizes()) +
                                 ", the model's has " + c10::str(it->second.sizes()) +
                                 " (different number of classes)");
      skip_head = true;
    }
  }
  // Architecture check first, so nothing is copied into a model the weights do not fit.
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, t] : own)
    if (!(skip_head && model.is_head(name)) && !weights.count(name)) missing.push_back(name);
  for (const auto& [name, t] : weights)
    if (!(skip_head && model.is_head(name)) && !own.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty())
    throw std::runtime_error(where + ": the weights do not fit this architecture: " +
                             std::to_string(missing.size()) + " missing (" + models::detail::weights_name_list(missing) +
                             "), " + std::to_string(unexpected.size()) + " unexpected (" +
                             models::detail::weights_name_list(unexpected) + ")");
  models::LoadOptions lo;
  lo.strict = false;  // the skipped head is "missing" by design; everything else was checked above
  lo.rename = [&](const std::string& name) { return skip_head && model.is_head(name) ? std::string() : name; };
  models::LoadReport report;
  try {
    report = models::load_state_dict(model.module(), weights, lo);  // checks shapes before copying
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  return report;
}

inline models::LoadReport load_pretrained(Classifier& model, const std::filesystem::path& path,
                                          const PretrainedOptions& options = {}) {
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error("load_pretrained('" + model.name() + "'): no weights file '" + path.string() + "'");
  return load_pretrained(model, models::load_safetensors(path, torch::kFloat32), options, path.string());
}

}  // namespace distdiff::train
