// Quickstart: expands a labelled image set ×5 with DistDiff (paper defaults).
//
//   ./build/bin/quickstart                       # no weights: tiny random models, procedural shapes
//   ./build/bin/quickstart --sd sd-v1-4 --clip clip-vit-base-patch32 --dataset image_folder --root my_images
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::paper(), "DistDiff quickstart (paper defaults)");
}
