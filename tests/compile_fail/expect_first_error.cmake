# Builds one compile_fail target and checks its FIRST diagnostic:
#   - the build must fail;
#   - the first line holding "error:" must match EXPECT (a regular expression);
#   - COMPONENT, when given, must appear in the lines before it (GCC's
#     "In instantiation of ... [with T = <component>]" names the component).
# Usage: cmake -DBUILD_DIR=... -DTARGET=... -DEXPECT=... [-DCOMPONENT=...] -P expect_first_error.cmake
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(all "${out}\n${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but it must not")
endif()
string(REGEX MATCH "[^\n]*error:[^\n]*" first "${all}")
if(first STREQUAL "")
  message(FATAL_ERROR "${TARGET}: the build failed without a compiler error:\n${all}")
endif()
if(NOT first MATCHES "${EXPECT}")
  message(FATAL_ERROR "${TARGET}: the first error is\n  ${first}\nexpected it to match\n  ${EXPECT}\nfull output:\n${all}")
endif()
if(COMPONENT)
  string(FIND "${all}" "${first}" at)
  string(SUBSTRING "${all}" 0 ${at} before)
  string(FIND "${before}" "${COMPONENT}" named)
  if(named EQUAL -1)
    message(FATAL_ERROR "${TARGET}: the diagnostic before the first error does not name the component ${COMPONENT}:\n${before}")
  endif()
endif()
message(STATUS "${TARGET}: first error as expected: ${first}")
