#pragma once
// ImageFolderDataset — `root/<class>/<image>` (like torchvision's ImageFolder).
//
//     distdiff::ImageFolderDataset ds("data/my_set");           // classes = sorted folder names
//     ds.prompt_template = "a photo of a {}, a type of bird.";
//
// Classes are the sub-folders of `root` sorted by name (bytewise; names
// starting with '.' are ignored); label = position in that order. Each class's
// files with extension .png/.jpg/.jpeg/.bmp (any case) are sorted by name.
// Images are decoded lazily by load(). Errors: a missing root, a root without
// class folders and a class folder without images each throw naming the path.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/file_backed.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/prompt.hpp"

namespace distdiff {

class ImageFolderDataset : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;  // as constructed
  std::string dataset_name;    // name(); defaults to the root folder's name

  explicit ImageFolderDataset(std::filesystem::path root_folder, std::string_view prompt = prompts::generic)
      : root(std::move(root_folder)) {
    const std::string who = "distdiff::ImageFolderDataset";
    id_ = who + " " + detail::quoted(root);
    prompt_template = std::string(prompt);
    detail::require_dir(root, who, "dataset root");
    dataset_name = root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
    classes_ = detail::sorted_entries(root, /*want_dirs=*/true);
    if (classes_.empty()) throw std::runtime_error(who + ": no class folders in " + detail::quoted(root));
    for (std::size_t c = 0; c < classes_.size(); ++c) {
      const auto dir = root / classes_[c];
      std::size_t n = 0;
      for (const auto& f : detail::sorted_entries(dir, /*want_dirs=*/false))
        if (detail::has_image_extension(f)) add_file(dir / f, static_cast<std::int64_t>(c)), ++n;
      if (n == 0)
        throw std::runtime_error(who + ": class folder " + detail::quoted(dir) +
                                 " holds no images (.png, .jpg, .jpeg, .bmp)");
    }
  }

  std::string name() const { return dataset_name; }
};

static_assert(LabelledDataset<ImageFolderDataset>);

}  // namespace distdiff
