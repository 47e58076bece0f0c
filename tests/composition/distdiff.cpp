#include <catch2/catch.hpp>

#include <type_traits>

#include "distdiff/composition/check.hpp"
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/update/gradient_step.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("DistDiff<> is the paper's composition", "[composition]") {
  using D = DistDiff<>;
  STATIC_REQUIRE(std::is_same_v<D::class_prototypes_type, ClassMean>);
  STATIC_REQUIRE(std::is_same_v<D::group_prototypes_type, AgglomerativeGroups<AverageLinkage>>);
  STATIC_REQUIRE(std::is_same_v<D::energy_type, energy_list<ClassDistance, GroupDistance>>);
  STATIC_REQUIRE(std::is_same_v<D::transform_type, ResidualMultiplicative<SharedAcrossBatch>>);
  STATIC_REQUIRE(std::is_same_v<D::schedule_type, SingleStep>);
  STATIC_REQUIRE(std::is_same_v<D::update_type, SignedStep>);
  STATIC_REQUIRE(std::is_same_v<D::scheduler_type, DdimScheduler>);
  STATIC_REQUIRE(distdiff::detail::composition_valid<D>);
  D d;
  CHECK(d.group_prototypes.k == 3);
  CHECK(d.schedule.m == 30);
  CHECK(D::label == "distdiff");
  CHECK(d.describe().find("energy=class-distance+group-distance") != std::string::npos);
}

TEST_CASE("A slot selector replaces exactly one slot", "[composition]") {
  using G = DistDiff<with_update<GradientStep>, with_label<"grad">>;
  STATIC_REQUIRE(std::is_same_v<G::update_type, GradientStep>);
  STATIC_REQUIRE(std::is_same_v<G::energy_type, DistDiff<>::energy_type>);
  STATIC_REQUIRE(std::is_same_v<G::schedule_type, DistDiff<>::schedule_type>);
  CHECK(G::label == "grad");
  using C = DistDiff<with_energy<ClassDistance>>;
  STATIC_REQUIRE(std::is_same_v<C::energy_type, energy_list<ClassDistance>>);
  STATIC_REQUIRE(distdiff::detail::composition_valid<C>);
}

namespace {
struct NotAnUpdate {
  using component_tag = update_rule_tag;
  std::string name() const { return "broken"; }
};
}  // namespace

TEST_CASE("composition_valid rejects wrong slots without a hard error", "[composition]") {
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_update<ClassDistance>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_update<NotAnUpdate>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_energy<SignedStep>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<int>);
}

}  // namespace DISTDIFF_UNITY_ID
