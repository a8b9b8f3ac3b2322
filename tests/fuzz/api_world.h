// The node the API targets (api_fuzz.cc, http_request_fuzz.cc) drive: province 89, the root,
// so that every route answers (reference data is written at the root only), with the
// session network's directory and catalogue (session_world.h), its store in memory, officer
// accounts on disk (1,000 PBKDF2 iterations: a login costs milliseconds) and the fake clock.
// It lives for the whole run: each input's writes stay (the clock moves a minute per input,
// so minted codes do not run out), as on a real node taking request after request.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "node/json.h"
#include "node/local_api.h"
#include "tests/fuzz/session_world.h"
#include "tests/node/test_officers.h"

namespace hoso::fuzz {

inline constexpr const char* kApiToken = "0123456789abcdef0123456789abcdef";

struct ApiWorld {
  std::unique_ptr<SessionWorld> world;
  std::unique_ptr<MemNode> node;
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<node::LocalApi> api;
};

inline ApiWorld& TheApi() {
  static ApiWorld* w = [] {
    auto* w = new ApiWorld;
    w->world = BuildSessionWorld();
    w->node = OpenMemNode("89");
    CopyEverything(*w->world->province->store, *w->node->store);
    w->dir = std::make_unique<testing::TempDir>();
    node::NodeView view;
    view.officers_file = testing::WriteTestOfficers(w->dir->Sub("officers.json"));
    view.verify_origin = TestOriginVerifier;
    view.started_ms = testing::kTestNow;
    w->api =
        std::make_unique<node::LocalApi>(w->node->store.get(), &w->node->clock, kApiToken, view);
    // The officers' file is on disk: removed at exit (the world itself is never destroyed,
    // the run ends with the process).
    std::atexit([] { std::filesystem::remove_all(TheApi().dir->path()); });
    return w;
  }();
  return *w;
}

// The path of a request target with its %XX escapes decoded, as the router sees it.
inline std::string DecodedPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::string out;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%' && i + 2 < target.size() &&
        std::isxdigit(static_cast<unsigned char>(target[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(target[i + 2]))) {
      out.push_back(
          static_cast<char>(std::stoi(std::string(target.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(target[i]);
    }
  }
  return out;
}

// What the targets leave out. POST /v1/backup checkpoints the store into a directory the
// request names: it writes wherever the input says. A login of an account that does not exist
// costs the full 600,000 PBKDF2 iterations on purpose (timing tells no login apart), seconds
// under the sanitizers: only the test accounts log in (1,000 iterations).
inline bool Excluded(const node::HttpRequest& r) {
  std::string p = DecodedPath(r.target);
  for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (p.find("backup") != std::string::npos) return true;
  if (p.find("login") == std::string::npos) return false;
  auto body = node::ParseJson(r.body);
  if (!body.ok() || !body->is_object()) return false;  // refused before any hashing
  const auto* login = body->as_object().if_contains("login");
  if (!login || !login->is_string()) return false;
  static const std::set<std::string> accounts = {"nv.lan", "nv.hung", "nv.thao", "cb.minh",
                                                 "cb.tam", "cb.phuc", "it",      "it.tinh"};
  return !accounts.count(std::string(login->as_string()));
}

// Handles one request and checks what every answer must be: no 500 (a handler that failed
// inside: a bad request gets a 4xx naming the field) and, when it says it is JSON, JSON.
inline void HandleAndCheck(const node::HttpRequest& r) {
  ApiWorld& w = TheApi();
  w.node->clock.Advance(60 * 1000);
  if (Excluded(r)) return;
  if (auto refused = w.api->Admit(r)) {
    HOSO_FUZZ_CHECK(refused->status == 401 || refused->status == 403,
                    "Admit refused with " + std::to_string(refused->status));
    return;
  }
  node::HttpResponse out = w.api->Handle(r);
  HOSO_FUZZ_CHECK(out.status != 500,
                  r.method + " " + DecodedPath(r.target) + " answered 500: " + out.body);
  if (out.content_type.rfind("application/json", 0) == 0) {
    HOSO_FUZZ_CHECK(node::ParseJson(out.body).ok(), "a JSON answer that is not JSON: " + out.body);
  }
}

}  // namespace hoso::fuzz
