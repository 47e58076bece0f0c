// compare_grid — expansion runs of the same seed images side by side: one row
// per chosen seed image, the seed image, then each run's first --per-seed
// expansions of it (io/compare_grid.hpp, docs/results.md).
//
//   compare_grid --run out/distdiff --run out/plain --label distdiff --label plain
//       --classes all --per-class 1 --per-seed 2 --out compare_grid.png
//
// Writes the PNG (--out) and, beside it, a .txt of the same name that says
// what each column and row shows. Seed images come from the manifests'
// seed_source: an image file (image_folder datasets) is read directly; a
// dataset record ("<file>#<n>") is read from --dataset/--root (train split),
// or, without them, from the dataset named in the first run's run.json,
// opened in the record file's folder. A run of a shifted dataset
// ("fashion_mnist+invert" in run.json, or --shift) shows its seeds shifted.
#include <CLI/CLI.hpp>

#include <distdiff/data/any.hpp>
#include <distdiff/data/shapes.hpp>
#include <distdiff/data/shifted.hpp>
#include <distdiff/detail/atomic_write.hpp>
#include <distdiff/io/compare_grid.hpp>
#include <distdiff/io/image_io.hpp>
#include <distdiff/io/run_folder.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// run.json's dataset name: "<dataset>" or "<dataset>+<shift>" (data/shifted.hpp).
std::string run_dataset_name(const fs::path& run) {
  const auto settings = distdiff::read_run_settings(run);
  if (!settings || !settings->contains("dataset") || !(*settings)["dataset"].is_string()) return {};
  return (*settings)["dataset"].get<std::string>();
}

// The dataset named in run.json, opened where the seed record's file lies
// (e.g. fashion_mnist in the folder of train-images-idx3-ubyte.gz).
std::optional<distdiff::AnyDataset> dataset_from_run_json(const fs::path& run, const std::string& seed_source,
                                                          std::string& why) {
  const std::string full = run_dataset_name(run);
  if (full.empty()) {
    why = "no dataset name in " + (run / "run.json").string();
    return std::nullopt;
  }
  const std::string name = full.substr(0, full.find('+'));
  const auto& names = distdiff::dataset_names();
  if (name == "shapes") {
    why = "run.json's dataset is the procedural shapes: pass --dataset shapes and the expansion's --per-class as "
          "--shapes-per-class";
    return std::nullopt;
  }
  if (name == "image_folder" || std::find(names.begin(), names.end(), name) == names.end()) {
    why = "run.json's dataset '" + name + "' cannot be opened by name";
    return std::nullopt;
  }
  const auto hash = seed_source.rfind('#');
  const fs::path file = seed_source.substr(0, hash);
  std::error_code ec;
  if (hash == std::string::npos || !fs::is_regular_file(file, ec)) {
    why = "the seed source is not a record of a file";
    return std::nullopt;
  }
  try {
    auto data = distdiff::open_dataset(name, file.parent_path(), distdiff::Split::train);
    std::cerr << "seed images: " << name << " (train) in " << file.parent_path().string()
              << ", the dataset of " << (run / "run.json").string() << "\n";
    return data;
  } catch (const std::exception& e) {
    why = "run.json's dataset '" + name + "' did not open in " + file.parent_path().string() + ": " + e.what();
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Expansion runs of the same seed images side by side, as one PNG grid"};
  std::vector<fs::path> run_dirs;
  std::vector<std::string> labels;
  fs::path out = "compare_grid.png", root;
  std::string classes = "all", dataset, split = "train", shift;
  distdiff::CompareGridOptions opt;
  int upscale = 0;
  std::int64_t shapes_per_class = 4;
  bool no_seed = false;
  app.add_option("--run", run_dirs, "an expansion run folder (repeatable; one column group each)")->required();
  app.add_option("--label", labels, "a name per --run, in order (for compare_grid.txt)");
  app.add_option("--out", out, "the PNG to write; its column order goes to the same name with .txt")
      ->capture_default_str();
  app.add_option("--classes", classes, "all | NAME,NAME,...: the classes to take rows from (rows stay in class order)")
      ->capture_default_str();
  app.add_option("--per-class", opt.per_class, "seed images (rows) per class")->capture_default_str();
  app.add_option("--per-seed", opt.per_seed, "expansions per run and seed image")->capture_default_str();
  app.add_option("--upscale", upscale, "nearest-neighbour factor (0: the smallest making cells >= 64 px)")
      ->capture_default_str();
  std::string names = "shapes";
  for (const auto& n : distdiff::dataset_names()) names += " | " + n;
  app.add_option("--dataset", dataset, "the dataset the runs expanded, to read seed images from: " + names);
  app.add_option("--root", root, "its folder");
  app.add_option("--split", split, "its split holding the seed images")->capture_default_str();
  app.add_option("--shapes-per-class", shapes_per_class, "--dataset shapes: the expansion's --per-class")
      ->capture_default_str();
  app.add_option("--shift", shift,
                 "the visual shift of the runs' seed images: none | invert | sepia (default: the '+<shift>' of "
                 "run.json's dataset name)");
  app.add_flag("--no-seed", no_seed, "leave the seed column out (no dataset needed)");
  CLI11_PARSE(app, argc, argv);

  try {
    if (!labels.empty() && labels.size() != run_dirs.size())
      throw std::invalid_argument("--label: " + std::to_string(labels.size()) + " labels for " +
                                  std::to_string(run_dirs.size()) + " --run folders (give one per folder)");
    if (classes != "all") {
      std::stringstream list(classes);
      for (std::string c; std::getline(list, c, ',');)
        if (!c.empty()) opt.classes.push_back(c);
      if (opt.classes.empty()) throw std::invalid_argument("--classes: give all or class names separated by commas");
    }
    std::vector<distdiff::CompareRun> runs;
    for (const auto& d : run_dirs) runs.push_back(distdiff::CompareRun::read(d));
    // Paired comparisons need the same --seed (run.json records it).
    std::map<std::string, std::vector<std::string>> seeds;
    for (const auto& r : runs)
      if (const auto s = distdiff::read_run_settings(r.folder); s && s->contains("seed"))
        seeds[(*s)["seed"].dump()].push_back(r.folder.string());
    if (seeds.size() > 1) {
      std::cerr << "warning: the runs were made with different --seed:";
      for (const auto& [seed, folders] : seeds) {
        std::cerr << " " << seed << " (";
        for (std::size_t k = 0; k < folders.size(); ++k) std::cerr << (k ? ", " : "") << folders[k];
        std::cerr << ")";
      }
      std::cerr << "; their expansions of a seed image do not share noise\n";
    }
    const auto rows = distdiff::plan_compare_rows(runs, opt);

    // Seed images, all found before anything is written.
    std::vector<distdiff::Image> seed_images;
    if (!no_seed) {
      distdiff::SeedImageFinder finder;
      if (!dataset.empty()) {
        if (dataset == "shapes") {
          finder = distdiff::SeedImageFinder(distdiff::make_shapes_dataset(shapes_per_class, 32, 0));
        } else {
          if (root.empty() && dataset != "fashion_mnist")
            throw std::invalid_argument("--dataset " + dataset + " needs --root DIR");
          finder = distdiff::SeedImageFinder(distdiff::open_dataset(
              dataset, root.empty() ? distdiff::default_fashion_mnist_root() : root, distdiff::parse_split(split)));
        }
      }
      if (shift.empty()) {
        const std::string name = run_dataset_name(runs[0].folder);
        shift = name.find('+') == std::string::npos ? "none" : name.substr(name.find('+') + 1);
        if (shift != "none") std::cerr << "seed images: shifted by '" << shift << "' (run.json: " << name << ")\n";
      }
      distdiff::check_shift_name(shift);
      std::string why;
      for (const auto& row : rows) {
        auto img = finder.find(row.seed.seed_source);
        if (!img && !finder.has_dataset() && why.empty()) {
          if (auto data = dataset_from_run_json(runs[0].folder, row.seed.seed_source, why)) {
            finder = distdiff::SeedImageFinder(*data);
            img = finder.find(row.seed.seed_source);
          }
        }
        if (!img)
          throw std::runtime_error(
              "the seed image '" + row.seed.seed_source + "' (seed_index " + std::to_string(row.seed.seed_index) +
              " of " + runs[0].folder.string() + ") is not an image file" +
              (finder.has_dataset() ? " nor an image of the dataset given"
                                    : "; pass --dataset NAME --root DIR (the dataset the runs expanded)" +
                                          (why.empty() ? std::string() : " (" + why + ")")) +
              ", or --no-seed");
        seed_images.push_back(distdiff::apply_shift(shift, std::move(*img)));
      }
    }
    std::map<const distdiff::CompareRow*, const distdiff::Image*> seed_of;
    for (std::size_t r = 0; r < seed_images.size(); ++r) seed_of[&rows[r]] = &seed_images[r];
    std::function<distdiff::Image(const distdiff::CompareRow&)> seed_fn;
    if (!no_seed) seed_fn = [&](const distdiff::CompareRow& row) { return *seed_of.at(&row); };

    const auto grid = distdiff::render_compare_grid(rows, runs.size(), opt.per_seed, seed_fn, upscale);
    for (const auto& m : grid.missing) std::cerr << "warning: " << m << "\n";
    distdiff::write_image(out, grid.sheet);
    auto sidecar = out;
    sidecar.replace_extension(".txt");
    distdiff::detail::write_file_atomic(sidecar, distdiff::describe_compare_grid(runs, labels, rows, opt.per_seed, grid),
                                        "compare_grid");
    std::printf("%s: %zu rows x %d columns (%s%zu runs x %lld), %dx%d px cells shown x%d; columns in %s\n",
                out.string().c_str(), rows.size(), grid.columns, no_seed ? "" : "seed + ", runs.size(),
                static_cast<long long>(opt.per_seed), grid.cell_width, grid.cell_height, grid.upscale,
                sidecar.string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
