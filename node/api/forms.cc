// What the counter's printed forms need beyond a case's page (docs/forms.md): the tracking
// register (Form 06, GET /v1/register) and the modules of a QR code (GET /v1/qr), which the
// web app draws as SVG squares. The QR code is libqrencode's (Debian libqrencode4): a
// standard encoder, well kept, that phones' cameras read; writing one here would be a few
// hundred lines of Reed-Solomon and masking for nothing.
#include <qrencode.h>

#include <memory>

#include "core/domain/calendar.h"
#include "core/domain/lifecycle.h"
#include "core/domain/personal_data.h"
#include "core/domain/register.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Invalid;
using api::Json;
using api::NumberParam;

namespace {

constexpr size_t kMaxQrText = 128;
constexpr size_t kRegisterPage = 2000;  // lines per answer

int64_t Ms(const cbor::Value& v) {
  return v.is_uint() && v.uint() <= static_cast<uint64_t>(INT64_MAX)
             ? static_cast<int64_t>(v.uint())
             : -1;
}

void PutTime(json::object* o, const char* name, int64_t ms) {
  if (ms >= 0) (*o)[name] = FormatTime(ms);
}

// "YYYY-MM-DD" as the instant its local day starts.
Result<int64_t> DayStart(const std::string& text) {
  HOSO_ASSIGN_OR_RETURN(int64_t day, ParseDay(text));
  return WorkingCalendar::DayStartMs(day);
}

}  // namespace

HttpResponse LocalApi::QrCode(Call& call) {
  auto it = call.query.find("text");
  if (it == call.query.end() || it->second.empty() || it->second.size() > kMaxQrText) {
    return Invalid("text", "1 to " + std::to_string(kMaxQrText) + " bytes to encode",
                   "cần nội dung để tạo mã QR");
  }
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString8bit(it->second.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!qr) return FromStatus(Status::OutOfRange("the text does not fit a QR code"));
  json::array rows;
  for (int y = 0; y < qr->width; ++y) {
    std::string row(static_cast<size_t>(qr->width), '0');
    for (int x = 0; x < qr->width; ++x) {
      if (qr->data[y * qr->width + x] & 1) row[static_cast<size_t>(x)] = '1';
    }
    rows.push_back(json::value(row));
  }
  return Json(200, json::object{{"size", qr->width}, {"rows", std::move(rows)}});
}

HttpResponse LocalApi::Register(Call& call) {
  static const std::set<std::string> known = {"office", "from",    "to",   "from_line",
                                              "limit",  "purpose", "view", "officer"};
  for (const auto& [k, v] : call.query) {
    if (!known.count(k)) {
      return Error(400, "invalid", k, "unknown query parameter", "Tham số không hợp lệ: " + k);
    }
  }
  auto get = [&](const char* k) {
    auto it = call.query.find(k);
    return it == call.query.end() ? std::string() : it->second;
  };
  const auto& o = store_->options();
  std::string office = get("office");
  if (office.empty() && o.identity) office = o.identity->unit;
  auto from = DayStart(get("from")), to = DayStart(get("to"));
  if (!from.ok())
    return Invalid("from", from.status().message(), "Từ ngày: phải có dạng YYYY-MM-DD");
  if (!to.ok()) return Invalid("to", to.status().message(), "Đến ngày: phải có dạng YYYY-MM-DD");
  const int64_t end = *to + WorkingCalendar::kDayMs;  // "to" is included
  int64_t y1, y2;
  unsigned m, d;
  CivilFromDays(WorkingCalendar::LocalDay(*from), &y1, &m, &d);
  CivilFromDays(WorkingCalendar::LocalDay(*to), &y2, &m, &d);
  if (*to < *from) {
    return Invalid("to", "the period ends before it starts",
                   "Đến ngày phải sau hoặc bằng từ ngày.");
  }
  if (y1 != y2) {
    return Invalid("to", "a register page covers one volume (one year)",
                   "Mỗi quyển sổ là một năm: hãy chọn khoảng thời gian trong cùng một năm.");
  }
  uint64_t first_line = 1, limit = kRegisterPage;
  if (auto e = NumberParam(call.query, "from_line", 1, kMaxVolumeLines, &first_line)) return *e;
  if (auto e = NumberParam(call.query, "limit", 1, kRegisterPage, &limit)) return *e;
  auto page = RegisterPeriod(*store_, office, static_cast<int>(y1), *from, end, first_line, limit);
  if (!page.ok()) return FromStatus(page.status());
  json::array out;
  std::vector<std::string> read;
  for (const RegisterEntry& e : page->lines) {
    auto view = store_->GetCase(e.code);
    if (!view.ok()) continue;
    const CaseState& st = view->state;
    int64_t received = Ms(st.Get("received_at"));
    if (received < *from || received >= end) continue;
    json::object line{{"line", e.line}, {"code", e.code}};
    line["procedure"] = st.TextOr("procedure", "");
    line["procedure_name"] = st.TextOr("procedure_name", "");
    line["agency"] = st.TextOr("agency", "");
    line["status"] = st.TextOr("status", "");
    if (cbor::Value n = st.Get("sets"); n.is_uint()) line["sets"] = n.uint();
    const FieldState* who = st.Field("applicant");
    const LiveWrite* winner = who ? st.Winner(*who) : nullptr;
    cbor::Value applicant =
        winner ? ShowField(*store_, e.code, "applicant", winner->value).value : cbor::Value::Null();
    if (applicant.is_map()) {
      for (const char* k : {"name", "address", "phone"}) {
        const cbor::Value* v = applicant.Find(k);
        if (v && v->is_text()) line[std::string("applicant_") + k] = v->str();
      }
    }
    PutTime(&line, "received_at", received);
    PutTime(&line, "due_at", Ms(st.Get("due_at")));
    PutTime(&line, "appointment_at", Ms(st.Get("appointment_at")));
    PutTime(&line, "finished_at", Ms(st.Get("finished_at")));
    // The hand-overs: to the agency, and the result back to the citizen.
    for (const auto& h : view->history) {
      const cbor::Value* s = h.event.body.Find("status");
      if (!s || !s->is_text()) continue;
      int64_t at = static_cast<int64_t>(h.event.hlc >> 16);
      const std::string& status = s->str();
      if ((status == "posted_to_agency" || status == "forwarded") && !line.contains("sent_at"))
        PutTime(&line, "sent_at", at);
      if ((status == "delivered" || status == "returned") && !line.contains("returned_at"))
        PutTime(&line, "returned_at", at);
    }
    out.push_back(std::move(line));
    read.push_back(e.code);
  }
  RecordRead(call, std::move(read), "list");
  return Json(200, json::object{{"office", office},
                                {"volume", y1},
                                {"from", get("from")},
                                {"to", get("to")},
                                {"lines", std::move(out)},
                                {"volume_lines", page->volume_lines},
                                {"next_line", page->next_line}});
}

}  // namespace hoso::node
