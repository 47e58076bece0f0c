// Table 3: class-level prototypes only (p_c)
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::ClassPrototypesOnly>{}, "Table 3: class-level prototypes only (p_c)");
}
