# One LibTorch per build. find_package(Torch) takes its headers from Torch_DIR,
# but its libraries come from find_library, which looks in the system folders
# before the LibTorch's own lib/. With a second LibTorch beside Debian's (the
# PyPI wheel: scripts/toolchain-pypi.sh), a build can take libtorch.so or
# libc10.so from the other one, and its binaries then load two LibTorch builds
# and crash at run time ("double free or corruption"). Included by distdiff's
# own CMakeLists.txt and by the installed distdiffConfig.cmake, each right
# after finding Torch.

# distdiff_torch_strays(<out> <install prefix> <library>...): <out> lists the
# libraries that are not inside <install prefix> (empty when all are).
function(distdiff_torch_strays out prefix)
  get_filename_component(root "${prefix}" REALPATH)
  set(strays "")
  foreach(lib IN LISTS ARGN)
    if(lib AND IS_ABSOLUTE "${lib}")
      get_filename_component(real "${lib}" REALPATH)
      string(FIND "${real}/" "${root}/" at)
      if(NOT at EQUAL 0)
        list(APPEND strays "${lib}")
      endif()
    endif()
  endforeach()
  set(${out} "${strays}" PARENT_SCOPE)
endfunction()

# distdiff_check_torch(): one error naming the stray libraries and the fix.
function(distdiff_check_torch)
  distdiff_torch_strays(strays "${TORCH_INSTALL_PREFIX}" "${TORCH_LIBRARY}" "${c10_LIBRARY}" "${C10_CUDA_LIBRARY}")
  if(strays)
    list(JOIN strays ", " named)
    message(FATAL_ERROR
      "Two LibTorch installations are mixed: Torch_DIR is ${Torch_DIR} (LibTorch in ${TORCH_INSTALL_PREFIX}), "
      "but this build found ${named} outside it, and its binaries would crash at run time. Put the LibTorch root "
      "(the folder with lib/ and include/; for the PyPI wheel: python3 -c 'import torch, os; "
      "print(os.path.dirname(torch.__file__))') in CMAKE_PREFIX_PATH next to its share/cmake, and configure "
      "a fresh build folder (or drop the cached paths: -U TORCH_LIBRARY -U c10_LIBRARY -U C10_CUDA_LIBRARY).")
  endif()
endfunction()
