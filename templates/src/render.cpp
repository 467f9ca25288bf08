// The template language of the scaffold templates ({{var}}, {{#flag}}, {{^flag}}) and the
// dot-file naming of template paths.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "wslplug/core/text.hpp"
#include "wslplug/templates/templates.hpp"

namespace wslplug::templates {

Result<std::string> render(std::string_view text, const Vars& vars, const Flags& flags,
                           std::string_view template_name) {
  std::string out;
  // Stack of (flag name, lines kept) for open sections.
  std::vector<std::pair<std::string, bool>> stack;
  auto active = [&] {
    return std::all_of(stack.begin(), stack.end(), [](const auto& s) { return s.second; });
  };
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    const bool has_nl = nl != std::string_view::npos;
    if (!has_nl) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    const std::string where = fmt::format("line {}", line_no);
    const std::string t = trim(line);
    if (t.size() > 5 && t.starts_with("{{") && t.ends_with("}}") &&
        (t[2] == '#' || t[2] == '^' || t[2] == '/') && t.find("}}") == t.size() - 2) {
      const std::string flag = t.substr(3, t.size() - 5);
      if (t[2] == '/') {
        if (stack.empty() || stack.back().first != flag)
          return internal_error(
              fmt::format("template {}: {}: unbalanced {{{{/{}}}}}", template_name, where, flag));
        stack.pop_back();
        continue;
      }
      auto it = flags.find(flag);
      if (it == flags.end())
        return internal_error(
            fmt::format("template {}: {}: unknown flag '{}'", template_name, where, flag));
      stack.emplace_back(flag, t[2] == '#' ? it->second : !it->second);
      continue;
    }
    if (!active()) continue;
    std::size_t p = 0;
    while (true) {
      auto open = line.find("{{", p);
      if (open == std::string_view::npos) {
        out.append(line.substr(p));
        break;
      }
      auto close = line.find("}}", open + 2);
      if (close == std::string_view::npos)
        return internal_error(
            fmt::format("template {}: {}: unterminated {{{{", template_name, where));
      out.append(line.substr(p, open - p));
      const std::string_view var = line.substr(open + 2, close - open - 2);
      auto it = vars.find(var);
      if (it == vars.end())
        return internal_error(
            fmt::format("template {}: {}: unknown variable '{}'", template_name, where, var));
      out += it->second;
      p = close + 2;
    }
    if (has_nl) out.push_back('\n');
  }
  if (!stack.empty())
    return internal_error(
        fmt::format("template {}: section '{}' is not closed", template_name, stack.back().first));
  return out;
}

std::string project_path(std::string_view template_path) {
  const std::string rel(template_path);
  std::string path;
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    auto slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string part = rel.substr(pos, slash - pos);
    if (part.starts_with("dot-")) part = "." + part.substr(4);
    path += (path.empty() ? "" : "/") + part;
    pos = slash + 1;
  }
  return path;
}

}  // namespace wslplug::templates
