#pragma once
// Text made safe for XML and HTML, in element content and in double-quoted attribute values alike
// (a newline becomes &#10; so an attribute keeps it): the HTML chart and the JUnit report.
#include <string>
#include <string_view>

namespace moira::sim {

std::string markup_escape(std::string_view s);

}  // namespace moira::sim
