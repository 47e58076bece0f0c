// Ablation: group prototypes by K-means instead of agglomerative clustering
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::KMeansPrototypes>{}, "Ablation: group prototypes by K-means instead of agglomerative clustering");
}
