# ctest script: cmake/DistdiffTorchCheck.cmake tells one LibTorch installation
# from two mixed ones, and its error names the stray library.
#   cmake -DSRC=<source dir> -DWORK=<scratch dir> -P torch_check.cmake
cmake_minimum_required(VERSION 3.22)
include(${SRC}/cmake/DistdiffTorchCheck.cmake)

file(REMOVE_RECURSE ${WORK})
foreach(f torch/lib/libtorch.so torch/lib/libc10.so torch2/lib/libc10.so sys/lib/libtorch.so)
  file(WRITE ${WORK}/${f} "")
endforeach()
file(CREATE_LINK ${WORK}/torch/lib/libc10.so ${WORK}/sys/lib/libc10.so SYMBOLIC)

function(expect prefix want)
  distdiff_torch_strays(got ${prefix} ${ARGN})
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "strays of ${prefix} among ${ARGN}: got '${got}', want '${want}'")
  endif()
endfunction()
expect(${WORK}/torch "" ${WORK}/torch/lib/libtorch.so ${WORK}/torch/lib/libc10.so)
expect(${WORK}/torch/ "" ${WORK}/torch/lib/libtorch.so)                       # trailing slash
expect(${WORK}/torch "" ${WORK}/torch/lib/libtorch.so "" c10_LIBRARY-NOTFOUND)  # unset, not found
expect(${WORK}/torch "${WORK}/sys/lib/libtorch.so" ${WORK}/sys/lib/libtorch.so ${WORK}/torch/lib/libc10.so)
expect(${WORK}/torch "${WORK}/torch2/lib/libc10.so" ${WORK}/torch2/lib/libc10.so)  # a sibling sharing the prefix's name
expect(${WORK}/torch "" ${WORK}/sys/lib/libc10.so)                            # a link into the installation
expect(${WORK}/sys "${WORK}/sys/lib/libc10.so" ${WORK}/sys/lib/libc10.so)     # ... seen where it points

# The configure-time check: one error naming the stray library and the fix.
file(WRITE ${WORK}/mixed.cmake
  "include(${SRC}/cmake/DistdiffTorchCheck.cmake)\n"
  "set(Torch_DIR ${WORK}/torch/share/cmake/Torch)\nset(TORCH_INSTALL_PREFIX ${WORK}/torch)\n"
  "set(TORCH_LIBRARY ${WORK}/sys/lib/libtorch.so)\nset(c10_LIBRARY ${WORK}/torch/lib/libc10.so)\n"
  "distdiff_check_torch()\n")
execute_process(COMMAND ${CMAKE_COMMAND} -P ${WORK}/mixed.cmake RESULT_VARIABLE rc ERROR_VARIABLE err)
string(REPLACE "\n" " " err "${err}")
if(rc EQUAL 0 OR NOT err MATCHES "Two LibTorch installations are mixed" OR NOT err MATCHES "sys/lib/libtorch.so"
   OR err MATCHES "torch/lib/libc10.so come" OR NOT err MATCHES "CMAKE_PREFIX_PATH")
  message(FATAL_ERROR "a mixed LibTorch was not reported as one (rc ${rc}): ${err}")
endif()
file(WRITE ${WORK}/one.cmake
  "include(${SRC}/cmake/DistdiffTorchCheck.cmake)\nset(TORCH_INSTALL_PREFIX ${WORK}/torch)\n"
  "set(TORCH_LIBRARY ${WORK}/torch/lib/libtorch.so)\nset(c10_LIBRARY ${WORK}/torch/lib/libc10.so)\n"
  "distdiff_check_torch()\n")
execute_process(COMMAND ${CMAKE_COMMAND} -P ${WORK}/one.cmake RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "one LibTorch installation was reported as mixed: ${err}")
endif()
file(REMOVE_RECURSE ${WORK})
message(STATUS "DistdiffTorchCheck tells one LibTorch from two mixed")
