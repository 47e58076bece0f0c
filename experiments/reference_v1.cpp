// DistDiff, reference code v1 (commit 54524da): the paper's settings
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::reference_v1(), "DistDiff, reference code v1 (commit 54524da): the paper's settings");
}
