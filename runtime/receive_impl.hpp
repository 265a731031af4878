#pragma once
// The body of Process::receive (included at the end of process.hpp).

namespace moira {

template <class... Clauses>
void Process::receive(Clauses&&... clauses) {
  using detail::clause_traits;
  constexpr std::size_t after_count = (std::size_t{0} + ... + (detail::is_after_clause<Clauses> ? 1 : 0));
  static_assert(after_count <= 1, "receive takes at most one after() clause");
  if constexpr (after_count == 1) {
    constexpr bool flags[] = {detail::is_after_clause<Clauses>...};
    static_assert(flags[sizeof...(Clauses) - 1], "after() must be the last clause of receive");
  }
  std::optional<Duration> timeout;
  auto find_timeout = [&](auto& clause) {
    if constexpr (detail::is_after_clause<decltype(clause)>) {
      if (clause.timeout != infinity) timeout = clause.timeout;
    }
  };
  (find_timeout(clauses), ...);

  detail::MessageQueue::Cursor cursor{queue_};
  Ref timer;
  // Tries one clause on the message under the cursor; on a match removes it and runs the handler.
  auto try_clause = [&](auto& clause) -> bool {
    using C = std::decay_t<decltype(clause)>;
    using Traits = clause_traits<C>;
    if constexpr (Traits::is_after) {
      return false;
    } else {
      using T = typename Traits::type;
      auto* item = static_cast<detail::MessageItem*>(cursor.current());
      if constexpr (std::is_same_v<T, Message>) {
        if constexpr (Traits::has_guard) {
          // The guard sees the message in place: it stays queued unless the guard accepts it.
          struct Borrowed {
            Message view;
            ~Borrowed() { (void)view.release().release(); }
          } borrowed{Message{std::unique_ptr<detail::MessageItem>(item)}};
          if (!clause.guard(std::as_const(borrowed.view))) return false;
        }
        detail::ItemPtr owned = cursor.remove();
        cancel_receive_timer(timer);
        note_receive(owned.get(), &detail::pattern_of<Clauses...>::value);
        Message m{std::unique_ptr<detail::MessageItem>(static_cast<detail::MessageItem*>(owned.release()))};
        if constexpr (Traits::has_guard) {
          detail::call_handler(clause.handler, m);
        } else {
          detail::call_handler(clause, m);
        }
        return true;
      } else {
        static_assert(MessageValue<T>, "a receive clause must take a message type (or moira::Message)");
        if (item->type != type_id_of<T>()) return false;
        auto& value = static_cast<detail::ValueItem<T>*>(item)->value;
        if constexpr (Traits::has_guard) {
          if (!clause.guard(std::as_const(value))) return false;
        }
        detail::ItemPtr owned = cursor.remove();
        cancel_receive_timer(timer);
        note_receive(owned.get(), &detail::pattern_of<Clauses...>::value);
        if constexpr (Traits::has_guard) {
          detail::call_handler(clause.handler, value);
        } else {
          detail::call_handler(clause, value);
        }
        return true;
      }
    }
  };

  throw_if_dying();
  // New mail is fetched only when the queue has nothing left to scan (wait_for_more): a busy
  // receiver then takes its inbox in large batches instead of one contended exchange per message.
  // Signals still act promptly: every slice starts by fetching them.
  if (queue_.empty()) {
    handle_signals();
    throw_if_dying();
  }
  for (;;) {
    while (cursor.current() != nullptr) {
      bool matched = false;
      ((matched = matched || try_clause(clauses)), ...);
      if (matched) return;
      cursor.advance();
    }
    if (!wait_for_more(cursor, timeout, timer)) {
      engine_->receive_missed(*this, detail::pattern_of<Clauses...>::value);
      auto run_after = [&](auto& clause) {
        if constexpr (detail::is_after_clause<decltype(clause)>) clause.handler();
      };
      (run_after(clauses), ...);
      return;
    }
  }
}

}  // namespace moira
