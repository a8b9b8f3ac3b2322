// Calling a running node's local API from the hoso command line, and reading its answer.
// What a node answers is data from another program (another version, a broken or hostile
// node), so every field the CLI relies on is read through Answer: a missing or mistyped field
// is an error that names it ("cases[2].overdue is a string, not a boolean"), printed with exit
// 1, never a Boost.JSON exception out of main.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "tools/cli/flags.h"

namespace hoso::cli {

// Calls the node whose data directory is --dir (default $HOSO_DIR, else "."). On success *out
// holds the parsed reply, a JSON object; otherwise returns the exit code after printing why.
int CallNode(const Args& a, const std::string& method, const std::string& target,
             const std::string& body, boost::json::value* out,
             const std::string& content_type = "application/json");

// A part of a node's answer and where it sits in it, so that errors can name the field. It
// points into the parsed answer, which must outlive it.
class Answer {
 public:
  // The whole answer.
  explicit Answer(const boost::json::value& v) : v_(&v) {}

  const boost::json::value& value() const { return *v_; }
  // "cases[2].due_at"; "" for the whole answer.
  const std::string& path() const { return path_; }

  // This part as an object.
  Result<const boost::json::object*> Object() const;
  // Member `key` of this part, which must be an object holding it.
  Result<Answer> Field(std::string_view key) const;
  // Member `key` as an object.
  Result<const boost::json::object*> Object(std::string_view key) const;
  // The elements of this part, which must be an array.
  Result<std::vector<Answer>> Elements() const;
  // The elements of the array in member `key`.
  Result<std::vector<Answer>> Elements(std::string_view key) const;
  // Member `key` as a boolean, a number.
  Result<bool> Bool(std::string_view key) const;
  Result<double> Number(std::string_view key) const;
  // This part as a string, escaped for the terminal (ForTerminal).
  Result<std::string> Text() const;
  // Member `key` for the terminal as Str prints it: "" when absent, or when this part is no
  // object. For fields the output can do without.
  std::string Str(const char* key) const;

 private:
  Answer(const boost::json::value& v, std::string path) : v_(&v), path_(std::move(path)) {}
  Status WrongType(const char* wanted) const;

  const boost::json::value* v_;
  std::string path_;
};

// Prints why the node's answer cannot be read and returns kFailed.
int BadAnswer(const Status& s);

}  // namespace hoso::cli
