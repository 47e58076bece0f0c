// compare — paired comparison of two or more expansion runs: variants of one
// experiment run with identical seeds, seed augmentations and per-image noise
// (eval/compare_runs.hpp, docs/compare.md).
//
//   compare out/distdiff out/plain --out out/compare
//   compare out/m10 out/m20 out/m30 --out out/compare-m --prototypes out/m10/prototypes.safetensors
//   compare out/distdiff out/plain --out out/compare --results results.csv --methods distdiff,sd
//
// Images pair by (seed_index, sample); runs whose pairs come from different
// seed images are refused. Per image: energy before/after guidance (from the
// manifests) and the θ-feature distances of the generated PNG to its class
// prototype and to the nearest group prototype of its class, every run
// measured against one set of prototypes (the first run's
// prototypes.safetensors unless --prototypes). θ: the small world's CLIP image
// tower (models/small_world) or --clip DIR. Writes <out>/paired.csv,
// report.md, report.csv and compare.svg: per-run means and, for every run
// after the first, paired differences against the first with 95% CIs; with
// --results, paired top-1 differences over classifier seeds.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <distdiff/core/threads.hpp>
#include <distdiff/core/types.hpp>
#include <distdiff/eval/compare_runs.hpp>
#include <distdiff/features/clip_image_features.hpp>
#include <distdiff/io/results.hpp>
#include <distdiff/models/small_world.hpp>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

distdiff::RuntimeOptions runtime_for(const std::string& device) {
  distdiff::RuntimeOptions rt;   // CPU, float32
  if (device == "cpu") return rt;
  if (device == "auto" || device == "cuda") {
    if (torch::cuda::is_available()) {
      rt.device = torch::Device(torch::kCUDA, 0);
      return rt;   // float32 on the GPU too: distances, not guidance
    }
    if (device == "cuda") throw std::invalid_argument("--device cuda: this LibTorch sees no CUDA device");
    return rt;
  }
  throw std::invalid_argument("--device must be auto, cpu or cuda, got '" + device + "'");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Paired comparison of expansion runs (same seeds): energies, distances to prototypes, accuracy"};
  std::vector<fs::path> runs;
  fs::path out, clip_dir, results;
  std::vector<std::string> labels, methods;
  std::string device = "auto", metric = "top1_best", normalization = "model";
  distdiff::eval::CompareOptions options;
  int threads = 0;
  app.add_option("runs", runs, "expansion run folders; the first is the baseline")->required();
  app.add_option("--out", out, "folder for paired.csv, report.md, report.csv, compare.svg")->required();
  app.add_option("--label", labels, "a name per run, in order (default: the folder names)");
  app.add_option("--clip", clip_dir, "CLIP folder for θ (default: the small world's, models/small_world)");
  app.add_option("--normalization", normalization,
                 "θ's input normalization, as the runs' features slot used: model (the CLIP folder's "
                 "preprocessor_config.json, the default composition's) | none | clip")
      ->capture_default_str();
  app.add_option("--prototypes", options.prototypes,
                 "prototypes.safetensors every run is measured against (default: the first run's)");
  app.add_option("--image-size", options.image_size,
                 "size the PNGs are fed to θ at (0: the first run's settings.image_size)")
      ->capture_default_str();
  app.add_option("--batch-size", options.batch_size, "images per feature batch")->capture_default_str();
  app.add_option("--results", results, "classifier results CSV (train_classifier --results) for paired accuracy");
  app.add_option("--methods", methods,
                 "the results' method names, baseline first (default: the runs' settings.method)")
      ->delimiter(',');
  app.add_option("--metric", metric, "accuracy column: top1_best | top1_last")->capture_default_str();
  app.add_option("--device", device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (default: DISTDIFF_NUM_THREADS or all cores)");
  CLI11_PARSE(app, argc, argv);

  try {
    distdiff::set_cpu_threads(threads);
    std::cerr << "cpu: " << distdiff::describe_cpu_threads() << "\n";
    if (runs.size() < 2)
      throw std::invalid_argument("give at least two run folders (the first is the baseline), got " +
                                  std::to_string(runs.size()));
    if (metric != "top1_best" && metric != "top1_last")
      throw std::invalid_argument("--metric must be top1_best or top1_last, got '" + metric + "'");
    if (!methods.empty() && results.empty()) throw std::invalid_argument("--methods needs --results");
    options.labels = labels;
    // Cheap checks first: pairing and the results file fail before θ is loaded.
    const auto paired = distdiff::eval::pair_runs(runs, labels);
    std::vector<distdiff::io::ResultRow> rows;
    if (!results.empty()) {
      rows = distdiff::io::read_results(results);
      if (methods.empty())
        for (const auto& r : paired.runs) {
          if (r.method.empty())
            throw std::invalid_argument("--results: run " + r.folder.string() +
                                        " records no method (run.json settings.method); name them with --methods");
          methods.push_back(r.method);
        }
      distdiff::eval::compare_accuracy(rows, methods, metric);   // errors now, before the features
    }
    if (clip_dir.empty()) {
      const auto world = distdiff::models::find_small_world();
      if (!world)
        throw std::invalid_argument("no CLIP: pass --clip DIR; the small world (models/small_world) was not found here "
                                    "(run from the distdiff folder or set DISTDIFF_SMALL_WORLD)");
      clip_dir = world->clip;
    }
    auto clip = distdiff::ClipImageFeatures::load(clip_dir, runtime_for(device));
    if (normalization == "none") {
      clip.guidance_input.do_normalize = false;
    } else if (normalization == "clip") {
      clip.guidance_input.do_normalize = true;
      clip.guidance_input.image_mean = distdiff::kClipImageMean;
      clip.guidance_input.image_std = distdiff::kClipImageStd;
    } else if (normalization != "model") {
      throw std::invalid_argument("--normalization must be model, none or clip, got '" + normalization + "'");
    }
    std::cerr << "features: " << clip.name() << " (" << clip_dir.string() << ")\n";

    auto report = distdiff::eval::compare_runs(runs, clip, options);
    if (!results.empty()) report.accuracy = distdiff::eval::compare_accuracy(rows, methods, metric);
    distdiff::eval::write_compare_outputs(report, out);
    std::cout << distdiff::eval::render_summary(report);
    for (const auto& n : report.notes) std::cout << "note: " << n << "\n";
    if (report.accuracy)
      for (const auto& n : report.accuracy->notes) std::cout << "note: " << n << "\n";
    std::cout << "wrote " << (out / "report.md").string() << ", report.csv, paired.csv, compare.svg\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
