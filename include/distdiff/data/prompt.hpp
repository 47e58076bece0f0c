#pragma once
// Text prompts for class-conditional generation (paper Table 9).
//
//     distdiff::format_prompt(distdiff::prompts::oxford_pets, "american_bulldog")
//       == "A photo of a pet american bulldog."
#include <stdexcept>
#include <string>
#include <string_view>

namespace distdiff {

// The per-dataset templates of Table 9; "{}" stands for the class name.
namespace prompts {
inline constexpr std::string_view generic = "a photo of a {}.";
inline constexpr std::string_view caltech101 = "a photo of a {}.";
inline constexpr std::string_view cifar100 = "a photo of a {}.";
inline constexpr std::string_view stanford_cars = "A photo of a {} car.";
inline constexpr std::string_view oxford_flowers = "a photo of a {}, a type of flower.";
inline constexpr std::string_view oxford_pets = "A photo of a pet {}.";
inline constexpr std::string_view dtd = "{} texture.";
}  // namespace prompts

// The class name as it reads in a sentence: '_' becomes a space.
inline std::string display_name(std::string_view class_name) {
  std::string out(class_name);
  for (char& c : out)
    if (c == '_') c = ' ';
  return out;
}

// Replaces every "{}" in `tmpl` with display_name(class_name). A template
// without "{}" is an error (the prompt would not depend on the class).
inline std::string format_prompt(std::string_view tmpl, std::string_view class_name) {
  if (tmpl.find("{}") == std::string_view::npos)
    throw std::invalid_argument("distdiff::format_prompt: template \"" + std::string(tmpl) +
                                "\" has no \"{}\" placeholder for the class name");
  const std::string name = display_name(class_name);
  std::string out;
  out.reserve(tmpl.size() + name.size());
  std::size_t pos = 0;
  for (std::size_t hit; (hit = tmpl.find("{}", pos)) != std::string_view::npos; pos = hit + 2) {
    out.append(tmpl.substr(pos, hit - pos));
    out.append(name);
  }
  out.append(tmpl.substr(pos));
  return out;
}

}  // namespace distdiff
