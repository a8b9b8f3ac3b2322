// Parsing the hoso command line against a command's table entry, and the errors it prints.
#include "tools/cli/flags.h"

#include <cstdio>
#include <cstdlib>

namespace hoso::cli {

std::optional<int> ParseArgs(const Command& cmd, const std::vector<std::string>& args, size_t first,
                             Args* out) {
  Args& a = *out;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--help" || s == "-h") {
      std::printf("Usage: hoso %s %s\n\n%s\n", cmd.name.c_str(), cmd.synopsis.c_str(),
                  cmd.help.c_str());
      return kOk;
    }
    if (s == "--json") {
      a.json = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (cmd.bool_flags.count(name)) {
      a.flags[name].push_back("true");
      continue;
    }
    if (!cmd.value_flags.count(name)) {
      return Fail(kUsage, "unknown option --" + name + " for 'hoso " + cmd.name + "' (hoso " +
                              cmd.name + " --help)");
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Fail(kUsage, "--" + name + " needs a value");
      value = args[++i];
    }
    a.flags[name].push_back(value);
  }
  for (const auto& r : cmd.required) {
    if (!a.Has(r) || a.Get(r).empty()) {
      return Fail(kUsage, "'hoso " + cmd.name + "' needs --" + r + " (usage: hoso " + cmd.name +
                              " " + cmd.synopsis + ")");
    }
  }
  if (a.positional.size() < cmd.min_positional || a.positional.size() > cmd.max_positional) {
    return Fail(kUsage, "usage: hoso " + cmd.name + " " + cmd.synopsis);
  }
  return std::nullopt;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "hoso: %s\n", message.c_str());
  return code;
}

int FromStatus(const Status& s) {
  int code = s.code() == Code::kNotFound ? kNotFound : kFailed;
  return Fail(code, s.message());
}

uint64_t ParseNumber(const std::string& s, bool* ok) {
  uint64_t v = 0;
  *ok = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19;
  if (*ok) v = std::stoull(s);
  return v;
}

std::string NodeDirOf(const Args& a) {
  if (a.Has("dir") && !a.Get("dir").empty()) return a.Get("dir");
  const char* env = std::getenv("HOSO_DIR");
  return env && *env ? env : ".";
}

}  // namespace hoso::cli
