#pragma once
// OxfordFlowers102 — Oxford 102 Flowers with the standard split or the paper's split.
//
//     distdiff::OxfordFlowers102 train("/data/flowers102", distdiff::Split::train);   // paper: 6552
//     distdiff::OxfordFlowers102 test("/data/flowers102", distdiff::Split::test);     // paper: 818
//     distdiff::OxfordFlowers102 std_train("/data/flowers102", distdiff::Split::train,
//                                          distdiff::FlowersSplit::standard);       // 1020
//
// Layout: <root>/imagelabels.mat (labels: 1..102 for images 1..N), <root>/setid.mat
// (trnid, valid, tstid: 1-based image ids; needed for the standard split only),
// <root>/jpg/image_%05d.jpg.
// Splits:
//   standard  setid.mat: train 1020 / val 1020 / test 6149.
//   paper     Table 8 reports 6552 train / 818 test, which matches no published
//             split but is an 80/10/10 random split of the 8189 images. Here: the
//             image ids are permuted with `seed`; the first ceil(0.8 N) are train,
//             the last floor(0.1 N) test, the rest val (N = 8189: 6552 / 819 / 818).
// Class names: the usual English names (as used by CLIP/CoOp), index = label - 1.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/file_backed.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/detail/mat.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"

namespace distdiff {

enum class FlowersSplit { paper, standard };

class OxfordFlowers102 : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;  // as constructed
  Split split = Split::train;
  FlowersSplit scheme = FlowersSplit::paper;
  std::uint64_t seed = 0;  // paper scheme only

  static const std::vector<std::string>& default_classes() {
    static const std::vector<std::string> names{
        "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "english marigold",
        "tiger lily", "moon orchid", "bird of paradise", "monkshood", "globe thistle", "snapdragon", "colt's foot",
        "king protea", "spear thistle", "yellow iris", "globe-flower", "purple coneflower", "peruvian lily",
        "balloon flower", "giant white arum lily", "fire lily", "pincushion flower", "fritillary", "red ginger",
        "grape hyacinth", "corn poppy", "prince of wales feathers", "stemless gentian", "artichoke", "sweet william",
        "carnation", "garden phlox", "love in the mist", "mexican aster", "alpine sea holly", "ruby-lipped cattleya",
        "cape flower", "great masterwort", "siam tulip", "lenten rose", "barbeton daisy", "daffodil", "sword lily",
        "poinsettia", "bolero deep blue", "wallflower", "marigold", "buttercup", "oxeye daisy", "common dandelion",
        "petunia", "wild pansy", "primula", "sunflower", "pelargonium", "bishop of llandaff", "gaura", "geranium",
        "orange dahlia", "pink-yellow dahlia", "cautleya spicata", "japanese anemone", "black-eyed susan",
        "silverbush", "californian poppy", "osteospermum", "spring crocus", "bearded iris", "windflower",
        "tree poppy", "gazania", "azalea", "water lily", "rose", "thorn apple", "morning glory", "passion flower",
        "lotus", "toad lily", "anthurium", "frangipani", "clematis", "hibiscus", "columbine", "desert-rose",
        "tree mallow", "magnolia", "cyclamen", "watercress", "canna lily", "hippeastrum", "bee balm", "ball moss",
        "foxglove", "bougainvillea", "camellia", "mallow", "mexican petunia", "bromelia", "blanket flower",
        "trumpet creeper", "blackberry lily"};
    return names;
  }
  // Table 8 (train / test) and the size of the paper scheme's val part.
  static PublishedSizes published_sizes() { return {102, 6552, 818, 819}; }
  static PublishedSizes standard_sizes() { return {102, 1020, 6149, 1020}; }
  PublishedSizes expected_sizes() const { return scheme == FlowersSplit::paper ? published_sizes() : standard_sizes(); }

  // The paper scheme's part sizes for n images: {train, val, test}.
  static std::array<std::size_t, 3> paper_split_sizes(std::size_t n) {
    const std::size_t train = (8 * n + 9) / 10;  // ceil(0.8 n)
    const std::size_t test = n / 10;            // floor(0.1 n)
    return {train, n - train - test, test};
  }

  explicit OxfordFlowers102(std::filesystem::path root_folder, Split which = Split::train,
                            FlowersSplit scheme_ = FlowersSplit::paper, std::uint64_t seed_ = 0)
      : root(std::move(root_folder)), split(which), scheme(scheme_), seed(seed_) {
    const std::string who = "distdiff::OxfordFlowers102";
    id_ = who;
    prompt_template = std::string(prompts::oxford_flowers);
    classes_ = default_classes();
    detail::require_dir(root, who, "dataset root");
    detail::require_dir(root / "jpg", who, "image folder");
    const auto labels = detail::MatFile(root / "imagelabels.mat", who).integers("labels");
    if (labels.empty()) throw std::runtime_error(who + ": " + detail::quoted(root / "imagelabels.mat") + " has no labels");
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 1 || labels[i] > 102)
        throw std::runtime_error(who + ": " + detail::quoted(root / "imagelabels.mat") + ": label " +
                                 std::to_string(labels[i]) + " of image " + std::to_string(i + 1) + " outside 1..102");

    std::vector<std::int64_t> ids;  // 1-based image ids of this split
    if (scheme == FlowersSplit::standard) {
      const char* var = split == Split::train ? "trnid" : split == Split::val ? "valid" : "tstid";
      ids = detail::MatFile(root / "setid.mat", who).integers(var);
    } else {
      const auto perm = detail::permutation(labels.size(), detail::mix_seed({seed, 0x666c6f77ULL}));
      const auto sizes = paper_split_sizes(labels.size());
      const std::size_t b = split == Split::train ? 0 : split == Split::val ? sizes[0] : sizes[0] + sizes[1];
      const std::size_t e = b + sizes[split == Split::train ? 0 : split == Split::val ? 1 : 2];
      for (std::size_t k = b; k < e; ++k) ids.push_back(static_cast<std::int64_t>(perm[k]) + 1);
      std::sort(ids.begin(), ids.end());
    }
    for (std::int64_t id : ids) {
      if (id < 1 || static_cast<std::size_t>(id) > labels.size())
        throw std::runtime_error(who + ": " + detail::quoted(root / "setid.mat") + ": image id " + std::to_string(id) +
                                 " outside 1.." + std::to_string(labels.size()) + " (imagelabels.mat)");
      char name[32];
      std::snprintf(name, sizeof name, "image_%05lld.jpg", static_cast<long long>(id));
      const auto path = root / "jpg" / name;
      detail::require_file(path, who, "image");
      add_file(path, labels[static_cast<std::size_t>(id - 1)] - 1);
    }
  }

  std::string name() const { return "oxford_flowers102"; }
};

static_assert(LabelledDataset<OxfordFlowers102>);

}  // namespace distdiff
