#pragma once
// PackedConv2d: torch::nn::Conv2d (same options, parameters and names) whose
// inference calls run on a copy of the weight kept in oneDNN's blocked layout.
//
// LibTorch 1.x routes a float32 CPU convolution through oneDNN, which reorders
// the plain [out, in, kh, kw] weight into its blocked layout on every call. For
// the frozen diffusion networks at small spatial sizes that reorder is most of
// the call: a 1280 -> 1280 3x3 convolution on a batch of two 2x2 maps takes
// 44.7 ms with the reorder and 6.3 ms without it (one thread, docs/performance.md).
// PackedConv2d reorders once and calls oneDNN's convolution with the packed copy.
// The result is the same kernel's: bit-identical for the 3x3 convolutions, and
// within float rounding for the 1x1 ones (one thread and a small batch send
// those to LibTorch's own kernel instead).
//
// The packed path is taken only for frozen parameters (neither weight nor bias
// requires a gradient, as in UNetDenoiser and VaeCodec) and inputs that need no
// gradient either (no grad mode, or an input that does not require one):
// oneDNN's blocked weights have no autograd. It also needs a float32 CPU input
// of 4 dimensions, zero padding given as numbers, LibTorch 1.x built with oneDNN
// and oneDNN enabled (`at::globalContext().userEnabledMkldnn()`). Anything else
// runs torch::nn::Conv2dImpl::forward unchanged. Trainable weights never use a
// copy, since LibTorch's optimisers update them through `.data()`, which the
// weight's version counter does not see.
//
// The copy is remade when the frozen weight's storage or version changes (an
// in-place change under NoGradGuard, as load_state_dict makes, or a replaced
// tensor); a plain call frees a copy that no longer matches or whose weight
// requires a gradient again. The copy costs the memory of the weight again.
// `set_conv_prepacking(false)` (or the environment variable
// DISTDIFF_CONV_PREPACK=0 at start) turns the packed path off for the whole
// process; each module frees its copy at its next call.
#include <torch/torch.h>
#include <torch/version.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>

namespace distdiff::models::nn {

namespace detail {
inline std::atomic<bool>& conv_prepacking_flag() {
  static std::atomic<bool> flag{[] {
    const char* v = std::getenv("DISTDIFF_CONV_PREPACK");
    return !(v && std::string(v) == "0");
  }()};
  return flag;
}
}  // namespace detail

// Whether PackedConv2d may use its packed weights (process-wide; default on).
inline void set_conv_prepacking(bool on) { detail::conv_prepacking_flag().store(on); }
inline bool conv_prepacking() { return detail::conv_prepacking_flag().load(); }

class PackedConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using torch::nn::Conv2dImpl::Conv2dImpl;

  torch::Tensor forward(const torch::Tensor& x) {
#if TORCH_VERSION_MAJOR >= 2
    // Not measured or tested against LibTorch 2.x's oneDNN integration: the
    // plain path there.
    return torch::nn::Conv2dImpl::forward(x);
#else
    if (!packable(x)) {
      drop_stale_copy();
      return torch::nn::Conv2dImpl::forward(x);
    }
    const at::IntArrayRef padding = *c10::get<torch::ExpandingArray<2>>(options.padding());
    const at::IntArrayRef stride = *options.stride();
    const at::IntArrayRef dilation = *options.dilation();
    torch::Tensor w;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto version = weight._version();
      const void* data = weight.data_ptr();
      if (!packed_.defined() || data != packed_data_ || version != packed_version_) {
        packed_ = at::mkldnn_reorder_conv2d_weight(weight.detach().contiguous().to_mkldnn(), padding, stride,
                                                   dilation, options.groups());
        packed_data_ = data;
        packed_version_ = version;
      }
      w = packed_;
    }
    const auto input = x.is_contiguous() || x.is_contiguous(at::MemoryFormat::ChannelsLast) ? x : x.contiguous();
    return at::mkldnn_convolution(input, w, options.bias() ? bias.detach() : torch::Tensor(), padding, stride,
                                  dilation, options.groups());
#endif
  }

  // Whether a packed copy of the weight is held (for tests and memory accounting).
  bool holds_packed_weight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return packed_.defined();
  }

 private:
#if TORCH_VERSION_MAJOR < 2
  bool packable(const torch::Tensor& x) const {
    if (!conv_prepacking() || !at::hasMKLDNN() || !at::globalContext().userEnabledMkldnn()) return false;
    if (x.dim() != 4 || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32 || x.is_mkldnn() ||
        x.is_sparse())
      return false;
    if (!weight.device().is_cpu() || weight.scalar_type() != torch::kFloat32 || weight.is_mkldnn()) return false;
    if (bias.defined() && (bias.scalar_type() != torch::kFloat32 || !bias.device().is_cpu())) return false;
    if (!c10::holds_alternative<torch::enumtype::kZeros>(options.padding_mode())) return false;
    if (!c10::holds_alternative<torch::ExpandingArray<2>>(options.padding())) return false;
    if (weight.requires_grad() || (bias.defined() && bias.requires_grad())) return false;
    if (at::GradMode::is_enabled() && x.requires_grad()) return false;
    return true;
  }

  // A plain call frees a copy that no longer matches the weight or is no longer
  // wanted (set_conv_prepacking(false), a weight that requires a gradient again,
  // a move to another device or dtype); frozen weights keep theirs across calls
  // whose input requires a gradient (a guided step's).
  void drop_stale_copy() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (packed_.defined() && (!conv_prepacking() || weight.requires_grad() || weight.data_ptr() != packed_data_ ||
                              weight._version() != packed_version_))
      packed_ = torch::Tensor();
  }
#endif

  mutable std::mutex mutex_;
  torch::Tensor packed_;
  const void* packed_data_ = nullptr;
  std::int64_t packed_version_ = 0;
};
TORCH_MODULE(PackedConv2d);

}  // namespace distdiff::models::nn
