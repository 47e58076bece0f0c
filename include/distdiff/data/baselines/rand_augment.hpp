#pragma once
// RandAugment (Cubuk et al. 2020) with torchvision's definition
// (transforms.RandAugment): each call applies num_ops operations, each drawn
// uniformly from the 14 below, all at one shared magnitude index M of
// num_magnitude_bins bins (torchvision defaults: N = 2, M = 9 of 31 bins, so
// every op runs at 9/30 = 30% of its range). Signed ops flip the sign with
// probability 1/2.
//
//   op            magnitude at bin M (fraction f = M / (bins - 1))   signed
//   Identity      -                                                   no
//   ShearX/Y      0.3 f  (x_in = x + m y about the top-left corner)   yes
//   TranslateX/Y  int(150/331 * W f) / int(150/331 * H f) pixels      yes
//   Rotate        30 f degrees, counter-clockwise                     yes
//   Brightness    factor 1 + 0.9 f                                    yes
//   Color         saturation factor 1 + 0.9 f                         yes
//   Contrast      factor 1 + 0.9 f                                    yes
//   Sharpness     factor 1 + 0.9 f                                    yes
//   Posterize     8 - round(M / ((bins - 1) / 4)) bits                no
//   Solarize      threshold 1 - f (torchvision: 255 (1 - f) on uint8)  no
//   AutoContrast  -                                                   no
//   Equalize      -                                                   no
//
// Geometric ops use nearest resampling and `fill` outside (torchvision's
// defaults). The image is a float [3, H, W] in [0, 1] and stays in [0, 1];
// Posterize and Equalize work on its 8-bit levels.
//
// The random choice is split from its application so the chosen ops can be
// inspected: apply(x, rng) == apply_ops(x, sample_ops(rng)).
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/baselines/rand_augment_ops.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

enum class RandAugmentOp {
  identity, shear_x, shear_y, translate_x, translate_y, rotate, brightness,
  color, contrast, sharpness, posterize, solarize, auto_contrast, equalize
};

inline constexpr std::array<RandAugmentOp, 14> rand_augment_ops{
    RandAugmentOp::identity,   RandAugmentOp::shear_x,    RandAugmentOp::shear_y,   RandAugmentOp::translate_x,
    RandAugmentOp::translate_y, RandAugmentOp::rotate,    RandAugmentOp::brightness, RandAugmentOp::color,
    RandAugmentOp::contrast,   RandAugmentOp::sharpness,  RandAugmentOp::posterize, RandAugmentOp::solarize,
    RandAugmentOp::auto_contrast, RandAugmentOp::equalize};

inline std::string to_string(RandAugmentOp op) {
  switch (op) {
    case RandAugmentOp::identity: return "Identity";
    case RandAugmentOp::shear_x: return "ShearX";
    case RandAugmentOp::shear_y: return "ShearY";
    case RandAugmentOp::translate_x: return "TranslateX";
    case RandAugmentOp::translate_y: return "TranslateY";
    case RandAugmentOp::rotate: return "Rotate";
    case RandAugmentOp::brightness: return "Brightness";
    case RandAugmentOp::color: return "Color";
    case RandAugmentOp::contrast: return "Contrast";
    case RandAugmentOp::sharpness: return "Sharpness";
    case RandAugmentOp::posterize: return "Posterize";
    case RandAugmentOp::solarize: return "Solarize";
    case RandAugmentOp::auto_contrast: return "AutoContrast";
    case RandAugmentOp::equalize: return "Equalize";
  }
  return "unknown";
}

// True for the ops whose magnitude gets a random sign.
inline constexpr bool is_signed(RandAugmentOp op) {
  switch (op) {
    case RandAugmentOp::shear_x:
    case RandAugmentOp::shear_y:
    case RandAugmentOp::translate_x:
    case RandAugmentOp::translate_y:
    case RandAugmentOp::rotate:
    case RandAugmentOp::brightness:
    case RandAugmentOp::color:
    case RandAugmentOp::contrast:
    case RandAugmentOp::sharpness: return true;
    default: return false;
  }
}

struct RandAugment {
  using component_tag = image_transform_tag;
  int num_ops = 2;               // N
  int magnitude = 9;             // M, a bin index in [0, num_magnitude_bins)
  int num_magnitude_bins = 31;
  Interpolation interpolation = Interpolation::nearest;
  double fill = 0.0;

  struct Choice {
    RandAugmentOp op = RandAugmentOp::identity;
    bool negative = false;       // the sign draw (always false for unsigned ops)
    bool operator==(const Choice&) const = default;
  };

  // The draws of one call: num_ops ops, each uniform over the 14, then its sign.
  std::vector<Choice> sample_ops(Rng& rng) const {
    check();
    std::vector<Choice> ops;
    ops.reserve(static_cast<std::size_t>(num_ops));
    std::uniform_int_distribution<int> pick(0, static_cast<int>(rand_augment_ops.size()) - 1);
    std::bernoulli_distribution sign(0.5);
    for (int k = 0; k < num_ops; ++k) {
      Choice c{rand_augment_ops[static_cast<std::size_t>(pick(rng))], false};
      if (is_signed(c.op)) c.negative = sign(rng);
      ops.push_back(c);
    }
    return ops;
  }

  // The unsigned magnitude of `op` at the configured bin for an h x w image
  // (shear factor, pixels, degrees, enhancement delta, bits, or threshold).
  double magnitude_of(RandAugmentOp op, std::int64_t h, std::int64_t w) const {
    check();
    const double f = static_cast<double>(magnitude) / static_cast<double>(num_magnitude_bins - 1);
    switch (op) {
      case RandAugmentOp::shear_x:
      case RandAugmentOp::shear_y: return 0.3 * f;
      case RandAugmentOp::translate_x: return 150.0 / 331.0 * static_cast<double>(w) * f;
      case RandAugmentOp::translate_y: return 150.0 / 331.0 * static_cast<double>(h) * f;
      case RandAugmentOp::rotate: return 30.0 * f;
      case RandAugmentOp::brightness:
      case RandAugmentOp::color:
      case RandAugmentOp::contrast:
      case RandAugmentOp::sharpness: return 0.9 * f;
      case RandAugmentOp::posterize:
        return 8.0 - std::nearbyint(static_cast<double>(magnitude) / ((num_magnitude_bins - 1) / 4.0));
      case RandAugmentOp::solarize: return 1.0 - f;
      default: return 0.0;
    }
  }

  // One op at the configured magnitude, with the given sign.
  at::Tensor apply_op(const at::Tensor& img, Choice c) const {
    detail::check_image(img, "RandAugment");
    if (img.size(0) != 3)
      throw std::invalid_argument("RandAugment: expected an RGB image [3, H, W], got " +
                                  std::to_string(img.size(0)) + " channels");
    double m = magnitude_of(c.op, img.size(1), img.size(2));
    if (c.negative && is_signed(c.op)) m = -m;
    constexpr double to_deg = 180.0 / 3.14159265358979323846;
    namespace F = functional;
    switch (c.op) {
      case RandAugmentOp::identity: return img;
      case RandAugmentOp::shear_x:
        return F::affine(img, 0.0, {0.0, 0.0}, 1.0, {std::atan(m) * to_deg, 0.0}, interpolation, fill,
                         std::array<double, 2>{0.0, 0.0});
      case RandAugmentOp::shear_y:
        return F::affine(img, 0.0, {0.0, 0.0}, 1.0, {0.0, std::atan(m) * to_deg}, interpolation, fill,
                         std::array<double, 2>{0.0, 0.0});
      case RandAugmentOp::translate_x:
        return F::affine(img, 0.0, {std::trunc(m), 0.0}, 1.0, {0.0, 0.0}, interpolation, fill);
      case RandAugmentOp::translate_y:
        return F::affine(img, 0.0, {0.0, std::trunc(m)}, 1.0, {0.0, 0.0}, interpolation, fill);
      case RandAugmentOp::rotate: return F::rotate(img, m, interpolation, fill);
      case RandAugmentOp::brightness: return F::adjust_brightness(img, 1.0 + m);
      case RandAugmentOp::color: return F::adjust_saturation(img, 1.0 + m);
      case RandAugmentOp::contrast: return F::adjust_contrast(img, 1.0 + m);
      case RandAugmentOp::sharpness: return F::adjust_sharpness(img, 1.0 + m);
      case RandAugmentOp::posterize: return F::posterize(img, static_cast<int>(m));
      case RandAugmentOp::solarize: return F::solarize(img, m);
      case RandAugmentOp::auto_contrast: return F::autocontrast(img);
      case RandAugmentOp::equalize: return F::equalize(img);
    }
    return img;
  }

  at::Tensor apply_ops(const at::Tensor& img, const std::vector<Choice>& ops) const {
    at::Tensor out = img;
    for (const auto& c : ops) out = apply_op(out, c);
    return out;
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandAugment");
    return apply_ops(img, sample_ops(rng));
  }

  std::string name() const {
    return "randaugment(n=" + std::to_string(num_ops) + ",m=" + std::to_string(magnitude) + "/" +
           std::to_string(num_magnitude_bins - 1) + ")";
  }

 private:
  void check() const {
    if (num_ops < 0) throw std::invalid_argument("RandAugment: num_ops must be non-negative, got " + std::to_string(num_ops));
    if (num_magnitude_bins < 2)
      throw std::invalid_argument("RandAugment: num_magnitude_bins must be at least 2, got " +
                                  std::to_string(num_magnitude_bins));
    if (magnitude < 0 || magnitude >= num_magnitude_bins)
      throw std::invalid_argument("RandAugment: magnitude must lie in [0, " + std::to_string(num_magnitude_bins - 1) +
                                  "], got " + std::to_string(magnitude));
  }
};

static_assert(ImageTransform<RandAugment>);

}  // namespace distdiff::augment
