#include "jobs/command_show.h"

#include <algorithm>
#include <ostream>

#include "core/json.h"
#include "core/rupees.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/text_table.h"

namespace payrecon::jobs {

namespace {

using core::JsonValue;

constexpr std::size_t kMaxCellChars = 80;

JsonValue Int(std::int64_t v) { return JsonValue::Number(std::to_string(v)); }
JsonValue OptInt(const std::optional<std::int64_t>& v) { return v ? Int(*v) : JsonValue::Null(); }
JsonValue TextOrNull(const std::string& s) { return s.empty() ? JsonValue::Null() : JsonValue::String(s); }
JsonValue Utc(core::Instant t) { return JsonValue::String(core::FormatIso8601Millis(t)); }
JsonValue UtcOrNull(const std::optional<core::Instant>& t) { return t ? Utc(*t) : JsonValue::Null(); }


// Outside text on a terminal: no control characters (no escape sequences), at most kMaxCellChars wide.
std::string Cell(std::string_view text) {
  std::string out;
  std::size_t chars = 0;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80 && ++chars > kMaxCellChars) return out + "...";
    out += (c < 0x20 || c == 0x7F) ? ' ' : ch;
  }
  return out;
}

struct Entry {
  core::Instant at{};
  int rank = 0;            // order among entries at the same instant: hand-over, checks, changes, raised, resolved
  JsonValue json;          // the json line (type, at, …)
  std::string event;       // table: EVENT
  std::string run_id;
  std::string detail;
  std::string request_id;
  std::string digest;
};

std::string Member(const JsonValue* o, std::initializer_list<const char*> path) {
  for (const char* key : path) {
    if (!o) return "";
    o = o->Find(key);
  }
  return o && !o->is_null() ? o->text() : "";
}

std::vector<Entry> Timeline(const TransactionHistory& h) {
  const core::Transaction& t = h.transaction;
  std::vector<Entry> out;

  // Hand-over: the status it arrived with is the first change's starting point, or the status it still has.
  std::string first_status(core::StatusName(t.status));
  for (const core::EventRow& e : h.events) {
    if (e.event_type == "transition") {
      first_status = e.from_status;
      break;
    }
  }
  {
    Entry e;
    e.at = t.created_at;
    e.rank = 0;
    e.event = "handed over";
    e.detail = std::string(core::KindName(t.kind)) + " " + core::FormatRupees(t.amount) + " " + t.currency + ", " +
               first_status + (t.parent_merchant_txn_id.empty() ? "" : ", refund of " + t.parent_merchant_txn_id);
    e.json = JsonValue::Object();
    e.json.Add("type", JsonValue::String("handover"))
        .Add("at", Utc(t.created_at))
        .Add("status", JsonValue::String(first_status))
        .Add("amount_paise", Int(t.amount))
        .Add("currency", JsonValue::String(t.currency));
    out.push_back(std::move(e));
  }

  std::vector<std::string> check_runs;
  for (const core::CheckRunRow& c : h.checks) {
    check_runs.push_back(c.run_id);
    auto parsed = core::ParseJson(c.result_json);
    const JsonValue* r = parsed && parsed->is_object() ? &*parsed : nullptr;
    Entry e;
    e.at = c.started_at;
    e.rank = 1;
    e.run_id = c.run_id;
    const std::string outcome = Member(r, {"gateway", "outcome"});
    const std::string error_class = Member(r, {"decision", "error_class"});
    const std::string gateway_status = Member(r, {"gateway", "status"});
    e.event = "checked (check)";
    e.detail = (outcome.empty() ? std::string("no result recorded") : outcome) +
               (gateway_status.empty() ? "" : " " + gateway_status) +
               (Member(r, {"status_before"}).empty()
                    ? ""
                    : ", ours " + Member(r, {"status_before"}) + " -> " + Member(r, {"status_after"}));
    e.request_id = Member(r, {"gateway", "request_id"});
    e.digest = Member(r, {"gateway", "response_digest"});
    e.json = JsonValue::Object();
    e.json.Add("type", JsonValue::String("check"))
        .Add("at", Utc(c.started_at))
        .Add("run_id", JsonValue::String(c.run_id))
        .Add("outcome", TextOrNull(outcome))
        .Add("error_class", TextOrNull(error_class))
        .Add("gateway_status", TextOrNull(gateway_status))
        .Add("status_before", TextOrNull(Member(r, {"status_before"})))
        .Add("status_after", TextOrNull(Member(r, {"status_after"})))
        .Add("request_id", TextOrNull(e.request_id))
        .Add("response_digest", TextOrNull(e.digest));
    out.push_back(std::move(e));
  }

  for (const core::CheckErrorRow& f : h.errors) {
    // A `check` run's failure is already its check entry.
    if (std::find(check_runs.begin(), check_runs.end(), f.run_id) != check_runs.end()) continue;
    Entry e;
    e.at = f.error.at;
    e.rank = 1;
    e.run_id = f.run_id;
    e.event = "check failed";
    e.detail = f.error.error_class + (f.error.http_status ? " HTTP " + std::to_string(f.error.http_status) : "") +
               (f.error.gateway_code.empty() ? "" : " " + f.error.gateway_code) +
               (f.error.message.empty() ? "" : ": " + f.error.message) + " (attempt " +
               std::to_string(f.error.attempts) + ")";
    e.json = JsonValue::Object();
    e.json.Add("type", JsonValue::String("check_failed"))
        .Add("at", Utc(f.error.at))
        .Add("run_id", JsonValue::String(f.run_id))
        .Add("error_class", JsonValue::String(f.error.error_class))
        .Add("http_status", f.error.http_status ? Int(f.error.http_status) : JsonValue::Null())
        .Add("gateway_code", TextOrNull(f.error.gateway_code))
        .Add("message", JsonValue::String(f.error.message))
        .Add("attempts", Int(f.error.attempts))
        .Add("next_check_at", UtcOrNull(f.error.next_check_at));
    out.push_back(std::move(e));
  }

  for (const core::EventRow& ev : h.events) {
    Entry e;
    e.at = ev.at;
    e.run_id = ev.run_id;
    e.request_id = ev.request_id;
    e.digest = ev.response_digest;
    e.json = JsonValue::Object();
    if (ev.event_type == "transition") {
      e.rank = 2;
      e.event = "status changed";
      e.detail = ev.from_status + " -> " + ev.to_status +
                 (ev.approved_amount ? ", gateway approved " + core::FormatRupees(*ev.approved_amount) : "");
      e.json.Add("type", JsonValue::String("transition"))
          .Add("at", Utc(ev.at))
          .Add("run_id", TextOrNull(ev.run_id))
          .Add("from_status", JsonValue::String(ev.from_status))
          .Add("to_status", JsonValue::String(ev.to_status))
          .Add("amazon_txn_id", TextOrNull(ev.amazon_txn_id))
          .Add("approved_amount_paise", OptInt(ev.approved_amount))
          .Add("gateway_updated_at", UtcOrNull(ev.gateway_updated_at));
    } else if (ev.event_type == "discrepancy") {
      e.rank = 3;
      const core::DiscrepancyRow* d = nullptr;
      for (const core::DiscrepancyRow& x : h.discrepancies) {
        if (std::string(core::DiscrepancyCodeName(x.code)) == ev.discrepancy_code && x.run_id == ev.run_id) {
          d = &x;
        }
      }
      e.event = "discrepancy raised";
      e.detail = ev.discrepancy_code + (d && !d->detail.empty() ? ": " + d->detail : "");
      e.json.Add("type", JsonValue::String("discrepancy"))
          .Add("at", Utc(ev.at))
          .Add("run_id", TextOrNull(ev.run_id))
          .Add("discrepancy_id", d ? Int(d->id) : JsonValue::Null())
          .Add("code", JsonValue::String(ev.discrepancy_code))
          .Add("detail", d ? JsonValue::String(d->detail) : JsonValue::Null())
          .Add("local_status", JsonValue::String(ev.from_status))
          .Add("gateway_status", d ? TextOrNull(d->gateway_status) : JsonValue::Null())
          .Add("gateway_amount_paise", d ? OptInt(d->gateway_amount) : JsonValue::Null());
    } else {
      e.rank = 4;
      const core::DiscrepancyRow* d = nullptr;
      for (const core::DiscrepancyRow& x : h.discrepancies) {
        if (std::string(core::DiscrepancyCodeName(x.code)) == ev.discrepancy_code && x.resolved_at == ev.at) d = &x;
      }
      e.event = "discrepancy resolved";
      e.detail = ev.discrepancy_code + " by " + ev.actor + (ev.note.empty() ? "" : ": " + ev.note);
      e.json.Add("type", JsonValue::String("resolution"))
          .Add("at", Utc(ev.at))
          .Add("discrepancy_id", d ? Int(d->id) : JsonValue::Null())
          .Add("code", JsonValue::String(ev.discrepancy_code))
          .Add("actor", JsonValue::String(ev.actor))
          .Add("note", JsonValue::String(ev.note));
    }
    if (!ev.request_id.empty() || !ev.response_digest.empty()) {
      e.json.Add("request_id", TextOrNull(ev.request_id)).Add("response_digest", TextOrNull(ev.response_digest));
    }
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.at != b.at ? a.at < b.at : a.rank < b.rank; });
  return out;
}

JsonValue RowJson(const core::Transaction& t) {
  JsonValue o = JsonValue::Object();
  o.Add("type", JsonValue::String("transaction"))
      .Add("id", Int(t.id))
      .Add("kind", JsonValue::String(std::string(core::KindName(t.kind))))
      .Add("merchant_id", JsonValue::String(t.merchant_id))
      .Add("merchant_txn_id", JsonValue::String(t.merchant_txn_id))
      .Add("amazon_txn_id", TextOrNull(t.amazon_txn_id))
      .Add("parent_merchant_txn_id", TextOrNull(t.parent_merchant_txn_id))
      .Add("amount_paise", Int(t.amount))
      .Add("currency", JsonValue::String(t.currency))
      .Add("status", JsonValue::String(std::string(core::StatusName(t.status))))
      .Add("final", JsonValue::Bool(core::IsFinal(t.status)))
      .Add("created_at", Utc(t.created_at))
      .Add("updated_at", Utc(t.updated_at))
      .Add("next_check_at", core::IsFinal(t.status) ? JsonValue::Null() : Utc(t.next_check_at))
      .Add("check_count", Int(t.check_count))
      .Add("error_count", Int(t.error_count))
      .Add("approved_amount_paise", OptInt(t.approved_amount))
      .Add("gateway_updated_at", UtcOrNull(t.gateway_updated_at))
      .Add("last_error", TextOrNull(t.last_error))
      .Add("needs_review", JsonValue::Bool(t.needs_review));
  return o;
}

std::string Table(const TransactionHistory& h, const std::vector<Entry>& entries, const core::TimeZone& zone) {
  const core::Transaction& t = h.transaction;
  const auto when = [&](core::Instant i) { return core::FormatLocal(i, zone); };
  std::vector<std::pair<std::string, std::string>> rows = {
      {"transaction", std::string(core::KindName(t.kind)) + " " + Cell(t.merchant_id) + "/" + Cell(t.merchant_txn_id) +
                          " (id " + std::to_string(t.id) + ")"},
      {"status", std::string(core::StatusName(t.status)) + (core::IsFinal(t.status) ? " (final)" : " (pending)")},
      {"amount", core::FormatRupees(t.amount) + " " + t.currency},
      {"amazon id", t.amazon_txn_id.empty() ? "-" : Cell(t.amazon_txn_id)}};
  if (!t.parent_merchant_txn_id.empty()) rows.push_back({"refund of", Cell(t.parent_merchant_txn_id)});
  rows.push_back({"approved", t.approved_amount ? core::FormatRupees(*t.approved_amount) : "-"});
  rows.push_back({"created", when(t.created_at)});
  rows.push_back({"updated", when(t.updated_at)});
  rows.push_back({"next check", core::IsFinal(t.status) ? "- (final)" : when(t.next_check_at)});
  rows.push_back({"checks", std::to_string(t.check_count) + " answered while pending, " +
                                std::to_string(t.error_count) + " failed in a row"});
  if (!t.last_error.empty()) rows.push_back({"last error", Cell(t.last_error)});
  rows.push_back({"needs review", t.needs_review ? "yes" : "no"});
  std::string out;
  for (const auto& [k, v] : rows) out += k + ":" + std::string(14 - std::min<std::size_t>(13, k.size()), ' ') + v + "\n";
  out += "\n";

  std::vector<std::vector<std::string>> cells = {{"TIME (" + zone.name() + ")", "EVENT", "RUN", "DETAIL", "REQUEST ID",
                                                  "DIGEST"}};
  for (const Entry& e : entries) {
    cells.push_back({when(e.at), e.event, e.run_id.empty() ? "-" : e.run_id, Cell(e.detail),
                     e.request_id.empty() ? "-" : Cell(e.request_id), e.digest.empty() ? "-" : e.digest.substr(0, 12)});
  }
  return out + AlignedTable(cells);
}

}  // namespace

std::string FormatHistory(const TransactionHistory& h, ListFormat format, const core::TimeZone& zone) {
  const std::vector<Entry> entries = Timeline(h);
  if (format != ListFormat::kJson) return Table(h, entries, zone);
  std::string out = core::SerializeJson(RowJson(h.transaction)) + "\n";
  for (const Entry& e : entries) out += core::SerializeJson(e.json) + "\n";
  return out;
}

int CommandShow(const CommandContext& ctx) {
  const CommandLine& cl = ctx.command_line;
  const std::string merchant = cl.merchant.value_or("");
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  core::ReportStore& store = db.store();
  const auto found = store.TransactionsFindByTxn(core::TransactionFindParams{merchant, cl.txn, cl.kind});
  const std::string what = (cl.kind ? std::string(core::KindName(*cl.kind)) + " " : std::string("transaction ")) +
                           "'" + merchant + "/" + cl.txn + "'";
  if (found.empty()) throw JobError(ExitCode::kUsage, what + " not found");
  if (found.size() > 1) {
    std::string kinds;
    for (const auto& t : found) kinds += (kinds.empty() ? "" : ", ") + std::string(core::KindName(t.kind));
    throw JobError(ExitCode::kUsage, what + " exists as " + kinds + ": choose one with '--kind'");
  }
  TransactionHistory h;
  h.transaction = found.front();
  const std::int64_t id = h.transaction.id;
  h.events = store.TransactionEventsList(id);
  h.errors = store.TransactionRunErrorsList(id);
  h.discrepancies = store.TransactionDiscrepanciesList(id);
  h.checks = store.TransactionCheckRunsList(id);
  ctx.out << FormatHistory(h, cl.format, ctx.settings.reports.display_zone) << std::flush;
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
