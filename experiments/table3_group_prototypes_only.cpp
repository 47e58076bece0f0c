// Table 3: group-level prototypes only (p_g)
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::GroupPrototypesOnly>{}, "Table 3: group-level prototypes only (p_g)");
}
