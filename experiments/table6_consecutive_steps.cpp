// Table 6, strategy 1: guidance at consecutive steps of the semantic stage, (30, 31) and (28, 29, 30, 31).
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  using M = distdiff::ConsecutiveGuidance;
  std::vector<distdiff::Variant<M>> variants{
      {"steps-30-31", [](M& m) { m.schedule.first = 30; m.schedule.count = 2; }},
      {"steps-28-31", [](M& m) { m.schedule.first = 28; m.schedule.count = 4; }}};
  return distdiff::expand_main(argc, argv, distdiff::Preset<M>{}, "Table 6, strategy 1: consecutive steps", variants);
}
