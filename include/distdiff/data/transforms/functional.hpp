#pragma once
// Stateless image operations behind the training transforms and the
// transformation-based baselines, with torchvision's tensor semantics:
//
//   resize, shorter_side_size, pad, crop, center_crop, hflip,
//   inverse_affine_matrix, affine, rotate, normalize.
//
// Every function takes one image tensor [C, H, W] (floating point, any device)
// and returns a new tensor on the same device and dtype. Geometry follows
// torchvision.transforms.functional: pixel centres sit at integer indices,
// affine maps act on coordinates relative to the image centre (x right, y
// down), and `affine`'s angle is clockwise while `rotate`'s is
// counter-clockwise, exactly as in torchvision.
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace distdiff::augment {

// Resampling filter of resize / affine / rotate.
enum class Interpolation { nearest, bilinear, bicubic };

inline std::string to_string(Interpolation i) {
  switch (i) {
    case Interpolation::nearest: return "nearest";
    case Interpolation::bilinear: return "bilinear";
    case Interpolation::bicubic: return "bicubic";
  }
  return "unknown";
}

namespace detail {

// One clear error for anything that is not a [C, H, W] floating-point image.
inline void check_image(const at::Tensor& img, const std::string& who) {
  if (!img.defined()) throw std::invalid_argument(who + ": the image tensor is undefined");
  if (img.dim() != 3 || img.size(0) < 1 || img.size(1) < 1 || img.size(2) < 1) {
    std::ostringstream shape;
    shape << img.sizes();
    throw std::invalid_argument(who + ": expected an image tensor [C, H, W], got shape " + shape.str());
  }
  if (!img.is_floating_point())
    throw std::invalid_argument(who + ": expected a floating-point image (values in [0, 1]), got " +
                                std::string(c10::toString(img.scalar_type())));
}

// A number as a short string for names: 0.5, 15, 0.08.
inline std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

inline void check_positive(std::int64_t v, const std::string& who, const char* what) {
  if (v <= 0)
    throw std::invalid_argument(who + ": " + what + " must be positive, got " + std::to_string(v));
}

}  // namespace detail

namespace functional {

// Output (height, width) of torchvision's Resize(size) with one int: the
// shorter side becomes `size`, the longer one int(size * long / short).
inline std::pair<std::int64_t, std::int64_t> shorter_side_size(std::int64_t height, std::int64_t width,
                                                               std::int64_t size) {
  detail::check_positive(size, "shorter_side_size", "size");
  const bool w_short = width <= height;
  const std::int64_t s = w_short ? width : height;
  const std::int64_t l = w_short ? height : width;
  const auto new_long = static_cast<std::int64_t>(static_cast<double>(size) * static_cast<double>(l) /
                                                  static_cast<double>(s));
  return w_short ? std::pair{new_long, size} : std::pair{size, new_long};
}

// Resize to exactly height x width without antialiasing (torch interpolate,
// align_corners = false). Bicubic overshoot is clamped to the input's value
// range, so an image in [0, 1] stays in [0, 1].
inline at::Tensor resize(const at::Tensor& img, std::int64_t height, std::int64_t width,
                         Interpolation interpolation = Interpolation::bilinear) {
  detail::check_image(img, "resize");
  detail::check_positive(height, "resize", "height");
  detail::check_positive(width, "resize", "width");
  if (img.size(1) == height && img.size(2) == width) return img.clone();
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(std::vector<std::int64_t>{height, width});
  switch (interpolation) {
    case Interpolation::nearest: opts.mode(torch::kNearest); break;
    case Interpolation::bilinear: opts.mode(torch::kBilinear).align_corners(false); break;
    case Interpolation::bicubic: opts.mode(torch::kBicubic).align_corners(false); break;
  }
  auto out = F::interpolate(img.unsqueeze(0), opts).squeeze(0);
  if (interpolation == Interpolation::bicubic) out = out.clamp(img.min().item<double>(), img.max().item<double>());
  return out;
}

// Constant padding of the borders (left, top, right, bottom pixels).
inline at::Tensor pad(const at::Tensor& img, std::int64_t left, std::int64_t top, std::int64_t right,
                      std::int64_t bottom, double fill = 0.0) {
  detail::check_image(img, "pad");
  if (left < 0 || top < 0 || right < 0 || bottom < 0)
    throw std::invalid_argument("pad: padding must be non-negative");
  if (left == 0 && top == 0 && right == 0 && bottom == 0) return img.clone();
  auto out = torch::full({img.size(0), img.size(1) + top + bottom, img.size(2) + left + right}, fill,
                         img.options());
  out.narrow(1, top, img.size(1)).narrow(2, left, img.size(2)).copy_(img);
  return out;
}

// The window [top, top + height) x [left, left + width); parts outside the
// image are filled with zeros (torchvision F.crop).
inline at::Tensor crop(const at::Tensor& img, std::int64_t top, std::int64_t left, std::int64_t height,
                       std::int64_t width) {
  detail::check_image(img, "crop");
  detail::check_positive(height, "crop", "height");
  detail::check_positive(width, "crop", "width");
  const std::int64_t H = img.size(1), W = img.size(2);
  if (top >= 0 && left >= 0 && top + height <= H && left + width <= W)
    return img.narrow(1, top, height).narrow(2, left, width).clone();
  auto out = torch::zeros({img.size(0), height, width}, img.options());
  const std::int64_t y0 = std::max<std::int64_t>(top, 0), y1 = std::min(top + height, H);
  const std::int64_t x0 = std::max<std::int64_t>(left, 0), x1 = std::min(left + width, W);
  if (y1 > y0 && x1 > x0)
    out.narrow(1, y0 - top, y1 - y0).narrow(2, x0 - left, x1 - x0)
        .copy_(img.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0));
  return out;
}

// torchvision F.center_crop: top = round((H - h) / 2) with round-half-even,
// zero padding when the crop is larger than the image.
inline at::Tensor center_crop(const at::Tensor& img, std::int64_t height, std::int64_t width) {
  detail::check_image(img, "center_crop");
  detail::check_positive(height, "center_crop", "height");
  detail::check_positive(width, "center_crop", "width");
  at::Tensor src = img;
  if (height > src.size(1) || width > src.size(2)) {
    const std::int64_t dh = std::max<std::int64_t>(height - src.size(1), 0);
    const std::int64_t dw = std::max<std::int64_t>(width - src.size(2), 0);
    src = pad(src, dw / 2, dh / 2, (dw + 1) / 2, (dh + 1) / 2, 0.0);
    if (src.size(1) == height && src.size(2) == width) return src;
  }
  const auto top = static_cast<std::int64_t>(std::nearbyint((src.size(1) - height) / 2.0));
  const auto left = static_cast<std::int64_t>(std::nearbyint((src.size(2) - width) / 2.0));
  return crop(src, top, left, height, width);
}

inline at::Tensor hflip(const at::Tensor& img) {
  detail::check_image(img, "hflip");
  return img.flip({2});
}

// torchvision's _get_inverse_affine_matrix: the 2x3 matrix (row-major) that
// maps OUTPUT coordinates to INPUT coordinates, both relative to the image
// centre. The forward map is T * C * R(angle) * Shear * Scale * C^-1 with the
// angle clockwise in degrees and the shear angles in degrees.
inline std::array<double, 6> inverse_affine_matrix(std::array<double, 2> center, double angle,
                                                   std::array<double, 2> translate, double scale,
                                                   std::array<double, 2> shear) {
  if (scale == 0.0) throw std::invalid_argument("inverse_affine_matrix: scale must be non-zero");
  constexpr double deg = 3.14159265358979323846 / 180.0;
  const double rot = angle * deg, sx = shear[0] * deg, sy = shear[1] * deg;
  const double cx = center[0], cy = center[1], tx = translate[0], ty = translate[1];
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  std::array<double, 6> m{d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0};
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

// Warp with an inverse matrix in centred pixel coordinates (see above); the
// output keeps the input size, pixels mapped from outside are `fill`.
inline at::Tensor warp_affine(const at::Tensor& img, const std::array<double, 6>& m,
                              Interpolation interpolation, double fill) {
  detail::check_image(img, "warp_affine");
  namespace F = torch::nn::functional;
  const double H = static_cast<double>(img.size(1)), W = static_cast<double>(img.size(2));
  // Normalised coordinates (align_corners = false): x_n = x_c * 2 / W.
  const auto theta = torch::tensor({m[0], m[1] * H / W, m[2] * 2.0 / W,  //
                                    m[3] * W / H, m[4], m[5] * 2.0 / H},
                                   torch::TensorOptions().dtype(torch::kDouble))
                         .view({1, 2, 3})
                         .to(img.device(), img.scalar_type());
  auto input = img.unsqueeze(0);
  if (fill != 0.0)  // torchvision: an extra all-ones channel marks the valid area
    input = torch::cat({input, torch::ones({1, 1, img.size(1), img.size(2)}, img.options())}, 1);
  const auto grid = F::affine_grid(theta, {1, input.size(1), img.size(1), img.size(2)}, false);
  auto opts = F::GridSampleFuncOptions().padding_mode(torch::kZeros).align_corners(false);
  switch (interpolation) {
    case Interpolation::nearest: opts.mode(torch::kNearest); break;
    case Interpolation::bilinear: opts.mode(torch::kBilinear); break;
    case Interpolation::bicubic:
      throw std::invalid_argument("affine/rotate: bicubic is not supported, use nearest or bilinear");
  }
  auto out = F::grid_sample(input, grid, opts).squeeze(0);
  if (fill != 0.0) {
    auto mask = out.narrow(0, img.size(0), 1).expand({img.size(0), img.size(1), img.size(2)});
    out = out.narrow(0, 0, img.size(0));
    if (interpolation == Interpolation::nearest)
      out = torch::where(mask < 0.5, torch::full_like(out, fill), out);
    else
      out = out * mask + (1.0 - mask) * fill;
  }
  return out;
}

// torchvision F.affine on tensors: angle clockwise in degrees, translation in
// pixels, shear in degrees; `center` in pixel coordinates of the image
// ((0, 0) = top-left pixel corner), default the image centre.
inline at::Tensor affine(const at::Tensor& img, double angle, std::array<double, 2> translate, double scale,
                         std::array<double, 2> shear, Interpolation interpolation = Interpolation::nearest,
                         double fill = 0.0, std::optional<std::array<double, 2>> center = std::nullopt) {
  detail::check_image(img, "affine");
  std::array<double, 2> c{0.0, 0.0};
  if (center)
    c = {(*center)[0] - 0.5 * static_cast<double>(img.size(2)),
         (*center)[1] - 0.5 * static_cast<double>(img.size(1))};
  return warp_affine(img, inverse_affine_matrix(c, angle, translate, scale, shear), interpolation, fill);
}

// torchvision F.rotate: counter-clockwise by `angle` degrees about the image
// centre, same output size, outside filled with `fill`.
inline at::Tensor rotate(const at::Tensor& img, double angle, Interpolation interpolation = Interpolation::nearest,
                         double fill = 0.0) {
  detail::check_image(img, "rotate");
  return warp_affine(img, inverse_affine_matrix({0.0, 0.0}, -angle, {0.0, 0.0}, 1.0, {0.0, 0.0}),
                     interpolation, fill);
}

// (img - mean[c]) / std[c] per channel.
inline at::Tensor normalize(const at::Tensor& img, const std::array<double, 3>& mean,
                            const std::array<double, 3>& std) {
  detail::check_image(img, "normalize");
  if (img.size(0) != 3)
    throw std::invalid_argument("normalize: expected 3 channels, got " + std::to_string(img.size(0)));
  for (double s : std)
    if (!(s > 0.0)) throw std::invalid_argument("normalize: every std must be positive, got " + std::to_string(s));
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto m = torch::tensor({mean[0], mean[1], mean[2]}, opts).view({3, 1, 1}).to(img.device(), img.scalar_type());
  const auto s = torch::tensor({std[0], std[1], std[2]}, opts).view({3, 1, 1}).to(img.device(), img.scalar_type());
  return (img - m) / s;
}

}  // namespace functional
}  // namespace distdiff::augment
