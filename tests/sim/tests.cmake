# The simulator's tests, built into moira_tests (paths relative to tests/).
list(APPEND SIM_TEST_SOURCES
  sim/simulation_test.cpp
  sim/network_test.cpp
  sim/faults_test.cpp
  sim/replay_test.cpp
  sim/pct_test.cpp
  sim/exploration_test.cpp
  sim/dpor_test.cpp
  sim/depth_test.cpp
  sim/determinism_test.cpp
  sim/trace_test.cpp
  sim/trace_views_test.cpp
  sim/misc_test.cpp
  sim/remote_names_test.cpp
  sim/sim_harness.cpp
  sim/spawn_locality_test.cpp
  sim/exit_point_test.cpp
  sim/duplicate_test.cpp
  sim/local_latency_test.cpp
  sim/heal_test.cpp
)

# Debug vs optimized: a fixed list of seeds must hash the same with and without the optimizer.
# moira_sim_hashes links the build's own libraries; CI (tools/test.sh) compares the ASan build's
# (-O0) with the TSan build's (-O2). In plain Debug builds, moira_sim_hashes_opt also compiles
# copies of the runtime and simulator sources at -O2 -DNDEBUG, for a ctest that compares the two.
add_executable(moira_sim_hashes ${CMAKE_CURRENT_LIST_DIR}/sim_hashes.cpp)
target_link_libraries(moira_sim_hashes PRIVATE moira_sim)
target_include_directories(moira_sim_hashes PRIVATE ${PROJECT_SOURCE_DIR})
if(CMAKE_BUILD_TYPE STREQUAL "Debug" AND MOIRA_SANITIZE STREQUAL "")
  set(_moira_sim_hash_check_default ON)
else()
  set(_moira_sim_hash_check_default OFF)
endif()
option(MOIRA_SIM_HASH_CHECK "Compare simulator trace hashes between this build and an -O2 build" ${_moira_sim_hash_check_default})
if(MOIRA_SIM_HASH_CHECK)
  set(_moira_opt_sources ${CMAKE_CURRENT_LIST_DIR}/sim_hashes.cpp)
  foreach(_lib moira_runtime moira_sim)
    get_target_property(_srcs ${_lib} SOURCES)
    get_target_property(_dir ${_lib} SOURCE_DIR)
    list(TRANSFORM _srcs PREPEND ${_dir}/)
    list(APPEND _moira_opt_sources ${_srcs})
  endforeach()
  add_executable(moira_sim_hashes_opt ${_moira_opt_sources})
  target_include_directories(moira_sim_hashes_opt PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(moira_sim_hashes_opt PRIVATE -O2)
  target_compile_definitions(moira_sim_hashes_opt PRIVATE NDEBUG)
  target_link_libraries(moira_sim_hashes_opt PRIVATE fmt::fmt Boost::context Threads::Threads)
  add_test(NAME sim_hashes_debug_vs_optimized
           COMMAND sh -c "\"$<TARGET_FILE:moira_sim_hashes>\" > sim_hashes.plain && \"$<TARGET_FILE:moira_sim_hashes_opt>\" > sim_hashes.opt && diff sim_hashes.plain sim_hashes.opt && echo \"64 seeds: identical hashes\"")
endif()
