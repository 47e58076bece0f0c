// Table 6, strategy 2: guidance spread over the semantic and refinement stages, (30, 15, 0) and (30, 20, 10, 0).
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  using M = distdiff::SpreadGuidance;
  std::vector<distdiff::Variant<M>> variants{
      {"steps-30-15-0", [](M& m) { m.schedule.at = {30, 15, 0}; }},
      {"steps-30-20-10-0", [](M& m) { m.schedule.at = {30, 20, 10, 0}; }}};
  return distdiff::expand_main(argc, argv, distdiff::Preset<M>{}, "Table 6, strategy 2: spread steps", variants);
}
