// The commands of the hoso command line, one function per table entry of main.cc, grouped by
// the file that holds them. Each returns the process's exit code (flags.h) after printing its
// result, or why it failed.
#pragma once

#include <string>

#include "tools/cli/flags.h"

namespace hoso::cli {

// ca.cc: the province's CA.
int CaInitCmd(const Args& a);
int CaIssueCmd(const Args& a);
int CaRevokeCmd(const Args& a);
int CaListCmd(const Args& a);

// node_cmds.cc: one node's data directory, accounts and status.
int InitCmd(const Args& a);
int BackupCmd(const Args& a);
int RestoreCmd(const Args& a);
int KeyRotateCmd(const Args& a);
// action: "add", "passwd", "remove" or "list".
int OfficerCmd(const Args& a, const std::string& action);
int SyncStatusCmd(const Args& a);
int NodeStatusCmd(const Args& a);

// audit.cc: a store read as an auditor, and bundles.
int AuditVerifyCmd(const Args& a);
int AuditReceiptsCmd(const Args& a);
int AuditReplayCmd(const Args& a);
// audit_reads.cc: the read log.
int AuditReadsCmd(const Args& a);
int VectorCmd(const Args& a);
int ExportCmd(const Args& a);
int ImportCmd(const Args& a);

// reference.cc: the catalogue, the calendar, the directory, revocations.
int CatalogueGenerateCmd(const Args& a);
int CatalogueLoadCmd(const Args& a);
int CatalogueSearchCmd(const Args& a);
int CalendarSetCmd(const Args& a);
int CalendarShowCmd(const Args& a);
int DirectoryLoadCmd(const Args& a);
int DirectoryRedrawCmd(const Args& a);
int DirectoryShowCmd(const Args& a);
int RevokeCmd(const Args& a);

// erasure.cc: erasures of personal data.
int EraseCmd(const Args& a);
int ErasuresCmd(const Args& a);

// subject.cc: data-subject requests.
int SubjectExportCmd(const Args& a);
int SubjectListCmd(const Args& a);
// cases.cc: cases and the report.
int CaseNewCmd(const Args& a);
int CaseStepCmd(const Args& a);
int CaseShowCmd(const Args& a);
int CaseListCmd(const Args& a);
int ReportCmd(const Args& a);
// documents.cc: a case's files.
int DocAddCmd(const Args& a);
int DocListCmd(const Args& a);
int DocGetCmd(const Args& a);
int DocVerifyCmd(const Args& a);

}  // namespace hoso::cli
