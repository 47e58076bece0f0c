#include <catch2/catch.hpp>

#include <distdiff/io/grid.hpp>

#include "support/temp_dir.hpp"

using distdiff::Image;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("make_grid geometry and placement", "[io][grid]") {
  std::vector<Image> imgs;
  for (int i = 0; i < 5; ++i) {
    Image a(4, 3, 3);
    for (auto& p : a.pixels) p = static_cast<std::uint8_t>(10 + i * 40);
    imgs.push_back(a);
  }
  const Image g = distdiff::make_grid(imgs, 3, 2, 255);
  // 3 columns x 2 rows of 4x3 cells with 2 pixels of padding.
  REQUIRE(g.width == 3 * (4 + 2) + 2);
  REQUIRE(g.height == 2 * (3 + 2) + 2);
  REQUIRE(g.channels == 3);
  for (int i = 0; i < 5; ++i) {
    const int x0 = 2 + (i % 3) * 6, y0 = 2 + (i / 3) * 5;
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) REQUIRE(int(g.at(x0 + x, y0 + y, 1)) == 10 + i * 40);
    CHECK(int(g.at(x0 - 1, y0, 0)) == 255);  // padding left of each cell
  }
  CHECK(int(g.at(g.width - 3, g.height - 3, 0)) == 255);  // empty sixth cell

  // Mixed sizes and grey: cell = largest image; fewer images than columns.
  std::vector<Image> mixed{Image(2, 2, 1), Image(5, 1, 3)};
  const Image m = distdiff::make_grid(mixed, 8, 0);
  CHECK(m.width == 10);
  CHECK(m.height == 2);
  CHECK_THROWS_AS(distdiff::make_grid({}, 3), std::invalid_argument);
  CHECK_THROWS_AS(distdiff::make_grid(imgs, 0), std::invalid_argument);
}

TEST_CASE("write_grid writes a readable sheet", "[io][grid]") {
  distdiff::test::TempDir tmp("io-grid");
  std::vector<Image> imgs(4, Image(3, 3, 3));
  distdiff::write_grid(tmp / "g/grid.png", imgs, 2, 1);
  const Image back = distdiff::read_image(tmp / "g/grid.png");
  CHECK(back.width == 2 * 4 + 1);
  CHECK(back.height == 2 * 4 + 1);
}

}  // namespace DISTDIFF_UNITY_ID
