// JSON text for any input bytes. Strings taken from inputs (file names, export names, pasted
// text, registry files) need not be valid UTF-8; nlohmann::json::dump() throws on such a string.
// json_text() never throws: each invalid UTF-8 sequence becomes U+FFFD (the policy documented in
// docs/json.md), so every document wslplug prints is valid JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace wslplug {

// `indent` as nlohmann::json::dump (-1: compact); non-ASCII stays UTF-8 (not \u-escaped).
inline std::string json_text(const nlohmann::json& doc, int indent = -1) {
  return doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace wslplug
