#pragma once
// Bottleneck ResNet family (ResNet-50, ResNeXt-50 32x4d, WideResNet-50-2) with
// torchvision's module names, so a torchvision state dict loads by name:
//
//   conv1, bn1, layer{1..4}.{i}.{conv1,bn1,conv2,bn2,conv3,bn3,downsample.0,downsample.1}, fc
//
// BatchNorm layers carry running_mean / running_var / num_batches_tracked
// buffers, exactly as in PyTorch. Initialisation follows torchvision:
// Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm weight 1 / bias 0,
// the default Linear initialisation for fc, zero_init_residual = false.
//
// Every number (depth per stage, widths, groups, classes) is a runtime member
// of ResNetConfig; the presets reproduce torchvision's architectures exactly
// (their parameter counts are tested against torchvision's published numbers).
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::train {

struct ResNetConfig {
  std::vector<std::int64_t> layers = {3, 4, 6, 3};          // bottleneck blocks per stage
  std::vector<std::int64_t> planes = {64, 128, 256, 512};   // stage widths before expansion
  std::int64_t stem_width = 64;       // output channels of conv1 (torchvision: 64)
  std::int64_t groups = 1;            // grouped 3x3 convolutions (ResNeXt: 32)
  std::int64_t width_per_group = 64;  // torchvision's width_per_group (ResNeXt: 4, Wide: 128)
  std::int64_t num_classes = 1000;
  bool zero_init_residual = false;    // torchvision option: bn3.weight = 0 in every block

  static ResNetConfig resnet50(std::int64_t num_classes = 1000) {
    ResNetConfig c;
    c.num_classes = num_classes;
    return c;
  }
  static ResNetConfig resnext50_32x4d(std::int64_t num_classes = 1000) {
    ResNetConfig c;
    c.groups = 32;
    c.width_per_group = 4;
    c.num_classes = num_classes;
    return c;
  }
  static ResNetConfig wide_resnet50_2(std::int64_t num_classes = 1000) {
    ResNetConfig c;
    c.width_per_group = 128;
    c.num_classes = num_classes;
    return c;
  }
  // A small real configuration for CPU tests: one block per stage, base width 8.
  static ResNetConfig tiny(std::int64_t num_classes, std::int64_t groups = 1,
                           std::int64_t width_per_group = 64) {
    ResNetConfig c;
    c.layers = {1, 1, 1, 1};
    c.planes = {8, 16, 32, 64};
    c.stem_width = 8;
    c.groups = groups;
    c.width_per_group = width_per_group;
    c.num_classes = num_classes;
    return c;
  }

  void validate() const {
    if (layers.size() != planes.size() || layers.empty())
      throw std::invalid_argument("ResNetConfig: `layers` and `planes` must be non-empty and of equal length (got " +
                                  std::to_string(layers.size()) + " and " + std::to_string(planes.size()) + ")");
    for (auto n : layers)
      if (n < 1) throw std::invalid_argument("ResNetConfig: every stage needs at least one block");
    if (stem_width < 1 || groups < 1 || width_per_group < 1)
      throw std::invalid_argument("ResNetConfig: stem_width, groups and width_per_group must be positive");
    if (num_classes < 1)
      throw std::invalid_argument("ResNetConfig: num_classes must be positive, got " + std::to_string(num_classes));
    for (auto p : planes) {
      const std::int64_t width = p * width_per_group / 64 * groups;
      if (width < groups || width % groups != 0)
        throw std::invalid_argument("ResNetConfig: bottleneck width " + std::to_string(width) +
                                    " is not a positive multiple of groups " + std::to_string(groups));
    }
  }
};

// torchvision.models.resnet.Bottleneck (stride on the 3x3 convolution, "ResNet v1.5").
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr std::int64_t expansion = 4;

  BottleneckImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride, std::int64_t groups,
                 std::int64_t base_width, bool downsample) {
    const std::int64_t width = planes * base_width / 64 * groups;
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(inplanes, width, 1).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(width));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, width, 3)
                                                           .stride(stride)
                                                           .padding(1)
                                                           .groups(groups)
                                                           .bias(false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(width));
    conv3 = register_module(
        "conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, planes * expansion, 1).bias(false)));
    bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * expansion));
    if (downsample) {
      this->downsample = register_module(
          "downsample",
          torch::nn::Sequential(
              torch::nn::Conv2d(torch::nn::Conv2dOptions(inplanes, planes * expansion, 1).stride(stride).bias(false)),
              torch::nn::BatchNorm2d(planes * expansion)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(bn1(conv1(x)));
    out = torch::relu(bn2(conv2(out)));
    out = bn3(conv3(out));
    auto identity = downsample ? downsample->forward(x) : x;
    return torch::relu(out + identity);
  }

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(ResNetConfig config = {}) : config_(std::move(config)) {
    config_.validate();
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, config_.stem_width, 7)
                                                           .stride(2)
                                                           .padding(3)
                                                           .bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(config_.stem_width));
    std::int64_t inplanes = config_.stem_width;
    for (std::size_t s = 0; s < config_.layers.size(); ++s) {
      torch::nn::Sequential stage;
      const std::int64_t planes = config_.planes[s];
      const std::int64_t stride = s == 0 ? 1 : 2;
      for (std::int64_t b = 0; b < config_.layers[s]; ++b) {
        const std::int64_t st = b == 0 ? stride : 1;
        const bool down = b == 0 && (st != 1 || inplanes != planes * BottleneckImpl::expansion);
        stage->push_back(Bottleneck(inplanes, planes, st, config_.groups, config_.width_per_group, down));
        inplanes = planes * BottleneckImpl::expansion;
      }
      stages.push_back(register_module("layer" + std::to_string(s + 1), stage));
    }
    fc = register_module("fc", torch::nn::Linear(inplanes, config_.num_classes));
    feature_dim_ = inplanes;
    init_weights();
  }

  // images [B, 3, H, W] (normalised) -> logits [B, num_classes]
  torch::Tensor forward(const torch::Tensor& images) { return fc(features(images)); }

  // Pooled penultimate features [B, feature_dim()].
  torch::Tensor features(const torch::Tensor& images) {
    auto x = torch::relu(bn1(conv1(images)));
    x = torch::max_pool2d(x, 3, 2, 1);
    for (auto& stage : stages) x = stage->forward(x);
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  }

  std::int64_t feature_dim() const { return feature_dim_; }
  const ResNetConfig& config() const { return config_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> stages;  // layer1..layerN
  torch::nn::Linear fc{nullptr};

 private:
  void init_weights() {
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        bn->weight.fill_(1);
        bn->bias.zero_();
      }
    }
    if (config_.zero_init_residual)
      for (auto& m : modules(false))
        if (auto* block = m->as<Bottleneck>()) block->bn3->weight.zero_();
  }

  ResNetConfig config_;
  std::int64_t feature_dim_ = 0;
};
TORCH_MODULE(ResNet);

}  // namespace distdiff::train
