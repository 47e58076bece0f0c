// Ablation: plain gradient step (Eq. 4) instead of the signed step
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::GradientUpdate>{}, "Ablation: plain gradient step (Eq. 4) instead of the signed step");
}
