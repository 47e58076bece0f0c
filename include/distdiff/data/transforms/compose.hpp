#pragma once
// Compose<Ts...> — a compile-time pipeline of image transforms, applied left
// to right (a fold over a std::tuple); itself an ImageTransform, so pipelines
// nest. Its name joins the parts' names with " > ".
//
//     distdiff::augment::Compose pipeline{Resize{.size = 256}, CenterCrop{}, Normalize{}};
//     at::Tensor y = pipeline.apply(x, rng);
//     pipeline.get<CenterCrop>().height = 200;      // parts stay reachable
#include <torch/torch.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

#include "distdiff/concepts/augment.hpp"

namespace distdiff::augment {

namespace detail {
// One diagnostic per offending part; the instantiation names the type.
template <class T>
constexpr bool compose_part_ok() {
  static_assert(HasTag<T, image_transform_tag>,
                "distdiff::augment::Compose: this part lacks `using component_tag = "
                "distdiff::image_transform_tag;` (see docs/augment.md)");
  static_assert(Named<T>, "distdiff::augment::Compose: this part lacks `std::string name() const` "
                          "(see docs/augment.md)");
  static_assert(ImageTransform<T>,
                "distdiff::augment::Compose: this part lacks `at::Tensor apply(const at::Tensor&, "
                "distdiff::Rng&) const` (see docs/augment.md)");
  return true;
}
}  // namespace detail

template <class... Ts>
struct Compose {
  static_assert((detail::compose_part_ok<Ts>() && ...));
  using component_tag = image_transform_tag;
  std::tuple<Ts...> parts;

  Compose() = default;
  explicit Compose(Ts... ts) requires(sizeof...(Ts) > 0) : parts(std::move(ts)...) {}

  static constexpr std::size_t size() { return sizeof...(Ts); }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    at::Tensor out = img;
    std::apply([&](const auto&... t) { ((out = t.apply(out, rng)), ...); }, parts);
    return out;
  }

  std::string name() const {
    std::string s;
    const auto add = [&s](const std::string& part) {
      if (!s.empty()) s += " > ";
      s += part;
    };
    std::apply([&](const auto&... t) { (add(t.name()), ...); }, parts);
    return "compose[" + s + "]";
  }

  // The I-th part, or the part of type T (T must occur once).
  template <std::size_t I>
  auto& get() { return std::get<I>(parts); }
  template <std::size_t I>
  const auto& get() const { return std::get<I>(parts); }
  template <class T>
  T& get() { return std::get<T>(parts); }
  template <class T>
  const T& get() const { return std::get<T>(parts); }
};

template <class... Ts>
Compose(Ts...) -> Compose<Ts...>;

namespace detail {
struct ComposeCheckPart {
  using component_tag = image_transform_tag;
  at::Tensor apply(const at::Tensor& x, Rng&) const { return x; }
  std::string name() const { return "identity"; }
};
}  // namespace detail

static_assert(ImageTransform<Compose<>>);
static_assert(ImageTransform<Compose<detail::ComposeCheckPart, Compose<detail::ComposeCheckPart>>>);

}  // namespace distdiff::augment
