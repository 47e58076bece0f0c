#pragma once
// Small torch modules that model the spine's concepts, for testing the guided
// sampler's mechanics (gradients, determinism, scheduling) independently of
// the real architectures. Deterministic initialisation from a seed; any dtype.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "distdiff/concepts.hpp"
#include "distdiff/core/model_set.hpp"

namespace distdiff::test {

struct TinyDenoiserImpl : torch::nn::Module {
  torch::nn::Conv2d in{nullptr}, out{nullptr};
  torch::nn::Linear temb{nullptr}, cemb{nullptr};
  explicit TinyDenoiserImpl(std::int64_t channels = 4, std::int64_t width = 16, std::int64_t cond_dim = 8) {
    in = register_module("in", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, width, 3).padding(1)));
    out = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, channels, 3).padding(1)));
    temb = register_module("temb", torch::nn::Linear(2, width));
    cemb = register_module("cemb", torch::nn::Linear(cond_dim, width));
  }
  torch::Tensor forward(const torch::Tensor& z, std::int64_t t, const torch::Tensor& cond) {
    const double s = double(t) / 1000.0;
    auto tv = torch::tensor({std::sin(s * 3.0), std::cos(s * 3.0)}, z.options()).view({1, 2});
    auto h = in(z) + temb(tv).view({1, -1, 1, 1}) + cemb(cond.mean(1)).unsqueeze(-1).unsqueeze(-1);
    return out(torch::silu(h));
  }
};
TORCH_MODULE(TinyDenoiser);

struct TinyDenoiserComponent {
  using component_tag = denoiser_tag;
  TinyDenoiser net;
  torch::Tensor predict_noise(const torch::Tensor& z, std::int64_t t, const torch::Tensor& c) const {
    return net.ptr()->forward(z, t, c);
  }
  std::int64_t latent_channels() const { return 4; }
  std::string name() const { return "tiny-test-denoiser"; }
};

struct TinyEncoderComponent {
  using component_tag = latent_encoder_tag;
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor encode(const torch::Tensor& x, at::Generator& gen) const {
    auto mean = conv.ptr()->forward(torch::avg_pool2d(x, 2));
    auto noise = at::randn(mean.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32))
                     .to(mean.device(), mean.scalar_type());
    return mean + 0.05 * noise;
  }
  std::int64_t downsample_factor() const { return 2; }
  std::string name() const { return "tiny-test-encoder"; }
};

struct TinyDecoderComponent {
  using component_tag = decoder_tag;
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor decode(const torch::Tensor& z) const {
    namespace F = torch::nn::functional;
    auto up = F::interpolate(z, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    return torch::tanh(conv.ptr()->forward(up));
  }
  std::string name() const { return "tiny-test-decoder"; }
};

struct TinyTextComponent {
  using component_tag = text_encoder_tag;
  torch::nn::Embedding table{nullptr};
  torch::Tensor encode(const std::vector<std::string>& prompts) const {
    std::vector<std::int64_t> ids;
    for (const auto& p : prompts)
      for (int i = 0; i < 6; ++i) ids.push_back(i < int(p.size()) ? (unsigned char)p[i] : 0);
    auto t = torch::tensor(ids, torch::kLong).view({std::int64_t(prompts.size()), 6});
    return table.ptr()->forward(t.to(table->weight.device()));
  }
  std::string name() const { return "tiny-test-text"; }
};

struct TinyFeaturesComponent {
  using component_tag = feature_extractor_tag;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear proj{nullptr};
  torch::Tensor extract(const torch::Tensor& x) const {
    auto h = torch::tanh(conv.ptr()->forward(x)).mean({2, 3});
    return proj.ptr()->forward(h);
  }
  std::int64_t feature_dim() const { return 6; }
  std::string name() const { return "tiny-test-features"; }
};

using TinyModels = ModelSet<TinyDenoiserComponent, TinyEncoderComponent, TinyDecoderComponent,
                            TinyTextComponent, TinyFeaturesComponent>;

inline TinyModels make_tiny_models(std::uint64_t seed, torch::Dtype dtype = torch::kFloat32) {
  torch::manual_seed(seed);
  TinyModels m{TinyDenoiserComponent{TinyDenoiser(4, 16, 8)},
               TinyEncoderComponent{torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1))},
               TinyDecoderComponent{torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 3, 3).padding(1))},
               TinyTextComponent{torch::nn::Embedding(256, 8)},
               TinyFeaturesComponent{torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).stride(2)),
                                     torch::nn::Linear(8, 6)},
               RuntimeOptions{torch::kCPU, dtype}};
  for (torch::nn::Module* mod : std::vector<torch::nn::Module*>{
           m.denoiser.net.get(), m.encoder.conv.get(), m.decoder.conv.get(), m.text.table.get(),
           m.features.conv.get(), m.features.proj.get()}) {
    mod->to(dtype);
    mod->eval();
    for (auto& p : mod->parameters()) p.requires_grad_(false);
  }
  return m;
}

static_assert(Denoiser<TinyDenoiserComponent>);
static_assert(LatentEncoder<TinyEncoderComponent>);
static_assert(Decoder<TinyDecoderComponent>);
static_assert(TextEncoder<TinyTextComponent>);
static_assert(FeatureExtractor<TinyFeaturesComponent>);

}  // namespace distdiff::test
