#include <boost/test/unit_test.hpp>

#include <string>

#include "core/json.h"
#include "core/report_rows.h"

using namespace payrecon::core;

namespace {

Instant At(const char* iso) { return ParseIso8601(iso).value(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(report_rows)

BOOST_AUTO_TEST_CASE(headers_are_the_contract) {
  BOOST_TEST(TransitionsHeader() ==
             "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,from_status,to_status,amount,approved_amount,"
             "gateway_updated_at,checked_at\r\n");
  BOOST_TEST(DiscrepanciesHeader() ==
             "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,code,local_status,gateway_status,local_amount,"
             "gateway_amount,detail\r\n");
  BOOST_TEST(ErrorsHeader() ==
             "run_id,kind,merchant_id,merchant_txn_id,error_class,http_status,gateway_code,message,attempts,"
             "next_check_at\r\n");
  BOOST_TEST(PendingHeader() ==
             "kind,merchant_id,merchant_txn_id,amazon_txn_id,status,amount,created_at,age_seconds,attempts,"
             "next_check_at,last_error\r\n");
  BOOST_TEST(kTransitionsCsv == "transitions.csv");
  BOOST_TEST(kDiscrepanciesCsv == "discrepancies.csv");
  BOOST_TEST(kErrorsCsv == "errors.csv");
  BOOST_TEST(kPendingCsv == "pending.csv");
  BOOST_TEST(ReportFileName(kTransitionsCsv, ReportCompression::kNone) == "transitions.csv");
  BOOST_TEST(ReportFileName(kPendingCsv, ReportCompression::kGzip) == "pending.csv.gz");
  BOOST_TEST(ReportCompressionName(ReportCompression::kGzip) == "gzip");
  BOOST_TEST(ReportCompressionName(ReportCompression::kNone) == "none");
  BOOST_TEST((ParseReportCompression("gzip") == ReportCompression::kGzip));
  BOOST_TEST((ParseReportCompression("none") == ReportCompression::kNone));
  BOOST_TEST(!ParseReportCompression("GZIP").has_value());
  BOOST_TEST(kSummaryJson == "summary.json");
}

BOOST_AUTO_TEST_CASE(transition_row) {
  TransitionRow row;
  row.run_id = "r-1";
  row.kind = Kind::kCharge;
  row.merchant_id = "A2XMNOQAN8MC64";
  row.merchant_txn_id = "order,1";
  row.amazon_txn_id = "P04-1234567-1234567";
  row.from_status = Status::kCapturePending;
  row.to_status = Status::kCaptureApproved;
  row.amount = 150000;
  row.approved_amount = 149995;
  row.gateway_updated_at = At("2020-12-14T16:45:49.862Z");
  row.checked_at = At("2020-12-14T22:15:50+05:30");
  BOOST_TEST(FormatTransition(row) ==
             "r-1,charge,A2XMNOQAN8MC64,\"order,1\",P04-1234567-1234567,CapturePending,CaptureApproved,1500.00,"
             "1499.95,2020-12-14T16:45:49Z,2020-12-14T16:45:50Z\r\n");
  row.amazon_txn_id.clear();
  row.approved_amount.reset();
  row.gateway_updated_at.reset();
  row.kind = Kind::kRefund;
  row.from_status = Status::kPending;
  row.to_status = Status::kDeclined;
  BOOST_TEST(FormatTransition(row) ==
             "r-1,refund,A2XMNOQAN8MC64,\"order,1\",,Pending,Declined,1500.00,,,2020-12-14T16:45:50Z\r\n");
}

BOOST_AUTO_TEST_CASE(discrepancy_row_neutralises_text_only) {
  DiscrepancyRow row;
  row.run_id = "r-1";
  row.kind = Kind::kTopup;
  row.merchant_id = "M1";
  row.merchant_txn_id = "=cmd|' /C calc'!A0";
  row.amazon_txn_id = "@x";
  row.code = DiscrepancyCode::kAmountMismatch;
  row.local_status = Status::kCapturePending;
  row.gateway_status = "+Weird";
  row.local_amount = 500;
  row.gateway_amount = -500;
  row.detail = "-approved \"-5.00\", ours 5.00";
  BOOST_TEST(FormatDiscrepancy(row) ==
             "r-1,topup,M1,'=cmd|' /C calc'!A0,'@x,AMOUNT_MISMATCH,CapturePending,'+Weird,5.00,-5.00,"
             "\"'-approved \"\"-5.00\"\", ours 5.00\"\r\n");
  row.gateway_amount.reset();
  row.gateway_status.clear();
  row.detail.clear();
  row.amazon_txn_id.clear();
  row.merchant_txn_id = "c1";
  row.code = DiscrepancyCode::kNotFound;
  BOOST_TEST(FormatDiscrepancy(row) == "r-1,topup,M1,c1,,NOT_FOUND,CapturePending,,5.00,,\r\n");
}

BOOST_AUTO_TEST_CASE(error_row) {
  ErrorRow row;
  row.run_id = "r-2";
  row.kind = Kind::kRefund;
  row.merchant_id = "M1";
  row.merchant_txn_id = "ref-9";
  row.error_class = CheckOutcome::kInvalidRequest;
  row.http_status = 400;
  row.gateway_code = "InvalidArguments";
  row.message = "txnId is invalid\r\n=evil";
  row.attempts = 3;
  row.next_check_at = At("2026-01-02T03:04:05.999Z");
  BOOST_TEST(FormatError(row) ==
             "r-2,refund,M1,ref-9,INVALID_REQUEST,400,InvalidArguments,\"txnId is invalid\r\n=evil\",3,"
             "2026-01-02T03:04:05Z\r\n");
  row.error_class = CheckOutcome::kTimeout;
  row.http_status = 0;
  row.gateway_code.clear();
  row.message = "read timed out after 10s";
  row.next_check_at.reset();
  BOOST_TEST(FormatError(row) == "r-2,refund,M1,ref-9,TIMEOUT,,,read timed out after 10s,3,\r\n");
  BOOST_TEST(std::size(kErrorClasses) == 8u);
}

BOOST_AUTO_TEST_CASE(pending_row_from_a_transaction) {
  Transaction t;
  t.kind = Kind::kCharge;
  t.merchant_id = "M1";
  t.merchant_txn_id = "-neg";
  t.status = Status::kCapturePending;
  t.amount = 5;
  t.created_at = At("2026-01-01T00:00:00Z");
  t.next_check_at = At("2026-01-01T00:10:00Z");
  t.check_count = 4;
  t.error_count = 2;
  t.last_error = "TIMEOUT: read timed out";
  const PendingRow row = PendingRowFrom(t, At("2026-01-01T00:05:00.999Z"));
  BOOST_TEST(row.age_seconds == 300);
  BOOST_TEST(row.attempts == 6);
  BOOST_TEST(FormatPending(row) ==
             "charge,M1,'-neg,,CapturePending,0.05,2026-01-01T00:00:00Z,300,6,2026-01-01T00:10:00Z,"
             "TIMEOUT: read timed out\r\n");
  BOOST_TEST(PendingRowFrom(t, At("2025-12-31T23:59:59.500Z")).age_seconds == -1);
}

BOOST_AUTO_TEST_CASE(summary_json) {
  RunSummary s;
  s.run_id = "20260102T030405Z-ab12";
  s.mode = "run";
  s.dry_run = true;
  s.report_dir = "reports/20260102T030405Z-ab12";
  s.compression = ReportCompression::kGzip;
  s.exit_code = 0;
  s.started_at = At("2026-01-02T03:04:05Z");
  s.finished_at = At("2026-01-02T03:04:07.250Z");
  s.counts.checked = 10;
  s.transitions = 3;
  s.discrepancies = 2;
  s.errors = 1;
  s.still_pending = 6;
  s.counts.checked_by_kind = {{Kind::kCharge, 7}, {Kind::kRefund, 3}};
  s.transitions_by_status = {{{Status::kPending, Status::kApproved}, 1},
                             {{Status::kCapturePending, Status::kCaptureApproved}, 2}};
  s.discrepancies_by_code = {{DiscrepancyCode::kStuckPending, 2}};
  s.errors_by_class = {{CheckOutcome::kHttp5xx, 1}};
  s.counts.gateway_calls = 4;
  s.counts.gateway_latency_total_us = 10002;
  s.counts.gateway_latency_max_us = 5000;
  s.transition_amounts = {{{Status::kPending, Status::kApproved}, 150}, {{Status::kCapturePending, Status::kCaptureApproved}, 9223372036854775807}};
  s.discrepancy_amounts = {{DiscrepancyCode::kStuckPending, 3001}};
  s.pending_ages = {"0-1m"};
  s.pending_totals = {{Kind::kRefund, "0-1m", 2, 2500}, {Kind::kCharge, "0-1m", 4, 1}};
  s.open_discrepancies = {{DiscrepancyCode::kNotFound, 3, 4500}};
  s.pending_listed = 4;
  s.counts.cpu_us = 1002003;
  s.counts.claims = 3;
  s.counts.claim_p50_us = 1200;
  s.counts.claim_p99_us = 4100;
  s.counts.applies = 2;
  s.counts.apply_p50_us = 9000;
  s.counts.apply_p99_us = 12000;
  const std::string json = RenderSummaryJson(s);
  BOOST_TEST(json == R"({
  "run_id": "20260102T030405Z-ab12",
  "mode": "run",
  "dry_run": true,
  "exit_code": 0,
  "report_dir": "reports/20260102T030405Z-ab12",
  "files": {
    "transitions": "transitions.csv.gz",
    "discrepancies": "discrepancies.csv.gz",
    "errors": "errors.csv.gz",
    "pending": "pending.csv.gz"
  },
  "started_at": "2026-01-02T03:04:05.000Z",
  "finished_at": "2026-01-02T03:04:07.250Z",
  "elapsed_ms": 2250,
  "totals": {
    "checked": 10,
    "transitions": 3,
    "discrepancies": 2,
    "errors": 1,
    "still_pending": 6
  },
  "checked_by_kind": {
    "charge": 7,
    "refund": 3,
    "topup": 0
  },
  "transitions": {
    "CapturePending->CaptureApproved": 2,
    "Pending->Approved": 1
  },
  "discrepancies_by_code": {
    "AMOUNT_MISMATCH": 0,
    "CURRENCY_MISMATCH": 0,
    "NOT_FOUND": 0,
    "CHECK_FAILING": 0,
    "SIGNATURE_INVALID": 0,
    "STUCK_PENDING": 2,
    "STATUS_CONFLICT": 0,
    "UNKNOWN_STATUS": 0,
    "MERCHANT_CONFIG": 0
  },
  "errors_by_class": {
    "TIMEOUT": 0,
    "NETWORK": 0,
    "HTTP_5XX": 1,
    "RATE_LIMITED": 0,
    "AUTH": 0,
    "MALFORMED": 0,
    "BAD_SIGNATURE": 0,
    "INVALID_REQUEST": 0
  },
  "timings": {
    "gateway_calls": 4,
    "gateway_latency_total_us": 10002,
    "gateway_latency_mean_us": 2500,
    "gateway_latency_max_us": 5000,
    "cpu_seconds": 1.002003,
    "claims": 3,
    "claim_p50_us": 1200,
    "claim_p99_us": 4100,
    "applies": 2,
    "apply_p50_us": 9000,
    "apply_p99_us": 12000
  },
  "amounts_paise": {
    "transitions": {
      "CapturePending->CaptureApproved": 9223372036854775807,
      "Pending->Approved": 150
    },
    "discrepancies_by_code": {
      "AMOUNT_MISMATCH": 0,
      "CURRENCY_MISMATCH": 0,
      "NOT_FOUND": 0,
      "CHECK_FAILING": 0,
      "SIGNATURE_INVALID": 0,
      "STUCK_PENDING": 3001,
      "STATUS_CONFLICT": 0,
      "UNKNOWN_STATUS": 0,
      "MERCHANT_CONFIG": 0
    }
  },
  "pending": {
    "listed": 4,
    "count": 6,
    "amount_paise": 2501,
    "by_kind_age": [
      {
        "kind": "charge",
        "age": "0-1m",
        "count": 4,
        "amount_paise": 1
      },
      {
        "kind": "refund",
        "age": "0-1m",
        "count": 2,
        "amount_paise": 2500
      },
      {
        "kind": "topup",
        "age": "0-1m",
        "count": 0,
        "amount_paise": 0
      }
    ]
  },
  "open_discrepancies": {
    "count": 3,
    "amount_paise": 4500,
    "by_code": {
      "AMOUNT_MISMATCH": {
        "count": 0,
        "amount_paise": 0
      },
      "CURRENCY_MISMATCH": {
        "count": 0,
        "amount_paise": 0
      },
      "NOT_FOUND": {
        "count": 3,
        "amount_paise": 4500
      },
      "CHECK_FAILING": {
        "count": 0,
        "amount_paise": 0
      },
      "SIGNATURE_INVALID": {
        "count": 0,
        "amount_paise": 0
      },
      "STUCK_PENDING": {
        "count": 0,
        "amount_paise": 0
      },
      "STATUS_CONFLICT": {
        "count": 0,
        "amount_paise": 0
      },
      "UNKNOWN_STATUS": {
        "count": 0,
        "amount_paise": 0
      },
      "MERCHANT_CONFIG": {
        "count": 0,
        "amount_paise": 0
      }
    }
  }
}
)");
  // It is valid JSON.
  BOOST_TEST(ParseJson(json).ok());
  // An empty run: no transitions is an empty object, no division by zero.
  const RunSummary none;
  const std::string empty = RenderSummaryJson(none);
  BOOST_TEST(empty.find("\"transitions\": {},") != std::string::npos);
  BOOST_TEST(empty.find("\"gateway_latency_mean_us\": 0") != std::string::npos);
  BOOST_TEST(ParseJson(empty).ok());
}

BOOST_AUTO_TEST_CASE(run_line) {
  RunSummary s;
  s.run_id = "r\"1";
  s.mode = "backfill";
  s.report_dir = "/var/reports/x";
  s.counts.checked = 5;
  s.transitions = 1;
  s.discrepancies = 2;
  s.errors = 3;
  s.still_pending = 4;
  s.exit_code = 1;
  BOOST_TEST(RenderRunLine(s) ==
             R"({"run_id":"r\"1","mode":"backfill","report_dir":"/var/reports/x","checked":5,"transitions":1,)"
             R"("discrepancies":2,"errors":3,"still_pending":4,"exit_code":1})");
}

BOOST_AUTO_TEST_SUITE_END()
