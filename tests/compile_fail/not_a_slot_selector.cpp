// expect-error: every argument must be a slot selector
// A bare component instead of with_update<...>.
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/update/gradient_step.hpp"

int main() {
  distdiff::DistDiff<distdiff::GradientStep> d;
  (void)d;
}
