// Table 1 baseline: GIF-SD (guided imagination on the final latent, zero-shot CLIP objectives),
// with GIF-SD's per-dataset CFG scale, strength and epsilon chosen from --dataset.
#include <cstring>
#include <map>

#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  static const std::map<std::string, std::string> gif_name{
      {"caltech101", "caltech101"}, {"cifar100", "cifar100"},   {"stanford_cars", "cars"},
      {"oxford_flowers", "flowers"}, {"oxford_pets", "pets"}, {"dtd", "dtd"}};
  std::string dataset = "cifar100";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--dataset") == 0 && gif_name.count(argv[i + 1])) dataset = gif_name.at(argv[i + 1]);
  return distdiff::expand_main(argc, argv, distdiff::gif_sd(dataset), "Table 1 baseline: GIF-SD (" + dataset + " settings)");
}
