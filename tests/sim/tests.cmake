# The simulator's tests, built into moira_tests (paths relative to tests/).
list(APPEND SIM_TEST_SOURCES
  sim/simulation_test.cpp
  sim/network_test.cpp
  sim/faults_test.cpp
  sim/replay_test.cpp
  sim/pct_test.cpp
  sim/determinism_test.cpp
  sim/trace_test.cpp
  sim/sim_harness.cpp
)
