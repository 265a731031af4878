// Unit tests of values that need no engine: message types, reasons, the mailbox queue.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/mailbox.hpp"
#include "runtime/message.hpp"
#include "runtime/reason.hpp"

using namespace moira;

// Messages are values: pointers, references and arrays are rejected at compile time.
static_assert(MessageValue<int>);
static_assert(MessageValue<std::string>);
static_assert(MessageValue<std::unique_ptr<int>>);  // owned, moved: still a value
static_assert(!MessageValue<int*>);
static_assert(!MessageValue<const char*>);
static_assert(!MessageValue<int&>);
static_assert(!MessageValue<const std::string&>);
static_assert(!MessageValue<int[4]>);
static_assert(!MessageValue<void>);

TEST_CASE("Message: type identity and access", "[unit]") {
  Message m = Message::of(std::string{"hi"});
  CHECK(m.is<std::string>());
  CHECK(!m.is<int>());
  CHECK(m.try_get<int>() == nullptr);
  REQUIRE(m.try_get<std::string>() != nullptr);
  CHECK(*m.try_get<std::string>() == "hi");
  CHECK(m.type_name().find("basic_string") != std::string::npos);
}

TEST_CASE("Reason: atoms by name, free text otherwise, exceptions of any type", "[unit]") {
  CHECK(Reason{"normal"} == Reason::normal());
  CHECK(Reason{"killed"} == Reason::killed());
  CHECK(Reason{"noconnection"}.kind() == Reason::Kind::noconnection);
  CHECK(Reason{"my reason"}.kind() == Reason::Kind::other);
  CHECK(Reason{"my reason"}.text() == "my reason");
  CHECK(!(Reason{"a"} == Reason{"b"}));
  CHECK(Reason{}.is_normal());
  auto from = [](auto thrown) {
    try {
      throw thrown;
    } catch (...) {
      return std::string{Reason::from_exception(std::current_exception()).text()};
    }
  };
  CHECK(from(std::invalid_argument("bad")) == "std::invalid_argument: bad");
  CHECK(from(7) == "int: (not a std::exception)");
  CHECK(from('c') == "char: (not a std::exception)");
}

TEST_CASE("MessageQueue: a cursor survives appends and removal keeps order", "[unit]") {
  detail::MessageQueue q;
  auto item = [](int v) { return new detail::ValueItem<int>(v); };
  auto value = [](detail::Item* i) { return static_cast<detail::ValueItem<int>*>(i)->value; };
  q.append(item(1));
  q.append(item(2));
  detail::MessageQueue::Cursor c{q};
  c.advance();
  c.advance();  // at the end
  CHECK(c.current() == nullptr);
  q.append(item(3));  // arrives while the cursor waits at the end
  REQUIRE(c.current() != nullptr);
  CHECK(value(c.current()) == 3);
  detail::MessageQueue::Cursor first{q};
  first.advance();
  auto removed = first.remove();  // take 2 out of the middle
  CHECK(value(removed.get()) == 2);
  CHECK(q.size() == 2);
  q.append(item(4));
  std::vector<int> order;
  while (auto i = q.pop_front()) order.push_back(value(i.get()));
  CHECK(order == std::vector<int>{1, 3, 4});
}

TEST_CASE("Inbox: per-producer order, and close refuses later pushes", "[unit]") {
  detail::Inbox in;
  for (int i = 0; i < 3; ++i) REQUIRE(in.push(new detail::ValueItem<int>(i)));
  std::vector<int> got;
  for (detail::Item* i = in.take_all(); i;) {
    detail::Item* next = i->next;
    got.push_back(static_cast<detail::ValueItem<int>*>(i)->value);
    delete i;
    i = next;
  }
  CHECK(got == std::vector<int>{0, 1, 2});
  CHECK(in.close() == nullptr);
  auto* late = new detail::ValueItem<int>(9);
  CHECK(!in.push(late));  // the caller keeps it
  delete late;
}

// Mail flows one way: senders allocate items, a receiver on another thread frees them. What one
// thread frees beyond what it keeps goes to the depot in batches, and a thread whose list is empty
// takes it from there (not from glibc, whose cross-thread free is slow and locked).
TEST_CASE("ItemCache: blocks freed on one thread go through the depot to another", "[unit]") {
#if MOIRA_ITEM_CACHE_OFF
  SUCCEED("the cache is off under sanitizers: every block goes back to the heap");
#else
  using detail::ItemCache;
  constexpr std::size_t kSize = 64;
  constexpr std::uint32_t kBlocks = ItemCache::kKeep + 30 * ItemCache::kBatch;
  std::vector<void*> blocks(kBlocks);
  std::thread([&] {
    for (auto& b : blocks) b = ItemCache::allocate(kSize);
  }).join();
  std::size_t before = ItemCache::depot_batches(kSize);
  std::thread([&] {
    for (void* b : blocks) ItemCache::deallocate(b, kSize);
  }).join();
  std::size_t spilled = ItemCache::depot_batches(kSize) - before;
  CHECK(spilled == 30);
  std::set<void*> freed(blocks.begin(), blocks.end());
  std::size_t reused = 0;
  std::thread([&] {
    std::vector<void*> again(30 * ItemCache::kBatch);
    for (auto& b : again) b = ItemCache::allocate(kSize);
    for (void* b : again) reused += freed.count(b);
    for (void* b : again) ItemCache::deallocate(b, kSize);
  }).join();
  CHECK(reused == 30 * ItemCache::kBatch);
#endif
}
