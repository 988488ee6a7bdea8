// libFuzzer target: safetensors header checks and tensor reads.
#include "fuzz_input.h"
#include "weights/safetensors_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upres::weights;
  auto map = read_safetensors(fuzz_source(data, size, "fuzz.safetensors"));
  if (map.is_ok()) read_every_tensor(*map);
  return 0;
}
