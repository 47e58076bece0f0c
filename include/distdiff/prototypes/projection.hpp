#pragma once
// The real features and their prototypes on one 2-D plane (the paper's
// Figure 5): principal component analysis of the L2-normalised real features
// (the energy terms compare normalised features), then every sample, class
// prototype and group prototype projected onto the first two components.
//
//   auto map = distdiff::project_prototypes_2d(features, labels, prototypes);
//   distdiff::write_prototype_map(out / "prototypes_2d.csv", map, class_names);
//
// The plane depends on the real features only, so the runs of a K sweep share
// it: their maps overlay. Each component's sign is fixed (its largest entry is
// positive), so the same features give the same picture on every machine.
// Each sample is assigned to the nearest group prototype of its class
// (cosine), the colour of its dot in Figure 5. Each class also gets its own
// plane (the same analysis of that class's features alone), where its groups
// spread out as in the paper's per-class panels.
//
// prototypes_2d.csv: kind,label,class,group,x,y,cx,cy — kind is sample, class
// or group; group is the sample's nearest group (-1 without group prototypes)
// or the group prototype's index; x,y on the plane of all features, cx,cy on
// the class's own plane (x,y for a class of one image). Read back by
// io/paper_tables.hpp's figure5.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/core/types.hpp"
#include "distdiff/detail/atomic_write.hpp"

namespace distdiff {

struct PrototypeMap {
  torch::Tensor samples;        // [N, 2]
  torch::Tensor labels;         // [N] long
  torch::Tensor nearest_group;  // [N] long (-1 without group prototypes)
  torch::Tensor classes;        // [C, 2]
  torch::Tensor groups;         // [C, K, 2] (undefined without group prototypes)
  torch::Tensor axes;           // [2, D] the principal directions
  torch::Tensor mean;           // [D] the mean of the normalised features
  // The same on each class's own plane.
  torch::Tensor class_samples;  // [N, 2]
  torch::Tensor class_classes;  // [C, 2]
  torch::Tensor class_groups;   // [C, K, 2] (undefined without group prototypes)
};

namespace detail {

inline torch::Tensor unit_rows64(const torch::Tensor& t) {
  const auto x = t.cpu().to(torch::kFloat64);
  return x / x.norm(2, -1, true).clamp_min(1e-12);
}

// The first two principal directions ([2, D], each one's largest entry
// positive) and the mean of `rows` ([n >= 2, D], float64).
inline std::pair<torch::Tensor, torch::Tensor> principal_plane(const torch::Tensor& rows) {
  const auto D = rows.size(1);
  const auto mean = rows.mean(0);
  const auto centred = rows - mean;
  // The covariance's eigenvectors, largest eigenvalues last (eigh's order).
  const auto cov = centred.t().mm(centred) / double(std::max<std::int64_t>(1, rows.size(0) - 1));
  const auto [values, vectors] = at::linalg_eigh(cov, "L");  // torch::linalg (C++ frontend) is gone from LibTorch 2.x
  auto axes = torch::stack({vectors.select(1, D - 1), vectors.select(1, std::max<std::int64_t>(0, D - 2))});
  for (std::int64_t a = 0; a < 2; ++a) {
    const auto row = axes[a];
    const auto idx = row.abs().argmax().item<std::int64_t>();
    if (row[idx].item<double>() < 0) axes[a] = -row;
  }
  return {axes, mean};
}

}  // namespace detail

inline PrototypeMap project_prototypes_2d(const torch::Tensor& features, const torch::Tensor& labels,
                                          const Prototypes& prototypes) {
  torch::NoGradGuard no_grad;
  if (features.dim() != 2 || features.size(0) < 2)
    throw std::invalid_argument("project_prototypes_2d: expected [N >= 2, D] features, got " +
                                std::to_string(features.dim()) + "-d");
  if (labels.dim() != 1 || labels.size(0) != features.size(0))
    throw std::invalid_argument("project_prototypes_2d: one label per feature row expected");
  if (!prototypes.class_level.defined()) throw std::invalid_argument("project_prototypes_2d: no class prototypes");
  const auto D = features.size(1);
  if (prototypes.class_level.size(1) != D)
    throw std::invalid_argument("project_prototypes_2d: prototypes are " +
                                std::to_string(prototypes.class_level.size(1)) + "-d, features " + std::to_string(D) +
                                "-d");
  const auto f = detail::unit_rows64(features);
  const auto [axes, mean] = detail::principal_plane(f);
  auto project = [](const torch::Tensor& x, const torch::Tensor& ax, const torch::Tensor& mu) {
    return (detail::unit_rows64(x) - mu).matmul(ax.t());
  };
  PrototypeMap map;
  map.axes = axes;
  map.mean = mean;
  map.samples = (f - mean).matmul(axes.t());
  map.labels = labels.cpu().to(torch::kLong);
  map.classes = project(prototypes.class_level, axes, mean);
  map.nearest_group = torch::full({f.size(0)}, -1, torch::kLong);
  const bool grouped = prototypes.group_level.defined();
  if (grouped) {
    const auto g = detail::unit_rows64(prototypes.group_level);  // [C, K, D]
    map.groups = project(prototypes.group_level, axes, mean);
    // cosine of each sample with its own class's K group prototypes: [N, K]
    map.nearest_group = (g.index_select(0, map.labels) * f.unsqueeze(1)).sum(-1).argmax(1);
  }
  // Each class on its own plane (a class of one image keeps the common plane).
  map.class_samples = map.samples.clone();
  map.class_classes = map.classes.clone();
  if (grouped) map.class_groups = map.groups.clone();
  for (std::int64_t c = 0; c < map.classes.size(0); ++c) {
    const auto idx = (map.labels == c).nonzero().flatten();
    if (idx.size(0) < 2) continue;
    const auto [ax, mu] = detail::principal_plane(f.index_select(0, idx));
    map.class_samples.index_copy_(0, idx, (f.index_select(0, idx) - mu).matmul(ax.t()));
    map.class_classes[c] = project(prototypes.class_level[c], ax, mu);
    if (grouped) map.class_groups[c] = project(prototypes.group_level[c], ax, mu);
  }
  return map;
}

// Writes the map as prototypes_2d.csv (atomically).
inline void write_prototype_map(const std::filesystem::path& path, const PrototypeMap& map,
                                const std::vector<std::string>& class_names) {
  std::ostringstream out;
  out << "kind,label,class,group,x,y,cx,cy\n";
  auto name = [&](std::int64_t c) {
    std::string s = c >= 0 && std::size_t(c) < class_names.size() ? class_names[std::size_t(c)] : std::to_string(c);
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch == '\n' ? ' ' : ch);
    return q + "\"";
  };
  auto xy = [](const torch::Tensor& common, const torch::Tensor& own) {
    std::ostringstream o;
    o << common[0].item<double>() << "," << common[1].item<double>() << "," << own[0].item<double>() << ","
      << own[1].item<double>();
    return o.str();
  };
  for (std::int64_t i = 0; i < map.samples.size(0); ++i) {
    const auto c = map.labels[i].item<std::int64_t>();
    out << "sample," << c << "," << name(c) << "," << map.nearest_group[i].item<std::int64_t>() << ","
        << xy(map.samples[i], map.class_samples[i]) << "\n";
  }
  for (std::int64_t c = 0; c < map.classes.size(0); ++c)
    out << "class," << c << "," << name(c) << ",-1," << xy(map.classes[c], map.class_classes[c]) << "\n";
  if (map.groups.defined())
    for (std::int64_t c = 0; c < map.groups.size(0); ++c)
      for (std::int64_t k = 0; k < map.groups.size(1); ++k)
        out << "group," << c << "," << name(c) << "," << k << "," << xy(map.groups[c][k], map.class_groups[c][k])
            << "\n";
  detail::write_file_atomic(path, out.str(), "write_prototype_map");
}

}  // namespace distdiff
