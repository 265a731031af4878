#include "runtime/node.hpp"

namespace moira {

bool Registry::add(std::string name, Pid pid) {
  std::lock_guard lock{mutex_};
  return names_.emplace(std::move(name), pid).second;
}

void Registry::remove(std::string_view name, Pid owner) {
  std::lock_guard lock{mutex_};
  auto it = names_.find(name);
  if (it != names_.end() && it->second == owner) names_.erase(it);
}

std::optional<Pid> Registry::find(std::string_view name) const {
  std::lock_guard lock{mutex_};
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

}  // namespace moira
