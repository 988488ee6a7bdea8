// ExtrasBaseRequest and its two subclasses, field by field, in the models' declaration order.
#include "server/sdapi_extras_request.h"

#include "pipeline/extras_options.h"

namespace upres::server {

using nlohmann::json;

std::optional<SdapiExtrasRequest> read_sdapi_extras_request(const json& body,
                                                            ExtrasEndpoint endpoint,
                                                            ValidationErrors& errors) {
  SdapiExtrasRequest out;
  pipeline::ExtrasRequest& r = out.request;
  r = pipeline::default_api_request();
  r.scale = 2;  // the model's defaults, whatever the option table says for the web form
  r.target_width = 512;
  r.target_height = 512;
  r.crop_to_fit = true;
  r.upscaler_1 = "None";
  r.upscaler_2 = "None";
  r.upscaler_2_visibility = r.gfpgan_visibility = r.codeformer_visibility = r.codeformer_weight = 0;

  // A unit interval field: Field(ge=0, le=1, allow_inf_nan=False).
  auto unit_interval = [&](const char* name, double& target) {
    const FieldRef ref = body_field(body, name);
    if (auto v = read_float(ref, errors, /*allow_inf_nan=*/false))
      if (check_ge(ref, *v, 0, errors) && check_le(ref, *v, 1, errors)) target = *v;
  };
  if (auto mode = read_int_literal(body_field(body, "resize_mode"), {0, 1}, errors))
    r.resize_mode = static_cast<pipeline::ResizeMode>(*mode);
  if (auto show = read_bool(body_field(body, "show_extras_results"), errors))
    out.show_extras_results = *show;
  unit_interval("gfpgan_visibility", r.gfpgan_visibility);
  unit_interval("codeformer_visibility", r.codeformer_visibility);
  unit_interval("codeformer_weight", r.codeformer_weight);
  {
    const FieldRef ref = body_field(body, "upscaling_resize");
    if (auto v = read_float(ref, errors))
      if (check_gt(ref, *v, 0, errors)) r.scale = *v;
  }
  for (auto [name, target] : {std::pair{"upscaling_resize_w", &r.target_width},
                              std::pair{"upscaling_resize_h", &r.target_height}}) {
    const FieldRef ref = body_field(body, name);
    if (auto v = read_int(ref, errors)) {
      if (!check_ge(ref, static_cast<double>(*v), 1, errors)) continue;
      // Beyond any picture a server would make; the pixel limit refuses it later with a 413.
      *target = static_cast<int>(std::min<long long>(*v, 1 << 30));
    }
  }
  if (auto crop = read_bool(body_field(body, "upscaling_crop"), errors)) r.crop_to_fit = *crop;
  if (auto name = read_str(body_field(body, "upscaler_1"), errors)) r.upscaler_1 = *name;
  if (auto name = read_str(body_field(body, "upscaler_2"), errors)) r.upscaler_2 = *name;
  unit_interval("extras_upscaler_2_visibility", r.upscaler_2_visibility);
  (void)read_bool(body_field(body, "upscale_first"), errors);  // accepted; the order is fixed here

  if (endpoint == ExtrasEndpoint::kSingleImage) {
    if (auto image = read_str(body_field(body, "image"), errors)) out.image = *image;
  } else {
    const FieldRef list_ref = body_field(body, "imageList");
    auto list = body.find("imageList");
    if (list == body.end()) {
      errors.add(list_ref.loc, "field required", "value_error.missing");
    } else if (list->is_null()) {
      errors.add(list_ref.loc, "none is not an allowed value", "type_error.none.not_allowed");
    } else if (!list->is_array()) {
      errors.add(list_ref.loc, "value is not a valid list", "type_error.list");
    } else {
      for (size_t i = 0; i < list->size(); ++i) {
        const json& item = (*list)[i];
        const json item_loc = json::array({"body", "imageList", i});
        if (!item.is_object()) {
          errors.add(item_loc, "value is not a valid dict", "type_error.dict");
          continue;
        }
        std::string data, name;
        for (auto [field, target] : {std::pair{"data", &data}, std::pair{"name", &name}}) {
          json loc = item_loc;
          loc.push_back(field);
          if (!item.contains(field)) {
            errors.add(loc, "field required", "value_error.missing");
            continue;
          }
          if (auto text = read_str(FieldRef{item, field, loc}, errors)) *target = *text;
        }
        out.image_list.push_back(std::move(data));
        out.image_names.push_back(std::move(name));
      }
    }
  }
  if (!errors.empty()) return std::nullopt;
  return out;
}

}  // namespace upres::server
