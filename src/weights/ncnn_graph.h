// NcnnGraph: an ncnn text .param file parsed into layers (type, name, input and output blob
// names, param dict). Immutable after parsing; thread-safe for reads.
// Grammar: ../shared/reference/model-formats.md section 1.1 (ncnn src/net.cpp, src/paramdict.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace upres::weights {

// One `id=value` of a layer. ncnn decides int vs float by the token (a '.' or 'e' makes a float)
// and layers read the stored 4 bytes through a union, so get_int/get_float below reinterpret the
// bits when the token had the other form, exactly as ncnn does.
struct NcnnParam {
  enum class Kind { kInt, kFloat, kIntArray, kFloatArray, kString };
  Kind kind = Kind::kInt;
  int32_t i = 0;
  float f = 0;
  std::vector<int32_t> ints;    // kIntArray
  std::vector<float> floats;    // kFloatArray
  std::string text;             // kString
};

class NcnnParamDict {
 public:
  bool has(int id) const { return params_.count(id) != 0; }
  int32_t get_int(int id, int32_t default_value) const;
  float get_float(int id, float default_value) const;
  // Array params as floats (int arrays are reinterpreted bitwise like scalars).
  std::vector<float> get_float_array(int id) const;
  std::vector<int32_t> get_int_array(int id) const;
  const NcnnParam* find(int id) const;
  const std::map<int, NcnnParam>& all() const { return params_; }
  void set(int id, NcnnParam param) { params_[id] = std::move(param); }

 private:
  std::map<int, NcnnParam> params_;
};

struct NcnnLayer {
  std::string type;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  NcnnParamDict params;
};

struct NcnnGraph {
  int32_t blob_count = 0;  // as declared in the header
  std::vector<NcnnLayer> layers;
};

// Parses the text form (magic 7767517). `name` is used in messages. Corrupt on a bad magic,
// counts, a truncated layer, a param id outside 0..31, a malformed value, or a blob produced twice.
Result<NcnnGraph> parse_ncnn_param(std::string_view text, std::string_view name);

}  // namespace upres::weights
