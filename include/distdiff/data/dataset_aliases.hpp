#pragma once
// Older spellings of dataset names that some tools accepted (and results
// files written before distdiff 0.2 hold): each is read as its
// dataset_names() name, the one spelling of every tool and results row.
#include <map>
#include <string>

namespace distdiff {

inline const std::map<std::string, std::string>& dataset_aliases() {
  static const std::map<std::string, std::string> a = {{"imagefolder", "image_folder"}, {"cifar100s", "cifar100"},
                                                       {"cars", "stanford_cars"},       {"flowers", "oxford_flowers"},
                                                       {"pets", "oxford_pets"},         {"fmnist", "fashion_mnist"}};
  return a;
}

// The dataset_names() spelling of `name` (itself when it is no alias).
inline std::string canonical_dataset_name(const std::string& name) {
  const auto it = dataset_aliases().find(name);
  return it == dataset_aliases().end() ? name : it->second;
}

}  // namespace distdiff
