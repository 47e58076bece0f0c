// Multi-head attention against a naive per-head loop (explicit exp/sum softmax),
// the GEGLU feed-forward against its definition, and the transformer's shapes.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/models/nn/attention.hpp"
#include "distdiff/models/nn/transformer.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace nnm = distdiff::models::nn;

namespace {
// out[b] = concat_h softmax(q_h k_h^T / sqrt(d)) v_h, then to_out.0, one head at a time.
torch::Tensor naive_attention(nnm::Attention& attn, const torch::Tensor& x, const torch::Tensor& ctx) {
  const auto heads = attn->options.heads;
  const auto d = attn->options.dim_head;
  auto wq = attn->to_q->weight, wk = attn->to_k->weight, wv = attn->to_v->weight;
  auto out_lin = attn->to_out->ptr<torch::nn::LinearImpl>(0);
  std::vector<torch::Tensor> batch_out;
  for (std::int64_t b = 0; b < x.size(0); ++b) {
    std::vector<torch::Tensor> head_out;
    for (std::int64_t h = 0; h < heads; ++h) {
      auto rows = torch::indexing::Slice(h * d, (h + 1) * d);
      auto q = x[b].matmul(wq.index({rows}).t());      // [N, d]
      auto k = ctx[b].matmul(wk.index({rows}).t());    // [M, d]
      auto v = ctx[b].matmul(wv.index({rows}).t());    // [M, d]
      auto o = torch::zeros({x.size(1), d}, x.options());
      for (std::int64_t i = 0; i < x.size(1); ++i) {
        auto s = (k.matmul(q[i]) / std::sqrt(static_cast<double>(d)));
        auto w = torch::exp(s - s.max());
        w = w / w.sum();
        o[i] = (w.unsqueeze(1) * v).sum(0);
      }
      head_out.push_back(o);
    }
    batch_out.push_back(torch::cat(head_out, 1).matmul(out_lin->weight.t()) + out_lin->bias);
  }
  return torch::stack(batch_out);
}
}  // namespace

TEST_CASE("Attention equals a naive per-head loop", "[unet][attention]") {
  torch::manual_seed(1);
  torch::NoGradGuard ng;
  SECTION("cross-attention") {
    nnm::AttentionOptions o;
    o.query_dim = 16;
    o.cross_attention_dim = 12;
    o.heads = 4;
    o.dim_head = 5;   // inner 20 != query_dim: heads are split of the inner dimension
    nnm::Attention attn(o);
    attn->to(torch::kFloat64);
    auto x = torch::randn({2, 6, 16}, torch::kFloat64);
    auto ctx = torch::randn({2, 7, 12}, torch::kFloat64);
    auto got = attn(x, ctx);
    REQUIRE(got.sizes() == torch::IntArrayRef({2, 6, 16}));
    CHECK(torch::allclose(got, naive_attention(attn, x, ctx), 1e-10, 1e-12));
    CHECK(attn->to_q->bias.defined() == false);
    CHECK(attn->to_out->ptr<torch::nn::LinearImpl>(0)->bias.defined());
  }
  SECTION("self-attention") {
    nnm::AttentionOptions o;
    o.query_dim = 8;
    o.heads = 2;
    o.dim_head = 4;
    nnm::Attention attn(o);
    attn->to(torch::kFloat64);
    auto x = torch::randn({3, 9, 8}, torch::kFloat64);
    CHECK(torch::allclose(attn(x), naive_attention(attn, x, x), 1e-10, 1e-12));
  }
  SECTION("upcast attention in bfloat16 stays close to float64") {
    nnm::AttentionOptions o;
    o.query_dim = 8;
    o.heads = 2;
    o.dim_head = 4;
    o.upcast_attention = true;
    nnm::Attention attn(o);
    auto x = torch::randn({1, 5, 8});
    auto ref = attn(x);
    attn->to(torch::kBFloat16);
    auto low = attn(x.to(torch::kBFloat16)).to(torch::kFloat32);
    CHECK((low - ref).abs().max().item<double>() < 0.05);
  }
  SECTION("a context of the wrong width is rejected") {
    nnm::AttentionOptions o;
    o.query_dim = 8;
    o.cross_attention_dim = 6;
    o.heads = 2;
    o.dim_head = 4;
    nnm::Attention attn(o);
    CHECK_THROWS_AS(attn(torch::randn({1, 5, 8}), torch::randn({1, 3, 5})), std::invalid_argument);
  }
}

TEST_CASE("scaled_dot_product_attention equals the explicit form", "[unet][attention]") {
  torch::manual_seed(2);
  auto q = torch::randn({2, 3, 5, 4}, torch::kFloat64);
  auto k = torch::randn({2, 3, 7, 4}, torch::kFloat64);
  auto v = torch::randn({2, 3, 7, 4}, torch::kFloat64);
  auto ref = torch::softmax(q.matmul(k.transpose(-1, -2)) / 2.0, -1).matmul(v);
  CHECK(torch::allclose(nnm::scaled_dot_product_attention(q, k, v), ref, 1e-10, 1e-12));
  CHECK(torch::allclose(nnm::attention_math(q, k, v, true).to(torch::kFloat64), ref, 1e-5, 1e-6));
}

TEST_CASE("attention_math in query blocks equals whole-score attention, values and gradients", "[unet][attention]") {
  torch::manual_seed(5);
  // [B, h, N, d] with N = 11 queries, M = 9 keys: blocks of 1, 3 (11 = 3 + 3 + 3 + 2) and all rows.
  auto q = torch::randn({2, 3, 11, 4}, torch::kFloat64).requires_grad_(true);
  auto k = torch::randn({2, 3, 9, 4}, torch::kFloat64).requires_grad_(true);
  auto v = torch::randn({2, 3, 9, 4}, torch::kFloat64).requires_grad_(true);
  const auto w = torch::randn({2, 3, 11, 4}, torch::kFloat64);
  const auto ref = torch::softmax(q.matmul(k.transpose(-1, -2)) / 2.0, -1).matmul(v);
  const auto ref_grads = torch::autograd::grad({(ref * w).sum()}, {q, k, v});
  const std::int64_t per_row = 2 * 3 * 9;   // score elements of one query row across the batch
  for (const std::int64_t max_elements : {std::int64_t{1}, per_row, 3 * per_row, 11 * per_row, nnm::kAttentionScoreBlock}) {
    INFO("max_score_elements " << max_elements);
    const auto out = nnm::attention_math(q, k, v, false, max_elements);
    REQUIRE(out.sizes() == ref.sizes());
    CHECK(torch::allclose(out, ref, 1e-12, 1e-13));
    const auto grads = torch::autograd::grad({(out * w).sum()}, {q, k, v});
    for (std::size_t i = 0; i < grads.size(); ++i) CHECK(torch::allclose(grads[i], ref_grads[i], 1e-11, 1e-12));
  }
  // float32 at SD's first-level size: blocks give the same rows as one block.
  torch::NoGradGuard no_grad;
  const auto qf = torch::randn({2, 8, 1024, 40}), kf = torch::randn({2, 8, 1024, 40}), vf = torch::randn({2, 8, 1024, 40});
  const auto whole = nnm::attention_math(qf, kf, vf, false, 2 * 8 * 1024 * 1024);
  const auto blocked = nnm::attention_math(qf, kf, vf);   // 128 queries per block
  CHECK((whole - blocked).abs().max().item<double>() < 1e-6);
}

TEST_CASE("GEGLU feed-forward and transformer block shapes", "[unet][attention]") {
  torch::manual_seed(3);
  torch::NoGradGuard ng;
  nnm::FeedForward ff(6);
  ff->to(torch::kFloat64);
  auto x = torch::randn({2, 3, 6}, torch::kFloat64);
  auto proj = ff->net->ptr<nnm::GEGLUImpl>(0)->proj;
  auto out_lin = ff->net->ptr<torch::nn::LinearImpl>(2);
  REQUIRE(proj->weight.sizes() == torch::IntArrayRef({48, 6}));   // 2 x (4 x 6)
  auto hg = x.matmul(proj->weight.t()) + proj->bias;
  auto a = hg.slice(-1, 0, 24), gate = hg.slice(-1, 24, 48);
  auto gelu = 0.5 * gate * (1 + torch::erf(gate / std::sqrt(2.0)));   // exact GELU
  auto expected = (a * gelu).matmul(out_lin->weight.t()) + out_lin->bias;
  CHECK(torch::allclose(ff(x), expected, 1e-10, 1e-12));

  nnm::Transformer2DModelOptions t;
  t.in_channels = 16;
  t.heads = 2;
  t.dim_head = 8;
  t.cross_attention_dim = 10;
  t.norm_num_groups = 4;
  nnm::Transformer2DModel tr(t);
  CHECK(tr->norm->options.eps() == 1e-6);
  auto img = torch::randn({2, 16, 3, 5});
  auto out = tr(img, torch::randn({2, 4, 10}));
  CHECK(out.sizes() == img.sizes());
  t.use_linear_projection = true;
  nnm::Transformer2DModel lin(t);
  CHECK(lin(img, torch::randn({2, 4, 10})).sizes() == img.sizes());
  auto names = lin->named_parameters().keys();
  CHECK(std::find(names.begin(), names.end(), "proj_in.weight") != names.end());
  CHECK(lin->named_parameters()["proj_in.weight"].dim() == 2);
  // A 1x1 convolution is a linear map of the channels: with the same weights
  // (flattened), both projections give the same output.
  auto src = tr->named_parameters();
  for (auto& p : lin->named_parameters()) p.value().copy_(src[p.key()].reshape(p.value().sizes()));
  auto ctx = torch::randn({2, 4, 10});
  CHECK(torch::allclose(lin(img, ctx), tr(img, ctx), 1e-5, 1e-6));
}

}  // namespace DISTDIFF_UNITY_ID
