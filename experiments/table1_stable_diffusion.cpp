// Table 1 baseline: plain Stable Diffusion img2img (no guidance)
#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  return distdiff::expand_main(argc, argv, distdiff::Preset<distdiff::PlainImg2Img>{}, "Table 1 baseline: plain Stable Diffusion img2img (no guidance)");
}
