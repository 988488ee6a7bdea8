// libFuzzer target: the pickle VM plus state-dict unwrapping and flattening.
#include "fuzz_input.h"
#include "weights/pickle_reader.h"
#include "weights/state_dict.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upres::weights;
  ByteCursor cursor({data, size}, "fuzz.pkl");
  PickleReader reader;
  auto root = reader.load(cursor);
  if (root.is_ok()) (void)flatten_tensors(*unwrap_state_dict(**root).root);
  return 0;
}
