#pragma once
// Conversions between distdiff::Image (8-bit HWC) and LibTorch tensors
// (float CHW in [0, 1]), the layout every ImageTransform and network expects.
//
//     torch::Tensor x = distdiff::to_tensor(distdiff::read_image("cat.jpg"));  // [3,H,W]
//     distdiff::write_png("back.png", distdiff::to_image(x));
#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

// float32 [3, H, W] in [0, 1] on the CPU. Grey is replicated to three
// channels; the alpha channel of RGBA is dropped.
inline torch::Tensor to_tensor(const Image& img) {
  detail::check_image(img, "distdiff::to_tensor");
  auto hwc = torch::from_blob(const_cast<std::uint8_t*>(img.pixels.data()), {img.height, img.width, img.channels},
                              torch::kUInt8);
  torch::Tensor chw = hwc.permute({2, 0, 1});
  if (img.channels == 1) chw = chw.expand({3, img.height, img.width});
  if (img.channels == 4) chw = chw.slice(0, 0, 3);
  return chw.to(torch::kFloat32).div_(255.0f).contiguous();
}

// Stacks same-sized images into float32 [B, 3, H, W].
inline torch::Tensor to_tensor(const std::vector<Image>& images) {
  if (images.empty()) throw std::invalid_argument("distdiff::to_tensor: empty image list");
  std::vector<torch::Tensor> items;
  items.reserve(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i].width != images[0].width || images[i].height != images[0].height)
      throw std::invalid_argument("distdiff::to_tensor: image " + std::to_string(i) + " is " +
                                  std::to_string(images[i].width) + "x" + std::to_string(images[i].height) +
                                  " but image 0 is " + std::to_string(images[0].width) + "x" +
                                  std::to_string(images[0].height));
    items.push_back(to_tensor(images[i]));
  }
  return torch::stack(items);
}

// An 8-bit image from a [3, H, W] (RGB) or [1, H, W] (grey) tensor of any
// floating dtype and device, values in [0, 1]: clamped, scaled by 255 and
// rounded to nearest.
inline Image to_image(const torch::Tensor& chw) {
  if (!chw.defined()) throw std::invalid_argument("distdiff::to_image: undefined tensor");
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3) || chw.size(1) <= 0 || chw.size(2) <= 0)
    throw std::invalid_argument("distdiff::to_image: expected a [3,H,W] or [1,H,W] tensor, got " +
                                std::string(c10::str(chw.sizes())));
  if (!c10::isFloatingType(chw.scalar_type()))
    throw std::invalid_argument("distdiff::to_image: expected a floating tensor with values in [0,1], got " +
                                std::string(c10::toString(chw.scalar_type())));
  torch::Tensor u8 = chw.detach()
                         .to(torch::kCPU, torch::kFloat32)
                         .clamp(0.0, 1.0)
                         .mul(255.0f)
                         .round()
                         .to(torch::kUInt8)
                         .permute({1, 2, 0})
                         .contiguous();
  Image out(static_cast<int>(chw.size(2)), static_cast<int>(chw.size(1)), static_cast<int>(chw.size(0)));
  std::memcpy(out.pixels.data(), u8.data_ptr<std::uint8_t>(), out.pixels.size());
  return out;
}

// One image per item of a [B, C, H, W] tensor (C = 1 or 3).
inline std::vector<Image> to_images(const torch::Tensor& bchw) {
  if (!bchw.defined() || bchw.dim() != 4)
    throw std::invalid_argument("distdiff::to_images: expected a [B,C,H,W] tensor, got " +
                                (bchw.defined() ? std::string(c10::str(bchw.sizes())) : std::string("undefined")));
  std::vector<Image> out;
  out.reserve(static_cast<std::size_t>(bchw.size(0)));
  for (std::int64_t b = 0; b < bchw.size(0); ++b) out.push_back(to_image(bchw[b]));
  return out;
}

}  // namespace distdiff
