// The VAE blocks against explicit computations with the same weights.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

#include <cmath>

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace vae = distdiff::models::vae;

namespace {

// GroupNorm written out: per sample and group, (x - mean) / sqrt(biased var + eps) * w + b.
torch::Tensor naive_group_norm(const torch::Tensor& x, std::int64_t groups, const torch::Tensor& w,
                               const torch::Tensor& b, double eps) {
  const auto B = x.size(0), C = x.size(1);
  auto out = torch::empty_like(x);
  const auto per = C / groups;
  for (std::int64_t n = 0; n < B; ++n) {
    for (std::int64_t g = 0; g < groups; ++g) {
      const auto block = x[n].slice(0, g * per, (g + 1) * per);
      const double mean = block.mean().item<double>();
      const double var = (block - mean).pow(2).mean().item<double>();
      out[n].slice(0, g * per, (g + 1) * per).copy_((block - mean) / std::sqrt(var + eps));
    }
  }
  return out * w.view({1, C, 1, 1}) + b.view({1, C, 1, 1});
}

void randomize(torch::nn::Module& m, std::uint64_t seed) {
  vae::randomize_parameters(m, seed);
  m.to(torch::kFloat64);
}

}  // namespace

TEST_CASE("vae::Attention equals softmax(q k^T / sqrt(C)) v computed element by element", "[vae]") {
  const std::int64_t C = 16, groups = 4, B = 2, H = 3, W = 4, N = H * W;
  vae::Attention attn(C, groups);
  randomize(*attn, 11);
  const auto x = vae_test::images(B, C, H, W, 5, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const auto y = attn->forward(x);
  REQUIRE(y.sizes() == x.sizes());

  const auto hn = naive_group_norm(x, groups, attn->group_norm->weight, attn->group_norm->bias, 1e-6);
  auto linear = [](const torch::Tensor& tokens, const torch::nn::Linear& l) {  // tokens [N, C]
    auto out = torch::zeros({tokens.size(0), l->weight.size(0)}, tokens.options());
    for (std::int64_t i = 0; i < tokens.size(0); ++i)
      for (std::int64_t o = 0; o < l->weight.size(0); ++o)
        out[i][o] = (tokens[i] * l->weight[o]).sum() + l->bias[o];
    return out;
  };
  for (std::int64_t n = 0; n < B; ++n) {
    const auto tokens = hn[n].reshape({C, N}).t().contiguous();  // token p = pixel p (row-major)
    const auto q = linear(tokens, attn->to_q), k = linear(tokens, attn->to_k), v = linear(tokens, attn->to_v);
    auto mixed = torch::zeros({N, C}, x.options());
    for (std::int64_t i = 0; i < N; ++i) {
      std::vector<double> s(N);
      double mx = -1e300;
      for (std::int64_t j = 0; j < N; ++j) {
        s[j] = (q[i] * k[j]).sum().item<double>() / std::sqrt(static_cast<double>(C));
        mx = std::max(mx, s[j]);
      }
      double z = 0;
      for (auto& e : s) z += (e = std::exp(e - mx));
      for (std::int64_t j = 0; j < N; ++j) mixed[i] += v[j] * (s[j] / z);
    }
    const auto out = linear(mixed, attn->out_proj);           // [N, C]
    const auto expected = out.t().reshape({C, H, W}) + x[n];  // residual
    CHECK(vae_test::max_abs_diff(y[n], expected) < 1e-10);
  }
  // to_out.0 is the output projection.
  CHECK(attn->to_out[0].get() == attn->out_proj.ptr().get());
}

TEST_CASE("vae::Attention query slicing gives the unsliced result", "[vae]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto q = torch::randn({2, 7, 6}, gen, opts), k = torch::randn({2, 9, 6}, gen, opts),
             v = torch::randn({2, 9, 6}, gen, opts);
  const auto expected = torch::softmax(torch::matmul(q, k.transpose(1, 2)) / std::sqrt(6.0), -1).matmul(v);
  CHECK(vae_test::max_abs_diff(vae::AttentionImpl::attend_reference(q, k, v), expected) < 1e-12);
  CHECK(vae_test::max_abs_diff(vae::AttentionImpl::attend(q, k, v), expected) < 1e-12);
  // 2·9·2 score elements allowed: slices of 2 queries (the last one has 1).
  CHECK(vae_test::max_abs_diff(vae::AttentionImpl::attend_reference(q, k, v, 2 * 9 * 2), expected) < 1e-12);
  CHECK(vae_test::max_abs_diff(vae::AttentionImpl::attend_reference(q, k, v, 1), expected) < 1e-12);
  // Half-precision inputs keep their dtype (softmax runs in fp32).
  const auto yb = vae::AttentionImpl::attend_reference(q.to(torch::kBFloat16), k.to(torch::kBFloat16),
                                                       v.to(torch::kBFloat16));
  CHECK(yb.scalar_type() == torch::kBFloat16);
  CHECK(vae_test::max_abs_diff(yb, expected) < 0.05);
}

TEST_CASE("vae::ResnetBlock2D equals norm-silu-conv twice plus the 1x1 shortcut", "[vae]") {
  const std::int64_t in = 8, out = 12, groups = 4;
  vae::ResnetBlock2D block(in, out, groups);
  REQUIRE(!block->conv_shortcut.is_empty());
  randomize(*block, 21);
  const auto x = vae_test::images(2, in, 5, 6, 7, torch::kFloat64);
  torch::NoGradGuard no_grad;
  auto h = naive_group_norm(x, groups, block->norm1->weight, block->norm1->bias, 1e-6);
  h = h * torch::sigmoid(h);
  h = torch::conv2d(h, block->conv1->weight, block->conv1->bias, 1, 1);
  h = naive_group_norm(h, groups, block->norm2->weight, block->norm2->bias, 1e-6);
  h = h * torch::sigmoid(h);
  h = torch::conv2d(h, block->conv2->weight, block->conv2->bias, 1, 1);
  // 1x1 shortcut as a per-pixel matrix product.
  const auto w = block->conv_shortcut->weight.view({out, in});
  const auto skip = torch::einsum("oi,bihw->bohw", {w, x}) + block->conv_shortcut->bias.view({1, out, 1, 1});
  CHECK(vae_test::max_abs_diff(block->forward(x), skip + h) < 1e-10);

  vae::ResnetBlock2D same(in, in, groups);
  CHECK(same->conv_shortcut.is_empty());
  CHECK_THROWS_AS(vae::ResnetBlock2D(10, 12, 4), std::invalid_argument);
}

TEST_CASE("vae::Downsample2D pads right/bottom only and halves the size", "[vae]") {
  vae::Downsample2D down(3);
  randomize(*down, 2);
  torch::NoGradGuard no_grad;
  const auto x = vae_test::images(1, 3, 8, 6, 9, torch::kFloat64);
  const auto y = down->forward(x);
  CHECK(y.sizes().vec() == std::vector<std::int64_t>{1, 3, 4, 3});
  // Output pixel (i, j) sees input rows 2i..2i+2 and cols 2j..2j+2 (zero beyond the end).
  const auto padded = torch::zeros({1, 3, 9, 7}, x.options());
  padded.slice(2, 0, 8).slice(3, 0, 6).copy_(x);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      const auto patch = padded[0].slice(1, 2 * i, 2 * i + 3).slice(2, 2 * j, 2 * j + 3);  // [3,3,3]
      for (std::int64_t o = 0; o < 3; ++o) {
        const double e = (patch * down->conv->weight[o]).sum().item<double>() + down->conv->bias[o].item<double>();
        CHECK(std::abs(y[0][o][i][j].item<double>() - e) < 1e-12);
      }
    }
}

TEST_CASE("vae::Upsample2D repeats each pixel 2x2 before its convolution", "[vae]") {
  vae::Upsample2D up(2);
  torch::NoGradGuard no_grad;
  up->to(torch::kFloat64);
  // Identity kernel: the output is the nearest-neighbour upsampling itself.
  up->conv->weight.zero_();
  up->conv->bias.zero_();
  for (int c = 0; c < 2; ++c) up->conv->weight[c][c][1][1] = 1.0;
  const auto x = vae_test::images(2, 2, 3, 5, 4, torch::kFloat64);
  const auto expected = x.repeat_interleave(2, 2).repeat_interleave(2, 3);
  CHECK(vae_test::max_abs_diff(up->forward(x), expected) == 0.0);
  // bf16 goes through fp32 interpolation and comes back as bf16.
  up->to(torch::kBFloat16);
  const auto yb = up->forward(x.to(torch::kBFloat16));
  CHECK(yb.scalar_type() == torch::kBFloat16);
  CHECK(vae_test::max_abs_diff(yb, expected.to(torch::kBFloat16)) == 0.0);
}

TEST_CASE("vae::MidBlock2D is resnet, attention, resnet", "[vae]") {
  vae::MidBlock2D mid(8, 4);
  randomize(*mid, 8);
  torch::NoGradGuard no_grad;
  const auto x = vae_test::images(1, 8, 4, 4, 1, torch::kFloat64);
  const auto expected = mid->second->forward(mid->attention->forward(mid->first->forward(x)));
  CHECK(vae_test::max_abs_diff(mid->forward(x), expected) == 0.0);
  const auto p = vae_test::named_params(*mid);
  CHECK(p.count("resnets.0.conv1.weight") == 1);
  CHECK(p.count("resnets.1.conv2.bias") == 1);
  CHECK(p.count("attentions.0.to_out.0.weight") == 1);
  CHECK(p.size() == 2 * 8 + 10);
}

}  // namespace DISTDIFF_UNITY_ID
