#include "runtime/reason.hpp"

#include "runtime/message.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace moira {
namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out{abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
  return status == 0 && out ? std::string{out.get()} : std::string{mangled};
}

}  // namespace

namespace detail {
std::string demangled_name(const std::type_info& t) { return demangle(t.name()); }
}  // namespace detail

Reason::Reason(std::string text) : kind_(Kind::other) {
  // A reason spelled like a known atom *is* that atom, so Reason{"normal"} == Reason::normal().
  for (auto k : {Kind::normal, Kind::kill, Kind::killed, Kind::shutdown, Kind::noproc, Kind::noconnection,
                 Kind::stack_overflow}) {
    if (Reason{k}.text() == text) {
      kind_ = k;
      return;
    }
  }
  auto p = std::make_shared<detail::ReasonPayload>();
  p->text = std::move(text);
  term_ = std::move(p);
}

bool operator==(const Reason& a, const Reason& b) {
  if (a.kind_ != b.kind_) return false;
  if (a.term_ == b.term_) return true;
  if (!a.term_ || !b.term_ || a.term_->text != b.term_->text) return false;
  const std::type_info* ta = a.term_->type;
  const std::type_info* tb = b.term_->type;
  if (!ta || !tb) return ta == tb;
  return *ta == *tb && a.term_->same_value(*b.term_);
}

std::string_view Reason::text() const {
  if (term_) return term_->text;
  switch (kind_) {
    case Kind::normal: return "normal";
    case Kind::kill: return "kill";
    case Kind::killed: return "killed";
    case Kind::shutdown: return "shutdown";
    case Kind::noproc: return "noproc";
    case Kind::noconnection: return "noconnection";
    case Kind::stack_overflow: return "stack_overflow";
    case Kind::other: break;
  }
  return {};
}

Reason Reason::from_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return with_exception(demangle(typeid(ex).name()) + ": " + ex.what(), e);
  } catch (...) {
    // Not a std::exception: all we can know is the thrown type's name.
    const std::type_info* t = abi::__cxa_current_exception_type();
    return with_exception((t ? demangle(t->name()) : std::string{"unknown type"}) + ": (not a std::exception)", e);
  }
}

Reason Reason::with_exception(std::string text, const std::exception_ptr& e) {
  Reason r{std::move(text)};
  if (r.kind_ != Kind::other) return r;  // an exception whose text spells an atom is that atom
  auto p = std::make_shared<detail::ReasonPayload>();
  p->text = r.term_->text;
  p->exception = e;
  r.term_ = std::move(p);
  return r;
}

}  // namespace moira
