// Ablation: per-sample transform parameters e, b
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::PerSampleTransform>{}, "Ablation: per-sample transform parameters e, b");
}
