#pragma once
// The simulator's PRNG: SplitMix64 plus an unbiased bounded draw (Lemire's multiply-shift with
// rejection). Same output on every platform and standard library — never std:: distributions.
#include <cstdint>

#include "runtime/splitmix.hpp"

namespace moira::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return splitmix64(state_); }
  // Uniform in [0, n); n must be at least 1.
  std::uint64_t bounded(std::uint64_t n) {
    using u128 = unsigned __int128;
    u128 m = static_cast<u128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<u128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace moira::sim
