// Table 4: the optimisation step M in {0, 10, 20, 30, 40}, each into <out>/M<m>/.
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  std::vector<distdiff::Variant<distdiff::Paper>> variants;
  for (std::int64_t m : {0, 10, 20, 30, 40})
    variants.push_back({"M" + std::to_string(m), [m](distdiff::Paper& p) { p.schedule.m = m; }});
  return distdiff::expand_main(argc, argv, distdiff::paper(), "Table 4: optimisation step M", variants);
}
