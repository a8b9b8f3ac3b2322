// Prints the "cases" workload as JSON lines, for peer baselines in other languages:
//   {"case": {...reception...}}            one per case, the document as received
//   {"update": {"case_id": ..., ...}}      the five updates, in rounds (all cases' update 1, ...)
//
//   workload_json CASES [SEED]
#include <cstdio>
#include <string>

#include "bench/bench_util.h"
#include "tools/workload.h"

using namespace hoso;

namespace {

void Json(const cbor::Value& v, std::string* out) {
  switch (v.kind()) {
    case cbor::Value::Kind::kUint:
      *out += std::to_string(v.uint());
      return;
    case cbor::Value::Kind::kText: {
      *out += '"';
      for (char c : v.str()) {
        if (c == '"' || c == '\\') *out += '\\';
        *out += c;
      }
      *out += '"';
      return;
    }
    case cbor::Value::Kind::kMap: {
      *out += '{';
      for (size_t i = 0; i + 1 < v.items().size(); i += 2) {
        if (i) *out += ',';
        Json(v.items()[i], out);
        *out += ':';
        Json(v.items()[i + 1], out);
      }
      *out += '}';
      return;
    }
    default:
      *out += "null";
      return;
  }
}

void Emit(const char* kind, const LocalWrite& w) {
  cbor::Value doc = w.body;
  doc.Set("case_id", cbor::Value::Text(w.case_code));
  doc.Set("office", cbor::Value::Text(w.channel));
  doc.Set("officer", cbor::Value::Text(w.officer));
  std::string line = std::string("{\"") + kind + "\":";
  Json(doc, &line);
  line += "}\n";
  std::fputs(line.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t cases = 0, seed = 42;
  if (argc < 2 || argc > 3 || !bench::ParseWholeNumber(argv[1], &cases) ||
      (argc == 3 && !bench::ParseWholeNumber(argv[2], &seed))) {
    std::fprintf(stderr, "usage: workload_json CASES [SEED] (whole numbers)\n");
    return 2;
  }
  CaseWorkload w(seed);
  for (uint64_t i = 0; i < cases; ++i) Emit("case", w.Reception(i));
  for (int k = 1; k <= CaseWorkload::kUpdates; ++k) {
    for (uint64_t i = 0; i < cases; ++i) Emit("update", w.Update(i, k));
  }
  return 0;
}
