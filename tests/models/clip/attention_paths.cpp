// ClipAttention's two paths: LibTorch >= 2 runs the fused
// at::scaled_dot_product_attention (causal for the text tower), LibTorch 1.x
// the explicit form detail::clip_attention_math. Whichever this build runs is
// compared with the explicit form, and the explicit form with a per-head loop
// written out here, in float32 and float64, causal and not.
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>

#include "distdiff/models/clip/transformer.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ClipAttention: the path this LibTorch runs equals the explicit form", "[clip][attention]") {
  INFO("LibTorch " << TORCH_VERSION << (TORCH_VERSION_MAJOR >= 2 ? ": fused scaled_dot_product_attention" : ": explicit"));
  torch::manual_seed(3);
  for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
    ClipAttention attn(16, 4);
    attn->to(dtype);
    const auto x = torch::randn({2, 9, 16}, dtype);
    for (const bool causal : {false, true}) {
      INFO("causal " << causal << ", " << c10::toString(dtype));
      torch::NoGradGuard no_grad;
      const auto heads = [&](const torch::Tensor& t) { return t.view({2, 9, 4, 4}).transpose(1, 2); };
      const auto q = heads(attn->q_proj(x)), k = heads(attn->k_proj(x)), v = heads(attn->v_proj(x));
      const auto math = distdiff::models::detail::clip_attention_math(q, k, v, causal);
      // A per-head, per-position loop.
      auto loop = torch::zeros_like(math);
      for (int b = 0; b < 2; ++b)
        for (int h = 0; h < 4; ++h)
          for (int i = 0; i < 9; ++i) {
            const int last = causal ? i : 8;
            const auto s = torch::matmul(k[b][h].slice(0, 0, last + 1), q[b][h][i]) / 2.0;  // sqrt(4)
            loop[b][h][i] = torch::matmul(torch::softmax(s, 0), v[b][h].slice(0, 0, last + 1));
          }
      const double tol = dtype == torch::kFloat64 ? 1e-12 : 1e-5;
      CHECK(torch::allclose(math, loop, tol, tol));
      const auto expected = attn->out_proj(math.transpose(1, 2).reshape({2, 9, 16}));
      CHECK(torch::allclose(attn->forward(x, causal), expected, tol, tol));
    }
    // Causality matters: the two differ.
    CHECK_FALSE(torch::allclose(attn->forward(x, true), attn->forward(x, false), 1e-3, 1e-3));
  }
}

}  // namespace DISTDIFF_UNITY_ID
