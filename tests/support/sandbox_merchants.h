#pragma once
// The two merchants every end-to-end test's sandbox knows (ids, access keys, test secrets) and the header line of
// its scenario files, written once for the sandbox's tests and the job's.
namespace payrecon::testing {

inline constexpr const char* kMid1 = "MID1";
inline constexpr const char* kMid1AccessKey = "7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07";
inline constexpr const char* kSecretOne = "SANDBOX_SECRET_ONE";
inline constexpr const char* kMid2 = "MID2";
inline constexpr const char* kMid2AccessKey = "0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f";
inline constexpr const char* kSecretTwo = "SANDBOX_SECRET_TWO";

// payrecon-sandbox --merchants: both merchants; MID2 with its own balance and Pay Later credit.
inline constexpr const char* kMerchantsYaml =
    "merchants:\n"
    "  - merchant_id: MID1\n"
    "    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07\n"
    "    secret: SANDBOX_SECRET_ONE\n"
    "  - merchant_id: MID2\n"
    "    access_key_id: 0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f\n"
    "    secret: SANDBOX_SECRET_TWO\n"
    "    balance: \"7263.50\"\n"
    "    pay_later_credit: \"500.00\"\n";

// The first line of a payrecon-sandbox --scenario file, with its line end.
inline constexpr const char* kScenarioHeader =
    "merchant_id,kind,merchant_txn_id,amazon_txn_id,parent_txn_id,amount,currency,status,settle_after_ms,"
    "settle_to,approved_amount,fault\n";

}  // namespace payrecon::testing
