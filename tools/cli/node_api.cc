// The hoso command line's calls to a node's local API, and the checked reading of its answer.
#include "tools/cli/node_api.h"

#include <cstdio>

#include "core/base/text.h"
#include "node/json.h"
#include "tools/api_client.h"
#include "tools/cli/output.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "something else";
}

}  // namespace

int CallNode(const Args& a, const std::string& method, const std::string& target,
             const std::string& body, json::value* out, const std::string& content_type) {
  std::string dir = NodeDirOf(a);
  auto client = tools::ApiClient::ForNode(dir, a.Get("api-ca"));
  if (!client.ok()) return Fail(kFailed, client.status().message());
  auto reply = client->Call(method, target, body, content_type);
  if (!reply.ok()) return Fail(kUnreachable, reply.status().message());
  if (!reply->warning.empty()) std::fprintf(stderr, "hoso: warning: %s\n", reply->warning.c_str());
  auto parsed = node::ParseJson(reply->body);
  if (reply->status >= 400) {
    if (a.json) std::printf("%s", reply->body.c_str());
    std::string why = reply->body;
    if (const json::object* o = parsed.ok() ? parsed->if_object() : nullptr) {
      why = cli::Str(*o, "reason");
      if (!cli::Str(*o, "field").empty()) why = cli::Str(*o, "field") + ": " + why;
      if (!cli::Str(*o, "message").empty()) why += "\n      " + cli::Str(*o, "message");
    }
    return Fail(reply->status == 404 ? kNotFound : kFailed,
                "the node refused (HTTP " + std::to_string(reply->status) + "): " + why);
  }
  if (!parsed.ok()) return Fail(kFailed, "the node answered something that is not JSON");
  // Every answer of the API is an object; the commands read it as one.
  if (!parsed->is_object()) {
    return BadAnswer(Answer(*parsed).Object().status());
  }
  *out = std::move(parsed).value();
  return kOk;
}

Status Answer::WrongType(const char* wanted) const {
  if (path_.empty()) {
    return Status::InvalidArgument(std::string("the node's answer is ") + KindName(*v_) + ", not " +
                                   wanted);
  }
  return Status::InvalidArgument("the node's answer has " + path_ + " as " + KindName(*v_) +
                                 ", not " + wanted);
}

Result<const json::object*> Answer::Object() const {
  if (const json::object* o = v_->if_object()) return o;
  return WrongType("an object");
}

Result<Answer> Answer::Field(std::string_view key) const {
  HOSO_ASSIGN_OR_RETURN(const json::object* o, Object());
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  const json::value* v = o->if_contains(key);
  if (!v) return Status::InvalidArgument("the node's answer lacks " + path);
  return Answer(*v, std::move(path));
}

Result<const json::object*> Answer::Object(std::string_view key) const {
  HOSO_ASSIGN_OR_RETURN(Answer field, Field(key));
  return field.Object();
}

Result<std::vector<Answer>> Answer::Elements() const {
  const json::array* array = v_->if_array();
  if (!array) return WrongType("an array");
  std::vector<Answer> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    out.push_back(Answer((*array)[i], path_ + "[" + std::to_string(i) + "]"));
  }
  return out;
}

Result<std::vector<Answer>> Answer::Elements(std::string_view key) const {
  HOSO_ASSIGN_OR_RETURN(Answer field, Field(key));
  return field.Elements();
}

Result<bool> Answer::Bool(std::string_view key) const {
  HOSO_ASSIGN_OR_RETURN(Answer field, Field(key));
  if (const bool* b = field.v_->if_bool()) return *b;
  return field.WrongType("a boolean");
}

Result<double> Answer::Number(std::string_view key) const {
  HOSO_ASSIGN_OR_RETURN(Answer field, Field(key));
  if (!field.v_->is_number()) return field.WrongType("a number");
  json::error_code ec;
  double d = field.v_->to_number<double>(ec);
  if (ec) return field.WrongType("a number");
  return d;
}

Result<std::string> Answer::Text() const {
  if (const json::string* s = v_->if_string()) return ForTerminal(*s);
  return WrongType("a string");
}

std::string Answer::Str(const char* key) const {
  const json::object* o = v_->if_object();
  return o ? cli::Str(*o, key) : "";
}

int BadAnswer(const Status& s) { return Fail(kFailed, s.message()); }

}  // namespace hoso::cli
