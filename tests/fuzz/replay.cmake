# The fuzz targets of targets.txt without libFuzzer, in the ordinary builds (included from
# tests/CMakeLists.txt): fuzz_replay_<target> runs the target's invariant checks once over its
# seeds (seeds/<target>/) and regression corpus (regress/<target>/), label `fuzz`. So every
# `ctest` — the release and the ASan+UBSan build of tools/test.sh, hence CI — replays every input
# a fuzzer ever found, in seconds and without a third (clang) build; tools/fuzz.sh does the fuzzing.
set(SP_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
add_library(swingpipe_fuzz_replay_support STATIC ${SP_FUZZ_DIR}/fuzz_support.cpp
            ${PROJECT_SOURCE_DIR}/tools/server/request_body.cpp)
target_include_directories(swingpipe_fuzz_replay_support PUBLIC ${PROJECT_SOURCE_DIR}/tools/server)
target_link_libraries(swingpipe_fuzz_replay_support PUBLIC swingpipe_pipeline swingpipe_flags)

file(STRINGS ${SP_FUZZ_DIR}/targets.txt SP_FUZZ_LINES REGEX "^[a-z]")
foreach(line IN LISTS SP_FUZZ_LINES)
  string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
  list(GET fields 0 name)
  list(GET fields 1 source)
  set(ext "")
  list(LENGTH fields nfields)
  if(nfields GREATER 2)
    list(GET fields 2 ext)
  endif()
  add_executable(fuzz_replay_${name} ${SP_FUZZ_DIR}/${source} ${SP_FUZZ_DIR}/replay_main.cpp)
  target_include_directories(fuzz_replay_${name} PRIVATE ${SP_FUZZ_DIR})
  target_compile_definitions(fuzz_replay_${name} PRIVATE SWINGPIPE_FUZZ_EXT="${ext}")
  target_link_libraries(fuzz_replay_${name} PRIVATE swingpipe_fuzz_replay_support)
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
