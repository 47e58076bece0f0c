#pragma once
// Paired comparison of expansion runs: variants of one experiment run with
// identical seeds, seed augmentations and per-image noise (the `compare` tool,
// experiments/compare.cpp, docs/compare.md).
//
//     auto clip = distdiff::ClipImageFeatures::load("models/small_world/clip_model", {});
//     distdiff::eval::CompareOptions o;                  // prototypes: <first run>/prototypes.safetensors
//     auto report = distdiff::eval::compare_runs({"out/distdiff", "out/plain"}, clip, o);
//     distdiff::eval::write_compare_outputs(report, "out/compare");
//     std::cout << distdiff::eval::render_summary(report);
//
// Pairing: the images of the runs pair by (seed_index, sample) — the file
// <class>/<seed_index>_<sample>.png of every run. Only images that every run
// holds are compared (the others are counted in a note). A pair whose
// seed_source or class differs, or runs with no image in common, are one
// std::runtime_error naming both folders and the first mismatching image:
// such runs are not variants of one experiment.
//
// Measures per image and run: energy_before / energy_after from the manifest
// (absent when null there), and θ-feature distances of the generated PNG,
// measured afresh against ONE set of prototypes for every run:
//   class_distance = ‖θ̂(x) − p_c‖₂                  (ClassDistance, energy/class_distance.hpp)
//   group_distance = ‖θ̂(x) − p_g^j‖₂, j = argmax_k cos(θ̂(x), p_g^k) over the
//                    K group prototypes of x's class (GroupDistance, energy/group_distance.hpp)
// with θ̂(x) = θ(x)/‖θ(x)‖₂ — the very energy terms of the guidance, called
// here. Without group-level prototypes group_distance is absent ("n/a").
//
// θ is a template parameter: anything with `extract(images)` or a call
// operator mapping float [B, 3, H, W] in [0, 1] to [B, D] (ClipImageFeatures,
// ClipImageFeatures::random(...) in tests, a lambda). Each PNG is fed at
// `image_size` (bilinear resize when it differs; θ then applies its own
// preprocessing, as in guidance).
//
// Statistics (eval/paired.hpp): per run, the mean of each measure over the
// paired images with the 95% CI of the mean; for every run after the first,
// the paired differences (run − first run) of energy_after, class_distance and
// group_distance over the images where both values exist: mean, 95% Student-t
// CI, n and the share of images where the run is lower (improved). Optional
// classifier accuracies (io/results.hpp rows): compare_accuracy() pairs each
// method's rows with the first method's by (dataset, backbone, expansion,
// seed) and reports paired top-1 differences over seeds.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "distdiff/core/types.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/energy/class_distance.hpp"
#include "distdiff/energy/group_distance.hpp"
#include "distdiff/eval/feature_frechet.hpp"
#include "distdiff/eval/paired.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/plot.hpp"
#include "distdiff/io/results.hpp"
#include "distdiff/io/tensor_image.hpp"
#include "distdiff/io/manifest.hpp"
#include "distdiff/io/run_folder.hpp"
#include "distdiff/prototypes/io.hpp"

namespace distdiff::eval {

// ------------------------------------------------------------------ options and results

struct CompareOptions {
  std::filesystem::path prototypes;   // empty: <first run>/prototypes.safetensors
  std::int64_t image_size = 0;        // 0: the first run's settings.image_size (run.json), else the first PNG's width
  std::int64_t batch_size = 32;       // images per θ batch
  std::vector<std::string> labels;    // a name per run; empty: the folder names (the paths when two names clash)
};

struct CompareRun {
  std::filesystem::path folder;
  std::string label;      // the name in the reports
  std::string method;     // run.json settings.method (else the manifest's), "" when neither says
  std::size_t images = 0; // images its manifest lists
  nlohmann::json energy;  // run.json settings.composition_params.energy (null when not recorded)
};

// The measures of one image in one run; nullopt: not recorded / not defined.
struct ImageMeasures {
  std::optional<double> energy_before, energy_after;
  std::optional<double> class_distance, group_distance;
};

// One image that every run holds.
struct PairedImage {
  std::int64_t seed_index = -1, sample = -1;
  std::string key;                     // "<seed_index>_<sample>"
  std::string class_name;
  std::int64_t label = 0;
  std::string seed_source;
  std::vector<std::string> files;      // per run, relative to its folder
  std::vector<ImageMeasures> measures; // per run
};

// The measures a report shows, in column order.
inline const std::vector<std::string>& compare_metrics() {
  static const std::vector<std::string> m = {"energy_before", "energy_after", "class_distance", "group_distance"};
  return m;
}
// The measures compared pairwise against the first run.
inline const std::vector<std::string>& paired_metrics() {
  static const std::vector<std::string> m = {"energy_after", "class_distance", "group_distance"};
  return m;
}

inline std::optional<double> metric_of(const ImageMeasures& m, const std::string& metric) {
  if (metric == "energy_before") return m.energy_before;
  if (metric == "energy_after") return m.energy_after;
  if (metric == "class_distance") return m.class_distance;
  if (metric == "group_distance") return m.group_distance;
  throw std::invalid_argument("compare: unknown measure '" + metric +
                              "' (known: energy_before, energy_after, class_distance, group_distance)");
}

// A run after the first against the first, for one measure.
struct MetricDifference {
  std::string metric;
  std::size_t run = 0;                    // index into runs (>= 1); the baseline is run 0
  std::optional<PairedSummary> summary;   // nullopt: no image has the measure in both runs
};

// One method's classifier accuracy against the first method's, for one
// (dataset, backbone, expansion), paired over seeds.
struct AccuracyDifference {
  std::string method, baseline;
  std::string dataset, backbone;
  double expansion = 0;
  std::string metric = "top1_best";
  std::vector<std::uint64_t> seeds;       // the paired seeds, ascending
  PairedSummary summary;                  // a = baseline, b = method
};

struct AccuracyComparison {
  std::vector<std::string> methods;       // the first is the baseline
  std::vector<AccuracyDifference> rows;
  std::vector<std::string> notes;         // what could not be paired
};

struct CompareReport {
  std::vector<CompareRun> runs;
  std::vector<PairedImage> images;        // sorted by (seed_index, sample)
  std::filesystem::path prototypes_file;
  std::string prototypes_features;        // the prototype file's feature_extractor metadata
  std::int64_t num_classes = 0, groups = 0;   // groups = K; 0: no group level
  std::string features;                   // θ's name
  std::int64_t image_size = 0;
  std::vector<std::vector<std::optional<MeanSummary>>> means;   // [run][compare_metrics() index]
  std::vector<MetricDifference> differences;                    // runs 1.. × paired_metrics()
  std::optional<AccuracyComparison> accuracy;
  std::vector<std::string> notes;

  bool has_groups() const { return groups > 0; }
};

// ------------------------------------------------------------------ reading and pairing

namespace detail {

inline std::string pair_key(std::int64_t seed_index, std::int64_t sample) {
  return std::to_string(seed_index) + "_" + std::to_string(sample);
}

using ImageKey = std::pair<std::int64_t, std::int64_t>;   // (seed_index, sample)

// The images of one run by (seed_index, sample); a key listed again (a
// resumed run) keeps its later line.
inline std::map<ImageKey, ManifestEntry> run_images(const std::filesystem::path& run, CompareRun& info) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(run, ec)) throw std::runtime_error("compare: " + run.string() + ": not a folder");
  const auto jsonl = run / "manifest.jsonl";
  if (!fs::is_regular_file(jsonl, ec))
    throw std::runtime_error("compare: " + run.string() + ": no manifest.jsonl (not an expansion run folder?)");
  std::map<ImageKey, ManifestEntry> images;
  for (auto& e : read_manifest(jsonl)) {
    if (e.seed_index < 0 || e.sample < 0)
      throw std::runtime_error("compare: " + jsonl.string() + ": '" + e.file +
                               "' has no seed_index/sample: its images cannot be paired");
    const ImageKey key{e.seed_index, e.sample};
    images.insert_or_assign(key, std::move(e));
  }
  if (images.empty()) throw std::runtime_error("compare: " + run.string() + ": manifest.jsonl lists no image");
  info.folder = run;
  info.images = images.size();
  const auto s = read_run_settings(run);
  if (s && s->contains("method") && (*s)["method"].is_string())
    info.method = (*s)["method"].get<std::string>();
  else
    info.method = images.begin()->second.method;
  if (s && s->contains("composition_params") && (*s)["composition_params"].contains("energy"))
    info.energy = (*s)["composition_params"]["energy"];
  return images;
}

inline std::string folder_name(const std::filesystem::path& p) {
  auto n = p.lexically_normal();
  if (n.filename().empty()) n = n.parent_path();   // "out/run1/"
  return n.filename().string();
}

template <class F>
torch::Tensor apply_features(const F& theta, const torch::Tensor& images) {
  if constexpr (requires { theta.extract(images); })
    return theta.extract(images);
  else
    return theta(images);
}

template <class F>
std::string features_name(const F& theta) {
  if constexpr (requires { theta.name(); })
    return std::string(theta.name());
  else
    return "custom features";
}

}  // namespace detail

// The runs, paired image by image (no distances yet). Throws, naming both
// folders and the image, when the runs are not variants of one experiment.
inline CompareReport pair_runs(const std::vector<std::filesystem::path>& folders,
                               const std::vector<std::string>& labels = {}) {
  if (folders.size() < 2)
    throw std::invalid_argument("compare: give at least two run folders, got " + std::to_string(folders.size()));
  if (!labels.empty() && labels.size() != folders.size())
    throw std::invalid_argument("compare: " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(folders.size()) + " runs (give one per run)");
  CompareReport r;
  std::vector<std::map<detail::ImageKey, ManifestEntry>> images;
  for (const auto& f : folders) {
    r.runs.emplace_back();
    images.push_back(detail::run_images(f, r.runs.back()));
  }
  // Labels: given, else folder names, else (a clash) the paths as given.
  std::set<std::string> names;
  for (const auto& f : folders) names.insert(detail::folder_name(f));
  for (std::size_t k = 0; k < folders.size(); ++k)
    r.runs[k].label = !labels.empty() ? labels[k]
                      : names.size() == folders.size() ? detail::folder_name(folders[k])
                                                       : folders[k].string();
  std::set<std::string> label_set;
  for (const auto& run : r.runs)
    if (!label_set.insert(run.label).second)
      throw std::invalid_argument("compare: two runs are labelled '" + run.label + "' (give distinct labels)");

  // Images every run holds; the pairs must come from the same seeds.
  const auto& first = images.front();
  const auto folder0 = folders.front().string();
  for (const auto& [key, e0] : first) {
    bool everywhere = true;
    for (std::size_t k = 1; k < images.size(); ++k) {
      const auto it = images[k].find(key);
      if (it == images[k].end()) {
        everywhere = false;
        continue;
      }
      const auto& e = it->second;
      if (e.seed_source != e0.seed_source || e.class_name != e0.class_name || e.label != e0.label)
        throw std::runtime_error(
            "compare: runs '" + folder0 + "' and '" + folders[k].string() + "' do not pair: image " +
            detail::pair_key(key.first, key.second) + " ('" + e0.file + "' / '" + e.file + "') was made from " +
            (e.seed_source != e0.seed_source ? "seed '" + e0.seed_source + "' / '" + e.seed_source + "'"
                                             : "class '" + e0.class_name + "' (label " + std::to_string(e0.label) +
                                                   ") / '" + e.class_name + "' (label " + std::to_string(e.label) +
                                                   ")") +
            "; compare variants of one experiment (same dataset, shots, seed and expansion factor)");
    }
    if (!everywhere) continue;
    PairedImage p;
    p.seed_index = key.first;
    p.sample = key.second;
    p.key = detail::pair_key(key.first, key.second);
    p.class_name = e0.class_name;
    p.label = e0.label;
    p.seed_source = e0.seed_source;
    for (std::size_t k = 0; k < images.size(); ++k) {
      const auto& e = images[k].at(key);
      p.files.push_back(e.file);
      p.measures.push_back(ImageMeasures{e.energy_before, e.energy_after, std::nullopt, std::nullopt});
    }
    r.images.push_back(std::move(p));
  }
  if (r.images.empty()) {
    // Name the first run that shares nothing with the first.
    std::size_t k = 1;
    for (; k < images.size(); ++k) {
      bool shared = false;
      for (const auto& kv : first) shared = shared || images[k].count(kv.first) > 0;
      if (!shared) break;
    }
    if (k == images.size()) k = 1;
    const auto& e = images[k].begin()->second;
    throw std::runtime_error("compare: runs '" + folder0 + "' and '" + folders[k].string() +
                             "' have no image in common (paired by seed_index and sample; '" + folder0 +
                             "' starts with '" + first.begin()->second.file + "', '" + folders[k].string() +
                             "' with '" + e.file + "')");
  }
  for (std::size_t k = 0; k < r.runs.size(); ++k)
    if (r.runs[k].images > r.images.size())
      r.notes.push_back(r.runs[k].label + ": " + std::to_string(r.runs[k].images - r.images.size()) + " of its " +
                        std::to_string(r.runs[k].images) + " images have no partner in every run and are left out");
  return r;
}

// ------------------------------------------------------------------ distances

// Fills class_distance / group_distance of every paired image: θ of each PNG
// (fed at `image_size`), against `prototypes` (class_level [C, D], optional
// group_level [C, K, D]).
template <class Features>
void measure_distances(CompareReport& r, const Features& theta, const Prototypes& prototypes,
                       std::int64_t image_size, std::int64_t batch_size = 32) {
  if (batch_size < 1) throw std::invalid_argument("compare: batch size must be >= 1");
  if (image_size < 1) throw std::invalid_argument("compare: image size must be >= 1");
  if (!prototypes.class_level.defined() || prototypes.class_level.dim() != 2)
    throw std::invalid_argument("compare: the prototypes have no class level [C, D]");
  const auto protos = prototypes.to(torch::kCPU, torch::kDouble);
  const bool groups = protos.group_level.defined() && protos.groups() > 0;
  if (!torch::isfinite(protos.class_level).all().item<bool>() ||
      (groups && !torch::isfinite(protos.group_level).all().item<bool>()))
    throw std::runtime_error("compare: the prototypes (" + r.prototypes_file.string() +
                             ") hold a NaN or an infinity");
  r.num_classes = protos.num_classes();
  r.groups = groups ? protos.groups() : 0;
  r.image_size = image_size;
  r.features = detail::features_name(theta);
  for (const auto& p : r.images)
    if (p.label < 0 || p.label >= protos.num_classes())
      throw std::runtime_error("compare: image " + p.key + " ('" + p.files.front() + "') has label " +
                               std::to_string(p.label) + " but the prototypes hold " +
                               std::to_string(protos.num_classes()) + " classes (" + r.prototypes_file.string() +
                               "): measure against the prototypes of these runs' dataset");
  torch::NoGradGuard no_grad;
  for (std::size_t k = 0; k < r.runs.size(); ++k) {
    for (std::size_t begin = 0; begin < r.images.size(); begin += std::size_t(batch_size)) {
      const std::size_t end = std::min(r.images.size(), begin + std::size_t(batch_size));
      std::vector<torch::Tensor> batch;
      std::vector<std::int64_t> labels;
      for (std::size_t i = begin; i < end; ++i) {
        batch.push_back(square_image_tensor(read_image(r.runs[k].folder / r.images[i].files[k]), image_size));
        labels.push_back(r.images[i].label);
      }
      const torch::Tensor f = detail::apply_features(theta, torch::stack(batch));
      if (!f.defined() || f.dim() != 2 || f.size(0) != std::int64_t(end - begin))
        throw std::runtime_error("compare: the feature extractor must return [B, D] for B = " +
                                 std::to_string(end - begin) + " images, got " +
                                 (f.defined() ? std::string(c10::str(f.sizes())) : std::string("undefined")));
      if (f.size(1) != protos.class_level.size(1))
        throw std::runtime_error("compare: the features are " + std::to_string(f.size(1)) +
                                 "-d but the prototypes (" + r.prototypes_file.string() + ") are " +
                                 std::to_string(protos.class_level.size(1)) +
                                 "-d: measure with the θ that made them (--clip)");
      EnergyInputs in;
      in.features = f.to(torch::kCPU, torch::kDouble);
      in.labels = torch::tensor(labels, torch::kLong);
      in.prototypes = &protos;
      const auto cd = ClassDistance{}.energy(in).contiguous();
      torch::Tensor gd;
      if (groups) gd = GroupDistance{}.energy(in).contiguous();
      for (std::size_t i = begin; i < end; ++i) {
        auto& m = r.images[i].measures[k];
        m.class_distance = cd[std::int64_t(i - begin)].item<double>();
        if (groups) m.group_distance = gd[std::int64_t(i - begin)].item<double>();
        if (!std::isfinite(*m.class_distance) || (groups && !std::isfinite(*m.group_distance)))
          throw std::runtime_error("compare: the features of '" + (r.runs[k].folder / r.images[i].files[k]).string() +
                                   "' are not finite (a NaN or an infinity from θ)");
      }
    }
  }
}

// ------------------------------------------------------------------ statistics

// Per-run means and the paired differences against the first run.
inline void summarize(CompareReport& r) {
  const auto& metrics = compare_metrics();
  r.means.assign(r.runs.size(), std::vector<std::optional<MeanSummary>>(metrics.size()));
  for (std::size_t k = 0; k < r.runs.size(); ++k)
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      std::vector<double> xs;
      for (const auto& p : r.images)
        if (const auto v = metric_of(p.measures[k], metrics[m])) xs.push_back(*v);
      if (!xs.empty()) r.means[k][m] = mean_ci(xs);
    }
  r.differences.clear();
  for (std::size_t k = 1; k < r.runs.size(); ++k)
    for (const auto& metric : paired_metrics()) {
      std::vector<double> a, b;
      for (const auto& p : r.images) {
        const auto va = metric_of(p.measures[0], metric), vb = metric_of(p.measures[k], metric);
        if (va && vb) {
          a.push_back(*va);
          b.push_back(*vb);
        }
      }
      MetricDifference d{metric, k, std::nullopt};
      // Energies of two different energy functions are not one measure.
      const bool energy = metric.rfind("energy_", 0) == 0;
      if (energy && !r.runs[0].energy.is_null() && !r.runs[k].energy.is_null() && r.runs[0].energy != r.runs[k].energy) {
        r.notes.push_back(r.runs[k].label + ": " + metric + " not compared with " + r.runs[0].label +
                          "'s (the two compositions' energy terms or weights differ)");
        a.clear();
      }
      if (!a.empty()) d.summary = paired_difference(a, b);
      r.differences.push_back(std::move(d));
    }
}

// Classifier accuracies (io/results.hpp rows) of `methods`: each method after
// the first paired with the first by (dataset, backbone, expansion, seed).
// A method with no row at all is an error (a misspelt name); seeds or groups
// that only one side has are listed in the notes; no pair at all is an error.
inline AccuracyComparison compare_accuracy(const std::vector<io::ResultRow>& rows,
                                           const std::vector<std::string>& methods,
                                           const std::string& metric = "top1_best") {
  if (methods.size() < 2)
    throw std::invalid_argument("compare: accuracy needs at least two methods, got " + std::to_string(methods.size()));
  for (std::size_t i = 0; i < methods.size(); ++i)
    for (std::size_t j = i + 1; j < methods.size(); ++j)
      if (methods[i] == methods[j])
        throw std::invalid_argument("compare: method '" + methods[i] +
                                    "' is named twice (the runs share a method label? name them with --methods)");
  using Group = std::tuple<std::string, std::string, std::string>;   // dataset, backbone, expansion
  std::map<std::string, std::map<Group, std::map<std::uint64_t, double>>> by_method;
  std::map<Group, double> expansion_of;
  std::set<std::string> present;
  AccuracyComparison out;
  out.methods = methods;
  for (const auto& row : rows) {
    present.insert(row.method);
    if (std::find(methods.begin(), methods.end(), row.method) == methods.end()) continue;
    const Group g{row.dataset, row.backbone, io::field_value(row, "expansion")};
    expansion_of[g] = row.expansion;
    auto& seeds = by_method[row.method][g];
    if (seeds.count(row.seed))
      out.notes.push_back("method '" + row.method + "' has several rows for " + row.dataset + "/" + row.backbone +
                          "/x" + std::get<2>(g) + " seed " + std::to_string(row.seed) + ": the last one is used");
    seeds[row.seed] = io::metric_value(row, metric);
  }
  for (const auto& m : methods)
    if (!by_method.count(m)) {
      std::string known;
      for (const auto& p : present) known += (known.empty() ? "" : ", ") + p;
      throw std::runtime_error("compare: the results hold no row of method '" + m + "' (methods there: " +
                               (known.empty() ? std::string("none") : known) + "; name them with --methods)");
    }
  const auto& base = by_method[methods.front()];
  auto describe = [](const Group& g) { return std::get<0>(g) + "/" + std::get<1>(g) + "/x" + std::get<2>(g); };
  auto seed_list = [](const std::vector<std::uint64_t>& s) {
    std::string t;
    for (auto x : s) t += (t.empty() ? "" : " ") + std::to_string(x);
    return t;
  };
  for (std::size_t mi = 1; mi < methods.size(); ++mi) {
    const auto& mine = by_method[methods[mi]];
    std::set<Group> groups;
    for (const auto& kv : mine) groups.insert(kv.first);
    for (const auto& kv : base) groups.insert(kv.first);
    for (const auto& g : groups) {
      const auto im = mine.find(g);
      const auto ib = base.find(g);
      if (im == mine.end() || ib == base.end()) {
        out.notes.push_back(describe(g) + ": only '" + (im == mine.end() ? methods.front() : methods[mi]) +
                            "' has results, no pair for '" + methods[mi] + "' vs '" + methods.front() + "'");
        continue;
      }
      AccuracyDifference d;
      d.method = methods[mi];
      d.baseline = methods.front();
      d.dataset = std::get<0>(g);
      d.backbone = std::get<1>(g);
      d.expansion = expansion_of[g];
      d.metric = metric;
      std::vector<double> a, b;
      std::vector<std::uint64_t> only_base, only_mine;
      for (const auto& [seed, v] : ib->second) {
        const auto it = im->second.find(seed);
        if (it == im->second.end()) {
          only_base.push_back(seed);
          continue;
        }
        d.seeds.push_back(seed);
        a.push_back(v);
        b.push_back(it->second);
      }
      for (const auto& kv : im->second)
        if (!ib->second.count(kv.first)) only_mine.push_back(kv.first);
      if (!only_base.empty())
        out.notes.push_back(describe(g) + ": seed(s) " + seed_list(only_base) + " of '" + methods.front() +
                            "' have no row of '" + methods[mi] + "'");
      if (!only_mine.empty())
        out.notes.push_back(describe(g) + ": seed(s) " + seed_list(only_mine) + " of '" + methods[mi] +
                            "' have no row of '" + methods.front() + "'");
      if (a.empty()) {
        out.notes.push_back(describe(g) + ": '" + methods[mi] + "' and '" + methods.front() + "' share no seed");
        continue;
      }
      d.summary = paired_difference(a, b);
      out.rows.push_back(std::move(d));
    }
  }
  if (out.rows.empty()) {
    std::string why;
    for (const auto& n : out.notes) why += "\n  " + n;
    throw std::runtime_error("compare: no result of '" + methods[1] + "' pairs with one of '" + methods.front() +
                             "' by (dataset, backbone, expansion, seed):" + why);
  }
  return out;
}

// The whole comparison: pair, measure θ distances against one set of
// prototypes (options.prototypes, else <first run>/prototypes.safetensors),
// summarise.
template <class Features>
CompareReport compare_runs(const std::vector<std::filesystem::path>& folders, const Features& theta,
                           const CompareOptions& options = {}) {
  namespace fs = std::filesystem;
  auto r = pair_runs(folders, options.labels);
  r.prototypes_file = options.prototypes.empty() ? folders.front() / "prototypes.safetensors" : options.prototypes;
  std::error_code ec;
  if (!fs::is_regular_file(r.prototypes_file, ec))
    throw std::runtime_error("compare: no prototype file '" + r.prototypes_file.string() + "'" +
                             (options.prototypes.empty()
                                  ? " (a run from before prototypes were saved with it? pass --prototypes FILE)"
                                  : ""));
  const auto prototypes = load_prototypes(r.prototypes_file);
  r.prototypes_features = read_prototype_info(r.prototypes_file).feature_extractor;
  std::int64_t size = options.image_size;
  if (size <= 0)
    if (const auto s = read_run_settings(folders.front());
        s && s->contains("image_size") && (*s)["image_size"].is_number_integer())
      size = (*s)["image_size"].get<std::int64_t>();
  if (size <= 0) size = read_image(folders.front() / r.images.front().files.front()).width;
  measure_distances(r, theta, prototypes, size, options.batch_size);
  if (!r.prototypes_features.empty() && r.prototypes_features != r.features)
    r.notes.push_back("the prototypes were made with '" + r.prototypes_features + "', the distances use '" +
                      r.features + "': they are comparable between the runs, not with the runs' own energies");
  if (!r.has_groups())
    r.notes.push_back("the prototypes have no group level: group_distance is n/a");
  summarize(r);
  return r;
}

// ------------------------------------------------------------------ rendering

namespace detail {

inline std::string fmt(double v, const char* f = "%.4f") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
inline std::string csv_num(double v) { return std::isfinite(v) ? fmt(v, "%.8g") : std::string(); }
inline std::string csv_opt(const std::optional<double>& v) { return v ? csv_num(*v) : std::string(); }
inline std::string percent(double share) { return std::isfinite(share) ? fmt(100 * share, "%.0f") + "%" : "n/a"; }
inline std::string md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}
inline std::string ci_text(double lo, double hi, const char* f = "%+.4f") {
  return std::isfinite(lo) && std::isfinite(hi) ? "[" + fmt(lo, f) + ", " + fmt(hi, f) + "]" : "n/a";
}

}  // namespace detail

// paired.csv: one row per paired image: key, class, label, then per run
// <label>:energy_before, <label>:energy_after, <label>:class_distance,
// <label>:group_distance (empty cell: not recorded / no group level).
inline std::string render_paired_csv(const CompareReport& r) {
  std::ostringstream o;
  o << "key,class,label";
  for (const auto& run : r.runs)
    for (const auto& m : compare_metrics()) o << ',' << csv_field(run.label + ":" + m);
  o << '\n';
  for (const auto& p : r.images) {
    o << p.key << ',' << csv_field(p.class_name) << ',' << p.label;
    for (std::size_t k = 0; k < r.runs.size(); ++k)
      for (const auto& m : compare_metrics()) o << ',' << detail::csv_opt(metric_of(p.measures[k], m));
    o << '\n';
  }
  return o.str();
}

// report.csv columns.
inline const char* report_csv_header() {
  return "kind,metric,run,baseline,dataset,backbone,expansion,n,mean,sd,ci95_low,ci95_high,baseline_mean,run_mean,"
         "share_improved";
}

// report.csv: kind = run_mean (a run's mean of a measure: mean, sd, CI of the
// mean), paired (run − baseline per image: mean, sd and CI of the difference,
// share of images where the run is lower) or accuracy (method − baseline per
// seed: share of seeds where the method is higher). Empty cell: not defined.
inline std::string render_report_csv(const CompareReport& r) {
  using detail::csv_num;
  std::ostringstream o;
  o << report_csv_header() << '\n';
  const auto& metrics = compare_metrics();
  for (std::size_t k = 0; k < r.runs.size(); ++k)
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const auto& s = r.means[k][m];
      o << "run_mean," << metrics[m] << ',' << csv_field(r.runs[k].label) << ",,,,,";
      if (s)
        o << s->n << ',' << csv_num(s->mean) << ',' << csv_num(s->sd) << ',' << csv_num(s->ci95_low) << ','
          << csv_num(s->ci95_high);
      else
        o << "0,,,,";
      o << ",,,\n";
    }
  for (const auto& d : r.differences) {
    o << "paired," << d.metric << ',' << csv_field(r.runs[d.run].label) << ',' << csv_field(r.runs[0].label)
      << ",,,,";
    if (const auto& s = d.summary)
      o << s->n << ',' << csv_num(s->mean_diff) << ',' << csv_num(s->sd_diff) << ',' << csv_num(s->ci95_low) << ','
        << csv_num(s->ci95_high) << ',' << csv_num(s->mean_a) << ',' << csv_num(s->mean_b) << ','
        << csv_num(s->share_b_lower);
    else
      o << "0,,,,,,,";
    o << '\n';
  }
  if (r.accuracy)
    for (const auto& a : r.accuracy->rows) {
      const auto& s = a.summary;
      o << "accuracy," << a.metric << ',' << csv_field(a.method) << ',' << csv_field(a.baseline) << ','
        << csv_field(a.dataset) << ',' << csv_field(a.backbone) << ',' << detail::fmt(a.expansion, "%g") << ','
        << s.n << ',' << csv_num(s.mean_diff) << ',' << csv_num(s.sd_diff) << ',' << csv_num(s.ci95_low) << ','
        << csv_num(s.ci95_high) << ',' << csv_num(s.mean_a) << ',' << csv_num(s.mean_b) << ','
        << csv_num(s.share_b_higher) << '\n';
    }
  return o.str();
}

inline std::string render_report_markdown(const CompareReport& r) {
  using detail::fmt;
  using detail::md;
  std::ostringstream o;
  const auto& metrics = compare_metrics();
  o << "# Paired comparison of " << r.runs.size() << " expansion runs\n\n";
  o << "| # | run | method | folder | images | paired |\n|---|---|---|---|---|---|\n";
  for (std::size_t k = 0; k < r.runs.size(); ++k)
    o << "| " << k + 1 << " | " << md(r.runs[k].label) << (k == 0 ? " (baseline)" : "") << " | "
      << md(r.runs[k].method.empty() ? "?" : r.runs[k].method) << " | " << md(r.runs[k].folder.string()) << " | "
      << r.runs[k].images << " | " << r.images.size() << " |\n";
  o << "\nImages pair by (seed_index, sample). Prototypes: `" << r.prototypes_file.string() << "` ("
    << r.num_classes << " classes, " << (r.has_groups() ? "K = " + std::to_string(r.groups) : "no group level")
    << (r.prototypes_features.empty() ? "" : ", made with " + r.prototypes_features) << "). θ: " << md(r.features)
    << ", images fed at " << r.image_size << " px. class_distance = ‖θ̂(x) − p_c‖, group_distance = ‖θ̂(x) − p_g^j‖ "
    << "(j: the group of x's class most cosine-similar to θ̂(x)), θ̂ = θ/‖θ‖; energies from the manifests.\n\n";

  o << "## Means per run\n\nOver the paired images; ± the half-width of the 95% CI of the mean.\n\n| run |";
  for (const auto& m : metrics) o << ' ' << m << " |";
  o << "\n|---|";
  for (std::size_t m = 0; m < metrics.size(); ++m) o << "---|";
  o << '\n';
  for (std::size_t k = 0; k < r.runs.size(); ++k) {
    o << "| " << md(r.runs[k].label) << " |";
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const auto& s = r.means[k][m];
      if (!s)
        o << " n/a |";
      else
        o << ' ' << fmt(s->mean) << (s->has_ci() ? " ± " + fmt(s->ci95_half_width()) : std::string()) << " |";
    }
    o << '\n';
  }

  if (r.runs.size() > 1) {
    o << "\n## Paired differences vs " << md(r.runs[0].label)
      << "\n\nPer image: run − " << md(r.runs[0].label)
      << " (negative: closer to the prototypes / lower energy); 95% Student-t CI of the mean difference; "
         "improved: share of images where the run is lower.\n\n"
      << "| run | measure | n | " << md(r.runs[0].label) << " | run | Δ mean | 95% CI | improved |\n"
      << "|---|---|---|---|---|---|---|---|\n";
    for (const auto& d : r.differences) {
      o << "| " << md(r.runs[d.run].label) << " | " << d.metric << " | ";
      if (const auto& s = d.summary)
        o << s->n << " | " << fmt(s->mean_a) << " | " << fmt(s->mean_b) << " | " << fmt(s->mean_diff, "%+.4f")
          << (s->significant() ? " *" : "") << " | " << detail::ci_text(s->ci95_low, s->ci95_high) << " | "
          << detail::percent(s->share_b_lower) << " |\n";
      else
        o << "0 | n/a | n/a | n/a | n/a | n/a |\n";
    }
    o << "\n\\* the 95% CI excludes 0.\n";
  }

  if (r.accuracy) {
    const auto& acc = *r.accuracy;
    o << "\n## Classifier accuracy, paired over seeds\n\nmethod − " << md(acc.methods.front())
      << " per seed, same dataset, backbone and expansion; higher is better; improved: share of seeds where the "
         "method is higher.\n\n"
      << "| method | dataset | backbone | expansion | metric | seeds | " << md(acc.methods.front())
      << " | method | Δ mean | 95% CI | improved |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& a : acc.rows) {
      const auto& s = a.summary;
      o << "| " << md(a.method) << " | " << md(a.dataset) << " | " << md(a.backbone) << " | "
        << fmt(a.expansion, "%g") << " | " << a.metric << " | " << s.n << " | " << fmt(s.mean_a, "%.2f") << " | "
        << fmt(s.mean_b, "%.2f") << " | " << fmt(s.mean_diff, "%+.2f") << (s.significant() ? " *" : "") << " | "
        << detail::ci_text(s.ci95_low, s.ci95_high, "%+.2f") << " | " << detail::percent(s.share_b_higher)
        << " |\n";
    }
  }

  std::vector<std::string> notes = r.notes;
  if (r.accuracy) notes.insert(notes.end(), r.accuracy->notes.begin(), r.accuracy->notes.end());
  if (!notes.empty()) {
    o << "\n## Notes\n\n";
    for (const auto& n : notes) o << "- " << md(n) << '\n';
  }
  return o.str();
}

// The figure: mean paired difference vs the first run (at 0) of
// class_distance, group_distance and energy_after per run, with 95% CI bars.
inline io::LinePlot comparison_plot(const CompareReport& r) {
  io::LinePlot p;
  p.title = "Paired differences vs " + r.runs.front().label + " (mean, 95% CI)";
  std::string xl = "run:";
  for (std::size_t k = 0; k < r.runs.size(); ++k) xl += " " + std::to_string(k + 1) + " = " + r.runs[k].label + (k + 1 < r.runs.size() ? "," : "");
  p.x_label = xl;
  p.y_label = "run − " + r.runs.front().label;
  for (std::size_t k = 0; k < r.runs.size(); ++k) p.x_ticks.push_back(double(k + 1));
  for (const std::string metric : {"class_distance", "group_distance", "energy_after"}) {
    io::Series s{.name = metric};
    s.x.push_back(1);
    s.y.push_back(0);
    s.yerr.push_back(0);
    for (const auto& d : r.differences)
      if (d.metric == metric && d.summary) {
        s.x.push_back(double(d.run + 1));
        s.y.push_back(d.summary->mean_diff);
        const double h = d.summary->ci95_half_width();
        s.yerr.push_back(std::isfinite(h) ? h : 0.0);
      }
    if (s.x.size() > 1) p.series.push_back(std::move(s));
  }
  p.references.push_back({.name = r.runs.front().label, .y = 0});
  return p;
}

// A short plain-text table for a terminal.
inline std::string render_summary(const CompareReport& r) {
  using detail::fmt;
  std::ostringstream o;
  o << r.images.size() << " paired images; distances to " << r.prototypes_file.string() << "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %14s %14s %14s\n", "run", "energy_after", "class_dist", "group_dist");
  o << line;
  auto cell = [&](std::size_t k, const std::string& metric) {
    const auto& ms = compare_metrics();
    const auto m = std::size_t(std::find(ms.begin(), ms.end(), metric) - ms.begin());
    const auto& s = r.means[k][m];
    return s ? fmt(s->mean) : std::string("n/a");
  };
  for (std::size_t k = 0; k < r.runs.size(); ++k) {
    std::snprintf(line, sizeof line, "%-24s %14s %14s %14s\n", r.runs[k].label.substr(0, 24).c_str(),
                  cell(k, "energy_after").c_str(), cell(k, "class_distance").c_str(),
                  cell(k, "group_distance").c_str());
    o << line;
  }
  for (const auto& d : r.differences) {
    if (!d.summary) continue;
    const auto& s = *d.summary;
    o << "  " << r.runs[d.run].label << " − " << r.runs[0].label << "  " << d.metric << ": "
      << fmt(s.mean_diff, "%+.4f") << " " << detail::ci_text(s.ci95_low, s.ci95_high) << ", n " << s.n
      << ", improved " << detail::percent(s.share_b_lower) << "\n";
  }
  if (r.accuracy)
    for (const auto& a : r.accuracy->rows)
      o << "  " << a.method << " − " << a.baseline << "  " << a.metric << " " << a.dataset << "/" << a.backbone
        << "/x" << fmt(a.expansion, "%g") << ": " << fmt(a.summary.mean_diff, "%+.2f") << " "
        << detail::ci_text(a.summary.ci95_low, a.summary.ci95_high, "%+.2f") << ", " << a.summary.n << " seeds\n";
  return o.str();
}

// Writes paired.csv, report.md, report.csv and compare.svg into `out`
// (created; each file atomically).
inline void write_compare_outputs(const CompareReport& r, const std::filesystem::path& out) {
  const char* who = "compare";
  distdiff::detail::write_file_atomic(out / "paired.csv", render_paired_csv(r), who);
  distdiff::detail::write_file_atomic(out / "report.csv", render_report_csv(r), who);
  distdiff::detail::write_file_atomic(out / "report.md", render_report_markdown(r), who);
  io::write_svg(comparison_plot(r), out / "compare.svg");
}

}  // namespace distdiff::eval
