# ctest script: a documentation page shows a source file verbatim (a ```cpp
# block), so the example a researcher copies is the one CI compiles.
#   cmake -DDOC=<page.md> -DSOURCE=<file.cpp> -P doc_example.cmake
cmake_minimum_required(VERSION 3.22)
file(READ ${DOC} page)
file(READ ${SOURCE} example)
string(FIND "${page}" "```cpp\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DOC} does not show ${SOURCE} verbatim in a ```cpp block: change both together")
endif()
message(STATUS "${DOC} shows ${SOURCE}")
