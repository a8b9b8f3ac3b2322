#include "sync/session.h"

#include <zstd.h>

#include <algorithm>

#include "core/format/certificate.h"
#include "sync/receipt.h"

namespace hoso::sync {

SyncSession::SyncSession(Store* store, std::string peer_unit, uint64_t peer_epoch,
                         OriginVerifier verifier, const Clock* clock, SessionOptions options)
    : store_(store),
      peers_(store),
      peer_unit_(std::move(peer_unit)),
      peer_epoch_(peer_epoch),
      verifier_(std::move(verifier)),
      clock_(clock),
      options_(options),
      me_(store->options().identity ? store->options().identity->unit : ""),
      // Knowledge is per peer epoch: a node restored from a backup comes back under a new
      // epoch, and nothing we knew of its old self is assumed of it.
      peer_key_(PeerKey(peer_unit_, peer_epoch_)) {}

std::function<bool(const std::string&)> SyncSession::SharedFilter() const {
  // One directory snapshot serves every channel the filter is asked about.
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  return [dir, now, me = me_, peer = peer_unit_, store = store_](const std::string& channel) {
    return store->IsKnownSystemChannel(channel) ||
           (!IsSystemChannel(channel) && dir->InScope(me, channel, now) &&
            dir->InScope(peer, channel, now));
  };
}

Status CheckOriginCertificate(const OriginMsg& o, std::string_view ca_pem, std::string_view crl_pem,
                              int64_t now_s) {
  if (o.certificate.empty()) return Status::PermissionDenied("no certificate");
  HOSO_ASSIGN_OR_RETURN(CertificateInfo info,
                        VerifyNodeCertificate(o.certificate, ca_pem, crl_pem, now_s));
  if (info.unit != o.unit || info.epoch != o.epoch || info.public_key != o.public_key) {
    return Status::PermissionDenied("certificate is for " + info.unit + "#" +
                                    std::to_string(info.epoch) + " or another key");
  }
  return Status::Ok();
}

bool SyncSession::Shared(const std::string& channel) const { return SharedFilter()(channel); }

Status SyncSession::Start(std::vector<Message>* out) {
  auto known = peers_.Knowledge(peer_key_);
  if (!known.ok()) return Fail(known.status(), out);
  known_ = std::move(known).value();
  // Knowledge of "$..." streams that are no channel (stored before such CHANGES were ignored).
  auto invented = [this](const std::string& c) {
    return IsSystemChannel(c) && !store_->IsKnownSystemChannel(c);
  };
  if (std::erase_if(known_, [&](const auto& kv) { return invented(kv.first.channel); }) > 0) {
    Status s = peers_.ForgetKnowledge(peer_key_, invented);
    (void)s;  // kept on disk, ignored in memory: the next session tries again
  }
  auto seen = peers_.Counter(peer_key_);
  if (!seen.ok()) return Fail(seen.status(), out);
  auto features = peers_.Features(peer_key_);
  if (!features.ok()) return Fail(features.status(), out);
  if (*features) {
    features_known_ = true;
    peer_features_ = **features;
    peer_reads_keys_ = (peer_features_ & kFeatureCaseKeys) != 0;
  }
  Hello h;
  h.unit = me_;
  h.epoch = store_->options().identity ? store_->options().identity->epoch : 0;
  h.wall_ms = clock_->NowMs();
  h.counter = store_->CommitCounter();
  h.seen = *seen;
  hello_sent_ = true;
  out->push_back(Message(h));
  // What this node reads beyond the protocol: case keys and chunk asks always, HEALTH with a
  // book.
  out->push_back(Pong{kFeaturesPong, kFeatureCaseKeys | kFeatureDocuments |
                                         (options_.health ? kFeatureHealth : 0)});
  // Send at once what the peer lacks as far as we know, without waiting for its HELLO: its
  // certificate already proved who it is, and what we know of it came from its own
  // announcements and ACKs of durable commits (a restored node comes back under a new epoch,
  // of which we know nothing). On a slow link that saves a round trip on every connection.
  Schedule();
  Pump(out);
  return Status::Ok();
}

Status SyncSession::Fail(Status s, std::vector<Message>* out) {
  failed_ = true;
  out->push_back(ErrorMsg{CodeName(s.code()), s.message()});
  return s;
}

Status SyncSession::HandleMessage(Message in, std::vector<Message>* out) {
  if (failed_) return Status::FailedPrecondition("session already ended");
  if (const auto* e = std::get_if<ErrorMsg>(&in)) {
    failed_ = true;
    // The peer's words go to the log and the status: a bounded line (a message may hold a
    // MiB of text), cut on a character boundary.
    auto cut = [](const std::string& t) {
      constexpr size_t kMax = 256;
      if (t.size() <= kMax) return t;
      size_t n = kMax;
      while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xc0) == 0x80) --n;
      return t.substr(0, n) + "...";
    };
    return Status::FailedPrecondition("peer " + peer_unit_ + " ended the session: " + cut(e->code) +
                                      ": " + cut(e->text));
  }
  if (const auto* h = std::get_if<Hello>(&in)) return OnHello(*h, out);
  if (!hello_received_) {
    return Fail(Status::InvalidArgument(std::string(MessageName(in)) + " before HELLO"), out);
  }
  if (auto* b = std::get_if<BatchMsg>(&in)) return OnBatch(std::move(*b), out);
  if (const auto* a = std::get_if<Ack>(&in)) return OnAck(*a, out);
  if (const auto* o = std::get_if<OriginMsg>(&in)) return OnOrigin(*o, out);
  if (std::holds_alternative<ReceiptRequest>(in)) return OnReceiptRequest(out);
  if (const auto* r = std::get_if<ReceiptMsg>(&in)) return OnReceipt(*r, out);
  if (const auto* hm = std::get_if<HealthMsg>(&in)) return OnHealth(*hm, out);
  if (const auto* po = std::get_if<Pong>(&in); po && po->echoed_ms == kFeaturesPong) {
    return NoteFeatures(po->wall_ms, out);
  }
  // A peer announces its features right after its HELLO; one that does not has none.
  if (!features_checked_) HOSO_RETURN_IF_ERROR(NoteFeatures(0, out));
  if (auto* k = std::get_if<KeysMsg>(&in)) return OnKeys(std::move(*k), out);
  if (const auto* w = std::get_if<ChunkWant>(&in)) return OnChunkWant(*w, out);
  if (auto* ch = std::get_if<ChunkMsg>(&in)) return OnChunk(std::move(*ch), out);
  if (const auto* c = std::get_if<Changes>(&in)) return OnChanges(*c, out);
  if (const auto* p = std::get_if<Ping>(&in)) {
    out->push_back(Pong{p->wall_ms, clock_->NowMs()});
    return Status::Ok();
  }
  return Status::Ok();  // PONG: nothing to do beyond keeping the session alive
}

Status SyncSession::NoteFeatures(int64_t features, std::vector<Message>* out) {
  features_checked_ = true;
  peer_reads_health_ = (features & kFeatureHealth) != 0;
  peer_reads_keys_ = (features & kFeatureCaseKeys) != 0;
  if (!features_known_ || features != peer_features_) {
    Status s = peers_.SetFeatures(peer_key_, features);
    if (!s.ok()) return Fail(s, out);
  }
  peer_features_ = features;
  const bool first = !features_known_;
  features_known_ = true;
  if (first) Pump(out);  // held back until now
  return Status::Ok();
}

Status SyncSession::OnOrigin(const OriginMsg& o, std::vector<Message>* out) {
  if (verifier_) {
    Status v = verifier_(o);
    if (!v.ok()) {
      return Fail(Status::PermissionDenied("origin " + o.unit + "#" + std::to_string(o.epoch) +
                                           " refused: " + v.message()),
                  out);
    }
  }
  auto held = store_->OriginKey(o.unit, o.epoch);
  if (held.ok() && *held != o.public_key) {
    return Fail(Status::PermissionDenied("origin " + o.unit + "#" + std::to_string(o.epoch) +
                                         " announced with a key other than the one held"),
                out);
  }
  if (!held.ok()) {
    Status s = store_->TrustOrigin(o.unit, o.epoch, o.public_key, o.certificate);
    if (!s.ok()) return Fail(s, out);
  }
  return Status::Ok();
}

bool SyncSession::PeerIsParent() const {
  // Judged now, not at HELLO: a fresh node learns the directory during its first session.
  return peer_unit_ != me_ &&
         store_->DirectorySnapshot()->IsAncestorOrSelf(peer_unit_, me_, clock_->NowMs());
}

void SyncSession::SetPeerIdentity(std::string public_key, std::string certificate) {
  if (!store_->OriginKey(peer_unit_, peer_epoch_).ok()) {
    Status s = store_->TrustOrigin(peer_unit_, peer_epoch_, public_key, certificate);
    (void)s;  // without it the peer's receipts are refused, nothing else
  }
}

Status SyncSession::OnReceiptRequest(std::vector<Message>* out) {
  const auto& id = store_->options().identity;
  if (delivered_.empty() || !id) return Status::Ok();
  Receipt r{id->unit, id->epoch, clock_->NowMs(), peer_unit_, peer_epoch_, {}};
  for (const auto& stream : delivered_) {
    if (auto head = store_->Head(stream)) r.heads.emplace_back(stream, *head);
  }
  std::string body = EncodeReceipt(r);
  auto signature = SignReceipt(body, id->key);
  if (!signature.ok()) return Fail(signature.status(), out);
  delivered_.clear();
  ++stats_.receipts_sent;
  out->push_back(ReceiptMsg{std::move(body), std::move(signature).value()});
  return Status::Ok();
}

Status SyncSession::OnReceipt(const ReceiptMsg& m, std::vector<Message>* out) {
  auto r = DecodeReceipt(m.body);
  if (!r.ok()) return Fail(r.status().Annotate("RECEIPT"), out);
  if (r->holder != peer_unit_ || r->holder_epoch != peer_epoch_ || r->for_unit != me_) {
    return Fail(Status::PermissionDenied("RECEIPT names " + r->holder + " for " + r->for_unit +
                                         ", not this link"),
                out);
  }
  auto key = store_->OriginKey(peer_unit_, peer_epoch_);
  if (!key.ok()) return Status::Ok();  // no certificate key for the peer: kept nowhere
  if (Status v = VerifyReceipt(m.body, m.signature, *key); !v.ok()) {
    return Fail(Status::PermissionDenied("RECEIPT signature does not verify"), out);
  }
  Status s = peers_.AddReceipt({peer_unit_, peer_epoch_, r->at_ms, m.body, m.signature});
  if (!s.ok()) return Fail(s, out);
  ++stats_.receipts_received;
  return Status::Ok();
}

Status SyncSession::OnHello(const Hello& h, std::vector<Message>* out) {
  if (hello_received_) return Fail(Status::InvalidArgument("second HELLO"), out);
  // A newer peer speaks our version with us (it knows ours from this HELLO); an older one
  // is spoken to in its own, down to kMinProtocolVersion.
  if (h.version < kMinProtocolVersion) {
    return Fail(Status::InvalidArgument("protocol version " + std::to_string(h.version) +
                                        " is too old (this node speaks " +
                                        std::to_string(kMinProtocolVersion) + " to " +
                                        std::to_string(kProtocolVersion) + ")"),
                out);
  }
  stats_.protocol = std::min(h.version, kProtocolVersion);
  if (h.version < 3 && !features_checked_) {
    // Before version 3 a PONG announced features only with a health book, and never KEYS.
    features_checked_ = true;
    if (!features_known_ || peer_features_ != 0) {
      Status s = peers_.SetFeatures(peer_key_, 0);
      if (!s.ok()) return Fail(s, out);
    }
    features_known_ = true;
    peer_features_ = 0;
    peer_reads_keys_ = false;
  }
  if (h.unit != peer_unit_ || h.epoch != peer_epoch_) {
    return Fail(Status::PermissionDenied("peer claims unit " + h.unit + " epoch " +
                                         std::to_string(h.epoch) + " but its certificate is for " +
                                         peer_unit_ + " epoch " + std::to_string(peer_epoch_)),
                out);
  }
  hello_received_ = true;
  stats_.clock_skew_ms = h.wall_ms - clock_->NowMs();
  // What changed here since the peer last saw us (everything if it saw a counter we never
  // reached: we were restored).
  uint64_t mine = store_->CommitCounter();
  if (h.seen != mine) {
    uint64_t since = h.seen > mine ? 0 : h.seen;
    auto shared = SharedFilter();
    Changes c{mine, {}};
    for (auto& [stream, head] : store_->Vector(shared)) {
      if (head.ver > since) c.entries.emplace(stream, head);
    }
    out->push_back(std::move(c));
  }
  // What changed there since we last saw it: CHANGES follows, unless nothing did.
  auto counter = peers_.Counter(peer_key_);
  if (!counter.ok()) return Fail(counter.status(), out);
  uint64_t seen = *counter;
  if (h.counter < seen) {
    // The peer went back in time (restored under its old epoch, against the rules): what we
    // knew of it no longer holds. A batch we already sent on that knowledge may not connect
    // to what it has: it refuses it and the session ends; the next one starts from scratch.
    known_.clear();
    Status s = peers_.ForgetKnowledge(peer_key_, [](const std::string&) { return true; });
    if (!s.ok()) return Fail(s, out);
  }
  awaiting_changes_ = h.counter != seen;
  // Sending started with our HELLO: if the peer has more than we knew, its CHANGES stops us
  // from sending that part; what it already holds and we send anyway is skipped by its store.
  Schedule();
  Pump(out);
  return Status::Ok();
}

Status SyncSession::OnChanges(const Changes& c, std::vector<Message>* out) {
  if (!awaiting_changes_) return Fail(Status::InvalidArgument("CHANGES that was not due"), out);
  awaiting_changes_ = false;
  auto shared = SharedFilter();
  VersionVector entries;
  size_t added = 0;
  for (const auto& [stream, head] : c.entries) {
    // Streams this link may not carry (other scopes, invented system channels) are ignored.
    if (!shared(stream.channel)) continue;
    if (!known_.count(stream)) ++added;
    entries.emplace(stream, head);
  }
  if (known_.size() + added > options_.max_peer_streams) {
    return Fail(Status::OutOfRange("peer " + peer_unit_ + " announced more than " +
                                   std::to_string(options_.max_peer_streams) + " streams"),
                out);
  }
  stats_.change_entries_received += entries.size();
  Status s = peers_.UpdateKnowledge(peer_key_, entries);
  if (s.ok()) s = peers_.SetCounter(peer_key_, c.counter);
  if (!s.ok()) return Fail(s, out);
  for (auto& [stream, head] : entries) known_[stream] = head;
  Schedule();
  Pump(out);
  return Status::Ok();
}

void SyncSession::Schedule() {
  if (!hello_sent_) return;
  // The directory first: it decides scopes and who the root authority is, so the other
  // system channels ("$calendar", "$catalogue" sort before it) written by a successor root
  // (91 after 89) are refused by a peer that has not learned the succession yet. Then the
  // rest in stream-key order (system channels, "$...", sort before units).
  VersionVector vector = store_->Vector(SharedFilter());
  for (bool directory : {true, false}) {
    for (const auto& [stream, head] : vector) {
      if ((stream.channel == kDirectoryChannel) == directory) Enqueue(stream, head.seq);
    }
  }
}

void SyncSession::Enqueue(const StreamKey& stream, uint64_t head_seq) {
  auto k = known_.find(stream);
  uint64_t peer_has = k == known_.end() ? 0 : k->second.seq;
  uint64_t& next = next_seq_[stream];
  next = std::max(next, peer_has + 1);
  if (head_seq >= next && std::find(queue_.begin(), queue_.end(), stream) == queue_.end()) {
    queue_.push_back(stream);
  }
}

bool SyncSession::FitsAFrame(const Batch& batch) const {
  size_t plain = BatchPlainBytes(batch.events);
  if (plain > kMaxBatchPlainBytes) return false;
  // The compressed events are one byte string of a frame, bounded by both limits. When even
  // zstd's worst case (what it cannot compress, plus its framing) fits with the head, so does
  // the batch: a usual batch (1,000 events, some 800 KB) is never compressed twice. Beyond,
  // events that do not compress (an origin may write 64 KiB of random bytes in a field no rule
  // names) could overflow it, so the batch is encoded once to learn its size.
  const size_t limit = std::min(options_.max_frame, kMaxBatchCompressedBytes);
  constexpr size_t kHeadAndFraming = 1024;  // the signed head, stream key and CBOR headers
  if (ZSTD_compressBound(plain) + kHeadAndFraming <= limit) return true;
  return EncodeMessage(BatchMsg{batch}).size() <= limit;
}

void SyncSession::Pump(std::vector<Message>* out) {
  if (!features_known_) return;
  while (in_flight_.size() < options_.window && !queue_.empty()) {
    StreamKey stream = queue_.front();
    queue_.pop_front();
    std::optional<StreamHead> head = store_->Head(stream);
    uint64_t next = next_seq_[stream];
    if (!head || head->seq < next) continue;
    auto batch = store_->ReadBatch(stream, next, options_.max_batch_events);
    // The receiver refuses a batch larger than kMaxBatchPlainBytes decompressed or a frame
    // larger than its max_frame: fewer events until it fits (a batch ends at a signed head, so
    // it may not shrink to the limit).
    for (size_t max = options_.max_batch_events / 2; batch.ok() && max > 0 && !FitsAFrame(*batch);
         max /= 2) {
      batch = store_->ReadBatch(stream, next, max);
    }
    if (!batch.ok()) continue;  // not sendable as signed batches: the peer cannot verify it
    // The peer needs the origin's key unless it holds a stream of that origin already.
    auto origin = std::make_pair(stream.origin, stream.epoch);
    bool peer_has_key = std::any_of(known_.begin(), known_.end(), [&](const auto& kv) {
      return kv.first.origin == stream.origin && kv.first.epoch == stream.epoch;
    });
    if (!peer_has_key && !origins_sent_.count(origin)) {
      auto key = store_->OriginKey(stream.origin, stream.epoch);
      if (!key.ok()) continue;
      out->push_back(OriginMsg{stream.origin, stream.epoch, *key,
                               store_->OriginCertificate(stream.origin, stream.epoch)});
      origins_sent_.insert(origin);
    }
    in_flight_[{stream, batch->head.seq}] = batch->head.id;
    next_seq_[stream] = batch->head.seq + 1;
    ++stats_.batches_sent;
    stats_.events_sent += batch->events.size();
    if (next_seq_[stream] <= head->seq) queue_.push_back(stream);
    if (peer_reads_keys_) SendKeys(batch->events, out);
    out->push_back(BatchMsg{std::move(batch).value()});
  }
}

void SyncSession::SendKeys(const std::vector<std::string>& events, std::vector<Message>* out) {
  auto keys = store_->KeysForEvents(events);
  if (!keys.ok() || keys->empty()) return;  // the peer then shows those fields as not received
  stats_.keys_sent += keys->size();
  for (size_t at = 0; at < keys->size(); at += kMaxKeysPerMessage) {
    size_t end = std::min(keys->size(), at + kMaxKeysPerMessage);
    out->push_back(KeysMsg{{keys->begin() + at, keys->begin() + end}});
  }
}

Status SyncSession::OnKeys(KeysMsg m, std::vector<Message>* out) {
  // Held until the BATCH that follows, which stores those of its cases: a few messages' worth.
  if (pending_keys_.size() + m.keys.size() > kMaxPendingKeys) {
    return Fail(Status::OutOfRange("peer " + peer_unit_ + " sent more than " +
                                   std::to_string(kMaxPendingKeys) +
                                   " case keys without the batch they belong to"),
                out);
  }
  stats_.keys_received += m.keys.size();
  for (CaseKey& k : m.keys) pending_keys_.push_back(std::move(k));
  return Status::Ok();
}

Status SyncSession::OnBatch(BatchMsg m, std::vector<Message>* out) {
  m.keys = std::move(pending_keys_);
  pending_keys_.clear();
  const Batch& b = m.batch;
  if (!Shared(b.stream.channel)) {
    return Fail(Status::PermissionDenied("peer " + peer_unit_ + " sent channel " +
                                         b.stream.channel + ", outside this link's scope"),
                out);
  }
  // The peer holds what it sends: note it now, so a commit of ours meanwhile does not echo the
  // stream back to it.
  StreamHead sent{b.head.seq, b.head.id, false};
  if (sent.seq > known_[b.stream].seq) known_[b.stream] = sent;
  if (ingest_sink_) {
    ++ingests_pending_;
    ingest_sink_(std::move(m));
    return Status::Ok();
  }
  IngestStats st;
  Status s = store_->Ingest(b, &st, std::move(m.keys));
  ++ingests_pending_;
  return OnIngested(b, s, st, out);
}

Status SyncSession::OnIngested(const Batch& b, const Status& result, const IngestStats& st,
                               std::vector<Message>* out) {
  --ingests_pending_;
  if (failed_) return Status::FailedPrecondition("session already ended");
  if (!result.ok()) return Fail(result, out);
  ++stats_.batches_received;
  stats_.events_received += st.applied;
  stats_.duplicates_received += st.duplicates;
  if (b.stream.channel == kDirectoryChannel) {
    // A re-draw may have moved channels out of our scope: they leave this node now.
    auto purged = store_->PurgeOutOfScope();
    if (!purged.ok()) return Fail(purged.status(), out);
    stats_.purged_channels += purged->size();
  }
  StreamHead head{b.head.seq, b.head.id, false};
  known_[b.stream] = head;
  delivered_.insert(b.stream);
  Status s = peers_.UpdateKnowledge(peer_key_, {{b.stream, head}});
  if (!s.ok()) return Fail(s, out);
  // The counter of the commit that stored this batch (not the store's current one, which other
  // lanes may have moved on): the peer advances its view of us only over counters it knows.
  out->push_back(Ack{b.stream, b.head.seq, st.counter});
  wants_changed_ = true;  // its events may attach documents
  PumpChunks(out);
  return Status::Ok();
}

Status SyncSession::OnAck(const Ack& a, std::vector<Message>* out) {
  auto it = in_flight_.find({a.stream, a.seq});
  if (it == in_flight_.end()) {
    return Fail(Status::InvalidArgument("ACK for " + a.stream.ToString() + " seq " +
                                        std::to_string(a.seq) + ", which is not in flight"),
                out);
  }
  StreamHead head{a.seq, it->second, false};
  in_flight_.erase(it);
  auto& k = known_[a.stream];
  if (head.seq > k.seq) k = head;
  Status s = peers_.UpdateKnowledge(peer_key_, {{a.stream, k}});
  if (!s.ok()) return Fail(s, out);
  // While the peer's commits since the counter we saw are all ACKs of our batches (counters
  // arrive out of order when the peer ingests on several lanes), we know all they changed.
  acked_counters_.insert(a.counter);
  auto counter = peers_.Counter(peer_key_);
  if (!counter.ok()) return Fail(counter.status(), out);
  uint64_t seen = *counter, advanced = seen;
  while (!awaiting_changes_ && acked_counters_.count(advanced + 1)) {
    acked_counters_.erase(++advanced);
  }
  std::erase_if(acked_counters_, [&](uint64_t c) { return c <= advanced; });
  if (advanced != seen) s = peers_.SetCounter(peer_key_, advanced);
  if (!s.ok()) return Fail(s, out);
  Pump(out);
  // Everything we sent is acknowledged: ask the parent to sign what it now holds.
  if (in_flight_.empty() && PeerIsParent()) out->push_back(ReceiptRequest{});
  return Status::Ok();
}

void SyncSession::OnCommit(std::vector<Message>* out) {
  if (!hello_received_ || failed_) return;
  Schedule();
  Pump(out);
  wants_changed_ = true;
  PumpChunks(out);
}

void SyncSession::OnCommit(const std::vector<StreamKey>& moved, std::vector<Message>* out) {
  if (!hello_received_ || failed_ || !hello_sent_) return;
  if (moved.empty()) {  // only documents changed: a chunk arrived, or one is asked for
    wants_changed_ = true;
    return PumpChunks(out);
  }
  for (const StreamKey& stream : moved) {
    if (IsSystemChannel(stream.channel)) return OnCommit(out);
  }
  auto shared = SharedFilter();
  for (const StreamKey& stream : moved) {
    if (!shared(stream.channel)) continue;
    if (auto head = store_->Head(stream)) Enqueue(stream, head->seq);
  }
  Pump(out);
  wants_changed_ = true;  // received events may attach documents another peer serves
  PumpChunks(out);
}

bool SyncSession::Settled() const {
  if (!hello_sent_ || !hello_received_ || failed_ || awaiting_changes_) return false;
  if (ingests_pending_ > 0) return false;
  if (!in_flight_.empty() || !asked_.empty()) return false;
  for (const StreamKey& stream : queue_) {
    auto head = store_->Head(stream);
    auto next = next_seq_.find(stream);
    if (head && next != next_seq_.end() && head->seq >= next->second) return false;
  }
  return true;
}

}  // namespace hoso::sync
