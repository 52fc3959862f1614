// `discrepancies list` and `discrepancies resolve`: their command lines and the listing's three formats.
#include <boost/test/unit_test.hpp>

#include "jobs/cli.h"
#include "jobs/discrepancies.h"
#include "jobs/exit_code.h"

using namespace payrecon;
using jobs::Command;
using jobs::ListFormat;
using jobs::ParseCommandLine;

namespace {

std::string Error(std::vector<std::string> args) {
  try {
    ParseCommandLine(args);
    return "ok";
  } catch (const jobs::JobError& e) {
    BOOST_TEST((e.code() == jobs::ExitCode::kUsage));
    return e.what();
  }
}

core::Instant T(const char* iso) { return core::ParseIso8601(iso).value(); }

core::DiscrepancyRow Open() {
  core::DiscrepancyRow r;
  r.id = 12;
  r.transaction_id = 3;
  r.kind = core::Kind::kCharge;
  r.merchant_id = "MID1";
  r.merchant_txn_id = "c-amount";
  r.amazon_txn_id = "P04-1";
  r.code = core::DiscrepancyCode::kAmountMismatch;
  r.detail = "requestedAmount 16.00 differs from ours 15.00";
  r.local_status = core::Status::kCapturePending;
  r.gateway_status = "CapturePending";
  r.local_amount = 1500;
  r.gateway_amount = 1600;
  r.opened_at = T("2026-11-25T10:00:00Z");
  r.run_id = "run-1";
  return r;
}

core::DiscrepancyRow Resolved() {
  core::DiscrepancyRow r;
  r.id = 7;
  r.transaction_id = 4;
  r.kind = core::Kind::kRefund;
  r.merchant_id = "MID1";
  r.merchant_txn_id = "r-1";
  r.code = core::DiscrepancyCode::kStuckPending;
  r.detail = "still Pending";
  r.local_status = core::Status::kPending;
  r.local_amount = 500;
  r.opened_at = T("2026-11-24T10:00:00Z");
  r.run_id = "run-0";
  r.resolved_at = T("2026-11-25T09:00:00Z");
  r.resolved_by = "alice";
  r.resolution_note = "=refunded by hand";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discrepancies)

BOOST_AUTO_TEST_CASE(list_command_line) {
  auto cl = ParseCommandLine({"discrepancies", "list", "--config", "c.yaml"});
  BOOST_TEST((cl.command == Command::kDiscrepanciesList));
  BOOST_TEST(!cl.open_only);
  BOOST_TEST(!cl.code.has_value());
  BOOST_TEST(!cl.limit.has_value());
  BOOST_TEST((cl.format == ListFormat::kTable));
  cl = ParseCommandLine({"discrepancies", "list", "--open", "--code", "STUCK_PENDING", "--limit=5", "--format",
                         "json", "--config", "c.yaml"});
  BOOST_TEST(cl.open_only);
  BOOST_TEST((*cl.code == core::DiscrepancyCode::kStuckPending));
  BOOST_TEST(*cl.limit == 5);
  BOOST_TEST((cl.format == ListFormat::kJson));
  BOOST_TEST((ParseCommandLine({"discrepancies", "list", "--format=csv", "--config", "c"}).format == ListFormat::kCsv));
}

BOOST_AUTO_TEST_CASE(resolve_command_line) {
  auto cl = ParseCommandLine({"discrepancies", "resolve", "42", "--note", "refunded by hand", "--config", "c.yaml"});
  BOOST_TEST((cl.command == Command::kDiscrepanciesResolve));
  BOOST_TEST(cl.discrepancy_id == 42);
  BOOST_TEST(cl.note == "refunded by hand");
  BOOST_TEST(!cl.by.has_value());
  cl = ParseCommandLine({"discrepancies", "resolve", "--by", "alice", "--note=-5.00 back", "7", "--config", "c"});
  BOOST_TEST(cl.discrepancy_id == 7);
  BOOST_TEST(*cl.by == "alice");
  BOOST_TEST(cl.note == "-5.00 back");
}

BOOST_AUTO_TEST_CASE(usage_errors) {
  BOOST_TEST(Error({"discrepancies", "--config", "c"}) == "unknown command 'discrepancies --config' (expected 'list' or 'resolve')");
  BOOST_TEST(Error({"discrepancies"}) == "'discrepancies' needs 'list' or 'resolve'");
  BOOST_TEST(Error({"discrepancies", "close", "1"}) == "unknown command 'discrepancies close' (expected 'list' or 'resolve')");
  BOOST_TEST(Error({"discrepancies", "list"}) == "ok");  // the configuration defaults (jobs::ChooseConfig)
  BOOST_TEST(Error({"discrepancies", "list", "--code", "amount_mismatch", "--config", "c"}) ==
             "option '--code': unknown discrepancy code 'amount_mismatch' (expected one of AMOUNT_MISMATCH, "
             "CURRENCY_MISMATCH, NOT_FOUND, CHECK_FAILING, SIGNATURE_INVALID, STUCK_PENDING, STATUS_CONFLICT, "
             "UNKNOWN_STATUS, MERCHANT_CONFIG)");
  BOOST_TEST(Error({"discrepancies", "list", "--format", "xml", "--config", "c"}) ==
             "option '--format': expected table, csv or json, got 'xml'");
  BOOST_TEST(Error({"discrepancies", "list", "--limit", "0", "--config", "c"}) ==
             "option '--limit': expected a positive integer, got '0'");
  BOOST_TEST(Error({"discrepancies", "list", "--open", "--open", "--config", "c"}) == "option '--open' given twice");
  BOOST_TEST(Error({"discrepancies", "list", "--note", "x", "--config", "c"}) == "unknown option '--note' for 'discrepancies list'");
  BOOST_TEST(Error({"discrepancies", "list", "7", "--config", "c"}) == "unexpected argument '7'");
  BOOST_TEST(Error({"discrepancies", "resolve", "--note", "x", "--config", "c"}) ==
             "'discrepancies resolve' needs a discrepancy ID");
  BOOST_TEST(Error({"discrepancies", "resolve", "abc", "--note", "x", "--config", "c"}) ==
             "'discrepancies resolve': expected a discrepancy ID (a positive integer), got 'abc'");
  BOOST_TEST(Error({"discrepancies", "resolve", "0", "--note", "x", "--config", "c"}) ==
             "'discrepancies resolve': expected a discrepancy ID (a positive integer), got '0'");
  BOOST_TEST(Error({"discrepancies", "resolve", "1", "2", "--note", "x", "--config", "c"}) == "unexpected argument '2'");
  BOOST_TEST(Error({"discrepancies", "resolve", "1", "--config", "c"}) == "option '--note' is required");
  BOOST_TEST(Error({"discrepancies", "resolve", "1", "--note", "", "--config", "c"}) == "option '--note' needs a value");
  BOOST_TEST(Error({"discrepancies", "resolve", "1", "--note", "x", "--open", "--config", "c"}) ==
             "unknown option '--open' for 'discrepancies resolve'");
}

BOOST_AUTO_TEST_CASE(ages) {
  BOOST_TEST(jobs::FormatAge(core::Millis{-5000}) == "0s");
  BOOST_TEST(jobs::FormatAge(core::Millis{59'999}) == "59s");
  BOOST_TEST(jobs::FormatAge(std::chrono::minutes{12}) == "12m");
  BOOST_TEST(jobs::FormatAge(std::chrono::minutes{185}) == "3h05m");
  BOOST_TEST(jobs::FormatAge(std::chrono::hours{52}) == "2d04h");
}

BOOST_AUTO_TEST_CASE(table_is_aligned_and_shows_resolutions) {
  const std::string table =
      jobs::FormatDiscrepancyList({Open(), Resolved()}, ListFormat::kTable, T("2026-11-25T12:05:00Z"));
  BOOST_TEST(table ==
             "ID  CODE             STATE     OPENED                AGE    KIND    MERCHANT  TRANSACTION  OURS            "
             "      GATEWAY               DETAIL                                         RESOLUTION\n"
             "12  AMOUNT_MISMATCH  open      2026-11-25T10:00:00Z  2h05m  charge  MID1      c-amount     CapturePending "
             "15.00  CapturePending 16.00  requestedAmount 16.00 differs from ours 15.00\n"
             "7   STUCK_PENDING    resolved  2026-11-24T10:00:00Z  -      refund  MID1      r-1          Pending 5.00    "
             "      -                     still Pending                                  alice 2026-11-25T09:00:00Z: "
             "=refunded by hand\n");
  BOOST_TEST(jobs::FormatDiscrepancyList({}, ListFormat::kTable, T("2026-11-25T12:05:00Z")) == "no discrepancies\n");
  // Only open rows: no RESOLUTION column.
  const std::string open = jobs::FormatDiscrepancyList({Open()}, ListFormat::kTable, T("2026-11-25T12:05:00Z"));
  BOOST_TEST(open.find("RESOLUTION") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(table_cells_are_safe_for_a_terminal_and_short) {
  core::DiscrepancyRow r = Open();
  r.gateway_status = "Pro\x1b[31mcessing\n";
  r.detail = std::string(70, 'x');
  const std::string table = jobs::FormatDiscrepancyList({r}, ListFormat::kTable, T("2026-11-25T12:05:00Z"));
  BOOST_TEST(table.find('\x1b') == std::string::npos);
  BOOST_TEST(table.find("Pro [31mcessing  16.00") != std::string::npos);
  BOOST_TEST(table.find(std::string(57, 'x') + "...\n") != std::string::npos);
  BOOST_TEST(table.find(std::string(58, 'x')) == std::string::npos);
  // Multi-byte characters count once and are never cut in half.
  r.detail.clear();
  for (int i = 0; i < 70; ++i) r.detail += "\u20b9";
  const std::string rupees = jobs::FormatDiscrepancyList({r}, ListFormat::kTable, T("2026-11-25T12:05:00Z"));
  std::string expected;
  for (int i = 0; i < 57; ++i) expected += "\u20b9";
  BOOST_TEST(rupees.find(expected + "...\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(csv_and_json) {
  const std::vector<core::DiscrepancyRow> rows = {Open(), Resolved()};
  BOOST_TEST(jobs::FormatDiscrepancyList(rows, ListFormat::kCsv, T("2026-11-25T12:05:00Z")) ==
             "id,code,state,opened_at,opened_by_run,kind,merchant_id,merchant_txn_id,amazon_txn_id,local_status,"
             "local_amount,gateway_status,gateway_amount,detail,resolved_at,resolved_by,resolution_note\r\n"
             "12,AMOUNT_MISMATCH,open,2026-11-25T10:00:00Z,run-1,charge,MID1,c-amount,P04-1,CapturePending,15.00,"
             "CapturePending,16.00,requestedAmount 16.00 differs from ours 15.00,,,\r\n"
             "7,STUCK_PENDING,resolved,2026-11-24T10:00:00Z,run-0,refund,MID1,r-1,,Pending,5.00,,,still Pending,"
             "2026-11-25T09:00:00Z,alice,'=refunded by hand\r\n");
  BOOST_TEST(jobs::FormatDiscrepancyList(rows, ListFormat::kJson, T("2026-11-25T12:05:00Z")) ==
             "{\"id\":12,\"code\":\"AMOUNT_MISMATCH\",\"state\":\"open\",\"opened_at\":\"2026-11-25T10:00:00Z\","
             "\"opened_by_run\":\"run-1\",\"kind\":\"charge\",\"merchant_id\":\"MID1\",\"merchant_txn_id\":\"c-amount\","
             "\"amazon_txn_id\":\"P04-1\",\"local_status\":\"CapturePending\",\"local_amount\":\"15.00\","
             "\"gateway_status\":\"CapturePending\",\"gateway_amount\":\"16.00\",\"detail\":\"requestedAmount 16.00 "
             "differs from ours 15.00\",\"resolved_at\":null,\"resolved_by\":null,\"resolution_note\":null}\n"
             "{\"id\":7,\"code\":\"STUCK_PENDING\",\"state\":\"resolved\",\"opened_at\":\"2026-11-24T10:00:00Z\","
             "\"opened_by_run\":\"run-0\",\"kind\":\"refund\",\"merchant_id\":\"MID1\",\"merchant_txn_id\":\"r-1\","
             "\"amazon_txn_id\":null,\"local_status\":\"Pending\",\"local_amount\":\"5.00\",\"gateway_status\":null,"
             "\"gateway_amount\":null,\"detail\":\"still Pending\",\"resolved_at\":\"2026-11-25T09:00:00Z\","
             "\"resolved_by\":\"alice\",\"resolution_note\":\"=refunded by hand\"}\n");
  BOOST_TEST(jobs::FormatDiscrepancyList({}, ListFormat::kJson, T("2026-11-25T12:05:00Z")).empty());
}

BOOST_AUTO_TEST_SUITE_END()
