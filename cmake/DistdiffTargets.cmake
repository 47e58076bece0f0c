# Helpers shared by tests/, experiments/ and bench/.
#
# One precompiled header (torch + the standard headers nearly every TU uses)
# is built once in `distdiff_pch` and reused by every executable.

add_library(distdiff_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/pch_anchor.cpp)
target_link_libraries(distdiff_pch PUBLIC distdiff::distdiff distdiff_warnings)
if(DISTDIFF_USE_PCH)
  target_precompile_headers(distdiff_pch PRIVATE
    <torch/torch.h> <vector> <string> <memory> <map> <optional> <stdexcept>
    <filesystem> <functional> <algorithm> <cmath>)
endif()

# distdiff_executable(<name> <sources...>): an executable that links the
# framework and reuses the torch PCH.
function(distdiff_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE distdiff::distdiff distdiff_warnings)
  if(DISTDIFF_USE_PCH)
    target_precompile_headers(${name} REUSE_FROM distdiff_pch)
  endif()
endfunction()
