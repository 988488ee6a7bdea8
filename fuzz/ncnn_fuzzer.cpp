// libFuzzer target: an ncnn .param and .bin pair, split at the first NUL byte of the input.
#include <algorithm>

#include "fuzz_input.h"
#include "weights/ncnn_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upres::weights;
  const uint8_t* split = std::find(data, data + size, uint8_t{0});
  size_t param_size = static_cast<size_t>(split - data);
  size_t bin_offset = std::min(size, param_size + 1);
  auto param = fuzz_source(data, param_size, "fuzz.param");
  auto model = read_ncnn(*param, fuzz_source(data + bin_offset, size - bin_offset, "fuzz.bin"));
  if (model.is_ok()) read_every_tensor(model->weights);
  return 0;
}
