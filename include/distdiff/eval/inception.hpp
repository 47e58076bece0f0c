#pragma once
// The Inception-v3 network of FID (pytorch-fid's `fid_inception_v3`): torchvision's
// Inception3 up to the 2048-d global-average-pooled "pool3" features, with the
// blocks changed to match the TensorFlow graph the FID weights come from
// (pt_inception-2015-12-05):
//   - Mixed_5b/5c/5d (FIDInceptionA), Mixed_6b..6e (FIDInceptionC) and Mixed_7b
//     (FIDInceptionE_1): the 3×3 average pool of branch_pool excludes padding
//     (count_include_pad = false);
//   - Mixed_7c (FIDInceptionE_2): branch_pool uses a 3×3 max pool instead.
// Every convolution is BasicConv2d: conv (no bias) + BatchNorm (eps 0.001) + ReLU.
// Input: [B, 3, H, W] in [0, 1]; resized to 299×299 (bilinear, align_corners =
// false) and scaled to [−1, 1]. Output: [B, 2048].
//
//     auto net = distdiff::FidInception::load("pt_inception-2015-12-05.safetensors");
//     torch::Tensor f = net.features(images);     // [B, 2048], float32
//
// Parameter and buffer names are torchvision's ("Conv2d_1a_3x3.conv.weight",
// "Mixed_5b.branch1x1.bn.running_var", ...), so a state dict exported from
// pytorch-fid loads directly; its "fc.*" (1008-way classifier) and any
// "*.num_batches_tracked" entries are ignored. The weights are not shipped:
// convert them once (docs/fid.md).
//
// FidInceptionConfig::width multiplies every channel count (rounded, at least 1):
// width = 1 is the real network; small widths give the same topology and names
// for tests.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/features.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/weights/state_dict.hpp"

namespace distdiff {

struct FidInceptionConfig {
  double width = 1.0;   // channel multiplier; 1 = the published network

  std::int64_t ch(std::int64_t c) const {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(double(c) * width)));
  }
};

namespace inception {

namespace F = torch::nn::functional;

// Inference-only BatchNorm with torchvision's parameter names (weight, bias,
// running_mean, running_var) and no num_batches_tracked counter.
struct FrozenBatchNormImpl : torch::nn::Module {
  explicit FrozenBatchNormImpl(std::int64_t channels, double eps_ = 0.001) : eps(eps_) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
    running_mean = register_buffer("running_mean", torch::zeros({channels}));
    running_var = register_buffer("running_var", torch::ones({channels}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/false,
                             /*momentum=*/0.0, eps, /*cudnn_enabled=*/true);
  }
  torch::Tensor weight, bias, running_mean, running_var;
  double eps;
};
TORCH_MODULE(FrozenBatchNorm);

// torchvision's BasicConv2d: conv (no bias) -> BatchNorm(eps 0.001) -> ReLU.
struct BasicConv2dImpl : torch::nn::Module {
  BasicConv2dImpl(std::int64_t in, std::int64_t out, torch::ExpandingArray<2> kernel,
                  torch::ExpandingArray<2> stride = 1, torch::ExpandingArray<2> padding = 0) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                         .stride(stride)
                                                         .padding(padding)
                                                         .bias(false)));
    bn = register_module("bn", FrozenBatchNorm(out, 0.001));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }
  torch::nn::Conv2d conv{nullptr};
  FrozenBatchNorm bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

// Builds a BasicConv2d (braced kernel sizes cannot pass through ModuleHolder's
// forwarding constructor).
inline BasicConv2d basic_conv(std::int64_t in, std::int64_t out, torch::ExpandingArray<2> kernel,
                              torch::ExpandingArray<2> stride = 1, torch::ExpandingArray<2> padding = 0) {
  return BasicConv2d(std::make_shared<BasicConv2dImpl>(in, out, kernel, stride, padding));
}

inline torch::Tensor avg_pool_3x3_exclude_pad(const torch::Tensor& x) {
  return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
}

// Mixed_5b/5c/5d (pytorch-fid FIDInceptionA).
struct BlockAImpl : torch::nn::Module {
  BlockAImpl(std::int64_t in, std::int64_t pool_features, const FidInceptionConfig& c) {
    branch1x1 = register_module("branch1x1", basic_conv(in, c.ch(64), 1));
    branch5x5_1 = register_module("branch5x5_1", basic_conv(in, c.ch(48), 1));
    branch5x5_2 = register_module("branch5x5_2", basic_conv(c.ch(48), c.ch(64), 5, 1, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, c.ch(64), 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(c.ch(64), c.ch(96), 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", basic_conv(c.ch(96), c.ch(96), 3, 1, 1));
    branch_pool = register_module("branch_pool", basic_conv(in, c.ch(pool_features), 1));
    out_channels = c.ch(64) + c.ch(64) + c.ch(96) + c.ch(pool_features);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b5 = branch5x5_2(branch5x5_1(x));
    auto b3 = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    auto bp = branch_pool(avg_pool_3x3_exclude_pad(x));
    return torch::cat({b1, b5, b3, bp}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr}, branch3x3dbl_1{nullptr},
      branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr}, branch_pool{nullptr};
  std::int64_t out_channels = 0;
};
TORCH_MODULE(BlockA);

// Mixed_6a (torchvision InceptionB, unchanged).
struct BlockBImpl : torch::nn::Module {
  BlockBImpl(std::int64_t in, const FidInceptionConfig& c) {
    branch3x3 = register_module("branch3x3", basic_conv(in, c.ch(384), 3, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, c.ch(64), 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(c.ch(64), c.ch(96), 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", basic_conv(c.ch(96), c.ch(96), 3, 2));
    out_channels = c.ch(384) + c.ch(96) + in;
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = branch3x3(x);
    auto bd = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    auto bp = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    return torch::cat({b3, bd, bp}, 1);
  }
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
  std::int64_t out_channels = 0;
};
TORCH_MODULE(BlockB);

// Mixed_6b..6e (pytorch-fid FIDInceptionC).
struct BlockCImpl : torch::nn::Module {
  BlockCImpl(std::int64_t in, std::int64_t channels_7x7, const FidInceptionConfig& c) {
    const auto c7 = c.ch(channels_7x7);
    branch1x1 = register_module("branch1x1", basic_conv(in, c.ch(192), 1));
    branch7x7_1 = register_module("branch7x7_1", basic_conv(in, c7, 1));
    branch7x7_2 = register_module("branch7x7_2", basic_conv(c7, c7, {1, 7}, 1, {0, 3}));
    branch7x7_3 = register_module("branch7x7_3", basic_conv(c7, c.ch(192), {7, 1}, 1, {3, 0}));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", basic_conv(in, c7, 1));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", basic_conv(c7, c7, {7, 1}, 1, {3, 0}));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", basic_conv(c7, c7, {1, 7}, 1, {0, 3}));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", basic_conv(c7, c7, {7, 1}, 1, {3, 0}));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", basic_conv(c7, c.ch(192), {1, 7}, 1, {0, 3}));
    branch_pool = register_module("branch_pool", basic_conv(in, c.ch(192), 1));
    out_channels = 4 * c.ch(192);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b7 = branch7x7_3(branch7x7_2(branch7x7_1(x)));
    auto bd = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))));
    auto bp = branch_pool(avg_pool_3x3_exclude_pad(x));
    return torch::cat({b1, b7, bd, bp}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
      branch7x7dbl_5{nullptr}, branch_pool{nullptr};
  std::int64_t out_channels = 0;
};
TORCH_MODULE(BlockC);

// Mixed_7a (torchvision InceptionD, unchanged).
struct BlockDImpl : torch::nn::Module {
  BlockDImpl(std::int64_t in, const FidInceptionConfig& c) {
    branch3x3_1 = register_module("branch3x3_1", basic_conv(in, c.ch(192), 1));
    branch3x3_2 = register_module("branch3x3_2", basic_conv(c.ch(192), c.ch(320), 3, 2));
    branch7x7x3_1 = register_module("branch7x7x3_1", basic_conv(in, c.ch(192), 1));
    branch7x7x3_2 = register_module("branch7x7x3_2", basic_conv(c.ch(192), c.ch(192), {1, 7}, 1, {0, 3}));
    branch7x7x3_3 = register_module("branch7x7x3_3", basic_conv(c.ch(192), c.ch(192), {7, 1}, 1, {3, 0}));
    branch7x7x3_4 = register_module("branch7x7x3_4", basic_conv(c.ch(192), c.ch(192), 3, 2));
    out_channels = c.ch(320) + c.ch(192) + in;
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = branch3x3_2(branch3x3_1(x));
    auto b7 = branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))));
    auto bp = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    return torch::cat({b3, b7, bp}, 1);
  }
  BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr},
      branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
  std::int64_t out_channels = 0;
};
TORCH_MODULE(BlockD);

// Mixed_7b (pytorch-fid FIDInceptionE_1: average pool without padding) and
// Mixed_7c (FIDInceptionE_2: max pool).
struct BlockEImpl : torch::nn::Module {
  BlockEImpl(std::int64_t in, bool max_pool_branch, const FidInceptionConfig& c) : max_pool(max_pool_branch) {
    branch1x1 = register_module("branch1x1", basic_conv(in, c.ch(320), 1));
    branch3x3_1 = register_module("branch3x3_1", basic_conv(in, c.ch(384), 1));
    branch3x3_2a = register_module("branch3x3_2a", basic_conv(c.ch(384), c.ch(384), {1, 3}, 1, {0, 1}));
    branch3x3_2b = register_module("branch3x3_2b", basic_conv(c.ch(384), c.ch(384), {3, 1}, 1, {1, 0}));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, c.ch(448), 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(c.ch(448), c.ch(384), 3, 1, 1));
    branch3x3dbl_3a = register_module("branch3x3dbl_3a", basic_conv(c.ch(384), c.ch(384), {1, 3}, 1, {0, 1}));
    branch3x3dbl_3b = register_module("branch3x3dbl_3b", basic_conv(c.ch(384), c.ch(384), {3, 1}, 1, {1, 0}));
    branch_pool = register_module("branch_pool", basic_conv(in, c.ch(192), 1));
    out_channels = c.ch(320) + 2 * c.ch(384) + 2 * c.ch(384) + c.ch(192);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b3 = branch3x3_1(x);
    b3 = torch::cat({branch3x3_2a(b3), branch3x3_2b(b3)}, 1);
    auto bd = branch3x3dbl_2(branch3x3dbl_1(x));
    bd = torch::cat({branch3x3dbl_3a(bd), branch3x3dbl_3b(bd)}, 1);
    auto pooled = max_pool ? F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(1).padding(1))
                           : avg_pool_3x3_exclude_pad(x);
    return torch::cat({b1, b3, bd, branch_pool(pooled)}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr},
      branch_pool{nullptr};
  bool max_pool = false;
  std::int64_t out_channels = 0;
};
TORCH_MODULE(BlockE);

}  // namespace inception

// The network: images in [0, 1] -> pool3 features [B, feature_dim].
struct FidInceptionV3Impl : torch::nn::Module {
  explicit FidInceptionV3Impl(const FidInceptionConfig& c = {}) : config(c) {
    using inception::basic_conv;
    Conv2d_1a_3x3 = register_module("Conv2d_1a_3x3", basic_conv(3, c.ch(32), 3, 2));
    Conv2d_2a_3x3 = register_module("Conv2d_2a_3x3", basic_conv(c.ch(32), c.ch(32), 3));
    Conv2d_2b_3x3 = register_module("Conv2d_2b_3x3", basic_conv(c.ch(32), c.ch(64), 3, 1, 1));
    Conv2d_3b_1x1 = register_module("Conv2d_3b_1x1", basic_conv(c.ch(64), c.ch(80), 1));
    Conv2d_4a_3x3 = register_module("Conv2d_4a_3x3", basic_conv(c.ch(80), c.ch(192), 3));
    std::int64_t ch = c.ch(192);
    Mixed_5b = register_module("Mixed_5b", inception::BlockA(ch, 32, c));
    ch = Mixed_5b->out_channels;
    Mixed_5c = register_module("Mixed_5c", inception::BlockA(ch, 64, c));
    ch = Mixed_5c->out_channels;
    Mixed_5d = register_module("Mixed_5d", inception::BlockA(ch, 64, c));
    ch = Mixed_5d->out_channels;
    Mixed_6a = register_module("Mixed_6a", inception::BlockB(ch, c));
    ch = Mixed_6a->out_channels;
    Mixed_6b = register_module("Mixed_6b", inception::BlockC(ch, 128, c));
    ch = Mixed_6b->out_channels;
    Mixed_6c = register_module("Mixed_6c", inception::BlockC(ch, 160, c));
    ch = Mixed_6c->out_channels;
    Mixed_6d = register_module("Mixed_6d", inception::BlockC(ch, 160, c));
    ch = Mixed_6d->out_channels;
    Mixed_6e = register_module("Mixed_6e", inception::BlockC(ch, 192, c));
    ch = Mixed_6e->out_channels;
    Mixed_7a = register_module("Mixed_7a", inception::BlockD(ch, c));
    ch = Mixed_7a->out_channels;
    Mixed_7b = register_module("Mixed_7b", inception::BlockE(ch, /*max_pool_branch=*/false, c));
    ch = Mixed_7b->out_channels;
    Mixed_7c = register_module("Mixed_7c", inception::BlockE(ch, /*max_pool_branch=*/true, c));
    feature_dim = Mixed_7c->out_channels;
  }

  // images: [B, 3, H, W] in [0, 1] -> [B, feature_dim].
  torch::Tensor forward(const torch::Tensor& images) {
    namespace F = torch::nn::functional;
    auto x = F::interpolate(images, F::InterpolateFuncOptions()
                                        .size(std::vector<std::int64_t>{299, 299})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
    x = 2.0 * x - 1.0;
    x = Conv2d_2b_3x3(Conv2d_2a_3x3(Conv2d_1a_3x3(x)));
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    x = Conv2d_4a_3x3(Conv2d_3b_1x1(x));
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    x = Mixed_5d(Mixed_5c(Mixed_5b(x)));
    x = Mixed_6e(Mixed_6d(Mixed_6c(Mixed_6b(Mixed_6a(x)))));
    x = Mixed_7c(Mixed_7b(Mixed_7a(x)));
    return x.mean({2, 3});
  }

  FidInceptionConfig config;
  std::int64_t feature_dim = 0;
  inception::BasicConv2d Conv2d_1a_3x3{nullptr}, Conv2d_2a_3x3{nullptr}, Conv2d_2b_3x3{nullptr},
      Conv2d_3b_1x1{nullptr}, Conv2d_4a_3x3{nullptr};
  inception::BlockA Mixed_5b{nullptr}, Mixed_5c{nullptr}, Mixed_5d{nullptr};
  inception::BlockB Mixed_6a{nullptr};
  inception::BlockC Mixed_6b{nullptr}, Mixed_6c{nullptr}, Mixed_6d{nullptr}, Mixed_6e{nullptr};
  inception::BlockD Mixed_7a{nullptr};
  inception::BlockE Mixed_7b{nullptr}, Mixed_7c{nullptr};
};
TORCH_MODULE(FidInceptionV3);

// The FID feature extractor: the network plus where it runs. Also a
// FeatureExtractor (extract() is differentiable); features() is the no-grad
// path FID uses and returns float32.
class FidInception {
 public:
  using component_tag = feature_extractor_tag;

  explicit FidInception(const FidInceptionConfig& config = {}, const RuntimeOptions& options = {})
      : options_(options), net_(config) {
    net_->eval();
    net_->to(options_.device, options_.dtype);
  }

  // Loads the converted pytorch-fid weights (a safetensors file, or a folder
  // with model.safetensors) through the weights API. Errors name the file.
  static FidInception load(const std::filesystem::path& path, const RuntimeOptions& options = {},
                           const FidInceptionConfig& config = {}) {
    FidInception net(config, RuntimeOptions{});   // load on CPU/fp32, then move
    models::LoadOptions lo;
    lo.ignore_unexpected = {"fc.", "AuxLogits."};
    lo.rename = [](const std::string& name) -> std::string {
      const std::string counter = ".num_batches_tracked";
      if (name.size() >= counter.size() && name.compare(name.size() - counter.size(), counter.size(), counter) == 0)
        return "";
      return name;
    };
    models::load_module(*net.net_, path, lo);
    net.options_ = options;
    net.net_->to(options.device, options.dtype);
    return net;
  }

  // [B, 3, H, W] images in [0, 1] (any floating dtype/device) -> [B, feature_dim]
  // float32 pool3 features, without autograd.
  torch::Tensor features(const torch::Tensor& images) const {
    torch::NoGradGuard no_grad;
    return extract(images).to(torch::kFloat32);
  }

  // Differentiable forward in the network's dtype, on its device.
  torch::Tensor extract(const torch::Tensor& images) const {
    if (!images.defined() || images.dim() != 4 || images.size(1) != 3)
      throw std::invalid_argument("FidInception: images must be [B, 3, H, W], got " +
                                  (images.defined() ? std::string(c10::str(images.sizes())) : "undefined"));
    if (!images.is_floating_point())
      throw std::invalid_argument("FidInception: images must be a floating tensor with values in [0, 1]");
    return net_.ptr()->forward(images.to(options_.device, options_.dtype));
  }

  std::int64_t feature_dim() const { return net_->feature_dim; }
  std::string name() const { return "fid-inception-v3"; }
  const RuntimeOptions& options() const { return options_; }
  FidInceptionV3& module() { return net_; }
  const FidInceptionV3& module() const { return net_; }

 private:
  RuntimeOptions options_;
  FidInceptionV3 net_;
};

static_assert(FeatureExtractor<FidInception>);

}  // namespace distdiff
