// hoso subject export and hoso subject list: a person's data-subject request answered through
// the running node (POST /v1/subjects/export, which records the request and its answer and
// the export as a read), and the requests the node holds with whether each was answered
// within 2 working days (GET /v1/subjects). docs/privacy.md "Data-subject requests (built)".
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "core/domain/subject_requests.h"
#include "node/json.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

// The case fields as clerks name them, in the order they are printed; a field not listed
// keeps its name and comes after them.
const std::pair<const char*, const char*> kLabels[] = {
    {"status", "Trạng thái"},
    {"procedure", "Mã thủ tục"},
    {"procedure_name", "Tên thủ tục"},
    {"agency", "Cơ quan giải quyết"},
    {"applicant", "Người nộp"},
    {"name", "Họ và tên"},
    {"id_no", "Số định danh"},
    {"phone", "Điện thoại"},
    {"email", "Thư điện tử"},
    {"address", "Địa chỉ"},
    {"documents", "Giấy tờ"},
    {"channel", "Hình thức nộp"},
    {"received_at", "Ngày tiếp nhận"},
    {"due_at", "Hẹn trả kết quả"},
    {"finished_at", "Ngày giải quyết xong"},
    {"delivered_at", "Ngày trả kết quả"},
    {"supplement_since", "Chờ bổ sung từ"},
    {"supplement_count", "Số lần yêu cầu bổ sung"},
    {"paused_ms", "Thời gian tạm dừng (ms)"},
    {"processing_days", "Số ngày giải quyết"},
    {"working_days", "Tính theo ngày làm việc"},
    {"fee", "Lệ phí (đồng)"},
    {"return_by_post", "Trả kết quả qua bưu điện"},
    {"return_address", "Địa chỉ nhận kết quả"},
    {"note", "Ghi chú"},
    {"tracking", "Mã vận đơn"},
    {"residence", "Nơi cư trú"},
    {"route_to", "Chuyển đến"},
    {"linked", "Hồ sơ liên quan"},
    {"source", "Hồ sơ gốc"},
    {"kind", "Loại"},
    {"count", "Số bản"},
};

const char* FieldLabel(std::string_view name) {
  for (const auto& [k, v] : kLabels) {
    if (name == k) return v;
  }
  return nullptr;
}

// The members of `o` in the order of kLabels, then the others in theirs.
std::vector<std::pair<std::string_view, const json::value*>> Ordered(const json::object& o) {
  std::vector<std::pair<std::string_view, const json::value*>> out;
  for (const auto& [k, v] : kLabels) {
    if (const json::value* x = o.if_contains(k)) out.emplace_back(k, x);
  }
  for (const auto& [k, v] : o) {
    if (!FieldLabel(k)) out.emplace_back(k, &v);
  }
  return out;
}

std::string Label(std::string_view name) {
  const char* l = FieldLabel(name);
  return l ? l : ForTerminal(name);
}

// A value for people: times (fields ending in "_at" or "_since") in Vietnam's local time,
// booleans in words, maps as "label: value" pairs, arrays one after the other.
std::string Shown(std::string_view name, const json::value& v) {
  if (v.is_string()) {
    return ValueText(name, v.as_string());
  }
  if (v.is_bool()) return v.as_bool() ? "có" : "không";
  if (v.is_null()) return "(không có)";
  if ((v.is_uint64() || v.is_int64()) && (name.ends_with("_at") || name.ends_with("_since"))) {
    json::error_code ec;
    int64_t ms = v.to_number<int64_t>(ec);
    if (!ec) return Local(json::value(node::FormatTime(ms)));
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : Ordered(v.as_object())) {
      out += (out.empty() ? "" : "; ") + Label(k) + ": " + Shown(k, *x);
    }
    return out;
  }
  if (v.is_array()) {
    std::string out;
    for (const json::value& x : v.as_array()) out += (out.empty() ? "" : " | ") + Shown("", x);
    return out;
  }
  return ForTerminal(json::serialize(v));
}

const char* ViewName(std::string_view view) {
  if (view == "case") return "trang hồ sơ";
  if (view == "list") return "danh sách";
  if (view == "slip") return "phiếu hẹn";
  if (view == "export") return "xuất dữ liệu";
  return "";
}

std::string Verdict(const Answer& r) {
  const json::object* o = r.value().if_object();
  const json::value* in_time = o ? o->if_contains("in_time") : nullptr;
  if (in_time && in_time->is_bool()) return in_time->as_bool() ? "trong hạn" : "quá hạn";
  const json::value* overdue = o ? o->if_contains("overdue") : nullptr;
  return overdue && overdue->is_bool() && overdue->as_bool() ? "chưa trả lời (quá hạn)"
                                                             : "chưa trả lời";
}

// The export as a readable UTF-8 text (Markdown headings and lists, no HTML).
Result<std::string> ExportText(const Answer& answer) {
  std::string t;
  auto line = [&](const std::string& s) { t += s + "\n"; };
  HOSO_ASSIGN_OR_RETURN(Answer request, answer.Field("request"));
  HOSO_ASSIGN_OR_RETURN(Answer exported, answer.Field("exported_at"));
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> cases, answer.Elements("cases"));
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> reads, answer.Elements("reads"));
  line("# Dữ liệu cá nhân của người có số định danh " + answer.Str("id_number"));
  line("");
  line("Đơn vị trả lời: " + answer.Str("unit") + ". Xuất lúc: " + Local(exported.value()) + ".");
  HOSO_ASSIGN_OR_RETURN(Answer answered, request.Field("answered_at"));
  line("Yêu cầu " + request.Str("code") + ": nhận ngày " + request.Str("received") +
       ", hạn trả lời " + request.Str("due") + ", trả lời lúc " + Local(answered.value()) + " (" +
       Verdict(request) + ").");
  line("");
  if (cases.empty()) {
    line("Đơn vị không lưu hồ sơ nào của người có số định danh này.");
  } else {
    line("Đơn vị lưu " + std::to_string(cases.size()) + " hồ sơ của người này.");
  }
  for (const Answer& c : cases) {
    HOSO_ASSIGN_OR_RETURN(const json::object* fields, c.Object("fields"));
    HOSO_ASSIGN_OR_RETURN(std::vector<Answer> history, c.Elements("history"));
    line("");
    line("## Hồ sơ " + c.Str("code"));
    line("");
    line("- Đơn vị tiếp nhận: " + c.Str("office"));
    for (const auto& [k, v] : Ordered(*fields)) line("- " + Label(k) + ": " + Shown(k, *v));
    const json::object* co = c.value().if_object();
    if (const json::value* e = co ? co->if_contains("erasure") : nullptr; e && e->is_object()) {
      const json::object& erasure = e->as_object();
      const json::value* at = erasure.if_contains("at");
      line("- Dữ liệu cá nhân: đã xoá ngày " + (at ? Local(*at) : "") + " theo quyết định " +
           Str(erasure, "decision") + " (" + Str(erasure, "ground") + ")");
    } else if (const json::value* h = co ? co->if_contains("hidden") : nullptr;
               h && h->is_object()) {
      for (const auto& [k, why] : h->as_object()) {
        line("- " + Label(k) + ": không hiển thị được (" +
             (why.is_string() && why.as_string() == "no_key" ? "máy này chưa có khoá của hồ sơ"
                                                             : "dữ liệu không hợp lệ") +
             ")");
      }
    }
    line("");
    line("### Lịch sử hồ sơ");
    line("");
    for (const Answer& h : history) {
      HOSO_ASSIGN_OR_RETURN(Answer at, h.Field("at"));
      HOSO_ASSIGN_OR_RETURN(Answer changes, h.Field("changes"));
      std::string what;
      if (const json::object* o = changes.value().if_object()) {
        for (const auto& [k, v] : Ordered(*o)) {
          what += (what.empty() ? "" : "; ") + Label(k) + ": " + Shown(k, *v);
        }
      }
      line("- " + Local(at.value()) + ", đơn vị " + h.Str("office") + ", cán bộ " +
           h.Str("officer") + ", " + h.Str("type") + (what.empty() ? "" : ": " + what));
    }
  }
  const json::object* whole = answer.value().if_object();
  const json::value* earlier = whole ? whole->if_contains("earlier_requests") : nullptr;
  if (earlier && earlier->is_array() && !earlier->as_array().empty()) {
    line("");
    line("## Các yêu cầu trước đây của người này");
    line("");
    for (const json::value& v : earlier->as_array()) {
      Answer r(v);
      const json::object* o = v.if_object();
      const json::value* at = o ? o->if_contains("answered_at") : nullptr;
      line("- " + r.Str("code") + ": nhận ngày " + r.Str("received") + ", hạn trả lời " +
           r.Str("due") + ", trả lời lúc " + (at ? Local(*at) : "") + " (" + Verdict(r) + "), " +
           r.Str("cases") + " hồ sơ");
    }
  }
  line("");
  line("## Những lượt xem dữ liệu này");
  line("");
  if (reads.empty()) line("Chưa có lượt xem nào được ghi nhận.");
  for (const Answer& r : reads) {
    HOSO_ASSIGN_OR_RETURN(Answer at, r.Field("at"));
    std::string purpose = r.Str("purpose");
    line("- " + Local(at.value()) + ": cán bộ " + r.Str("officer") + " (đơn vị " + r.Str("unit") +
         ") xem hồ sơ " + r.Str("case") + " trên " + ViewName(r.Str("view")) +
         (purpose.empty() ? "" : ", mục đích: " + purpose));
  }
  return t;
}

// Writes `text` to `path`, readable by its owner only (it holds a person's data).
int WriteFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(kFailed, "cannot write " + path);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Fail(kFailed, "cannot write " + path);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Fail(kFailed, "cannot write " + path);
  return kOk;
}

}  // namespace

int SubjectExportCmd(const Args& a) {
  const std::string id = a.Get("id-number");
  if (!IsIdNumber(id)) {
    return Fail(kUsage,
                "Số định danh cá nhân phải gồm 9 hoặc 12 chữ số (ví dụ 079123456789), "
                "không phải \"" +
                    ForTerminal(id) + "\". Yêu cầu chưa được ghi nhận.");
  }
  json::object req{{"officer", a.Get("officer", "system")}, {"id_number", id}};
  if (a.Has("received")) req["received"] = a.Get("received");
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/subjects/export", json::serialize(req), &out); rc != kOk) {
    return rc;
  }
  Answer answer(out);
  std::string text;
  if (a.json) {
    text = json::serialize(out) + "\n";
  } else {
    auto made = ExportText(answer);
    if (!made.ok()) return BadAnswer(made.status());
    text = std::move(made).value();
  }
  auto cases = answer.Elements("cases");
  if (!cases.ok()) return BadAnswer(cases.status());
  auto request = answer.Field("request");
  if (!request.ok()) return BadAnswer(request.status());
  if (a.Has("out")) {
    if (int rc = WriteFile(a.Get("out"), text); rc != kOk) return rc;
    std::printf(
        "Đã xuất dữ liệu của người có số định danh %s (%zu hồ sơ) vào %s; yêu cầu được "
        "ghi nhận là %s.\n",
        ForTerminal(id).c_str(), cases->size(), ForTerminal(a.Get("out")).c_str(),
        request->Str("code").c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  if (cases->empty()) {
    return Fail(kNotFound, "Không có hồ sơ nào của người có số định danh " + ForTerminal(id) +
                               " tại máy này. Yêu cầu và câu trả lời đã được ghi nhận (" +
                               request->Str("code") + ").");
  }
  return kOk;
}

int SubjectListCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/subjects", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  Answer answer(out);
  auto list = answer.Elements("requests");
  if (!list.ok()) return BadAnswer(list.status());
  if (list->empty()) {
    std::printf("Chưa có yêu cầu nào của chủ thể dữ liệu.\n");
    return kOk;
  }
  std::printf("%s %s %s %s %s %s %s %s\n", PadUtf8("Yêu cầu", 26).c_str(),
              PadUtf8("Đơn vị", 8).c_str(), PadUtf8("Nhận ngày", 11).c_str(),
              PadUtf8("Hạn trả lời", 12).c_str(), PadUtf8("Trả lời lúc", 17).c_str(),
              PadUtf8("Kết quả", 23).c_str(), PadUtf8("Hồ sơ", 6).c_str(), "Số định danh");
  for (const Answer& r : *list) {
    auto answered = r.Field("answered_at");
    if (!answered.ok()) return BadAnswer(answered.status());
    std::string id = r.Str("id_number");
    if (id.empty()) id = r.Str("id_hidden") == "erased" ? "(đã xoá)" : "(không mở được)";
    std::printf("%s %s %s %s %s %s %s %s\n", PadUtf8(r.Str("code"), 26).c_str(),
                PadUtf8(r.Str("unit"), 8).c_str(), PadUtf8(r.Str("received"), 11).c_str(),
                PadUtf8(r.Str("due"), 12).c_str(), PadUtf8(Local(answered->value()), 17).c_str(),
                PadUtf8(Verdict(r), 23).c_str(), PadUtf8(r.Str("cases"), 6).c_str(), id.c_str());
  }
  std::printf("%zu yêu cầu: %s trong hạn, %s quá hạn, %s chưa trả lời.\n", list->size(),
              answer.Str("in_time").c_str(), answer.Str("late").c_str(),
              answer.Str("waiting").c_str());
  return kOk;
}

}  // namespace hoso::cli
