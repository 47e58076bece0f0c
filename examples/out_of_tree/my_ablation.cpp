// my_ablation.cpp: in experiments/ (→ ./build/bin/my_ablation) or in your own repository
#include "distdiff/distdiff.hpp"

using NoGroupsKMeans = distdiff::DistDiff<distdiff::with_group_prototypes<distdiff::KMeansGroups>,
                                          distdiff::with_label<"my-ablation">>;

int main(int argc, char** argv) {
  distdiff::Preset<NoGroupsKMeans> preset;
  preset.method.group_prototypes.k = 4;     // numbers are runtime members
  preset.method.update.rho = 0.05;      // ρ lives in the update rule
  return distdiff::expand_main(argc, argv, preset, "My ablation");
}
