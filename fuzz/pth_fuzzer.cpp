// libFuzzer target: torch checkpoints (zip and legacy) end to end, including tensor reads.
#include "fuzz_input.h"
#include "weights/pth_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upres::weights;
  auto map = read_pth(fuzz_source(data, size, "fuzz.pth"));
  if (map.is_ok()) read_every_tensor(*map);
  return 0;
}
