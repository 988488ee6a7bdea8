// Helpers for the API tests: pictures as PNG bytes and base64, JSON requests to a ServerProcess.
#pragma once

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "image/image_codec.h"
#include "server/base64.h"

namespace upres::server::testing {

// A w x h RGB gradient, PNG-encoded.
inline std::vector<uint8_t> make_png(int width, int height) {
  image::Image picture(width, height, 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        picture.at(x, y, c) = static_cast<float>((x * 7 + y * 3 + c * 50) % 256) / 255.0f;
  return image::encode_image(picture, {}).value();
}

inline std::string make_png_base64(int width, int height) {
  return encode_base64(make_png(width, height));
}

// Width and height of an encoded picture, or {-1, -1}.
inline std::pair<int, int> decoded_size(std::span<const uint8_t> bytes) {
  auto decoded = image::decode_image(bytes, "response");
  if (!decoded.is_ok()) return {-1, -1};
  return {decoded->width(), decoded->height()};
}

inline std::pair<int, int> decoded_base64_size(const std::string& text) {
  auto bytes = decode_base64(text, "response");
  if (!bytes.is_ok()) return {-1, -1};
  return decoded_size(*bytes);
}

inline httplib::Result post_json(httplib::Client& client, const std::string& path,
                                 const nlohmann::json& body) {
  return client.Post(path.c_str(), body.dump(), "application/json");
}

inline nlohmann::json body_json(const httplib::Result& result) {
  if (!result) return nullptr;
  return nlohmann::json::parse(result->body, nullptr, false);
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Polls GET /api/v1/jobs/ID every 50 ms until the job is neither queued nor running, at most
// `polls` times; returns the last answer.
inline nlohmann::json wait_for_job(httplib::Client& client, const std::string& id, int polls) {
  nlohmann::json job;
  for (int i = 0; i < polls; ++i) {
    job = body_json(client.Get(("/api/v1/jobs/" + id).c_str()));
    if (job.value("state", "") != "queued" && job.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return job;
}

}  // namespace upres::server::testing
