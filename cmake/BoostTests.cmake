# payrecon_add_boost_test(TARGET [LABELS ...] [PROPERTIES ...])
# Registers every Boost.Test case of TARGET as its own CTest test. After each build the binary lists its
# cases (--list_content) and a generated file, included by CTest, adds one test per case.
function(payrecon_add_boost_test target)
  cmake_parse_arguments(ARG "" "" "LABELS" ${ARGN})
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
  string(REPLACE ";" "," labels "${ARG_LABELS}")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND}
      -D TEST_EXECUTABLE=$<TARGET_FILE:${target}>
      -D TEST_TARGET=${target}
      -D TEST_LABELS=${labels}
      -D TEST_WORKDIR=${PROJECT_SOURCE_DIR}
      -D CTEST_FILE=${ctest_file}
      -P ${PROJECT_SOURCE_DIR}/cmake/BoostTestsList.cmake
    VERBATIM)
  # Until the target is built its list is empty, so CTest also works in a tree where only some targets are built
  # (the ThreadSanitizer build).
  if(NOT EXISTS "${ctest_file}")
    file(WRITE "${ctest_file}" "")
  endif()
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${ctest_file}")
endfunction()
