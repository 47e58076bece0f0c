// expect-error: the same slot is selected twice
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/update/gradient_step.hpp"

int main() {
  distdiff::DistDiff<distdiff::with_update<distdiff::GradientStep>, distdiff::with_update<distdiff::SignedStep>> d;
  (void)d;
}
