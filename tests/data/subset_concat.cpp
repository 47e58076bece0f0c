#include <catch2/catch.hpp>

#include <distdiff/data/concat.hpp>
#include <distdiff/data/in_memory.hpp>
#include <distdiff/data/subset.hpp>

#include <map>

#include "support/data_writers.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
distdiff::InMemoryDataset numbered(int n, std::vector<std::string> classes = {"a", "b", "c"}) {
  distdiff::InMemoryDataset ds;
  ds.dataset_name = "num";
  ds.classes = std::move(classes);
  for (int i = 0; i < n; ++i) {
    std::string source = "s";
    source += std::to_string(i);
    ds.add(distdiff::test::solid(static_cast<std::uint8_t>(i), 2, 2), i % static_cast<int>(ds.classes.size()), source);
  }
  return ds;
}
}  // namespace

TEST_CASE("Subset views chosen indices", "[data][subset]") {
  distdiff::Subset<distdiff::InMemoryDataset> sub(numbered(10), {7, 2, 2});
  STATIC_REQUIRE(distdiff::LabelledDataset<decltype(sub)>);
  REQUIRE(sub.size() == 3);
  CHECK(sub.label(0) == 1);
  CHECK(sub.source(1) == "s2");
  CHECK(int(sub.load(0).pixels[0]) == 7);
  CHECK(sub.prompt(2) == "a photo of a c.");
  CHECK_THROWS_AS(sub.load(3), std::out_of_range);
  CHECK_THROWS_AS(distdiff::Subset<distdiff::InMemoryDataset>(numbered(3), {3}), std::out_of_range);
}

TEST_CASE("take_per_class draws a balanced, seeded subset", "[data][subset]") {
  auto few = distdiff::take_per_class(numbered(30), 4, 1);
  REQUIRE(few.size() == 12);
  std::map<std::int64_t, int> per;
  for (std::size_t i = 0; i < few.size(); ++i) {
    ++per[few.label(i)];
    if (i > 0) CHECK(few.indices()[i] > few.indices()[i - 1]);
  }
  for (auto [c, n] : per) CHECK(n == 4);
  CHECK(distdiff::take_per_class(numbered(30), 4, 1).indices() == few.indices());
  CHECK(distdiff::take_per_class(numbered(30), 4, 2).indices() != few.indices());
  CHECK_THROWS_AS(distdiff::take_per_class(numbered(30), 11), std::invalid_argument);
}

TEST_CASE("Concat chains two datasets with the same classes", "[data][concat]") {
  auto both = distdiff::concat(numbered(4), numbered(3));
  STATIC_REQUIRE(distdiff::LabelledDataset<decltype(both)>);
  REQUIRE(both.size() == 7);
  CHECK(both.label(3) == 0);
  CHECK(both.label(4) == 0);
  CHECK(both.label(6) == 2);
  CHECK(int(both.load(5).pixels[0]) == 1);
  CHECK(both.source(6) == "s2");
  CHECK(both.name() == "num+num");
  CHECK_THROWS_AS(both.load(7), std::out_of_range);
  CHECK_THROWS_AS(distdiff::concat(numbered(2), numbered(2, {"a", "c", "b"})), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
