// PackedConv2d against float64 convolutions (LibTorch's own slow kernel, not
// oneDNN): inference calls on frozen weights, a weight changed in place or
// replaced after packing, gradients and trainable weights through the plain
// path, the process-wide off switch, and every convolution of the frozen UNet
// and VAE running packed.
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <vector>

#include "distdiff/models/nn/conv2d.hpp"
#include "distdiff/models/unet/unet2d_condition.hpp"
#include "distdiff/models/vae/autoencoder_kl.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace nnm = distdiff::models::nn;

namespace {
// Whether this build takes the packed path at all (LibTorch 1.x with oneDNN).
bool packing_expected() { return TORCH_VERSION_MAJOR < 2 && at::hasMKLDNN(); }

torch::Tensor reference(const nnm::PackedConv2d& conv, const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  const auto& o = conv->options;
  auto f = F::Conv2dFuncOptions().stride(o.stride()).padding(o.padding()).dilation(o.dilation()).groups(o.groups());
  if (o.bias()) f.bias(conv->bias.detach().to(torch::kFloat64));
  return F::conv2d(x.to(torch::kFloat64), conv->weight.detach().to(torch::kFloat64), f);
}

template <typename Module>
Module frozen(Module m) {
  for (auto& p : m->parameters()) p.requires_grad_(false);
  return m;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b).abs().max().item<double>();
}

std::size_t packed_count(torch::nn::Module& m, std::size_t* total) {
  std::size_t packed = 0;
  *total = 0;
  for (const auto& child : m.modules(/*include_self=*/false))
    if (const auto* conv = child->as<nnm::PackedConv2dImpl>()) {
      ++*total;
      packed += conv->holds_packed_weight() ? 1 : 0;
    }
  return packed;
}
}  // namespace

TEST_CASE("PackedConv2d: inference calls match a float64 convolution", "[unet][conv]") {
  torch::manual_seed(3);
  const std::vector<torch::nn::Conv2dOptions> shapes = {
      torch::nn::Conv2dOptions(8, 16, 3).padding(1),
      torch::nn::Conv2dOptions(8, 8, 3).stride(2).padding(0),
      torch::nn::Conv2dOptions(16, 8, 1),
      torch::nn::Conv2dOptions(8, 12, 3).padding(1).bias(false),
      torch::nn::Conv2dOptions(8, 8, 3).padding(2).dilation(2).groups(2),
  };
  for (const auto& options : shapes) {
    auto conv = frozen(nnm::PackedConv2d(options));
    const auto x = torch::randn({2, options.in_channels(), 7, 6});
    torch::NoGradGuard no_grad;
    const auto y = conv(x);
    CHECK(conv->holds_packed_weight() == packing_expected());
    CHECK(y.sizes() == reference(conv, x).sizes());
    CHECK(max_diff(y, reference(conv, x)) < 1e-5);
    // The plain module on the same parameters: same kernel family, same result.
    CHECK(max_diff(y, conv->torch::nn::Conv2dImpl::forward(x).to(torch::kFloat64)) < 1e-5);
    // A channels-last or non-contiguous input is the same convolution.
    const auto cl = x.contiguous(at::MemoryFormat::ChannelsLast);
    CHECK(max_diff(conv(cl), reference(conv, x)) < 1e-5);
    const auto wide = torch::randn({2, options.in_channels(), 7, 12});
    const auto strided = wide.slice(3, 0, 12, 2);
    CHECK(max_diff(conv(strided), reference(conv, strided)) < 1e-5);
  }
}

TEST_CASE("PackedConv2d: a weight changed after packing is used", "[unet][conv]") {
  torch::manual_seed(4);
  auto conv = frozen(nnm::PackedConv2d(torch::nn::Conv2dOptions(6, 10, 3).padding(1)));
  const auto x = torch::randn({2, 6, 5, 5});
  torch::NoGradGuard no_grad;
  const auto before = conv(x);
  REQUIRE(conv->holds_packed_weight() == packing_expected());
  // In place, as an optimiser step or a state-dict copy does.
  conv->weight.mul_(-0.5);
  const auto after = conv(x);
  CHECK(max_diff(after, reference(conv, x)) < 1e-5);
  CHECK(max_diff(after, before.to(torch::kFloat64) * -0.5 + 1.5 * conv->bias.view({1, -1, 1, 1})) < 1e-5);
  // Replaced storage.
  conv->weight.set_data(torch::randn({10, 6, 3, 3}));
  CHECK(max_diff(conv(x), reference(conv, x)) < 1e-5);
  conv->bias.add_(1.0);
  CHECK(max_diff(conv(x), reference(conv, x)) < 1e-5);
}

TEST_CASE("PackedConv2d: gradients run through the plain path", "[unet][conv]") {
  torch::manual_seed(5);
  auto conv = frozen(nnm::PackedConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)));
  auto x = torch::randn({2, 4, 5, 5}, torch::requires_grad());
  auto y = conv(x);
  REQUIRE(y.requires_grad());
  CHECK_FALSE(conv->holds_packed_weight());
  const auto g = torch::randn_like(y);
  (y * g).sum().backward();
  auto x64 = x.detach().to(torch::kFloat64).requires_grad_();
  auto y64 = torch::conv2d(x64, conv->weight.detach().to(torch::kFloat64), conv->bias.detach().to(torch::kFloat64),
                           1, 1);
  (y64 * g.to(torch::kFloat64)).sum().backward();
  CHECK(max_diff(x.grad(), x64.grad()) < 1e-5);
  // Trainable weights: even an inference call is plain, and gradients reach them.
  nnm::PackedConv2d trainable(torch::nn::Conv2dOptions(4, 6, 3).padding(1));
  {
    torch::NoGradGuard no_grad;
    trainable(x.detach());
  }
  CHECK_FALSE(trainable->holds_packed_weight());
  const auto yt = trainable(x.detach());
  REQUIRE(yt.requires_grad());
  (yt * g).sum().backward();
  auto w64 = trainable->weight.detach().to(torch::kFloat64).requires_grad_();
  (torch::conv2d(x.detach().to(torch::kFloat64), w64, trainable->bias.detach().to(torch::kFloat64), 1, 1) *
   g.to(torch::kFloat64))
      .sum()
      .backward();
  CHECK(max_diff(trainable->weight.grad(), w64.grad()) < 1e-4);
}

TEST_CASE("PackedConv2d: set_conv_prepacking(false) keeps every call plain", "[unet][conv]") {
  REQUIRE(nnm::conv_prepacking());
  nnm::set_conv_prepacking(false);
  auto conv = frozen(nnm::PackedConv2d(torch::nn::Conv2dOptions(4, 4, 3).padding(1)));
  const auto x = torch::randn({2, 4, 5, 5});
  torch::NoGradGuard no_grad;
  const auto y = conv(x);
  const bool held = conv->holds_packed_weight();
  nnm::set_conv_prepacking(true);
  CHECK_FALSE(held);
  CHECK(max_diff(y, reference(conv, x)) < 1e-5);
  conv(x);
  CHECK(conv->holds_packed_weight() == packing_expected());
  // Turned off later: the module's next call frees its copy.
  nnm::set_conv_prepacking(false);
  const auto z = conv(x);
  const bool still_held = conv->holds_packed_weight();
  nnm::set_conv_prepacking(true);
  CHECK_FALSE(still_held);
  CHECK(max_diff(z, reference(conv, x)) < 1e-5);
}

TEST_CASE("PackedConv2d: a guided step keeps the copy; unfreezing frees it", "[unet][conv]") {
  torch::manual_seed(7);
  auto conv = frozen(nnm::PackedConv2d(torch::nn::Conv2dOptions(4, 4, 3).padding(1)));
  const auto x = torch::randn({2, 4, 5, 5});
  {
    torch::NoGradGuard no_grad;
    conv(x);
  }
  REQUIRE(conv->holds_packed_weight() == packing_expected());
  if (!packing_expected()) return;  // LibTorch 2.x: always the plain call (checked above)
  // Frozen weights, an input that requires a gradient (a guided step): plain
  // call, the copy stays for the next inference call.
  conv(x.clone().requires_grad_()).sum().backward();
  CHECK(conv->holds_packed_weight());
  // Unfrozen and trained: LibTorch's SGD writes through .data(), which the
  // version counter does not see; the weight is plain from now on.
  for (auto& p : conv->parameters()) p.requires_grad_(true);
  conv(x).sum().backward();
  CHECK_FALSE(conv->holds_packed_weight());
  torch::optim::SGD sgd(conv->parameters(), torch::optim::SGDOptions(0.1));
  sgd.step();
  {
    torch::NoGradGuard no_grad;
    CHECK(max_diff(conv(x), reference(conv, x)) < 1e-5);
    CHECK_FALSE(conv->holds_packed_weight());
  }
  // Frozen again: packed anew from the trained weight.
  for (auto& p : conv->parameters()) p.requires_grad_(false);
  torch::NoGradGuard no_grad;
  CHECK(max_diff(conv(x), reference(conv, x)) < 1e-5);
  CHECK(conv->holds_packed_weight());
}

TEST_CASE("PackedConv2d: every convolution of the frozen UNet and VAE runs packed at inference", "[unet][conv]") {
  torch::manual_seed(6);
  auto unet = frozen(distdiff::models::UNet2DConditionModel(distdiff::models::UNetConfig::tiny()));
  auto vae = frozen(distdiff::models::AutoencoderKL(distdiff::models::VaeConfig::tiny()));
  unet->eval();
  vae->eval();
  torch::NoGradGuard no_grad;
  const auto z = torch::randn({2, 4, 8, 8});
  const auto ctx = torch::randn({2, 5, 32});
  nnm::set_conv_prepacking(false);
  const auto unet_plain = unet(z, torch::tensor({10, 500}), ctx);
  nnm::set_conv_prepacking(true);
  const auto unet_packed = unet(z, torch::tensor({10, 500}), ctx);
  std::size_t total = 0;
  const auto packed = packed_count(*unet, &total);
  CHECK(total >= 10);
  CHECK(packed == (packing_expected() ? total : 0));
  CHECK((unet_packed - unet_plain).abs().max().item<double>() < 1e-4);

  const auto latents = torch::randn({1, vae->config().latent_channels, 4, 4});
  nnm::set_conv_prepacking(false);
  const auto image_plain = vae->decode(latents);
  nnm::set_conv_prepacking(true);
  const auto image_packed = vae->decode(latents);
  const auto vae_packed = packed_count(*vae, &total);
  CHECK(total >= 6);
  // The encoder has not run: only the decoder side is packed.
  CHECK(vae_packed < total);
  CHECK((vae_packed > 0) == packing_expected());
  CHECK((image_packed - image_plain).abs().max().item<double>() < 1e-4);
}

}  // namespace DISTDIFF_UNITY_ID
