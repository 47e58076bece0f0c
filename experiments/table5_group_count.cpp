// Table 5: the number K of group-level prototypes in {1, 2, 3, 4}, each into <out>/K<k>/.
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  std::vector<distdiff::Variant<distdiff::Paper>> variants;
  for (std::int64_t k : {1, 2, 3, 4})
    variants.push_back({"K" + std::to_string(k), [k](distdiff::Paper& p) { p.group_prototypes.k = k; }});
  return distdiff::expand_main(argc, argv, distdiff::paper(), "Table 5: number of group prototypes K", variants);
}
