#pragma once
// A small strict JSON reader for tests (RFC 8259: objects, arrays, strings with escapes, numbers,
// true/false/null), so a test can check what a view wrote is JSON, and look inside it.
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace json_lite {

struct Value {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Value> a;
  std::map<std::string, Value> o;

  bool has(const std::string& k) const { return type == Type::object && o.count(k) == 1; }
  const Value& at(const std::string& k) const { return o.at(k); }
  bool is_string() const { return type == Type::string; }
  bool is_number() const { return type == Type::number; }
  bool is_integer() const { return type == Type::number && n == static_cast<double>(static_cast<std::int64_t>(n)); }
};

class Parser {
 public:
  explicit Parser(std::string_view text) : t_(text) {}
  Value parse() {
    Value v = value();
    ws();
    if (i_ != t_.size()) fail("text after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) { throw std::runtime_error("JSON: " + what + " at byte " + std::to_string(i_)); }
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  char peek() {
    ws();
    if (i_ >= t_.size()) fail("unexpected end");
    return t_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool word(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  Value value() {
    Value v;
    char c = peek();
    if (c == '{') {
      v.type = Value::Type::object;
      ++i_;
      if (peek() == '}') return ++i_, v;
      for (;;) {
        if (peek() != '"') fail("expected a key");
        std::string k = string();
        expect(':');
        if (v.o.count(k)) fail("duplicate key " + k);
        v.o[k] = value();
        if (peek() == ',') { ++i_; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.type = Value::Type::array;
      ++i_;
      if (peek() == ']') return ++i_, v;
      for (;;) {
        v.a.push_back(value());
        if (peek() == ',') { ++i_; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type = Value::Type::string;
      v.s = string();
      return v;
    }
    if (word("true")) return v.type = Value::Type::boolean, v.b = true, v;
    if (word("false")) return v.type = Value::Type::boolean, v;
    if (word("null")) return v;
    return number();
  }
  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (i_ >= t_.size()) fail("unterminated string");
      char c = t_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (i_ >= t_.size()) fail("bad escape");
      char e = t_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > t_.size()) fail("bad \\u escape");
          unsigned cp = std::stoul(std::string(t_.substr(i_, 4)), nullptr, 16);
          i_ += 4;
          if (cp < 0x80) out += static_cast<char>(cp);
          else if (cp < 0x800) out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3F));
          else out += static_cast<char>(0xE0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
               out += static_cast<char>(0x80 | (cp & 0x3F));
          break;
        }
        default: fail("bad escape");
      }
    }
  }
  Value number() {
    std::size_t start = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    auto digits = [&] {
      std::size_t d = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (!digits()) fail("expected a value");
    if (i_ < t_.size() && t_[i_] == '.' && (++i_, !digits())) fail("bad number");
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) fail("bad exponent");
    }
    Value v;
    v.type = Value::Type::number;
    v.n = std::stod(std::string(t_.substr(start, i_ - start)));
    return v;
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

inline Value parse(std::string_view text) { return Parser{text}.parse(); }

}  // namespace json_lite
