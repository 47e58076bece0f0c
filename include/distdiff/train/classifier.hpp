#pragma once
// Classifier — a type-erased handle on an image classifier, and the factory
// that builds the paper's backbones by name.
//
//   auto net = distdiff::train::make_classifier("resnet50", 102);
//   torch::Tensor logits = net.forward(images);          // [B, 102]
//
// Names (torchvision's, with tiny variants for CPU tests):
//   resnet50, resnext50_32x4d, wide_resnet50_2, mobilenet_v2,
//   resnet_tiny, resnext_tiny, wide_resnet_tiny, mobilenet_v2_tiny.
//
// The handle shares ownership of the module (copies alias the same weights),
// exposes it as a torch::nn::Module for state dicts, optimisers and .to(),
// and records which parameters form the classification head ("fc." for the
// ResNet family, "classifier.1." for MobileNetV2), which fine-tuning replaces
// when the number of classes differs from the pretrained checkpoint.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/train/mobilenet_v2.hpp"
#include "distdiff/train/resnet.hpp"

namespace distdiff::train {

class Classifier {
 public:
  Classifier() = default;

  // Wraps a module holder (ResNet, MobileNetV2, or any TORCH_MODULE whose
  // forward maps [B, 3, H, W] images to [B, num_classes] logits).
  template <class Holder>
  Classifier(Holder holder, std::string name, std::int64_t num_classes, std::string head_prefix)
      : module_(holder.ptr()),
        forward_([holder](const torch::Tensor& x) mutable { return holder->forward(x); }),
        name_(std::move(name)),
        head_prefix_(std::move(head_prefix)),
        num_classes_(num_classes) {}

  bool defined() const { return module_ != nullptr; }

  // images [B, 3, H, W], normalised -> logits [B, num_classes()].
  torch::Tensor forward(const torch::Tensor& images) const {
    require();
    return forward_(images);
  }
  torch::Tensor operator()(const torch::Tensor& images) const { return forward(images); }

  torch::nn::Module& module() const {
    require();
    return *module_;
  }
  const std::shared_ptr<torch::nn::Module>& ptr() const { return module_; }

  void train(bool on = true) { module().train(on); }
  void eval() { module().eval(); }
  bool is_training() const { return module().is_training(); }
  void to(const torch::Device& device) { module().to(device); }
  torch::Device device() const {
    auto params = module().parameters();
    return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  }

  // Parameter names with this prefix form the classification head.
  const std::string& head_prefix() const { return head_prefix_; }
  bool is_head(const std::string& parameter_name) const {
    return !head_prefix_.empty() && parameter_name.rfind(head_prefix_, 0) == 0;
  }

  const std::string& name() const { return name_; }
  std::int64_t num_classes() const { return num_classes_; }

 private:
  void require() const {
    if (!module_) throw std::logic_error("distdiff::train::Classifier: empty handle (default-constructed)");
  }

  std::shared_ptr<torch::nn::Module> module_;
  std::function<torch::Tensor(const torch::Tensor&)> forward_;
  std::string name_;
  std::string head_prefix_;
  std::int64_t num_classes_ = 0;
};

// Number of trainable parameters (requires_grad), as torchvision counts them.
inline std::int64_t parameter_count(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/true))
    if (p.requires_grad()) n += p.numel();
  return n;
}
inline std::int64_t parameter_count(const Classifier& c) { return parameter_count(c.module()); }

// Names accepted by make_classifier.
inline const std::vector<std::string>& classifier_names() {
  static const std::vector<std::string> names = {
      "resnet50",    "resnext50_32x4d", "wide_resnet50_2",  "mobilenet_v2",
      "resnet_tiny", "resnext_tiny",    "wide_resnet_tiny", "mobilenet_v2_tiny"};
  return names;
}

inline Classifier make_classifier(const ResNetConfig& config, std::string name) {
  return Classifier(ResNet(config), std::move(name), config.num_classes, "fc.");
}
inline Classifier make_classifier(const MobileNetV2Config& config, std::string name) {
  return Classifier(MobileNetV2(config), std::move(name), config.num_classes, "classifier.1.");
}

// Builds a freshly initialised classifier (weights drawn from LibTorch's
// global generator: call torch::manual_seed first for a reproducible start).
inline Classifier make_classifier(const std::string& name, std::int64_t num_classes) {
  if (num_classes < 1)
    throw std::invalid_argument("make_classifier('" + name + "'): num_classes must be positive, got " +
                                std::to_string(num_classes));
  if (name == "resnet50") return make_classifier(ResNetConfig::resnet50(num_classes), name);
  if (name == "resnext50_32x4d") return make_classifier(ResNetConfig::resnext50_32x4d(num_classes), name);
  if (name == "wide_resnet50_2") return make_classifier(ResNetConfig::wide_resnet50_2(num_classes), name);
  if (name == "mobilenet_v2") return make_classifier(MobileNetV2Config::mobilenet_v2(num_classes), name);
  if (name == "resnet_tiny") return make_classifier(ResNetConfig::tiny(num_classes), name);
  if (name == "resnext_tiny") return make_classifier(ResNetConfig::tiny(num_classes, 4, 32), name);
  if (name == "wide_resnet_tiny") return make_classifier(ResNetConfig::tiny(num_classes, 1, 128), name);
  if (name == "mobilenet_v2_tiny") return make_classifier(MobileNetV2Config::tiny(num_classes), name);
  std::string known;
  for (const auto& n : classifier_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("make_classifier: unknown backbone '" + name + "' (known: " + known + ")");
}

}  // namespace distdiff::train
