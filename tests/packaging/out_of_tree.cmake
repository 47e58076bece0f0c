# ctest script: install distdiff from this build into a scratch prefix, then
# configure and build examples/out_of_tree against it with find_package, and
# run the experiment's --help. Also checks that the example is still the code
# shown in README.md ("Writing a new experiment"), so the two cannot drift.
#   cmake -DSRC=<source dir> -DBIN=<build dir> -DMODE=<install|readme> [-DPREFIX_PATH=a|b]
#         [-DLINK_FLAGS=...] [-DTORCH_DIR=...] [-DCUDA_ARCHS=a|b] -P out_of_tree.cmake
cmake_minimum_required(VERSION 3.22)

if(MODE STREQUAL "readme")
  file(READ ${SRC}/README.md readme)
  file(READ ${SRC}/examples/out_of_tree/my_ablation.cpp example)
  string(FIND "${readme}" "```cpp\n${example}```" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md's example experiment differs from examples/out_of_tree/my_ablation.cpp: "
                        "change both together")
  endif()
  message(STATUS "README example matches examples/out_of_tree/my_ablation.cpp")
  return()
endif()

set(prefix ${BIN}/packaging/prefix)
set(ex ${BIN}/packaging/example)
file(REMOVE_RECURSE ${BIN}/packaging)
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BIN} --prefix ${prefix})
if(NOT EXISTS ${prefix}/include/distdiff/distdiff.hpp)
  message(FATAL_ERROR "the install has no include/distdiff/distdiff.hpp")
endif()
file(GLOB_RECURSE config ${prefix}/*/distdiffConfig.cmake)
if(NOT config)
  message(FATAL_ERROR "the install has no distdiffConfig.cmake")
endif()
# The install prefix first, then the prefixes and linker flags this build found
# and linked LibTorch with: an initial cache, since run() would split a list.
string(REPLACE "|" ";" prefix_path "${prefix};${PREFIX_PATH}")
file(WRITE ${BIN}/packaging/toolchain.cmake
  "set(CMAKE_PREFIX_PATH \"${prefix_path}\" CACHE STRING \"\")\n"
  "set(CMAKE_EXE_LINKER_FLAGS \"${LINK_FLAGS}\" CACHE STRING \"\")\n")
if(CUDA_ARCHS)   # a CUDA LibTorch without a GPU to ask (CMakeLists.txt, DISTDIFF_TORCH_CUDA_ARCH_LIST)
  string(REPLACE "|" ";" archs "${CUDA_ARCHS}")
  file(APPEND ${BIN}/packaging/toolchain.cmake
    "if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})\n  set(ENV{TORCH_CUDA_ARCH_LIST} \"${archs}\")\nendif()\n")
endif()
run(${CMAKE_COMMAND} -C ${BIN}/packaging/toolchain.cmake -S ${SRC}/examples/out_of_tree -B ${ex} -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX})
file(READ ${ex}/CMakeCache.txt cache)
if(NOT cache MATCHES "distdiff_DIR:PATH=${prefix}")
  message(FATAL_ERROR "the example did not find the installed distdiff (distdiff_DIR is not under ${prefix})")
endif()
if(TORCH_DIR AND NOT cache MATCHES "Torch_DIR:PATH=${TORCH_DIR}\n")
  string(REGEX MATCH "Torch_DIR:PATH=[^\n]*" found "${cache}")
  message(FATAL_ERROR "the example found another LibTorch than this build (${found}, not ${TORCH_DIR})")
endif()
run(${CMAKE_COMMAND} --build ${ex})
run(${ex}/my_ablation --help)
if(NOT last_output MATCHES "My ablation")
  message(FATAL_ERROR "my_ablation --help does not print its title:\n${last_output}")
endif()
message(STATUS "examples/out_of_tree built against ${prefix} and runs")
