// libFuzzer target: the ZIP index and every entry's read (inflate, CRC).
#include "fuzz_input.h"
#include "weights/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upres::weights;
  auto zip = ZipReader::open(fuzz_source(data, size, "fuzz.zip"));
  if (!zip.is_ok()) return 0;
  for (const ZipEntry& entry : zip->entries()) (void)zip->read(entry);
  return 0;
}
