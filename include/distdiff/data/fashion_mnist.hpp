#pragma once
// FashionMnist — Fashion-MNIST from its IDX files (gzip-compressed as
// published and as shipped by Debian's dataset-fashion-mnist, or plain).
//
//     distdiff::FashionMnist train;                                  // /usr/share/datasets/fashion-mnist
//     distdiff::FashionMnist small("/data/fmnist", distdiff::Split::train, /*per_class=*/100, /*seed=*/0);
//
// Files: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in `root`. The IDX
// headers are validated (magic 0x803 / 0x801, counts agreeing, exact data
// length, labels < 10). Images are 28x28 grey (load() returns 1 channel; the
// tensor conversions replicate it to RGB). per_class > 0 keeps that many
// images of each class drawn with `seed` (kept in file order). Pixels of the
// kept images are held in memory (47 MB for the full training set).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/detail/gzip.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

namespace detail {

struct IdxArray {
  std::vector<std::size_t> dims;
  std::vector<std::uint8_t> data;
};

// Reads an IDX file of unsigned bytes with `rank` dimensions (plain or .gz).
inline IdxArray read_idx_u8(const std::filesystem::path& path, std::size_t rank) {
  const std::string who = "distdiff::read_idx '" + path.string() + "'";
  std::vector<std::uint8_t> bytes = read_file_bytes(path, "distdiff::read_idx");
  if (is_gzip(bytes)) bytes = gunzip(bytes, path.string());
  if (bytes.size() < 4 + 4 * rank) throw std::runtime_error(who + ": too short for an IDX header");
  const std::uint32_t magic = (std::uint32_t(bytes[0]) << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
  const std::uint32_t want = 0x0800U | std::uint32_t(rank);
  if (magic != want) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "bad magic number 0x%08X (expected 0x%08X)", magic, want);
    throw std::runtime_error(who + ": " + buf);
  }
  IdxArray a;
  std::size_t count = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    a.dims.push_back((std::size_t(p[0]) << 24) | (std::size_t(p[1]) << 16) | (std::size_t(p[2]) << 8) | p[3]);
    count *= a.dims.back();
  }
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() - header != count)
    throw std::runtime_error(who + ": holds " + std::to_string(bytes.size() - header) +
                             " data bytes, the header promises " + std::to_string(count));
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

}  // namespace detail

// Where Debian's dataset-fashion-mnist installs the IDX files: the default
// root of FashionMnist and of every tool's --dataset fashion_mnist.
inline const std::filesystem::path& default_fashion_mnist_root() {
  static const std::filesystem::path p = "/usr/share/datasets/fashion-mnist";
  return p;
}

class FashionMnist {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;
  Split split = Split::train;
  std::size_t per_class = 0;  // 0 = all images
  std::uint64_t seed = 0;
  std::string prompt_template = std::string(prompts::generic);

  static const std::vector<std::string>& default_classes() {
    static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
  }
  static PublishedSizes published_sizes() { return {10, 60000, 10000, 0}; }
  PublishedSizes expected_sizes() const {
    if (per_class == 0) return published_sizes();
    auto s = published_sizes();
    (split == Split::train ? s.train : s.test) = per_class * 10;
    return s;
  }

  explicit FashionMnist(std::filesystem::path root_folder = default_fashion_mnist_root(),
                        Split which = Split::train, std::size_t per_class_ = 0, std::uint64_t seed_ = 0)
      : root(std::move(root_folder)), split(which), per_class(per_class_), seed(seed_) {
    const std::string who = "distdiff::FashionMnist";
    if (split == Split::val) throw std::invalid_argument(who + ": Fashion-MNIST has no validation split");
    detail::require_dir(root, who, "dataset root");
    const std::string stem = split == Split::train ? "train" : "t10k";
    images_file_ = find(stem + "-images-idx3-ubyte");
    const auto labels_file = find(stem + "-labels-idx1-ubyte");
    detail::IdxArray images = detail::read_idx_u8(images_file_, 3);
    detail::IdxArray labels = detail::read_idx_u8(labels_file, 1);
    if (images.dims[1] != 28 || images.dims[2] != 28)
      throw std::runtime_error(who + ": " + detail::quoted(images_file_) + " holds " + std::to_string(images.dims[1]) +
                               "x" + std::to_string(images.dims[2]) + " images, expected 28x28");
    if (images.dims[0] != labels.dims[0])
      throw std::runtime_error(who + ": " + detail::quoted(images_file_) + " holds " + std::to_string(images.dims[0]) +
                               " images but " + detail::quoted(labels_file) + " " + std::to_string(labels.dims[0]) +
                               " labels");
    std::vector<std::int64_t> all(labels.data.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (labels.data[i] >= 10)
        throw std::runtime_error(who + ": " + detail::quoted(labels_file) + ": label " +
                                 std::to_string(labels.data[i]) + " at record " + std::to_string(i) + " is not in [0, 10)");
      all[i] = labels.data[i];
    }
    std::vector<std::size_t> keep;
    if (per_class == 0) {
      keep.resize(all.size());
      for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = i;
    } else {
      keep = detail::sample_per_class(all, 10, per_class, seed, who);
    }
    constexpr std::size_t px = 28 * 28;
    pixels_.resize(keep.size() * px);
    labels_.resize(keep.size());
    records_ = keep;
    for (std::size_t j = 0; j < keep.size(); ++j) {
      std::memcpy(pixels_.data() + j * px, images.data.data() + keep[j] * px, px);
      labels_[j] = all[keep[j]];
    }
  }

  std::size_t size() const { return labels_.size(); }
  std::int64_t label(std::size_t i) const { return labels_[check(i)]; }
  Image load(std::size_t i) const {
    Image img(28, 28, 1);
    std::memcpy(img.pixels.data(), pixels_.data() + check(i) * 28 * 28, 28 * 28);
    return img;
  }
  const std::vector<std::string>& class_names() const { return default_classes(); }
  std::string prompt(std::int64_t label) const {
    if (label < 0 || label >= 10) throw std::out_of_range("distdiff::FashionMnist: no class " + std::to_string(label));
    return format_prompt(prompt_template, default_classes()[static_cast<std::size_t>(label)]);
  }
  // "<images file>#<record index in the file>"
  std::string source(std::size_t i) const { return images_file_.string() + "#" + std::to_string(records_[check(i)]); }
  std::string name() const { return "fashion_mnist"; }

 private:
  std::filesystem::path images_file_;
  std::vector<std::uint8_t> pixels_;
  std::vector<std::int64_t> labels_;
  std::vector<std::size_t> records_;

  std::filesystem::path find(const std::string& base) const {
    for (const char* ext : {"", ".gz"}) {
      const auto p = root / (base + ext);
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec)) return p;
    }
    throw std::runtime_error("distdiff::FashionMnist: missing file " + detail::quoted(root / (base + ".gz")) +
                             " (or its uncompressed form)");
  }
  std::size_t check(std::size_t i) const {
    if (i >= labels_.size())
      throw std::out_of_range("distdiff::FashionMnist: index " + std::to_string(i) + " >= size " +
                              std::to_string(labels_.size()));
    return i;
  }
};

static_assert(LabelledDataset<FashionMnist>);

}  // namespace distdiff
