#pragma once
// A thread-safe list of events, for processes to record what happened and tests to check it.
#include <mutex>
#include <string>
#include <vector>

namespace moira::test {

class Recorder {
 public:
  void add(std::string event) {
    std::lock_guard lock{mutex_};
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    std::lock_guard lock{mutex_};
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

}  // namespace moira::test
