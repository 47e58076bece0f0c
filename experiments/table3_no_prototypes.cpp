// Table 3: transform without energy guidance (neither p_c nor p_g)
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::NoPrototypes>{}, "Table 3: transform without energy guidance (neither p_c nor p_g)");
}
