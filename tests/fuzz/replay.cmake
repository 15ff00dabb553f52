# The fuzz targets of targets.txt without libFuzzer, in the ordinary builds (included from
# tests/CMakeLists.txt): fuzz_replay_<target> runs the target's invariant checks once over its
# seeds (seeds/<target>/) and regression corpus (regress/<target>/), label `fuzz`. So every
# `ctest` — the release and the ASan+UBSan build of tools/test.sh, hence CI — replays every input
# a fuzzer ever found, in seconds and without a third (clang) build; tools/fuzz.sh does the fuzzing.
set(SP_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
include(${SP_FUZZ_DIR}/targets.cmake)
sp_fuzz_support_library()
sp_read_fuzz_targets()
foreach(name IN LISTS SP_FUZZ_TARGETS)
  add_executable(fuzz_replay_${name} ${SP_FUZZ_DIR}/${SP_FUZZ_SOURCE_${name}}
                                    ${SP_FUZZ_DIR}/replay_main.cpp)
  target_compile_definitions(fuzz_replay_${name} PRIVATE SWINGPIPE_FUZZ_EXT="${SP_FUZZ_EXT_${name}}")
  target_link_libraries(fuzz_replay_${name} PRIVATE swingpipe_fuzz_support)
  set(dirs "")
  foreach(kind seeds regress)
    if(IS_DIRECTORY ${SP_FUZZ_DIR}/${kind}/${name})
      list(APPEND dirs ${SP_FUZZ_DIR}/${kind}/${name})
    endif()
  endforeach()
  add_test(NAME fuzz_replay_${name} COMMAND fuzz_replay_${name} ${dirs})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS fuzz TIMEOUT 300
                       ENVIRONMENT "SWINGPIPE_FUZZ_TMP=${CMAKE_CURRENT_BINARY_DIR}")
endforeach()
