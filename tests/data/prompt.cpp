#include <catch2/catch.hpp>

#include <distdiff/data/prompt.hpp>

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("format_prompt follows the Table 9 templates", "[data][prompt]") {
  using namespace distdiff;
  CHECK(format_prompt(prompts::caltech101, "accordion") == "a photo of a accordion.");
  CHECK(format_prompt(prompts::cifar100, "maple_tree") == "a photo of a maple tree.");
  CHECK(format_prompt(prompts::stanford_cars, "AM General Hummer SUV 2000") == "A photo of a AM General Hummer SUV 2000 car.");
  CHECK(format_prompt(prompts::oxford_flowers, "pink primrose") == "a photo of a pink primrose, a type of flower.");
  CHECK(format_prompt(prompts::oxford_pets, "american_pit_bull_terrier") == "A photo of a pet american pit bull terrier.");
  CHECK(format_prompt(prompts::dtd, "banded") == "banded texture.");
  CHECK(format_prompt("{} or {}?", "a_b") == "a b or a b?");
  CHECK_THROWS_AS(format_prompt("a photo", "cat"), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
