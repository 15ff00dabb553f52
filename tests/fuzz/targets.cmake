# Reads the table of fuzz targets (targets.txt) for both CMake users of it: replay.cmake (the
# replay executables of every ordinary build) and CMakeLists.txt (the libFuzzer executables).
# Sets SP_FUZZ_TARGETS to the target names and, per name N, SP_FUZZ_SOURCE_<N> (the source in
# tests/fuzz/) and SP_FUZZ_EXT_<N> (the file extension, empty when the line gives none).
function(sp_read_fuzz_targets)
  file(STRINGS ${PROJECT_SOURCE_DIR}/tests/fuzz/targets.txt lines REGEX "^[a-z]")
  set(names "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
    list(GET fields 0 name)
    list(GET fields 1 source)
    set(ext "")
    list(LENGTH fields nfields)
    if(nfields GREATER 2)
      list(GET fields 2 ext)
    endif()
    list(APPEND names ${name})
    set(SP_FUZZ_SOURCE_${name} ${source} PARENT_SCOPE)
    set(SP_FUZZ_EXT_${name} "${ext}" PARENT_SCOPE)
  endforeach()
  set(SP_FUZZ_TARGETS ${names} PARENT_SCOPE)
endfunction()

# The invariant checks, compiled once and shared by every target of a build (the replay and the
# libFuzzer executables alike). The HTTP request parsers (tools/server/request_body.cpp) are
# compiled in, not the whole server.
function(sp_fuzz_support_library)
  if(TARGET swingpipe_fuzz_support)
    return()
  endif()
  add_library(swingpipe_fuzz_support STATIC ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_support.cpp
              ${PROJECT_SOURCE_DIR}/tools/server/request_body.cpp)
  target_include_directories(swingpipe_fuzz_support PUBLIC ${PROJECT_SOURCE_DIR}/tools/server
                             ${PROJECT_SOURCE_DIR}/tests/fuzz)
  target_link_libraries(swingpipe_fuzz_support PUBLIC swingpipe_pipeline swingpipe_flags)
endfunction()
