// The registration documents of a WSL plugin (see wslplug/registry/registration.hpp) and the
// certificate the install script trusts. The script itself is script.cpp.
#include "wslplug/registry/registration.hpp"

#include <fmt/format.h>

#include <memory>

#include "wslplug/core/io.hpp"

namespace wslplug::registry {

Document registration_document(std::string_view name, std::string_view windows_path) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kString;
  v.text = std::string(windows_path);
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

Document removal_document(std::string_view name) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kDelete;
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

}  // namespace wslplug::registry
