// DistDiff, reference code HEAD (commit cab7e16): per-sample e,b, gradient step rho=10, eps=0.2, strength 0.5, CFG 7.5, t=381,361
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::reference_head(), "DistDiff, reference code HEAD (commit cab7e16): per-sample e,b, gradient step rho=10, eps=0.2, strength 0.5, CFG 7.5, t=381,361");
}
