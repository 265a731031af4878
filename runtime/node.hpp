#pragma once
// A node: the processes of one (simulated or real) machine, and its registered names.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/pid.hpp"
#include "runtime/process_table.hpp"

namespace moira {

class Registry {
 public:
  bool add(std::string name, Pid pid);  // false if the name is taken
  void remove(std::string_view name, Pid owner);  // only if the name is still owner's
  std::optional<Pid> find(std::string_view name) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Pid, Hash, std::equal_to<>> names_;
};

class Node {
 public:
  Node(NodeId id, std::uint32_t incarnation) : table_(id, incarnation), id_(id), incarnation_(incarnation) {}
  NodeId id() const { return id_; }
  std::uint32_t incarnation() const { return incarnation_; }
  ProcessTable& table() { return table_; }
  Registry& registry() { return registry_; }

 private:
  ProcessTable table_;
  Registry registry_;
  NodeId id_;
  std::uint32_t incarnation_;
};

}  // namespace moira
