// Three prototype strategies in one binary, paired image by image:
//   build/bin/prototype_strategies --out out/protos            # all three
//   build/bin/prototype_strategies --list                      # their names
//   build/bin/prototype_strategies --variant kmeans --out out/protos
//   build/bin/compare out/protos/paper out/protos/kmeans out/protos/class-only --out out/protos/report
#include "distdiff/expand.hpp"

using namespace distdiff;

int main(int argc, char** argv) {
  Preset<KMeansPrototypes> kmeans;
  kmeans.method.group_prototypes.n_init = 8;   // K-means' own numbers live in its component
  return compare_main(argc, argv, "Prototype strategies: agglomerative vs K-means groups vs class means only",
                      variant("paper", paper()),
                      variant("kmeans", kmeans),
                      variant("class-only", Preset<ClassPrototypesOnly>{}));
}
