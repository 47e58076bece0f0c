// frechet — the Fréchet distance between a real image set and one or more
// expansion runs in CLIP image-feature space (the features that guide
// DistDiff): FID's statistic with CLIP instead of Inception
// (eval/feature_frechet.hpp, docs/results.md).
//
//   frechet --dataset fashion_mnist --generated out/distdiff --generated out/plain
//       --label distdiff --label plain --results fd.csv
//   frechet --dataset fashion_mnist --shift invert --generated out/shifted-distdiff
//
// The real images: the test split of the dataset options every tool takes
// (pipeline/dataset_options.hpp; same --classes and --shift), or with
// --real-split train the seed set (--pool, --shots, --shot-seed), or any
// folder of images (--real-folder).
//
// Features: the image tower of the small world's CLIP (models/small_world,
// found like the expansion tools find it) or of --clip DIR (a transformers
// CLIPModel or CLIPVisionModelWithProjection folder). Every image is resized
// (bilinear) to the tower's input size and fed in [0, 1], as in guidance. A
// run folder contributes the images its manifest.jsonl lists (not grid.png);
// a folder without a manifest, every image below it.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <distdiff/core/threads.hpp>
#include <distdiff/data/any.hpp>
#include <distdiff/data/shifted.hpp>
#include <distdiff/eval/feature_frechet.hpp>
#include <distdiff/eval/inception.hpp>
#include <distdiff/eval/image_files.hpp>
#include <distdiff/features/clip_image_features.hpp>
#include <distdiff/io/results.hpp>
#include <distdiff/io/run_folder.hpp>
#include <distdiff/models/small_world.hpp>
#include <distdiff/pipeline/cli.hpp>
#include <distdiff/pipeline/dataset_options.hpp>
#include <distdiff/io/manifest.hpp>

#include <cmath>
#include <cstdio>
#include <optional>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Row {
  std::string generated, label;
  std::size_t n_generated = 0;
  double frechet = 0;
};

// A results file must be new, empty, or in results_columns() layout: checked before any feature is computed.
void check_results_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) || fs::file_size(path, ec) == 0) return;
  (void)distdiff::io::read_results(path);  // throws, naming the file, on another layout
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (header != distdiff::io::detail::header_line())
    throw std::runtime_error("--results " + path.string() + ": written by an older distdiff (its header is '" +
                             header + "'); write to a new file");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fréchet distance between real images and expansion runs in CLIP image-feature space"};
  distdiff::DatasetChoice real;
  std::string real_split = "test", device = "auto";
  fs::path real_folder, clip_dir, inception, results;
  std::vector<fs::path> generated;
  std::vector<std::string> labels;
  std::size_t max_real = 0;
  std::int64_t batch_size = 64;
  int threads = 0;
  distdiff::add_dataset_options(app, real);
  app.add_option("--real-split", real_split,
                 "test: the test split (same --classes, --shift) | train: the seed set (--pool, --shots, ...)")
      ->capture_default_str();
  auto* folder_opt = app.add_option("--real-folder", real_folder, "or: every image below this folder as the real set");
  app.get_option("--dataset")->excludes(folder_opt);
  app.add_option("--generated", generated, "an expansion run folder (repeatable)")->required();
  app.add_option("--label", labels, "a name per --generated, in order (default: the folder name)");
  app.add_option("--clip", clip_dir, "CLIP folder (default: the small world's, models/small_world)");
  app.add_option("--inception", inception,
                 "FID proper: the Inception network's pool3 features from these weights (pt_inception "
                 "safetensors, eval/inception.hpp) instead of CLIP's");
  app.add_option("--max-real", max_real, "use N real images, evenly spaced over the set (0: all)")
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "images per feature batch")->capture_default_str();
  app.add_option("--results", results,
                 "append one result row per run (io/results.hpp: fid, fid_space and the run's composition, K, M, "
                 "steps; results_table reads it beside train_classifier's rows for Table 3's FID column)");
  app.add_option("--device", device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (default: DISTDIFF_NUM_THREADS or all cores)");
  CLI11_PARSE(app, argc, argv);

  try {
    distdiff::set_cpu_threads(threads);
    std::cerr << "cpu: " << distdiff::describe_cpu_threads() << "\n";
    const bool from_dataset = app.count("--dataset") > 0;
    if (from_dataset == !real_folder.empty())
      throw std::invalid_argument("give the real images: --dataset NAME [--root DIR ...] or --real-folder DIR");
    if (real_split != "test" && real_split != "train")
      throw std::invalid_argument("--real-split must be test or train, got '" + real_split + "'");
    if (from_dataset) {
      distdiff::resolve_dataset_alias(real, std::cerr);
      real.validate();
    }
    if (!labels.empty() && labels.size() != generated.size())
      throw std::invalid_argument("--label: " + std::to_string(labels.size()) + " labels for " +
                                  std::to_string(generated.size()) + " --generated folders (give one per folder)");
    if (!inception.empty() && !clip_dir.empty())
      throw std::invalid_argument("give --clip or --inception, not both");
    if (inception.empty() && clip_dir.empty()) {
      const auto world = distdiff::models::find_small_world();
      if (!world)
        throw std::invalid_argument("no CLIP: pass --clip DIR; the small world (models/small_world) was not found here "
                                    "(run from the distdiff folder or set DISTDIFF_SMALL_WORLD)");
      clip_dir = world->clip;
    }
    // Inputs and the results file first: a mistake fails before any feature is computed.
    if (!results.empty()) check_results_file(results);
    std::vector<distdiff::ImageFiles> runs;
    for (const auto& g : generated) {
      if (!fs::is_directory(g)) throw std::invalid_argument("--generated " + g.string() + ": not a folder");
      runs.push_back(distdiff::run_image_files(g));   // its errors name the folder
      if (runs.back().size() < 2)
        throw std::invalid_argument("--generated " + g.string() + ": a Fréchet distance needs at least 2 images, found " +
                                    std::to_string(runs.back().size()));
    }

    auto rt = distdiff::parse_runtime(device, "fp32");
    std::optional<distdiff::ClipImageFeatures> clip;
    std::optional<distdiff::FidInception> net;
    std::int64_t size = 299;
    std::string features;
    if (!inception.empty()) {
      net = distdiff::FidInception::load(inception, rt);
      features = "inception pool3 2048-d at 299 px";
    } else {
      clip = distdiff::ClipImageFeatures::load(clip_dir, rt);
      size = clip->image_size();
      features = clip->name() + " " + std::to_string(clip->feature_dim()) + "-d at " + std::to_string(size) + " px";
    }
    auto theta = [&](const torch::Tensor& x) { return net ? net->features(x) : clip->extract(x); };

    std::string real_name;
    distdiff::FeatureStats real_stats;
    std::size_t n_real = 0, real_total = 0;
    auto measure_real = [&](const auto& source) {
      const distdiff::EvenlySpaced subset(source, max_real);
      real_total = source.size();
      n_real = subset.size();
      if (n_real < 2)
        throw std::invalid_argument(real_name + ": a Fréchet distance needs at least 2 real images, found " +
                                    std::to_string(n_real));
      std::cerr << "real: " << real_name << " (" << n_real << " of " << real_total << " images)\n"
                << "features: " << features << " (" << (net ? inception : clip_dir).string() << ")\n";
      real_stats = distdiff::feature_stats(theta, subset, size, batch_size);
    };
    if (!real_folder.empty()) {
      real_name = real_folder.string();
      measure_real(distdiff::ImageFiles::in_folder(real_folder, /*recursive=*/true));
    } else {
      real_name = real.id() + ":" + real_split;
      measure_real(real_split == "test" ? distdiff::open_test_dataset(real) : distdiff::open_seed_dataset(real));
    }

    std::vector<Row> rows;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      Row r;
      r.generated = generated[k].string();
      auto folder = generated[k].lexically_normal();
      if (folder.filename().empty()) folder = folder.parent_path();   // "out/run1/"
      r.label = labels.empty() ? folder.filename().string() : labels[k];
      r.n_generated = runs[k].size();
      r.frechet = distdiff::frechet_distance(real_stats, distdiff::feature_stats(theta, runs[k], size, batch_size));
      std::printf("%s  [%s]  %zu images  FD %.4f\n", r.generated.c_str(), r.label.c_str(), r.n_generated, r.frechet);
      std::fflush(stdout);
      rows.push_back(std::move(r));
    }
    if (!results.empty()) {
      for (std::size_t k = 0; k < rows.size(); ++k) {
        distdiff::io::ResultRow row;
        row.dataset = from_dataset ? real.id() : real_folder.filename().string();
        row.method = rows[k].label;
        row.backbone = "";
        row.top1_best = row.top1_last = std::nan("");
        row.fid = rows[k].frechet;
        row.fid_space = features + " vs " + real_name + " (" + std::to_string(n_real) + " real images)";
        distdiff::fill_result_keys(row, generated[k]);
        if (labels.empty() && !row.composition.empty()) row.method = row.composition;
        if (const auto settings = distdiff::read_run_settings(generated[k])) {
          row.expansion = settings->value("expansion_factor", 0.0);
          row.seed = settings->value("seed", std::uint64_t(1));
        }
        distdiff::io::append_result(results, row);
      }
      std::cerr << "appended " << rows.size() << " row(s) to " << results.string() << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
