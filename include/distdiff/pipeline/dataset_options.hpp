#pragma once
// The command-line options that choose a DatasetChoice (data/seed_set.hpp),
// one spelling for every tool: the expansion tools and train_classifier.
//
//   --dataset fashion_mnist --pool target --shots 10 --shot-seed 1 --shift invert
//   --dataset image_folder --root my/train --test-root my/test
#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "distdiff/data/dataset_aliases.hpp"
#include "distdiff/data/seed_set.hpp"

namespace distdiff {

// Replaces an alias by its name, saying so on `note` (std::cerr by default).
inline void resolve_dataset_alias(DatasetChoice& c, std::ostream& note) {
  const auto it = dataset_aliases().find(c.kind);
  if (it == dataset_aliases().end()) return;
  note << "note: --dataset " << c.kind << " is read as " << it->second << "\n";
  c.kind = it->second;
}

// `default_note`: what the tool reads without --dataset.
inline void add_dataset_options(CLI::App& app, DatasetChoice& c, const std::string& default_note = "") {
  std::string names = "shapes";
  for (const auto& n : dataset_names()) names += "|" + n;
  std::string shifts;
  for (const auto& n : shift_names()) shifts += (shifts.empty() ? "" : "|") + n;
  app.add_option("--dataset", c.kind, "dataset: " + names + (default_note.empty() ? "" : " (" + default_note + ")"));
  app.add_option("--root", c.root,
                 "dataset folder (image_folder: root/<class>/*.png, or root/train + root/test; "
                 "fashion_mnist: " + default_fashion_mnist_root().string() + ")");
  app.add_option("--test-root", c.test_root, "image_folder: the test images (test_root/<class>/*.png)");
  app.add_option("--pool", c.pool,
                 "all | target | foundation: the small world's split of the training images (target: the pool "
                 "few-shot sets are drawn from, never seen by the shipped models)")
      ->capture_default_str();
  app.add_option("--shots", c.shots, "images per class drawn from the pool (0: all)")->capture_default_str();
  app.add_option("--shot-seed", c.seed, "seed of the k-shot draw")->capture_default_str();
  app.add_option("--classes", c.classes, "only the first N classes (0: all)")->capture_default_str();
  app.add_option("--shift", c.shift, "visual shift of the training and test images: " + shifts)
      ->capture_default_str();
  app.add_option("--per-class", c.per_class, "shapes: images per class")->capture_default_str();
}

}  // namespace distdiff
