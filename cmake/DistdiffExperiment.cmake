# distdiff_add_experiment(<name> <sources...> [OPT <flag>])
#
# An experiment binary as distdiff's own experiments/ builds them: linked to
# distdiff::distdiff, compiled at -O1 (OPT overrides; -O0 rebuilds faster, see
# docs/performance.md) with one precompiled header of <torch/torch.h> and
# <distdiff/distdiff.hpp> shared by every experiment of the project.
# Installed with the package and used by experiments/CMakeLists.txt.
function(distdiff_add_experiment name)
  cmake_parse_arguments(ARG "" "OPT" "" ${ARGN})
  if(NOT ARG_OPT)
    set(ARG_OPT -O1)
  endif()
  string(MAKE_C_IDENTIFIER "distdiff_experiment_pch${ARG_OPT}" _pch)
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE distdiff::distdiff)
  target_compile_options(${name} PRIVATE ${ARG_OPT})
  if(DEFINED DISTDIFF_USE_PCH AND NOT DISTDIFF_USE_PCH)
    return()
  endif()
  if(NOT TARGET ${_pch})
    # CONFIGURE writes only when the content changes: a re-run of CMake rebuilds nothing.
    file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/${_pch}_anchor.cpp CONTENT "int ${_pch}_anchor() { return 0; }\n")
    add_library(${_pch} STATIC ${CMAKE_BINARY_DIR}/${_pch}_anchor.cpp)
    target_link_libraries(${_pch} PUBLIC distdiff::distdiff)
    target_compile_options(${_pch} PRIVATE ${ARG_OPT})
    target_precompile_headers(${_pch} PRIVATE <torch/torch.h> <distdiff/distdiff.hpp>)
  endif()
  target_precompile_headers(${name} REUSE_FROM ${_pch})
endfunction()
