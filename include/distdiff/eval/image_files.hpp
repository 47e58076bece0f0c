#pragma once
// ImageFiles — the images of a folder as an image source for FID (like
// pytorch-fid given a path): every *.png, *.jpg, *.jpeg and *.bmp file
// (case-insensitive) in the folder, or below it with `recursive`, in sorted
// path order, decoded as RGB on demand.
//
//     auto real = distdiff::ImageFiles::in_folder("data/caltech101/train");
//     auto fake = distdiff::ImageFiles::in_folder("out/expanded", /*recursive=*/true);
//     double fid = distdiff::fid_between(net, real, fake);
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

struct ImageFiles {
  std::vector<std::filesystem::path> paths;

  static ImageFiles in_folder(const std::filesystem::path& folder, bool recursive = false) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
      throw std::runtime_error(folder.string() + ": not a folder (ImageFiles::in_folder)");
    ImageFiles out;
    auto consider = [&](const fs::directory_entry& e) {
      if (!e.is_regular_file()) return;
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp") out.paths.push_back(e.path());
    };
    if (recursive) {
      for (const auto& e : fs::recursive_directory_iterator(folder)) consider(e);
    } else {
      for (const auto& e : fs::directory_iterator(folder)) consider(e);
    }
    std::sort(out.paths.begin(), out.paths.end());
    if (out.paths.empty())
      throw std::runtime_error(folder.string() + ": no .png/.jpg/.jpeg/.bmp images found" +
                               (recursive ? "" : " (not searching subfolders)"));
    return out;
  }

  std::size_t size() const { return paths.size(); }
  Image load(std::size_t i) const { return read_image(paths.at(i)); }
  std::string source(std::size_t i) const { return paths.at(i).string(); }
  std::string name() const { return "image-files"; }
};

}  // namespace distdiff
