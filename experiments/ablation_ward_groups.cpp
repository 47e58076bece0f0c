// Ablation: agglomerative groups with Ward linkage
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::WardPrototypes>{}, "Ablation: agglomerative groups with Ward linkage");
}
