// The Rust template against the recorded wslplugins-rs API (templates/crate-api/wslplugins-rs.api):
// every hook and requirement combination `wslplug new` accepts is rendered by the real binary and
// every name its src/lib.rs takes from the crate (imports, glob-imported names, capability
// variants, associated functions, fields and methods reached from hook parameters, values
// formatted with {}, hook signatures, the attribute's arguments) and its Cargo.toml dependency
// must be in the record. Mutated templates show that each kind of check can fail.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

struct ApiRecord {
  std::string crate_line;                      // "wslplugins-rs 0.1.0-beta.4 macro"
  std::set<std::string> modules;               // wslplugins_rs::prelude
  std::set<std::string> exports;               // full paths
  std::set<std::string> variants;              // WSLVersionCapability::X
  std::map<std::string, std::string> fields;   // WSLContext::api -> ApiV1
  std::map<std::string, std::string> methods;  // WSLSessionInformation::id -> SessionID
  std::set<std::string> fns;                   // PluginError::with_message
  std::set<std::string> display;               // SessionID
  std::map<std::string, std::string> hooks;    // on_vm_stopping -> "(&self, &X) -> WinResult<()>"
};

std::string collapse(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\s+)"), " ");
  s = std::regex_replace(s, std::regex(R"(\( )"), "(");
  s = std::regex_replace(s, std::regex(R"(,? \))"), ")");
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

// The last path segment's type name, without references and lifetimes: "&'static ApiV1" -> ApiV1.
std::string base_type(std::string t) {
  t = std::regex_replace(t, std::regex(R"(&('\w+\s+)?)"), "");
  t = collapse(t);
  const auto colons = t.rfind("::");
  return colons == std::string::npos ? t : t.substr(colons + 2);
}

ApiRecord load_record() {
  ApiRecord rec;
  std::istringstream in(wt::read_text(wt::source_dir() / "templates/crate-api/wslplugins-rs.api"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.find(' ');
    const std::string kind = line.substr(0, sp);
    std::string rest = line.substr(sp + 1);
    // "  unverified (...)" notes follow two spaces.
    if (const auto note = rest.find("  "); note != std::string::npos) rest = rest.substr(0, note);
    if (kind == "crate") {
      rec.crate_line = rest;
    } else if (kind == "module") {
      rec.modules.insert(rest);
    } else if (kind == "export") {
      rec.exports.insert(rest);
    } else if (kind == "variant") {
      rec.variants.insert(rest);
    } else if (kind == "field") {
      const auto s2 = rest.find(' ');
      rec.fields[rest.substr(0, s2)] = base_type(rest.substr(s2 + 1));
    } else if (kind == "method") {
      const auto paren = rest.find('(');
      const std::string name = rest.substr(0, paren);
      if (rest.find("(Display)") != std::string::npos) {
        rec.display.insert(name.substr(0, name.find("::")));
      } else {
        const auto arrow = rest.find("-> ");
        rec.methods[name] = arrow == std::string::npos ? "" : base_type(rest.substr(arrow + 3));
      }
    } else if (kind == "fn") {
      rec.fns.insert(rest.substr(0, rest.find(' ')));
    } else if (kind == "hook") {
      const auto paren = rest.find('(');
      rec.hooks[rest.substr(0, paren)] = collapse(rest.substr(paren));
    }
  }
  return rec;
}

// Source without comments and string contents (so words in them are not taken for names).
std::string code_only(const std::string& src) {
  std::string out;
  for (std::size_t i = 0; i < src.size(); ++i) {
    if (src.compare(i, 2, "//") == 0) {
      while (i < src.size() && src[i] != '\n') ++i;
      out += '\n';
    } else if (src[i] == '"') {
      out += "\"\"";
      for (++i; i < src.size() && src[i] != '"'; ++i)
        if (src[i] == '\\') ++i;
    } else {
      out += src[i];
    }
  }
  return out;
}

// Names every Rust 2021 module sees without importing them, and those the template imports from
// std (checked separately: they must come from `use std::...`).
const std::set<std::string> kStdPrelude = {
    "Result", "Ok",     "Err",   "Option",   "Some",    "None", "String",  "Send", "Sync",
    "Sized",  "FnOnce", "FnMut", "Fn",       "Box",     "Vec",  "Clone",   "Copy", "From",
    "Into",   "AsRef",  "Self",  "ToString", "Default", "Drop", "Iterator"};

class Checker {
 public:
  explicit Checker(const ApiRecord& rec) : rec_(rec) {}

  // The problems found in one rendered lib.rs (empty: every crate name is recorded).
  std::vector<std::string> check(const std::string& source) {
    problems_.clear();
    imported_.clear();
    const std::string code = code_only(source);
    collect_imports(code);
    collect_locals(code);
    check_type_names(code);
    check_paths(code);
    check_hooks(code);
    check_attribute(code);
    check_chains(code);
    return problems_;
  }

 private:
  void problem(std::string p) { problems_.push_back(std::move(p)); }

  bool is_crate_name(const std::string& name) const {
    const auto it = imported_.find(name);
    return it != imported_.end() && it->second.starts_with("wslplugins_rs::");
  }
  std::string crate_type(const std::string& name) const {
    return is_crate_name(name) ? name : std::string();
  }

  void collect_imports(const std::string& code) {
    const std::regex use_re(R"(\buse\s+([^;]+);)");
    for (std::sregex_iterator it(code.begin(), code.end(), use_re), end; it != end; ++it) {
      std::string path = collapse((*it)[1].str());
      std::vector<std::string> items;
      const auto brace = path.find('{');
      if (brace != std::string::npos) {
        const std::string prefix = path.substr(0, brace);
        std::string inner = path.substr(brace + 1, path.rfind('}') - brace - 1);
        std::stringstream ss(inner);
        std::string item;
        while (std::getline(ss, item, ','))
          items.push_back(item.find_first_not_of(' ') == std::string::npos
                              ? std::string()
                              : prefix + collapse(item));
      } else {
        items.push_back(path);
      }
      for (auto full : items) {
        if (full.empty()) continue;
        if (full.ends_with("::self")) full = full.substr(0, full.size() - 6);
        const std::string last = full.substr(full.rfind("::") + 2);
        if (full.starts_with("wslplugins_rs::")) {
          if (last == "*") {
            const std::string module = full.substr(0, full.size() - 3);
            if (!rec_.modules.count(module)) problem("glob import of unrecorded module " + module);
            for (const auto& e : rec_.exports)
              if (e.starts_with(module + "::") &&
                  e.find("::", module.size() + 2) == std::string::npos)
                imported_[e.substr(module.size() + 2)] = e;
          } else {
            if (!rec_.exports.count(full) && !rec_.modules.count(full))
              problem("imports " + full + ", which the crate does not export there");
            imported_[last] = full;
          }
        } else if (full.starts_with("std::") || full.starts_with("core::")) {
          imported_[last] = full;
        } else {
          problem("unexpected import " + full);
        }
      }
    }
  }

  void collect_locals(const std::string& code) {
    locals_.clear();
    const std::regex def_re(R"(\b(?:struct|enum|const|static|type|trait|fn)\s+([A-Za-z_]\w*))");
    for (std::sregex_iterator it(code.begin(), code.end(), def_re), end; it != end; ++it)
      locals_.insert((*it)[1].str());
    // Generic parameters: fn name<T, E>.
    const std::regex gen_re(R"(\bfn\s+\w+\s*<([^>]*)>)");
    for (std::sregex_iterator it(code.begin(), code.end(), gen_re), end; it != end; ++it) {
      std::stringstream ss((*it)[1].str());
      std::string g;
      while (std::getline(ss, g, ',')) locals_.insert(collapse(g));
    }
  }

  // Every capitalised name (a type, trait, variant or constructor) must be local, in Rust's
  // prelude, imported from std, or imported from the crate (which collect_imports checked).
  void check_type_names(const std::string& code) {
    const std::regex word_re(R"((::)?\b([A-Z]\w*))");
    for (std::sregex_iterator it(code.begin(), code.end(), word_re), end; it != end; ++it) {
      if ((*it)[1].matched) continue;  // a path's later segment: check_paths looks at those
      const std::string name = (*it)[2].str();
      // Part of a std:: path written in full (std::ffi::OsString): fine.
      const auto pos = static_cast<std::size_t>(it->position(0));
      if (pos >= 2 && code.compare(pos - 2, 2, "::") == 0) continue;
      if (locals_.count(name) || kStdPrelude.count(name) || imported_.count(name)) continue;
      if (name == "E_FAIL" || name == "PLUGIN_NAME") continue;
      problem("uses " + name + ", which nothing imports (not in the recorded prelude or root)");
    }
  }

  // Crate::Name paths: capability variants and associated functions, tuple constructors.
  void check_paths(const std::string& code) {
    const std::regex path_re(R"(\b([A-Z]\w*)::([A-Za-z_]\w*))");
    for (std::sregex_iterator it(code.begin(), code.end(), path_re), end; it != end; ++it) {
      const std::string type = (*it)[1].str(), member = (*it)[2].str();
      if (!is_crate_name(type)) continue;
      const std::string key = type + "::" + member;
      if (type == "WSLVersionCapability") {
        if (!rec_.variants.count(key)) problem("capability " + key + " is not a recorded variant");
      } else if (!rec_.fns.count(key)) {
        problem("calls " + key + ", which is not recorded");
      }
    }
    const std::regex ctor_re(R"(\b([A-Z]\w*)\()");
    for (std::sregex_iterator it(code.begin(), code.end(), ctor_re), end; it != end; ++it) {
      const std::string type = (*it)[1].str();
      if (is_crate_name(type) && !rec_.fields.count(type + "::0"))
        problem("constructs " + type + "(...), which has no recorded public field 0");
    }
  }

  // The impl block's methods against the recorded WSLPluginV1 signatures.
  void check_hooks(const std::string& code) {
    const auto impl = code.find("impl WSLPluginV1 for ");
    if (impl == std::string::npos) {
      problem("no `impl WSLPluginV1 for` block");
      return;
    }
    if (!is_crate_name("WSLPluginV1")) problem("WSLPluginV1 is not imported from the crate");
    const std::regex fn_re(R"(\n    fn\s+(\w+)\s*\(([^)]*)\)\s*->\s*([^{]+)\{)");
    const std::string body = code.substr(impl);
    for (std::sregex_iterator it(body.begin(), body.end(), fn_re), end; it != end; ++it) {
      const std::string name = (*it)[1].str();
      // Parameter types without names: "session: &T" -> "&T".
      std::string params;
      std::stringstream ss((*it)[2].str());
      std::string p;
      while (std::getline(ss, p, ',')) {
        p = collapse(p);
        if (p.empty()) continue;
        const auto colon = p.find(':');
        params += (params.empty() ? "" : ", ") +
                  (colon == std::string::npos ? p : collapse(p.substr(colon + 1)));
      }
      const std::string sig = "(" + params + ") -> " + collapse((*it)[3].str());
      params_[name] = (*it)[2].str();
      const auto rec = rec_.hooks.find(name);
      if (rec == rec_.hooks.end())
        problem("WSLPluginV1 has no recorded method " + name);
      else if (rec->second != sig)
        problem(fmt::format("{}{} differs from the recorded {}{}", name, sig, name, rec->second));
    }
  }

  void check_attribute(const std::string& code) {
    const std::regex attr_re(R"(#\[(\w+)(\(([^\]]*)\))?\]\s*impl WSLPluginV1)");
    std::smatch m;
    if (!std::regex_search(code, m, attr_re)) {
      problem("no attribute on the WSLPluginV1 impl");
      return;
    }
    if (!is_crate_name(m[1].str()) || m[1] != "wsl_plugin_v1")
      problem("the impl's attribute " + m[1].str() + " is not the crate's wsl_plugin_v1");
    if (!m[2].matched) return;
    const std::string args = collapse(m[3].str());
    if (std::regex_match(args, std::regex(R"(\d+, \d+(, \d+)?)"))) return;
    std::stringstream ss(args);
    std::string cap;
    while (std::getline(ss, cap, '|')) {
      cap = collapse(cap);
      if (!cap.starts_with("WSLVersionCapability::"))
        problem("attribute argument " + cap + " is neither a version nor a capability");
    }
  }

  // The type a chain like `session.id()` or `plugin.context.api.version()` ends in, following
  // hook parameters, the plugin's own fields and the recorded fields and methods; empty when it
  // leaves the crate's types.
  std::string chain_type(const std::string& chain, const std::string& self_type) {
    std::vector<std::string> parts;
    std::stringstream ss(chain);
    std::string part;
    while (std::getline(ss, part, '.')) parts.push_back(part);
    if (parts.empty()) return {};
    std::string type;
    if (parts[0] == "self" || parts[0] == "plugin")
      type = self_type;
    else if (auto p = var_types_.find(parts[0]); p != var_types_.end())
      type = p->second;
    else
      return {};
    for (std::size_t i = 1; i < parts.size() && !type.empty(); ++i) {
      std::string seg = parts[i];
      const bool call = seg.ends_with("()");
      if (call) seg = seg.substr(0, seg.size() - 2);
      if (type == self_type) {
        const auto f = local_fields_.find(seg);
        type = (!call && f != local_fields_.end()) ? crate_type(f->second) : std::string();
        continue;
      }
      const std::string key = type + "::" + seg;
      if (call) {
        const auto m = rec_.methods.find(key);
        if (m == rec_.methods.end()) {
          problem("calls ." + seg + "() on " + type + ", which is not recorded");
          return {};
        }
        type = crate_type(m->second);
      } else {
        const auto f = rec_.fields.find(key);
        if (f == rec_.fields.end()) {
          problem("reads field " + key + ", which is not recorded");
          return {};
        }
        type = crate_type(f->second);
      }
    }
    return type;
  }

  void check_chains(const std::string& code) {
    // The plugin struct's fields.
    local_fields_.clear();
    std::smatch m;
    std::string self_type = "Plugin";
    if (std::regex_search(code, m, std::regex(R"(impl WSLPluginV1 for (\w+))"))) self_type = m[1];
    if (std::regex_search(code, m, std::regex("struct " + self_type + R"(\s*\{([^}]*)\})"))) {
      const std::string fields = m[1].str();
      const std::regex field_re(R"((\w+)\s*:\s*([^,]+),)");
      for (std::sregex_iterator it(fields.begin(), fields.end(), field_re), end; it != end; ++it)
        local_fields_[(*it)[1].str()] = base_type((*it)[2].str());
    }
    // Hook parameters' types.
    var_types_.clear();
    for (const auto& [hook, params] : params_) {
      std::stringstream ss(params);
      std::string p;
      while (std::getline(ss, p, ',')) {
        const auto colon = p.find(':');
        if (colon == std::string::npos) continue;
        const std::string var = collapse(p.substr(0, colon));
        const std::string type = base_type(p.substr(colon + 1));
        if (is_crate_name(type)) var_types_[var] = type;
      }
    }
    // Every member chain, and what format!-like macros print with {}.
    const std::regex chain_re(R"(\b((?:self|plugin|[a-z_]\w*)(?:\.\w+(?:\(\))?)+))");
    for (std::sregex_iterator it(code.begin(), code.end(), chain_re), end; it != end; ++it) {
      const std::string chain = (*it)[1].str();
      const std::string type = chain_type(chain, self_type);
      const auto after = static_cast<std::size_t>(it->position(0) + it->length(0));
      // An argument of format!/writeln!: the value is Display-formatted.
      const bool formatted =
          after < code.size() && (code[after] == ',' || code[after] == '\n' || code[after] == ')');
      if (!type.empty() && formatted && !rec_.display.count(type) &&
          code.rfind("format!(", it->position(0)) != std::string::npos)
        problem("formats a " + type + " with {}, which is not recorded as Display");
    }
  }

  const ApiRecord& rec_;
  std::vector<std::string> problems_;
  std::map<std::string, std::string> imported_;  // name -> full path
  std::set<std::string> locals_;
  std::map<std::string, std::string> params_;        // hook -> parameter list
  std::map<std::string, std::string> var_types_;     // parameter -> crate type
  std::map<std::string, std::string> local_fields_;  // plugin field -> type
};

const std::vector<std::string> kHooks = {"vm-started",
                                         "vm-stopping",
                                         "distribution-started",
                                         "distribution-stopping",
                                         "distribution-registered",
                                         "distribution-unregistered"};
const std::vector<std::string> kRequirements = {"", "2.0.5", "2.4.4", "distribution-flavor",
                                                "DistributionInitPid,ExecuteBinaryInDistribution"};

std::string render(const wt::fs::path& dir, const std::string& name,
                   const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"new", name, "--no-ci"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = wt::wslplug(args, {}, {}, dir);
  EXPECT_EQ(r.rc, 0) << r.both();
  return wt::read_text(dir / name / "src/lib.rs");
}

}  // namespace

TEST(CrateApi, EveryTemplateCombinationUsesOnlyRecordedNames) {
  const ApiRecord rec = load_record();
  ASSERT_EQ(rec.crate_line, "wslplugins-rs 0.1.0-beta.4 macro");
  ASSERT_EQ(rec.hooks.size(), 7u);
  ASSERT_EQ(rec.variants.size(), 6u);
  // The record's prelude does not have WSLVersionCapability; the root does.
  EXPECT_FALSE(rec.exports.count("wslplugins_rs::prelude::WSLVersionCapability"));
  EXPECT_TRUE(rec.exports.count("wslplugins_rs::WSLVersionCapability"));
  Checker checker(rec);
  wt::TempDir tmp;
  int combinations = 0;
  std::set<std::string> hooks_seen, variants_seen;
  for (unsigned mask = 0; mask < 64; ++mask) {
    std::string hooks;
    for (unsigned i = 0; i < 6; ++i)
      if (mask & (1u << i)) hooks += (hooks.empty() ? "" : ",") + kHooks[i];
    for (const auto& req : kRequirements) {
      const std::string name = fmt::format("api-{}", combinations++);
      std::vector<std::string> extra = {"--hooks", hooks.empty() ? "none" : hooks};
      if (!req.empty()) extra.insert(extra.end(), {"--require", req});
      const std::string lib = render(tmp.path(), name, extra);
      const auto problems = checker.check(lib);
      std::string all;
      for (const auto& p : problems) all += "\n  " + p;
      EXPECT_TRUE(problems.empty()) << "hooks=" << hooks << " require=" << req << all;
      for (const auto& [hook, sig] : rec.hooks)
        if (lib.find("fn " + hook + "(") != std::string::npos) hooks_seen.insert(hook);
      for (const auto& v : rec.variants)
        if (lib.find(v) != std::string::npos) variants_seen.insert(v);
      // Cargo.toml names the recorded crate, version and feature.
      const auto toml = wt::read_text(tmp / name / "Cargo.toml");
      EXPECT_NE(toml.find("wslplugins-rs = { version = \"0.1.0-beta.4\", features = [\"macro\"] }"),
                std::string::npos);
      wt::fs::remove_all(tmp / name);
    }
  }
  EXPECT_EQ(combinations, 320);
  // Every recorded hook was rendered and checked; the capabilities the combinations reach too.
  EXPECT_EQ(hooks_seen.size(), 7u);
  EXPECT_GE(variants_seen.size(), 5u);
}

TEST(CrateApi, CheckerCatchesNamesTheCrateDoesNotHave) {
  const ApiRecord rec = load_record();
  Checker checker(rec);
  wt::TempDir tmp;
  const std::string lib =
      render(tmp.path(), "mutant", {"--hooks", "all", "--require", "distribution-flavor"});
  ASSERT_TRUE(checker.check(lib).empty());
  struct Mutation {
    std::string from, to, expect;
  };
  const std::vector<Mutation> mutations = {
      // The bug beta.4 users hit: WSLVersionCapability from the prelude.
      {"use wslplugins_rs::WSLVersionCapability;\n", "", "uses WSLVersionCapability"},
      {"use wslplugins_rs::WSLVersionCapability;",
       "use wslplugins_rs::prelude::WSLVersionCapability;",
       "imports wslplugins_rs::prelude::WSLVersionCapability"},
      {"WSLVersionCapability::DistributionFlavor", "WSLVersionCapability::DistributionFlavour",
       "DistributionFlavour is not a recorded variant"},
      {"PluginError::with_message", "PluginError::new_with_message",
       "PluginError::new_with_message"},
      {"session.id()", "session.session_id()", ".session_id() on WSLSessionInformation"},
      {"distribution.name()", "distribution.display_name()", ".display_name()"},
      {"plugin.context.api.version()", "plugin.context.api.full_version()", ".full_version()"},
      {") -> WinResult<()> {\n        self.guarded(\n            \"on_vm_stopping\"",
       ") -> PluginResult<()> {\n        self.guarded(\n            \"on_vm_stopping\"",
       "on_vm_stopping(&self, &WSLSessionInformation) -> PluginResult<()> differs"},
      {"use wslplugins_rs::windows_core::HRESULT;", "use wslplugins_rs::HRESULT;",
       "imports wslplugins_rs::HRESULT"},
  };
  for (const auto& m : mutations) {
    std::string mutated = lib;
    const auto at = mutated.find(m.from);
    ASSERT_NE(at, std::string::npos) << m.from;
    mutated.replace(at, m.from.size(), m.to);
    const auto problems = checker.check(mutated);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    EXPECT_NE(all.find(m.expect), std::string::npos) << m.from << " -> " << m.to << ":\n" << all;
  }
}
