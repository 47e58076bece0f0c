// Parameter names, shapes and counts against the diffusers state dict.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

using distdiff::models::AutoencoderKL;
using distdiff::models::VaeConfig;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Built once: the full SD v1-4 network (84M parameters).
AutoencoderKL& sd_vae() {
  static AutoencoderKL model = [] {
    torch::NoGradGuard no_grad;
    return AutoencoderKL(VaeConfig::sd_v1_4());
  }();
  return model;
}

}  // namespace

TEST_CASE("SD v1-4 VAE has exactly the published parameter count", "[vae]") {
  CHECK(vae_test::parameter_count(*sd_vae()) == 83'653'863);
}

TEST_CASE("SD v1-4 VAE parameter names and shapes follow the diffusers state dict", "[vae]") {
  const auto p = vae_test::named_params(*sd_vae());
  auto shape = [&](const std::string& key) -> std::vector<std::int64_t> {
    INFO(key);
    REQUIRE(p.count(key) == 1);
    return p.at(key).sizes().vec();
  };
  using S = std::vector<std::int64_t>;
  CHECK(shape("encoder.conv_in.weight") == S{128, 3, 3, 3});
  CHECK(shape("encoder.down_blocks.0.resnets.0.norm1.weight") == S{128});
  CHECK(shape("encoder.down_blocks.0.resnets.1.conv2.weight") == S{128, 128, 3, 3});
  CHECK(shape("encoder.down_blocks.0.downsamplers.0.conv.weight") == S{128, 128, 3, 3});
  CHECK(shape("encoder.down_blocks.1.resnets.0.conv_shortcut.weight") == S{256, 128, 1, 1});
  CHECK(shape("encoder.down_blocks.2.resnets.0.conv_shortcut.bias") == S{512});
  CHECK(shape("encoder.down_blocks.2.downsamplers.0.conv.bias") == S{512});
  CHECK(shape("encoder.mid_block.resnets.0.conv1.weight") == S{512, 512, 3, 3});
  CHECK(shape("encoder.mid_block.attentions.0.group_norm.weight") == S{512});
  CHECK(shape("encoder.mid_block.attentions.0.to_q.weight") == S{512, 512});
  CHECK(shape("encoder.mid_block.attentions.0.to_k.bias") == S{512});
  CHECK(shape("encoder.mid_block.attentions.0.to_v.weight") == S{512, 512});
  CHECK(shape("encoder.mid_block.attentions.0.to_out.0.weight") == S{512, 512});
  CHECK(shape("encoder.mid_block.attentions.0.to_out.0.bias") == S{512});
  CHECK(shape("encoder.mid_block.resnets.1.norm2.bias") == S{512});
  CHECK(shape("encoder.conv_norm_out.weight") == S{512});
  CHECK(shape("encoder.conv_out.weight") == S{8, 512, 3, 3});
  CHECK(shape("quant_conv.weight") == S{8, 8, 1, 1});
  CHECK(shape("quant_conv.bias") == S{8});
  CHECK(shape("post_quant_conv.weight") == S{4, 4, 1, 1});
  CHECK(shape("decoder.conv_in.weight") == S{512, 4, 3, 3});
  CHECK(shape("decoder.mid_block.attentions.0.to_q.weight") == S{512, 512});
  CHECK(shape("decoder.up_blocks.0.resnets.2.conv1.weight") == S{512, 512, 3, 3});
  CHECK(shape("decoder.up_blocks.0.upsamplers.0.conv.weight") == S{512, 512, 3, 3});
  CHECK(shape("decoder.up_blocks.2.resnets.0.conv_shortcut.weight") == S{256, 512, 1, 1});
  CHECK(shape("decoder.up_blocks.2.upsamplers.0.conv.weight") == S{256, 256, 3, 3});
  CHECK(shape("decoder.up_blocks.3.resnets.0.conv_shortcut.weight") == S{128, 256, 1, 1});
  CHECK(shape("decoder.up_blocks.3.resnets.2.norm2.weight") == S{128});
  CHECK(shape("decoder.conv_norm_out.bias") == S{128});
  CHECK(shape("decoder.conv_out.weight") == S{3, 128, 3, 3});

  // Things that must NOT exist.
  CHECK(p.count("encoder.down_blocks.3.downsamplers.0.conv.weight") == 0);
  CHECK(p.count("decoder.up_blocks.3.upsamplers.0.conv.weight") == 0);
  CHECK(p.count("encoder.down_blocks.0.resnets.0.conv_shortcut.weight") == 0);
  CHECK(p.count("decoder.up_blocks.0.resnets.0.conv_shortcut.weight") == 0);
  CHECK(p.count("encoder.down_blocks.0.resnets.2.conv1.weight") == 0);
  CHECK(p.count("decoder.up_blocks.0.resnets.3.conv1.weight") == 0);

  // Every tensor of the diffusers file, and nothing else: 248 tensors in SD's VAE.
  CHECK(p.size() == 248);
  for (const auto& [key, t] : p) {
    INFO(key);
    const bool known = key.rfind("encoder.", 0) == 0 || key.rfind("decoder.", 0) == 0 ||
                       key.rfind("quant_conv.", 0) == 0 || key.rfind("post_quant_conv.", 0) == 0;
    CHECK(known);
    CHECK((key.ends_with(".weight") || key.ends_with(".bias")));
  }
  CHECK(sd_vae()->buffers().empty());
}

TEST_CASE("SD v1-4 VAE maps a 32x32 image to 4x4 latents and back to 32x32", "[vae]") {
  torch::NoGradGuard no_grad;
  auto& m = sd_vae();
  const auto x = vae_test::images(1, 3, 32, 32, 3);
  const auto post = m->encode(x);
  CHECK(post.mean.sizes().vec() == std::vector<std::int64_t>{1, 4, 4, 4});
  CHECK(post.logvar.sizes().vec() == std::vector<std::int64_t>{1, 4, 4, 4});
  const auto y = m->decode(post.mean);
  CHECK(y.sizes().vec() == std::vector<std::int64_t>{1, 3, 32, 32});
  CHECK(torch::isfinite(y).all().item<bool>());
}

TEST_CASE("Tiny VAE parameter count matches the per-layer formula", "[vae]") {
  // Independent count from the architecture description (conv k×k: k²·in·out + out,
  // GroupNorm: 2C, Linear: C² + C).
  const VaeConfig c = VaeConfig::tiny();
  auto conv = [](std::int64_t i, std::int64_t o, std::int64_t k) { return k * k * i * o + o; };
  auto norm = [](std::int64_t ch) { return 2 * ch; };
  auto resnet = [&](std::int64_t i, std::int64_t o) {
    return norm(i) + conv(i, o, 3) + norm(o) + conv(o, o, 3) + (i != o ? conv(i, o, 1) : 0);
  };
  auto attention = [&](std::int64_t ch) { return norm(ch) + 4 * (ch * ch + ch); };
  auto mid = [&](std::int64_t ch) { return 2 * resnet(ch, ch) + attention(ch); };
  const std::int64_t L = c.latent_channels;
  // encoder: conv_in 3->32; down0: resnet 32->32, down 32; down1: resnet 32->64; mid 64; norm; conv_out 64->8
  const std::int64_t encoder = conv(3, 32, 3) + resnet(32, 32) + conv(32, 32, 3) + resnet(32, 64) + mid(64) +
                               norm(64) + conv(64, 2 * L, 3);
  // decoder: conv_in 4->64; mid 64; up0: 2 resnets 64->64, up 64; up1: resnet 64->32, 32->32; norm; conv_out
  const std::int64_t decoder = conv(L, 64, 3) + mid(64) + 2 * resnet(64, 64) + conv(64, 64, 3) +
                               resnet(64, 32) + resnet(32, 32) + norm(32) + conv(32, 3, 3);
  const std::int64_t expected = encoder + decoder + conv(2 * L, 2 * L, 1) + conv(L, L, 1);
  AutoencoderKL m(c);
  CHECK(vae_test::parameter_count(*m) == expected);
}

}  // namespace DISTDIFF_UNITY_ID
