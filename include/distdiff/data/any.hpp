#pragma once
// AnyDataset — any LabelledDataset behind one type, and open_dataset(), which
// picks a reader by name at run time (for command-line tools).
//
//     distdiff::AnyDataset train = distdiff::open_dataset("caltech101", "/data/caltech101", distdiff::Split::train);
//     distdiff::AnyDataset mine = distdiff::InMemoryDataset{...};
//
// Copies share the wrapped dataset (it is immutable once built).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/caltech101.hpp"
#include "distdiff/data/cifar100.hpp"
#include "distdiff/data/dtd.hpp"
#include "distdiff/data/fashion_mnist.hpp"
#include "distdiff/data/image_folder.hpp"
#include "distdiff/data/oxford_flowers.hpp"
#include "distdiff/data/oxford_pets.hpp"
#include "distdiff/data/split.hpp"
#include "distdiff/data/stanford_cars.hpp"

namespace distdiff {

class AnyDataset {
 public:
  using component_tag = dataset_tag;

  template <LabelledDataset D>
    requires(!std::is_same_v<std::remove_cvref_t<D>, AnyDataset>)
  AnyDataset(D dataset) : self_(std::make_shared<Model<D>>(std::move(dataset))) {}

  std::size_t size() const { return self().size(); }
  std::int64_t label(std::size_t i) const { return self().label(i); }
  Image load(std::size_t i) const { return self().load(i); }
  const std::vector<std::string>& class_names() const { return self().class_names(); }
  std::string prompt(std::int64_t label) const { return self().prompt(label); }
  std::string source(std::size_t i) const { return self().source(i); }
  std::string name() const { return self().name(); }

  // The wrapped dataset when it is a D, else nullptr.
  template <class D>
  const D* get() const {
    auto* m = dynamic_cast<const Model<D>*>(self_.get());
    return m ? &m->d : nullptr;
  }

 private:
  struct Interface {
    virtual ~Interface() = default;
    virtual std::size_t size() const = 0;
    virtual std::int64_t label(std::size_t) const = 0;
    virtual Image load(std::size_t) const = 0;
    virtual const std::vector<std::string>& class_names() const = 0;
    virtual std::string prompt(std::int64_t) const = 0;
    virtual std::string source(std::size_t) const = 0;
    virtual std::string name() const = 0;
  };
  template <class D>
  struct Model final : Interface {
    D d;
    explicit Model(D x) : d(std::move(x)) {}
    std::size_t size() const override { return d.size(); }
    std::int64_t label(std::size_t i) const override { return d.label(i); }
    Image load(std::size_t i) const override { return d.load(i); }
    const std::vector<std::string>& class_names() const override { return d.class_names(); }
    std::string prompt(std::int64_t c) const override { return d.prompt(c); }
    std::string source(std::size_t i) const override { return d.source(i); }
    std::string name() const override { return d.name(); }
  };
  std::shared_ptr<const Interface> self_;

  const Interface& self() const {
    if (!self_) throw std::logic_error("distdiff::AnyDataset: empty");
    return *self_;
  }
};

static_assert(LabelledDataset<AnyDataset>);

// The dataset names open_dataset() accepts.
inline const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names{"caltech101",    "cifar100",      "stanford_cars", "oxford_flowers",
                                              "oxford_pets",   "dtd",           "fashion_mnist", "image_folder"};
  return names;
}

// The paper's reader for `name` with its default (paper) settings; for
// "image_folder" the split selects <root>/<split>/ (train, val or test).
inline AnyDataset open_dataset(const std::string& name, const std::filesystem::path& root, Split split) {
  if (name == "caltech101") return Caltech101(root, split);
  if (name == "cifar100") return Cifar100(root, split);
  if (name == "stanford_cars") return StanfordCars(root, split);
  if (name == "oxford_flowers") return OxfordFlowers102(root, split);
  if (name == "oxford_pets") return OxfordPets(root, split);
  if (name == "dtd") return Dtd(root, split);
  if (name == "fashion_mnist") return FashionMnist(root, split);
  if (name == "image_folder") return ImageFolderDataset(root / to_string(split));
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("distdiff::open_dataset: unknown dataset '" + name + "' (known: " + known + ")");
}

}  // namespace distdiff
