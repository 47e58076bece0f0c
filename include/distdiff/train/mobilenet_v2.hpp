#pragma once
// MobileNetV2 with torchvision's module names, so a torchvision state dict
// loads by name:
//
//   features.0.{0,1}                         stem: Conv-BN-ReLU6 (stride 2)
//   features.1.conv.{0.0,0.1,1,2}            expand ratio 1: dw Conv-BN-ReLU6, pw conv, BN
//   features.i.conv.{0.0,0.1,1.0,1.1,2,3}    expand ratio t: pw, dw, pw-linear, BN
//   features.N.{0,1}                         last 1x1 Conv-BN-ReLU6
//   classifier.1                             Linear (classifier.0 is Dropout)
//
// Initialisation follows torchvision: Kaiming-normal (fan_out) convolutions,
// BatchNorm 1/0, Linear N(0, 0.01) with zero bias.
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::train {

struct MobileNetV2Config {
  // One row {t, c, n, s} per stage: expansion ratio, output channels, blocks, stride.
  std::vector<std::array<std::int64_t, 4>> inverted_residual_setting = {
      {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  double width_mult = 1.0;
  std::int64_t input_channel = 32;
  std::int64_t last_channel = 1280;  // scaled by max(1, width_mult) as in torchvision
  std::int64_t round_nearest = 8;
  double dropout = 0.2;
  std::int64_t num_classes = 1000;

  static MobileNetV2Config mobilenet_v2(std::int64_t num_classes = 1000) {
    MobileNetV2Config c;
    c.num_classes = num_classes;
    return c;
  }
  // A small real configuration for CPU tests.
  static MobileNetV2Config tiny(std::int64_t num_classes) {
    MobileNetV2Config c;
    c.inverted_residual_setting = {{1, 8, 1, 1}, {4, 16, 2, 2}, {4, 24, 1, 2}, {4, 32, 1, 2}};
    c.input_channel = 8;
    c.last_channel = 64;
    c.num_classes = num_classes;
    return c;
  }

  void validate() const {
    if (inverted_residual_setting.empty())
      throw std::invalid_argument("MobileNetV2Config: inverted_residual_setting is empty");
    for (const auto& row : inverted_residual_setting)
      if (row[0] < 1 || row[1] < 1 || row[2] < 1 || row[3] < 1)
        throw std::invalid_argument("MobileNetV2Config: every {t, c, n, s} entry must be positive");
    if (width_mult <= 0 || input_channel < 1 || last_channel < 1 || round_nearest < 1)
      throw std::invalid_argument("MobileNetV2Config: widths must be positive");
    if (num_classes < 1)
      throw std::invalid_argument("MobileNetV2Config: num_classes must be positive, got " +
                                  std::to_string(num_classes));
    if (dropout < 0 || dropout >= 1) throw std::invalid_argument("MobileNetV2Config: dropout must be in [0, 1)");
  }
};

namespace detail {
// torchvision's _make_divisible.
inline std::int64_t make_divisible(double v, std::int64_t divisor) {
  std::int64_t new_v = std::max<std::int64_t>(divisor, static_cast<std::int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}
}  // namespace detail

// torchvision.ops.Conv2dNormActivation with ReLU6 (children "0" conv, "1" BN).
class ConvBNReLU6Impl : public torch::nn::Module {
 public:
  ConvBNReLU6Impl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride = 1,
                  std::int64_t groups = 1) {
    conv = register_module("0", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                      .stride(stride)
                                                      .padding((kernel - 1) / 2)
                                                      .groups(groups)
                                                      .bias(false)));
    bn = register_module("1", torch::nn::BatchNorm2d(out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::hardtanh(bn(conv(x)), 0.0, 6.0); }

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBNReLU6);

class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(std::int64_t inp, std::int64_t oup, std::int64_t stride, std::int64_t expand_ratio)
      : use_res_connect_(stride == 1 && inp == oup) {
    const auto hidden = static_cast<std::int64_t>(std::llround(static_cast<double>(inp * expand_ratio)));
    if (expand_ratio != 1) conv->push_back(ConvBNReLU6(inp, hidden, 1));
    conv->push_back(ConvBNReLU6(hidden, hidden, 3, stride, hidden));
    conv->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, oup, 1).bias(false)));
    conv->push_back(torch::nn::BatchNorm2d(oup));
    register_module("conv", conv);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = conv->forward(x);
    return use_res_connect_ ? x + y : y;
  }

  torch::nn::Sequential conv;

 private:
  bool use_res_connect_;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public torch::nn::Module {
 public:
  explicit MobileNetV2Impl(MobileNetV2Config config = {}) : config_(std::move(config)) {
    config_.validate();
    std::int64_t input = detail::make_divisible(config_.input_channel * config_.width_mult, config_.round_nearest);
    last_channel_ = detail::make_divisible(config_.last_channel * std::max(1.0, config_.width_mult),
                                           config_.round_nearest);
    features->push_back(ConvBNReLU6(3, input, 3, 2));
    for (const auto& [t, c, n, s] : config_.inverted_residual_setting) {
      const std::int64_t output = detail::make_divisible(c * config_.width_mult, config_.round_nearest);
      for (std::int64_t i = 0; i < n; ++i) {
        features->push_back(InvertedResidual(input, output, i == 0 ? s : 1, t));
        input = output;
      }
    }
    features->push_back(ConvBNReLU6(input, last_channel_, 1));
    register_module("features", features);
    classifier->push_back(torch::nn::Dropout(config_.dropout));
    classifier->push_back(torch::nn::Linear(last_channel_, config_.num_classes));
    register_module("classifier", classifier);
    init_weights();
  }

  torch::Tensor forward(const torch::Tensor& images) { return classifier->forward(features_pooled(images)); }

  // Pooled penultimate features [B, feature_dim()].
  torch::Tensor features_pooled(const torch::Tensor& images) {
    return torch::adaptive_avg_pool2d(features->forward(images), {1, 1}).flatten(1);
  }
  std::int64_t feature_dim() const { return last_channel_; }
  const MobileNetV2Config& config() const { return config_; }

  torch::nn::Sequential features;
  torch::nn::Sequential classifier;

 private:
  void init_weights() {
    torch::NoGradGuard no_grad;
    for (auto& m : modules(false)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
        if (conv->bias.defined()) conv->bias.zero_();
      } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        bn->weight.fill_(1);
        bn->bias.zero_();
      } else if (auto* fc = m->as<torch::nn::Linear>()) {
        fc->weight.normal_(0, 0.01);
        fc->bias.zero_();
      }
    }
  }

  MobileNetV2Config config_;
  std::int64_t last_channel_ = 0;
};
TORCH_MODULE(MobileNetV2);

}  // namespace distdiff::train
