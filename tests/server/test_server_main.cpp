// upres_test_server: run_server with the classical upscalers plus "Slow test", an upscaler that
// takes --slow-ms per image in 20 reported steps and honours cancel, so tests can watch progress,
// ETA, interrupt and skip. Flags mirror `upres serve`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "image/resample.h"
#include "server/server.h"

namespace {

using namespace upres;

class SlowUpscaler : public pipeline::Upscaler {
 public:
  explicit SlowUpscaler(int total_ms) : total_ms_(total_ms) {}
  std::string name() const override { return "Slow test"; }
  Result<image::Image> upscale(const image::Image& input, int width, int height,
                               pipeline::Progress& progress) override {
    constexpr int kSteps = 20;
    for (int step = 0; step < kSteps; ++step) {
      if (progress.is_cancelled()) return cancelled("Slow test: cancelled");
      progress.report({"Slow test", step, kSteps});
      std::this_thread::sleep_for(std::chrono::milliseconds(total_ms_ / kSteps));
    }
    progress.report({"Slow test", kSteps, kSteps});
    return image::resize(input, width, height, image::ResampleFilter::kNearest);
  }

 private:
  int total_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  server::ServerOptions options;
  int slow_ms = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listen")
      options.listen_address = value;
    else if (flag == "--port")
      options.port = std::stoi(value);
    else if (flag == "--api-auth")
      options.api_auth = value;
    else if (flag == "--max-upload-bytes")
      options.max_upload_bytes = std::stoll(value);
    else if (flag == "--max-pixels")
      options.max_pixels = std::stoll(value);
    else if (flag == "--output-dir")
      options.output_dir = value;
    else if (flag == "--batch-root")
      options.batch_root = value;
    else if (flag == "--timeout")
      options.job_timeout = std::chrono::seconds(std::stoi(value));
    else if (flag == "--idle-timeout-ms")
      options.idle_timeout = std::chrono::milliseconds(std::stoi(value));
    else if (flag == "--header-timeout-ms")
      options.header_timeout = std::chrono::milliseconds(std::stoi(value));
    else if (flag == "--read-timeout-ms")
      options.read_timeout = std::chrono::milliseconds(std::stoi(value));
    else if (flag == "--max-connections-per-client")
      options.max_connections_per_client = std::stoi(value);
    else if (flag == "--cors-allow-origins")
      options.cors_allow_origins = value;
    else if (flag == "--cors-allow-origins-regex")
      options.cors_allow_origins_regex = value;
    else if (flag == "--trusted-proxies")
      options.trusted_proxies.push_back(value);
    else if (flag == "--slow-ms")
      slow_ms = std::stoi(value);
    else {
      std::fprintf(stderr, "upres_test_server: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  options.registry = pipeline::UpscalerRegistry::with_classical_upscalers();
  options.registry->add(
      {"Slow test", "", 0, true}, [slow_ms]() -> Result<std::shared_ptr<pipeline::Upscaler>> {
        return std::shared_ptr<pipeline::Upscaler>(std::make_shared<SlowUpscaler>(slow_ms));
      });
  Status status = server::run_server(options);
  if (!status.is_ok()) {
    std::fprintf(stderr, "upres_test_server: %s\n", status.to_string().c_str());
    return 1;
  }
  return 0;
}
