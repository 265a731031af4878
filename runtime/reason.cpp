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

Reason::Reason(std::string text) : kind_(Kind::other), text_(std::move(text)) {
  // A reason spelled like a known atom *is* that atom, so Reason{"normal"} == Reason::normal().
  for (auto k : {Kind::normal, Kind::kill, Kind::killed, Kind::shutdown, Kind::noproc, Kind::noconnection,
                 Kind::stack_overflow}) {
    if (Reason{k}.text() == text_) {
      kind_ = k;
      text_.clear();
      return;
    }
  }
}

std::string_view Reason::text() const {
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
  return text_;
}

Reason Reason::from_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return Reason{demangle(typeid(ex).name()) + ": " + ex.what()};
  } catch (...) {
    // Not a std::exception: all we can know is the thrown type's name.
    const std::type_info* t = abi::__cxa_current_exception_type();
    return Reason{(t ? demangle(t->name()) : std::string{"unknown type"}) + ": (not a std::exception)"};
  }
}

}  // namespace moira
