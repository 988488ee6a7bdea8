// OpFixturesSuite: a test suite over the op cases of tests/reference/engine_ops.py, generated
// once into a fresh folder before the suite's first test and removed after its last. Suites run
// one at a time in a process; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "op_case.h"

namespace upres::engine::testing {

class OpFixturesSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = generate_fixtures("engine_ops.py");
    ASSERT_TRUE(dir.is_ok()) << dir.status().to_string();
    dir_ = *dir;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  // The folder holding manifest.json and the cases' tensors (load_op_cases, build_case).
  static inline std::string dir_;
};

}  // namespace upres::engine::testing
