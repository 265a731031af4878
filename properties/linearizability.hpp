#pragma once
// A linearizability checker: does some sequential order of the operations, each placed between its
// call and its return, make the model give every response observed? Wing & Gong's search with
// Lowe's just-in-time linearization and memoising (linearized set, model state) pairs already
// explored (G. Lowe, "Testing for linearizability", 2017). An operation without a response (its
// client crashed, or the run ended first) may take effect anywhere after its call, or never.
//
// The spec S gives: Model (copyable, ==), Command, Response (==), and
//   static bool precondition(const Model&, const Command&);
//   static Response next(Model&, const Command&);   // the model's step and its response
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moira::properties {

template <class S>
struct Operation {
  std::size_t client = 0;  // 0: the sequential prefix; 1..: the parallel clients
  typename S::Command command;
  std::optional<typename S::Response> response;  // none: it never returned
  std::uint64_t call = 0;
  std::uint64_t ret = std::numeric_limits<std::uint64_t>::max();
};

template <class S>
using History = std::vector<Operation<S>>;

// Returns the order found (indices into history), or nullopt when no order explains it.
template <class S>
std::optional<std::vector<std::size_t>> linearize(const History<S>& history, const typename S::Model& initial) {
  using Model = typename S::Model;
  struct Entry {
    bool is_call = true;
    std::size_t op = 0;
    std::uint64_t time = 0;
    std::size_t prev = 0, next = 0;
  };
  // Entries 1..n in time order between the sentinels 0 (head) and n + 1 (end). Call before
  // return at equal times, so that operations touching at an instant count as concurrent.
  std::vector<Entry> entries(1);
  for (std::size_t i = 0; i < history.size(); ++i) {
    entries.push_back({true, i, history[i].call, 0, 0});
    if (history[i].response) entries.push_back({false, i, history[i].ret, 0, 0});
  }
  std::stable_sort(entries.begin() + 1, entries.end(), [](const Entry& a, const Entry& b) {
    return a.time != b.time ? a.time < b.time : (a.is_call && !b.is_call);
  });
  entries.push_back({});
  const std::size_t end = entries.size() - 1;
  std::vector<std::size_t> call_at(history.size()), return_at(history.size(), 0);
  for (std::size_t e = 0; e <= end; ++e) {
    entries[e].prev = e == 0 ? 0 : e - 1;
    entries[e].next = e == end ? end : e + 1;
    if (e == 0 || e == end) continue;
    (entries[e].is_call ? call_at : return_at)[entries[e].op] = e;
  }
  auto unlink = [&](std::size_t e) {
    entries[entries[e].prev].next = entries[e].next;
    entries[entries[e].next].prev = entries[e].prev;
  };
  auto relink = [&](std::size_t e) {
    entries[entries[e].prev].next = e;
    entries[entries[e].next].prev = e;
  };
  std::size_t completed_left = 0;
  for (const auto& op : history) completed_left += op.response.has_value();

  std::vector<bool> done(history.size(), false);
  std::map<std::vector<bool>, std::vector<Model>> seen;
  struct Frame {
    std::size_t call_entry;
    Model before;
  };
  std::vector<Frame> stack;
  Model model = initial;
  std::size_t cur = entries[0].next;
  for (;;) {
    if (completed_left == 0) {
      std::vector<std::size_t> order;
      for (const Frame& f : stack) order.push_back(entries[f.call_entry].op);
      return order;
    }
    bool backtrack = cur == end || !entries[cur].is_call;
    if (!backtrack) {
      const std::size_t op = entries[cur].op;
      const auto& o = history[op];
      if (S::precondition(model, o.command)) {
        Model after = model;
        auto expected = S::next(after, o.command);
        if (!o.response || *o.response == expected) {
          done[op] = true;
          auto& models = seen[done];
          if (std::find(models.begin(), models.end(), after) == models.end()) {
            models.push_back(after);
            stack.push_back({cur, std::move(model)});
            model = std::move(after);
            unlink(cur);
            if (o.response) {
              unlink(return_at[op]);
              --completed_left;
            }
            cur = entries[0].next;
            continue;
          }
          done[op] = false;
        }
      }
      cur = entries[cur].next;
      continue;
    }
    // A return reached with its operation not linearized (or nothing left to try): undo the last.
    if (stack.empty()) return std::nullopt;
    Frame f = std::move(stack.back());
    stack.pop_back();
    const std::size_t op = entries[f.call_entry].op;
    if (history[op].response) {
      relink(return_at[op]);
      ++completed_left;
    }
    relink(f.call_entry);
    done[op] = false;
    model = std::move(f.before);
    cur = entries[f.call_entry].next;
  }
}

}  // namespace moira::properties
