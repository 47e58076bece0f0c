// expect-error: slot `update` needs an UpdateRule
// An energy term put in the update slot: must fail with the update-slot message.
#include "distdiff/composition/check.hpp"
#include "distdiff/composition/distdiff.hpp"

int main() {
  using Wrong = distdiff::DistDiff<distdiff::with_update<distdiff::ClassDistance>>;
  distdiff::detail::report_composition<Wrong>();
}
