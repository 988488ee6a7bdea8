// libFuzzer target: an .onnx file (protobuf ModelProto) through the ONNX reader's checks.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "weights/onnx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = upres::weights::fuzz_source(data, size, "fuzz.onnx");
  auto graph = upres::weights::read_onnx(*source);
  if (graph.is_ok()) {
    size_t values = 0;
    for (const auto& [name, tensor] : graph->initializers) values += tensor.floats.size() + tensor.ints.size();
    (void)values;
  }
  return 0;
}
