// The database side of a run, measured against a real PostgreSQL: importing N transactions from CSV text
// (parse + validate + COPY + INSERT … ON CONFLICT), importing them again (all skipped), claiming due rows in
// batches, applying batches of results (half transitions with their events, half rescheduled), and streaming the
// pending listing. Prints one table. Creates and drops its own database.
//   bench_db [ROWS [BATCH]]      defaults 1000000 and 1000
// The server comes from PAYRECON_BENCH_DATABASE_URL or PAYRECON_TEST_DATABASE_URL (a URI).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/import_csv.h"
#include "db/import.h"
#include "db/migrate.h"
#include "db/pg_store.h"

using namespace payrecon;

namespace {

using Clock = std::chrono::steady_clock;

core::Instant NowMs() { return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()); }

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

std::string WithDatabase(const std::string& uri, const std::string& name) {
  const std::size_t authority = uri.find("://") + 3;
  const std::size_t slash = uri.find('/', authority);
  const std::size_t query = uri.find('?', authority);
  const std::size_t end = slash != std::string::npos ? slash : (query != std::string::npos ? query : uri.size());
  return uri.substr(0, end) + "/" + name + (query != std::string::npos ? uri.substr(query) : "");
}

void Row(const char* what, std::int64_t rows, double seconds, const std::string& note = "") {
  std::printf("| %-38s | %9lld | %8.2f | %10.0f | %s\n", what, static_cast<long long>(rows), seconds,
              seconds > 0 ? static_cast<double>(rows) / seconds : 0.0, note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 1000;
  const char* url = std::getenv("PAYRECON_BENCH_DATABASE_URL");
  if (url == nullptr) url = std::getenv("PAYRECON_TEST_DATABASE_URL");
  if (url == nullptr || std::string(url).find("://") == std::string::npos) {
    std::fprintf(stderr, "bench_db: set PAYRECON_BENCH_DATABASE_URL (or PAYRECON_TEST_DATABASE_URL) to a URI\n");
    return 2;
  }
  const std::string name = "payrecon_bench_" + std::to_string(::getpid());
  {
    db::Connection admin(url);
    admin.Execute("CREATE DATABASE " + name);
  }
  int rc = 0;
  try {
    db::Connection conn(WithDatabase(url, name));
    db::Migrate(conn);
    const core::Instant t0{core::Millis{1767225600000}};

    // The CSV text, as a payment service's export would be.
    std::string csv(core::kImportCsvHeader);
    csv += '\n';
    csv.reserve(static_cast<std::size_t>(rows) * 80);
    for (std::int64_t i = 0; i < rows; ++i) {
      csv += "charge,MERCHANT-01,charge-";
      csv += std::to_string(i);
      csv += ",,,";
      csv += std::to_string(100 + i % 100000);
      csv += ".50,INR,CapturePending,2026-01-01T00:00:";
      csv += i % 60 < 10 ? "0" : "";
      csv += std::to_string(i % 60);
      csv += "Z\n";
    }
    std::printf("bench_db: %lld rows, batches of %d, %s\n\n", static_cast<long long>(rows), batch,
                conn.Describe().c_str());
    std::printf("| %-38s | %9s | %8s | %10s | %s\n", "step", "rows", "seconds", "rows/s", "note");
    std::printf("|%s|%s|%s|%s|%s\n", std::string(40, '-').c_str(), std::string(11, '-').c_str(),
                std::string(10, '-').c_str(), std::string(12, '-').c_str(), "------");

    {
      auto start = Clock::now();
      std::int64_t parsed = 0;
      core::ImportCsvParser only([&](const core::ImportRow&) { ++parsed; }, NowMs());
      only.Feed(csv);
      only.Finish();
      Row("parse + validate only", parsed, Seconds(start));
    }
    for (int round = 0; round < 2; ++round) {
      auto start = Clock::now();
      // As `payrecon import` does: COPY into the table; when keys are present (the second round), the rows again
      // through a temporary table.
      std::int64_t fed = 0;
      const auto result = db::ImportTransactions(conn, t0, true, [&](db::TransactionsImporter& importer) {
        core::ImportCsvParser parser([&](const core::ImportRow& row) { importer.Add(row); }, NowMs());
        for (std::size_t i = 0; i < csv.size(); i += 1 << 16) parser.Feed(std::string_view(csv).substr(i, 1 << 16));
        parser.Finish();
        fed = parser.rows();
        // Nothing is committed when the feed throws.
        if (!parser.problems().empty()) throw std::runtime_error(parser.problems()[0].ToString());
      });
      Row(round == 0 ? "import (parse, COPY)" : "import again (all present: parse twice, COPY, insert, skipped)",
          fed, Seconds(start),
          "inserted " + std::to_string(result.inserted) + ", skipped " + std::to_string(result.skipped));
    }
    conn.Execute("ANALYZE payrecon.transactions");

    db::PgStore store(conn);
    // Claim everything in batches, applying each batch: half move to a final status, half are rescheduled.
    double claim_s = 0;
    double apply_s = 0;
    std::int64_t claimed = 0;
    std::int64_t transitions = 0;
    const core::Instant now = t0 + core::Millis{3600 * 1000};
    for (;;) {
      auto start = Clock::now();
      const auto txns = store.TransactionsClaimDue({"bench", now, core::Millis{60000}, batch});
      claim_s += Seconds(start);
      if (txns.empty()) break;
      claimed += static_cast<std::int64_t>(txns.size());
      core::ApplyParams apply;
      apply.run_id = "bench";
      apply.now = now;
      for (const auto& t : txns) {
        core::TransactionUpdate u;
        u.id = t.id;
        u.expected_status = t.status;
        u.check_count = t.check_count + 1;
        u.next_check_at = now + core::Millis{15000};
        u.request_id = "req";
        u.response_digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        if (t.id % 2 == 0) {
          u.new_status = core::Status::kCaptureApproved;
          u.approved_amount = t.amount;
          u.amazon_txn_id = "S04-" + std::to_string(t.id);
          u.gateway_updated_at = now;
          ++transitions;
        }
        apply.updates.push_back(std::move(u));
      }
      start = Clock::now();
      store.TransactionsApply(apply);
      apply_s += Seconds(start);
    }
    Row("claim due (SKIP LOCKED, leased)", claimed, claim_s);
    Row("apply (compare-and-set, events)", claimed, apply_s,
        std::to_string(transitions) + " transitions with their events");
    Row("claim + apply", claimed, claim_s + apply_s);
    {
      auto start = Clock::now();
      std::int64_t pending = 0;
      store.TransactionsForEachPending({}, [&](const core::Transaction&) { ++pending; });
      Row("pending listing (streamed)", pending, Seconds(start));
    }
    std::printf("\npeak resident memory: %ld MiB (includes the %zu MiB CSV text held in memory)\n",
                PeakRssKb() / 1024, csv.size() >> 20);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_db: %s\n", e.what());
    rc = 1;
  }
  db::Connection admin(url);
  admin.Execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  return rc;
}
