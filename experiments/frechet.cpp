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
#include <distdiff/eval/image_files.hpp>
#include <distdiff/features/clip_image_features.hpp>
#include <distdiff/io/run_folder.hpp>
#include <distdiff/models/small_world.hpp>
#include <distdiff/pipeline/cli.hpp>
#include <distdiff/pipeline/dataset_options.hpp>
#include <distdiff/io/manifest.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const char* const kColumns = "real,generated,label,features,n_real,n_generated,frechet";

struct Row {
  std::string generated, label;
  std::size_t n_generated = 0;
  double frechet = 0;
};

// True when `path` is missing or empty; otherwise it must start with kColumns.
bool results_is_new(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) || fs::file_size(path, ec) == 0) return true;
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (header != kColumns)
    throw std::runtime_error("--results " + path.string() + ": not a frechet results file (its header is '" + header +
                             "', expected '" + kColumns + "')");
  return false;
}

// Appends the rows to `path`, the header first into a new or empty file.
void append_rows(const fs::path& path, const std::string& real, const std::string& features, std::size_t n_real,
                 const std::vector<Row>& rows) {
  using distdiff::csv_field;
  std::string text = results_is_new(path) ? std::string(kColumns) + "\n" : "";
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  for (const auto& r : rows) {
    char fd[32];
    std::snprintf(fd, sizeof fd, "%.6f", r.frechet);
    text += csv_field(real) + "," + csv_field(r.generated) + "," + csv_field(r.label) + "," + csv_field(features) +
            "," + std::to_string(n_real) + "," + std::to_string(r.n_generated) + "," + fd + "\n";
  }
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text << std::flush;
  if (!out) throw std::runtime_error("--results " + path.string() + ": writing failed");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fréchet distance between real images and expansion runs in CLIP image-feature space"};
  distdiff::DatasetChoice real;
  std::string real_split = "test", device = "auto";
  fs::path real_folder, clip_dir, results;
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
  app.add_option("--max-real", max_real, "use N real images, evenly spaced over the set (0: all)")
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "images per feature batch")->capture_default_str();
  app.add_option("--results", results, "append one CSV row per run (" + std::string(kColumns) + ")");
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
    if (clip_dir.empty()) {
      const auto world = distdiff::models::find_small_world();
      if (!world)
        throw std::invalid_argument("no CLIP: pass --clip DIR; the small world (models/small_world) was not found here "
                                    "(run from the distdiff folder or set DISTDIFF_SMALL_WORLD)");
      clip_dir = world->clip;
    }
    // Inputs and the results file first: a mistake fails before any feature is computed.
    if (!results.empty()) results_is_new(results);
    std::vector<distdiff::ImageFiles> runs;
    for (const auto& g : generated) {
      if (!fs::is_directory(g)) throw std::invalid_argument("--generated " + g.string() + ": not a folder");
      runs.push_back(distdiff::run_image_files(g));   // its errors name the folder
      if (runs.back().size() < 2)
        throw std::invalid_argument("--generated " + g.string() + ": a Fréchet distance needs at least 2 images, found " +
                                    std::to_string(runs.back().size()));
    }

    auto rt = distdiff::parse_runtime(device, "fp32");
    const auto clip = distdiff::ClipImageFeatures::load(clip_dir, rt);
    const auto size = clip.image_size();
    auto theta = [&](const torch::Tensor& x) { return clip.extract(x); };
    const std::string features = clip.name() + " " + std::to_string(clip.feature_dim()) + "-d at " +
                                 std::to_string(size) + " px";

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
                << "features: " << features << " (" << clip_dir.string() << ")\n";
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
      append_rows(results, real_name, features, n_real, rows);
      std::cerr << "appended " << rows.size() << " row(s) to " << results.string() << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
