#pragma once
// CaptionTable — the captions the small world is trained on: the dataset's
// own prompt ("a photo of a {class}.", what the expansion tools condition
// on), a few richer templates, and a tone word ("dark", "grey", "light") from
// where the image's mean brightness falls among its class (terciles), so that
// captions say something about the picture beyond its class.
//
//   auto table = distdiff::pretrain::make_caption_table(train, {});
//   auto tones = distdiff::pretrain::image_tones(images, table.num_tones());
//   std::mt19937_64 rng(0);
//   std::int64_t id = table.sample(label, tone, rng);   // index into table.texts
//   table.texts[0];                                       // "" (the unconditional prompt)
//
// All distinct captions are enumerated once (texts), so a training loop can
// tokenise or encode each only once.
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/pretrain/image_tensors.hpp"

namespace distdiff::pretrain {

struct CaptionConfig {
  // "{}" is the class name, "{tone}" the tone word. The dataset's prompt is
  // always added as the canonical caption.
  std::vector<std::string> templates = {
      "a black and white photo of a {}.", "a low resolution photo of a {}.", "a photo of a {tone} {}.",
      "a {tone} {} on a plain background.", "a centered picture of one {}.", "a small photo of the {}.",
      "a {tone} {}."};
  std::vector<std::string> tones = {"dark", "grey", "light"};
  double canonical_weight = 0.3;  // probability of the canonical caption; the rest share 1 - this
};

struct CaptionTable {
  std::vector<std::string> texts;                                // distinct captions; texts[0] == ""
  std::vector<std::vector<std::vector<std::int64_t>>> choices;   // [class][tone] -> ids; [0] is canonical
  double canonical_weight = 0.3;

  std::size_t num_classes() const { return choices.size(); }
  std::size_t num_tones() const { return choices.empty() ? 0 : choices[0].size(); }
  std::int64_t canonical(std::int64_t label) const { return choices.at(std::size_t(label)).at(0).at(0); }

  // A caption id for an image of class `label` and tone `tone`.
  std::int64_t sample(std::int64_t label, std::int64_t tone, std::mt19937_64& rng) const {
    const auto& c = choices.at(std::size_t(label)).at(std::size_t(tone));
    const double u = double(rng() >> 11) * 0x1.0p-53;
    if (c.size() == 1 || u < canonical_weight) return c[0];
    return c[1 + distdiff::detail::uniform_index(rng, c.size() - 1)];
  }
};

namespace detail {
inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}
}  // namespace detail

// Canonical captions from prompt(c); the others from class_names()[c].
template <LabelledDataset D>
CaptionTable make_caption_table(const D& data, const CaptionConfig& cfg = {}) {
  if (cfg.tones.empty()) throw std::invalid_argument("make_caption_table: at least one tone word is needed");
  CaptionTable t;
  t.canonical_weight = cfg.canonical_weight;
  std::map<std::string, std::int64_t> ids;
  auto id_of = [&](const std::string& s) {
    auto [it, fresh] = ids.emplace(s, std::int64_t(t.texts.size()));
    if (fresh) t.texts.push_back(s);
    return it->second;
  };
  id_of("");
  const auto& names = data.class_names();
  t.choices.resize(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::string canonical = data.prompt(std::int64_t(c));
    const std::string name = display_name(names[c]);
    for (const auto& tone : cfg.tones) {
      std::vector<std::int64_t> row{id_of(canonical)};
      for (const auto& tmpl : cfg.templates) {
        if (tmpl.find("{}") == std::string::npos)
          throw std::invalid_argument("make_caption_table: template \"" + tmpl + "\" has no {} for the class");
        row.push_back(id_of(detail::replace_all(detail::replace_all(tmpl, "{tone}", tone), "{}", name)));
      }
      t.choices[c].push_back(std::move(row));
    }
  }
  return t;
}

// Tone of every image: which of `num_tones` equal-count bins (within its
// class) its mean brightness falls in, 0 = darkest. [N] int64.
inline torch::Tensor image_tones(const ImageTensors& set, std::size_t num_tones) {
  const auto n = set.size();
  auto brightness = set.pixels.to(torch::kFloat32).mean({1, 2, 3});
  auto tones = torch::zeros({n}, torch::kLong);
  if (num_tones <= 1 || n == 0) return tones;
  const auto C = std::int64_t(set.class_names.size());
  for (std::int64_t c = 0; c < C; ++c) {
    auto rows = torch::nonzero(set.labels == c).flatten();
    const auto m = rows.size(0);
    if (m == 0) continue;
    auto order = std::get<1>(torch::sort(brightness.index_select(0, rows), /*stable=*/true, 0, false));
    auto rank = torch::empty_like(order);
    rank.index_put_({order}, torch::arange(m, torch::kLong));
    tones.index_put_({rows}, (rank * std::int64_t(num_tones)).div(m, "floor"));
  }
  return tones;
}

}  // namespace distdiff::pretrain
