// JobJournal: a hidden file in a directory job's output folder that exists while the job is
// unfinished. A server killed mid-job leaves it behind, so the same job (same input folder, kind,
// options and format) submitted to the restarted server is known to be a resume and adopts the
// pictures the dead server finished (JobSpec::skip_existing) instead of numbering copies.
// Stateless functions; safe from any thread.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"

namespace upres::server {

// ".upres-job-<first 16 hex of sha256(key)>.json" in `output_dir`; `key` names the job's input
// folder and parameters.
std::filesystem::path job_journal_path(const std::filesystem::path& output_dir, const std::string& key);

// Whether an earlier server left this journal (the job did not end).
bool job_journal_exists(const std::filesystem::path& journal);

// Writes `description` (the request, for a person reading the folder) whole or not at all.
Status write_job_journal(const std::filesystem::path& journal, const std::string& description);

// Removes it; a journal already gone is fine.
void remove_job_journal(const std::filesystem::path& journal);

}  // namespace upres::server
