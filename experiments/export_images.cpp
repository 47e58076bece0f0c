// export_images — writes the images a dataset choice selects as PNGs in class
// folders (out/<class>/<i>.png), the layout `--dataset image_folder` reads:
// to look at a k-shot seed set or a shifted target, or to hand a dataset to
// tools that take folders.
//
//   export_images --dataset fashion_mnist --pool target --shots 10 --shot-seed 1 --out my/train
//   export_images --dataset fashion_mnist --split test --shift invert --out my/test
#include <CLI/CLI.hpp>

#include <distdiff/io/image_io.hpp>
#include <distdiff/pipeline/dataset_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"Write the images of a dataset choice as PNGs in class folders (out/<class>/<index>.png)."};
  distdiff::DatasetChoice data;
  std::string split = "train";
  std::filesystem::path out;
  distdiff::add_dataset_options(app, data);
  app.get_option("--dataset")->required();
  app.add_option("--split", split, "train (the seed set: pool, shots) | test (same classes and shift)")
      ->capture_default_str();
  app.add_option("--out", out, "output folder (must not hold PNGs yet)")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    distdiff::resolve_dataset_alias(data, std::cerr);
    if (split != "train" && split != "test")
      throw std::invalid_argument("--split must be train or test, got '" + split + "'");
    const auto ds = split == "train" ? distdiff::open_seed_dataset(data) : distdiff::open_test_dataset(data);
    if (std::filesystem::exists(out))
      for (const auto& e : std::filesystem::recursive_directory_iterator(out))
        if (e.path().extension() == ".png")
          throw std::invalid_argument("--out " + out.string() + " already holds PNGs (" + e.path().string() +
                                      "): choose an empty folder");
    // Class folder names: the class name with '/' (e.g. "T-shirt/top") replaced.
    auto folder = [&](std::int64_t label) {
      std::string n = ds.class_names().at(static_cast<std::size_t>(label));
      for (char& c : n)
        if (c == '/' || c == '\\') c = '_';
      return n;
    };
    for (std::size_t i = 0; i < ds.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%06zu.png", i);
      distdiff::write_png(out / folder(ds.label(i)) / name, ds.load(i));
    }
    std::printf("%zu images of %zu classes (%s, %s split) written to %s\n", ds.size(), ds.class_names().size(),
                data.describe().c_str(), split.c_str(), out.string().c_str());
  } catch (const std::exception& e) {
    std::cerr << "export_images: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
