// Short type names for traces: what a person reads, not what the compiler spells.
#include <string>
#include <string_view>

#include "runtime/show.hpp"

namespace moira::detail {
namespace {

bool ident_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// Keeps template arguments up to `depth` levels deep; deeper ones become `…`.
std::string elide(std::string_view s, int depth) {
  std::string out;
  int level = 0;
  for (char c : s) {
    if (c == '<') {
      if (level == depth) out += "<…";
      ++level;
      if (level <= depth) out += c;
    } else if (c == '>') {
      --level;
      if (level <= depth) out += c;
    } else if (level <= depth) {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string short_type_name(std::string_view demangled) {
  std::string s{demangled};
  replace_all(s, "(anonymous namespace)::", "");
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':' && i + 1 < s.size() && s[i + 1] == ':') {  // drop the qualifier before ::
      while (!out.empty() && ident_char(out.back())) out.pop_back();
      ++i;
      continue;
    }
    out += s[i];
  }
  replace_all(out, "basic_string<char, char_traits<char>, allocator<char> >", "string");
  replace_all(out, "> >", ">>");
  for (int depth = 2; out.size() > 48 && depth >= 0; --depth) out = elide(out, depth);
  return out;
}

}  // namespace moira::detail
