#include "sync/health.h"

#include <algorithm>

#include "core/format/cbor.h"
#include "core/format/event.h"

namespace hoso::sync {
namespace {

constexpr std::string_view kHealthMagic = "hoso/health/v1";
constexpr std::string_view kMetaPrefix = "health/";  // "health/" unit -> held record
constexpr std::string_view kMetaSeq = "healthseq";   // u64 decimal: this node's last seq
constexpr size_t kFields = 13;

std::string SignedMessage(std::string_view body) {
  std::string m(kHealthMagic);
  m.push_back('\0');
  m.append(body);
  return m;
}

Status Bad(const std::string& what) { return Status::InvalidArgument("HEALTH report: " + what); }

Status CheckText(const char* field, const std::string& t) {
  if (t.size() > kMaxHealthTextBytes) {
    return Bad(std::string(field) + " over " + std::to_string(kMaxHealthTextBytes) + " bytes");
  }
  for (unsigned char c : t) {
    if (c < 0x20 || c > 0x7e) return Bad(std::string(field) + " is not printable ASCII");
  }
  return Status::Ok();
}

Status CheckTime(const char* field, int64_t ms, bool zero_ok) {
  if (zero_ok && ms == 0) return Status::Ok();
  if (ms < kHealthMinTimeMs || ms > kHealthMaxTimeMs) {
    return Bad(std::string(field) + " " + std::to_string(ms) + " is outside 2010..2100");
  }
  return Status::Ok();
}

// The held record: [body, signature, relayed_by, received_ms].
std::string EncodeHeld(const HeldHealth& h) {
  cbor::Value v = cbor::Value::Array();
  v.Append(cbor::Value::Bytes(h.signed_report.body));
  v.Append(cbor::Value::Bytes(h.signed_report.signature));
  v.Append(cbor::Value::Text(h.relayed_by));
  v.Append(cbor::Value::Int(h.received_ms));
  return cbor::Encode(v);
}

bool Newer(const HealthReport& a, const HealthReport& b) {  // a later than b
  return a.epoch != b.epoch ? a.epoch > b.epoch : a.seq > b.seq;
}

}  // namespace

std::string EncodeHealthReport(const HealthReport& r) {
  cbor::Value v = cbor::Value::Array();
  v.Append(cbor::Value::Text(kHealthMagic));
  v.Append(cbor::Value::Text(r.unit));
  v.Append(cbor::Value::Uint(r.epoch));
  v.Append(cbor::Value::Uint(r.seq));
  v.Append(cbor::Value::Int(r.made_at_ms));
  v.Append(cbor::Value::Text(r.version));
  v.Append(cbor::Value::Uint(r.protocol));
  v.Append(cbor::Value::Text(r.store_format));
  v.Append(cbor::Value::Int(r.clock_skew_ms));
  v.Append(cbor::Value::Int(r.last_sync_ms));
  v.Append(cbor::Value::Uint(r.events_waiting));
  v.Append(cbor::Value::Text(r.self_check));
  v.Append(cbor::Value::Uint(r.disk_free_bytes));
  return cbor::Encode(v);
}

Result<HealthReport> DecodeHealthReport(std::string_view body) {
  if (body.size() > kMaxHealthReportBytes) {
    return Status::OutOfRange("HEALTH report of " + std::to_string(body.size()) +
                              " bytes exceeds " + std::to_string(kMaxHealthReportBytes));
  }
  cbor::Limits limits;
  limits.max_input = kMaxHealthReportBytes;
  limits.max_depth = 2;
  limits.max_string = kMaxHealthReportBytes;
  limits.max_collection = kFields;
  limits.max_items = kFields + 1;
  auto decoded = cbor::Decode(body, limits);
  if (!decoded.ok()) return decoded.status().Annotate("HEALTH report");
  const cbor::Value& v = *decoded;
  if (!v.is_array() || v.items().size() != kFields) return Bad("not an array of 13 fields");
  const auto& f = v.items();
  HealthReport r;
  if (!f[0].is_text() || f[0].str() != kHealthMagic) return Bad("not hoso/health/v1");
  if (!f[1].is_text() || !f[2].is_uint() || !f[3].is_uint() || !f[5].is_text() || !f[6].is_uint() ||
      !f[7].is_text() || !f[10].is_uint() || !f[11].is_text() || !f[12].is_uint() ||
      !f[4].ToInt64(&r.made_at_ms) || !f[8].ToInt64(&r.clock_skew_ms) ||
      !f[9].ToInt64(&r.last_sync_ms)) {
    return Bad("a field of the wrong type");
  }
  r.unit = f[1].str();
  r.epoch = f[2].uint();
  r.seq = f[3].uint();
  r.version = f[5].str();
  r.protocol = f[6].uint();
  r.store_format = f[7].str();
  r.events_waiting = f[10].uint();
  r.self_check = f[11].str();
  r.disk_free_bytes = f[12].uint();
  HOSO_RETURN_IF_ERROR(ValidateName("HEALTH unit", r.unit));
  if (r.epoch == 0 || r.epoch > 0xffffffffu) return Bad("epoch outside 1..2^32");
  if (r.seq == 0 || r.seq > kHealthMaxCount) return Bad("seq outside 1..2^53");
  HOSO_RETURN_IF_ERROR(CheckTime("made_at_ms", r.made_at_ms, false));
  HOSO_RETURN_IF_ERROR(CheckTime("last_sync_ms", r.last_sync_ms, true));
  if (r.clock_skew_ms < -kHealthMaxSkewMs || r.clock_skew_ms > kHealthMaxSkewMs) {
    return Bad("clock_skew_ms beyond 20 years");
  }
  if (r.protocol == 0 || r.protocol > 1000) return Bad("protocol outside 1..1000");
  HOSO_RETURN_IF_ERROR(CheckText("version", r.version));
  HOSO_RETURN_IF_ERROR(CheckText("store_format", r.store_format));
  HOSO_RETURN_IF_ERROR(CheckText("self_check", r.self_check));
  if (r.self_check != "running" && r.self_check != "passed" && r.self_check != "damaged" &&
      r.self_check != "unknown") {
    return Bad("self_check is not running, passed, damaged or unknown");
  }
  if (r.events_waiting > kHealthMaxCount) return Bad("events_waiting over 2^53");
  if (r.disk_free_bytes > kHealthMaxCount) return Bad("disk_free_bytes over 2^53");
  // One report, one encoding: a relay cannot make two bodies of one report.
  if (EncodeHealthReport(r) != body) return Bad("not in canonical form");
  return r;
}

Result<std::string> SignHealthReport(std::string_view body, const SigningKey& key) {
  return key.Sign(SignedMessage(body));
}

Status VerifyHealthReport(std::string_view body, std::string_view signature,
                          std::string_view public_key) {
  if (signature.size() != kSignatureSize) return Bad("signature of the wrong size");
  return VerifyEd25519(public_key, SignedMessage(body), signature);
}

HealthBook::HealthBook(Store* store, const Clock* clock, HealthOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      me_(store->options().identity ? store->options().identity->unit : "") {
  std::string seq;
  if (store_->GetMeta(kMetaSeq, &seq).ok()) {
    try {
      seq_ = std::stoull(seq);
    } catch (...) {
      seq_ = 0;
    }
  }
  Status s = store_->ScanMeta(kMetaPrefix, [&](std::string_view, std::string_view value) {
    cbor::Limits limits;
    limits.max_input = 2 * kMaxHealthReportBytes + 512;
    limits.max_depth = 2;
    auto v = cbor::Decode(value, limits);
    if (!v.ok() || !v->is_array() || v->items().size() != 4) return true;
    const auto& f = v->items();
    HeldHealth h;
    if (!f[0].is_bytes() || !f[1].is_bytes() || !f[2].is_text() || !f[3].ToInt64(&h.received_ms)) {
      return true;
    }
    auto r = DecodeHealthReport(f[0].str());
    if (!r.ok()) return true;
    h.report = std::move(r).value();
    h.signed_report = {f[0].str(), f[1].str()};
    h.relayed_by = f[2].str();
    h.generation = ++generation_;
    held_[h.report.unit] = std::move(h);
    return true;
  });
  (void)s;  // a node that cannot read them starts with none: they come again within a minute
  thread_ = std::thread([this] { Run(); });
}

HealthBook::~HealthBook() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HealthBook::SetLocalSource(std::function<LocalHealth()> source) {
  {
    std::lock_guard<std::mutex> running(source_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    source_ = std::move(source);
    refresh_ = true;
  }
  wake_.notify_all();
}

void HealthBook::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  auto next_refresh = std::chrono::steady_clock::now();
  while (true) {
    wake_.wait_until(lock, next_refresh,
                     [&] { return stop_ || refresh_ || !dirty_.empty() || seq_dirty_; });
    // Persist what changed: off the io threads, without the lock.
    MetaBatch batch;
    bool any = false;
    for (const auto& unit : dirty_) {
      auto it = held_.find(unit);
      if (it == held_.end()) continue;
      batch.Put(std::string(kMetaPrefix) + unit, EncodeHeld(it->second));
      any = true;
    }
    dirty_.clear();
    if (seq_dirty_) {
      batch.Put(std::string(kMetaSeq), std::to_string(seq_));
      seq_dirty_ = false;
      any = true;
    }
    if (any) {
      lock.unlock();
      Status s = store_->WriteMeta(batch, false);
      (void)s;  // a lost record is sent again by the office within an interval
      lock.lock();
    }
    if (stop_) {
      if (dirty_.empty() && !seq_dirty_) break;
      continue;  // written while the lock was let go
    }
    if (refresh_ || std::chrono::steady_clock::now() >= next_refresh) {
      refresh_ = false;
      next_refresh = std::chrono::steady_clock::now() + options_.interval;
      lock.unlock();
      {
        std::lock_guard<std::mutex> running(source_mu_);
        std::function<LocalHealth()> source;
        {
          std::lock_guard<std::mutex> relock(mu_);
          source = source_;
        }
        if (source) {
          LocalHealth local = source();  // statvfs, the store's records: on this thread
          std::lock_guard<std::mutex> relock(mu_);
          local_ = std::move(local);
        }
      }
      lock.lock();
    }
  }
}

Result<SignedReport> HealthBook::MakeOwn(int64_t clock_skew_ms) {
  const auto& id = store_->options().identity;
  if (!id) return Status::FailedPrecondition("no node identity to sign a health report");
  HealthReport r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    r.seq = ++seq_;
    seq_dirty_ = true;
    r.version = local_.version;
    r.store_format = local_.store_format;
    r.last_sync_ms = local_.last_sync_ms;
    r.events_waiting = std::min(local_.events_waiting, kHealthMaxCount);
    r.self_check = local_.self_check;
    r.disk_free_bytes = std::min(local_.disk_free_bytes, kHealthMaxCount);
  }
  wake_.notify_all();
  r.unit = id->unit;
  r.epoch = id->epoch;
  r.made_at_ms = std::clamp(clock_->NowMs(), kHealthMinTimeMs, kHealthMaxTimeMs);
  r.protocol = kProtocolVersion;
  r.clock_skew_ms = std::clamp(clock_skew_ms, -kHealthMaxSkewMs, kHealthMaxSkewMs);
  if (r.last_sync_ms != 0) {
    r.last_sync_ms = std::clamp(r.last_sync_ms, kHealthMinTimeMs, kHealthMaxTimeMs);
  }
  std::string body = EncodeHealthReport(r);
  HOSO_ASSIGN_OR_RETURN(std::string signature, SignHealthReport(body, id->key));
  return SignedReport{std::move(body), std::move(signature)};
}

bool HealthBook::InScope(std::string_view unit) const {
  return unit != me_ && store_->DirectorySnapshot()->IsAncestorOrSelf(me_, unit, clock_->NowMs());
}

Status HealthBook::Accept(std::string_view peer_unit, const std::vector<SignedReport>& reports,
                          size_t* kept) {
  if (kept) *kept = 0;
  if (reports.size() > kMaxHealthReports) {
    return Status::OutOfRange("HEALTH of " + std::to_string(reports.size()) + " reports exceeds " +
                              std::to_string(kMaxHealthReports));
  }
  auto dir = store_->DirectorySnapshot();
  const int64_t now = clock_->NowMs();
  if (peer_unit == me_ || !dir->IsAncestorOrSelf(me_, peer_unit, now)) {
    return Status::PermissionDenied("HEALTH from " + std::string(peer_unit) +
                                    ", which is not below this node");
  }
  std::vector<HeldHealth> fresh;
  std::set<std::string> units;
  for (const SignedReport& sr : reports) {
    HOSO_ASSIGN_OR_RETURN(HealthReport r, DecodeHealthReport(sr.body));
    if (r.unit == me_ || !dir->IsAncestorOrSelf(me_, r.unit, now) ||
        !dir->IsAncestorOrSelf(peer_unit, r.unit, now)) {
      return Status::PermissionDenied("HEALTH report of " + r.unit + " relayed by " +
                                      std::string(peer_unit) + ", outside its scope");
    }
    if (!units.insert(r.unit).second) return Bad("two reports of " + r.unit);
    auto key = store_->OriginKey(r.unit, r.epoch);
    if (!key.ok()) continue;  // its key comes with its first batch: the next report verifies
    if (Status v = VerifyHealthReport(sr.body, sr.signature, *key); !v.ok()) {
      return Status::PermissionDenied("HEALTH report of " + r.unit + "#" + std::to_string(r.epoch) +
                                      " does not verify");
    }
    HeldHealth h;
    h.report = std::move(r);
    h.signed_report = sr;
    h.relayed_by = std::string(peer_unit);
    h.received_ms = now;
    fresh.push_back(std::move(h));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& h : fresh) {
      auto it = held_.find(h.report.unit);
      if (it != held_.end() && !Newer(h.report, it->second.report)) continue;
      h.generation = ++generation_;
      dirty_.insert(h.report.unit);
      std::string unit = h.report.unit;
      held_[unit] = std::move(h);
      if (kept) ++*kept;
    }
  }
  wake_.notify_all();
  return Status::Ok();
}

std::vector<HeldHealth> HealthBook::HeldAfter(uint64_t generation) const {
  std::vector<HeldHealth> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [unit, h] : held_) {
      if (h.generation > generation) out.push_back(h);
    }
  }
  // A re-draw may have moved a unit out of this node's scope since its report came.
  std::erase_if(out, [&](const HeldHealth& h) { return !InScope(h.report.unit); });
  return out;
}

std::vector<HeldHealth> HealthBook::Held() const { return HeldAfter(0); }

uint64_t HealthBook::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

LocalHealth HealthBook::Local() const {
  std::lock_guard<std::mutex> lock(mu_);
  return local_;
}

}  // namespace hoso::sync
