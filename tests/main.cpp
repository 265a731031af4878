#define CATCH_CONFIG_MAIN
// Catch's fatal-signal reporting installs its own SIGSEGV handler and signal stack around every
// test case, over moira's: a fiber's stack overflow would then end the test binary instead of the
// fiber (README: "Stack overflow"). A crash is still a crash, reported by the OS or a sanitizer.
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
