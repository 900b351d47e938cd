# The runtime options every test runs with when the build is instrumented (-DSMX_SANITIZER=...).
# They are set by ctest on the test, so a plain `ctest` in build-asan/ or build-tsan/ applies them
# too, and the processes a test starts (smx_test_peer, smx, smx-bench) inherit them.
#
#   SMX_TEST_SANITIZER_PROPERTIES  test properties for the C++ and CLI tests (empty when not
#                                  instrumented); pass them after PROPERTIES.
#   SMX_PYTHON_SANITIZER_ENV       environment entries for the pytest suite (see python/).
#   SMX_PYTHON_SANITIZER_SKIP      true when the pytest suite does not run in this build.
#
# Each property carries one variable: gtest_discover_tests flattens its PROPERTIES into one list,
# so a second variable cannot share ENVIRONMENT; it goes into ENVIRONMENT_MODIFICATION instead.

set(SMX_TEST_SANITIZER_PROPERTIES "")
set(SMX_PYTHON_SANITIZER_ENV "")
set(SMX_PYTHON_SANITIZER_SKIP FALSE)
if(NOT SMX_SANITIZER)
  return()
endif()

# A finding stops the process with a non-zero status; a test whose process (or whose peer's)
# stops so fails. Leaks are looked for at every instrumented process's exit.
set(smx_asan_options "ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1")
set(smx_ubsan_options "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1")
# Suppressions: Cyclone DDS's library only (it is not instrumented); why is in the file.
set(smx_tsan_options "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:print_summary=1:suppressions=${CMAKE_CURRENT_LIST_DIR}/tsan.supp")

if(SMX_SANITIZER MATCHES "address" AND SMX_SANITIZER MATCHES "undefined")
  set(SMX_TEST_SANITIZER_PROPERTIES
      ENVIRONMENT "${smx_asan_options}"
      ENVIRONMENT_MODIFICATION "UBSAN_OPTIONS=set:halt_on_error=1:print_stacktrace=1:print_summary=1")
elseif(SMX_SANITIZER STREQUAL "address")
  set(SMX_TEST_SANITIZER_PROPERTIES ENVIRONMENT "${smx_asan_options}")
elseif(SMX_SANITIZER STREQUAL "undefined")
  set(SMX_TEST_SANITIZER_PROPERTIES ENVIRONMENT "${smx_ubsan_options}")
elseif(SMX_SANITIZER STREQUAL "thread")
  set(SMX_TEST_SANITIZER_PROPERTIES ENVIRONMENT "${smx_tsan_options}")
endif()

# Python itself is not instrumented. ASan must be the first library of the process, so the
# interpreter runs with GCC's libasan preloaded, and libstdc++ with it: ASan finds the functions
# it intercepts (__cxa_throw) only in libraries loaded before it starts, and without it the first
# exception the extension throws aborts the process. CPython's own allocations at exit are not
# leaks of ours, so leak checking is off for the interpreter (and for the C++ peers it starts,
# which inherit its environment; the C++ suites check those peers for leaks). UBSan needs nothing
# (the extension brings its runtime). Under TSan the suite does not run: an uninstrumented
# interpreter and numpy calling into instrumented code gives reports about memory TSan never saw
# being synchronised (the GIL), not about smx. Nor under ASan with a compiler whose libasan.so is
# not found (clang links its runtime statically into executables).
if(SMX_SANITIZER MATCHES "address")
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE smx_libasan OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.so.6
                  OUTPUT_VARIABLE smx_libstdcxx OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${smx_libasan}" AND EXISTS "${smx_libasan}" AND IS_ABSOLUTE "${smx_libstdcxx}")
    string(REPLACE "detect_leaks=1" "detect_leaks=0" smx_python_asan "${smx_asan_options}")
    list(APPEND SMX_PYTHON_SANITIZER_ENV "LD_PRELOAD=${smx_libasan} ${smx_libstdcxx}" "${smx_python_asan}")
  else()
    set(SMX_PYTHON_SANITIZER_SKIP TRUE)
  endif()
endif()
if(SMX_SANITIZER MATCHES "undefined")
  list(APPEND SMX_PYTHON_SANITIZER_ENV "${smx_ubsan_options}")
endif()
if(SMX_SANITIZER STREQUAL "thread")
  set(SMX_PYTHON_SANITIZER_SKIP TRUE)
endif()
