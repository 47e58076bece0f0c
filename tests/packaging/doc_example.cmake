# ctest script: a documentation page shows source code verbatim (a ```cpp
# block), so the example a researcher copies is the one CI compiles.
#   cmake -DDOC=<page.md> -DSOURCE=<file.cpp> -P doc_example.cmake
# The whole file is the example, unless it marks a region with lines
# `// doc-begin` and `// doc-end`: then the lines between them, with the
# indentation of the first one removed from each, are the example.
cmake_minimum_required(VERSION 3.22)
file(READ ${DOC} page)
file(READ ${SOURCE} example)
string(FIND "${example}" "// doc-begin\n" begin)
if(NOT begin EQUAL -1)
  string(FIND "${example}" "// doc-end" end)
  if(end EQUAL -1 OR end LESS begin)
    message(FATAL_ERROR "${SOURCE}: `// doc-begin` without a following `// doc-end`")
  endif()
  math(EXPR from "${begin} + 13")
  # the region ends at the start of the `// doc-end` line
  string(SUBSTRING "${example}" 0 ${end} upto)
  string(FIND "${upto}" "\n" last_newline REVERSE)
  math(EXPR length "${last_newline} + 1 - ${from}")
  string(SUBSTRING "${example}" ${from} ${length} region)
  string(REGEX MATCH "^ *" indent "${region}")
  if(NOT indent STREQUAL "")
    string(REPLACE "\n${indent}" "\n" region "\n${region}")
    string(SUBSTRING "${region}" 1 -1 region)
  endif()
  set(example "${region}")
endif()
string(FIND "${page}" "```cpp\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DOC} does not show the example of ${SOURCE} verbatim in a ```cpp block: change both together\n"
                      "expected:\n```cpp\n${example}```")
endif()
message(STATUS "${DOC} shows the example of ${SOURCE}")
