#pragma once
// Internal to db/: every SQL statement of the adapter, named after the function that runs it (db/sql.cpp).
// Times travel as bigint milliseconds since the Unix epoch; `now` is always a parameter.
namespace payrecon::db::sql {

// migrate.cpp
extern const char* const kSchemaStatusExists;
extern const char* const kSchemaStatusVersion;
extern const char* const kMigrateLock;
extern const char* const kMigrateBootstrap;
extern const char* const kMigrateRecorded;
extern const char* const kMigrateRecord;

// pg_store.cpp
extern const char* const kTransactionsClaimDue;
extern const char* const kTransactionsListDue;
extern const char* const kTransactionsClaimWindow;
extern const char* const kTransactionsListWindow;
extern const char* const kTransactionsApply;
extern const char* const kTransactionsApplyPlain;
extern const char* const kLeasesRelease;
extern const char* const kTransactionsForEachPending;
extern const char* const kTransactionsCountPending;
extern const char* const kTransactionsCountWindow;
extern const char* const kTransactionGet;
extern const char* const kTransactionFind;
extern const char* const kRunStart;
extern const char* const kRunFinish;
extern const char* const kRunCheckpoint;
extern const char* const kRunGet;
extern const char* const kRunErrorsRecord;
extern const char* const kRunTransitionsForEach;
extern const char* const kRunTransitionsCount;
extern const char* const kRunDiscrepanciesForEach;
extern const char* const kRunErrorsForEach;
extern const char* const kDiscrepanciesListOpen;
extern const char* const kDiscrepanciesListAll;
extern const char* const kDiscrepancyGet;
extern const char* const kDiscrepancyResolve;
extern const char* const kDiscrepanciesCountOpen;
extern const char* const kTransactionsPendingAges;
extern const char* const kTransactionsPendingTotals;
extern const char* const kDiscrepanciesTotalsOpen;
extern const char* const kRunFiguresSet;
extern const char* const kRunsListRecent;
extern const char* const kTransactionClaimOne;
extern const char* const kTransactionsFindByTxn;
extern const char* const kTransactionLeaseGet;
extern const char* const kTransactionEventsList;
extern const char* const kTransactionRunErrorsList;
extern const char* const kTransactionDiscrepanciesList;
extern const char* const kTransactionCheckRunsList;
extern const char* const kHistoryPrune;

// import.cpp
extern const char* const kImportCreateTemp;
extern const char* const kImportCopy;
extern const char* const kImportCopyNew;
extern const char* const kImportTempBuffers;
extern const char* const kImportWorkMem;
extern const char* const kImportAnalyze;
extern const char* const kImportInsertNew;
extern const char* const kImportInsert;

// pg_store.cpp: failure paths
extern const char* const kLeasesReleaseRun;
extern const char* const kRunsMarkAbandoned;
extern const char* const kTransactionsHeldInWindow;
extern const char* const kLeasesRenew;

}  // namespace payrecon::db::sql
