# Test registration by folder and file name; see the top of CMakeLists.txt.
#
# Every test gets these environment variables:
#   VIGIL_BIN        the built vigil binary
#   VIGIL_SOURCE_DIR the repository root
#   VIGIL_TEST_DATA  tests/data
#   VIGIL_BUILD_DIR  the build directory
# A C test may also use the VIGIL_TEST_DATA_DIR / VIGIL_SOURCE_DIR macros.

set(VIGIL_TEST_ENV
    "VIGIL_BIN=$<TARGET_FILE:vigil>"
    "VIGIL_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "VIGIL_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data"
    "VIGIL_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# Shared test helpers (tests/support/*.c): a small static library.
file(GLOB VIGIL_TEST_SUPPORT CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/support/*.c)
if(VIGIL_TEST_SUPPORT)
  add_library(vigil_test_support STATIC ${VIGIL_TEST_SUPPORT})
  target_link_libraries(vigil_test_support PUBLIC vigil_app PkgConfig::CMOCKA)
  target_compile_options(vigil_test_support PRIVATE ${VIGIL_WARNINGS})
  target_compile_definitions(vigil_test_support PUBLIC
      VIGIL_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
      VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set(VIGIL_TEST_LIBS vigil_test_support)
else()
  set(VIGIL_TEST_LIBS vigil_app PkgConfig::CMOCKA)
endif()

function(vigil_c_tests dir label timeout)
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${dir}/test_*.c)
  foreach(src ${srcs})
    get_filename_component(name ${src} NAME_WE)
    set(target ${dir}_${name})
    add_executable(${target} ${src})
    target_compile_options(${target} PRIVATE ${VIGIL_WARNINGS})
    target_compile_definitions(${target} PRIVATE
        VIGIL_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
        VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    target_link_libraries(${target} PRIVATE ${VIGIL_TEST_LIBS} PkgConfig::CMOCKA)
    add_dependencies(${target} vigil)
    add_test(NAME ${dir}/${name} COMMAND ${target})
    set_tests_properties(${dir}/${name} PROPERTIES LABELS ${label}
        TIMEOUT ${timeout} ENVIRONMENT "${VIGIL_TEST_ENV}")
  endforeach()
endfunction()

function(vigil_sh_tests dir label timeout)
  file(GLOB scripts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${dir}/test_*.sh)
  foreach(script ${scripts})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME ${dir}/${name} COMMAND bash ${script})
    set_tests_properties(${dir}/${name} PROPERTIES LABELS ${label}
        TIMEOUT ${timeout} ENVIRONMENT "${VIGIL_TEST_ENV}")
  endforeach()
endfunction()

vigil_c_tests(unit unit 120)
# Eight seeded weeks of seven series through the judge and the refresh:
# about 60 s of CPU under AddressSanitizer, so 120 s is too tight beside
# another test on two cores.
set_tests_properties(unit/test_baseline_budget PROPERTIES TIMEOUT 600)
vigil_c_tests(integration integration 300)
vigil_sh_tests(integration integration 300)
vigil_sh_tests(e2e e2e 600)
vigil_c_tests(soak soak 1800)
vigil_sh_tests(soak soak 1800)

# Benchmarks: built with the tests, run by hand (never by ctest).
file(GLOB benches CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/bench/*_bench.c)
foreach(src ${benches})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE ${VIGIL_WARNINGS})
  target_compile_definitions(${name} PRIVATE VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${VIGIL_TEST_LIBS})
endforeach()
