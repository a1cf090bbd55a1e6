// Builds the vendored host SDKs from hostsdk/node_modules (installed by `npm ci`):
//   static/vendor/zaf_sdk.min.js            ZAF SDK, bundled (the npm package is CommonJS only)
//   static/vendor/app-extensions-sdk.umd.js Pipedrive's own UMD build, byte for byte
//   static/vendor/index.umd.js.map          its source map, which the UMD file names on its last line
//   tests/browser/vendor/axe.min.js         axe-core for the browser tests, never served
//   static/vendor/host-sdks.json            versions, lock integrity and sha256 of every output
// Run it as `make host-sdks`; tests/embed/test_host_sdks.py checks the outputs against the manifest.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const HOSTSDK = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HOSTSDK);
const MODULES = join(HOSTSDK, "node_modules");
const MANIFEST = join(ROOT, "static/vendor/host-sdks.json");
const PACKAGES = ["@pipedrive/app-extensions-sdk", "axe-core", "esbuild", "zendesk_app_framework_sdk"];

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function lockedPackages() {
  const lock = readJson(join(HOSTSDK, "package-lock.json"));
  const locked = {};
  for (const name of PACKAGES) {
    const entry = lock.packages[`node_modules/${name}`];
    const installed = readJson(join(MODULES, name, "package.json")).version;
    // A node_modules left over from another lock would vendor code the manifest does not name.
    if (installed !== entry.version) {
      throw new Error(`${name} ${installed} is installed but the lock says ${entry.version}: run npm ci`);
    }
    locked[name] = { version: entry.version, integrity: entry.integrity };
  }
  return locked;
}

function write(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function buildZafSdk(outfile) {
  // The package's entry ends in `module.exports = ZAFClient`; the stub makes the global explicit
  // instead of relying on esbuild's top-level `var` landing on window.
  const result = buildSync({
    stdin: {
      contents: 'window.ZAFClient = require("zendesk_app_framework_sdk");\n',
      resolveDir: HOSTSDK,
      sourcefile: "zaf-entry.js",
    },
    bundle: true,
    format: "iife",
    minify: true,
    target: "es2017",
    platform: "browser",
    legalComments: "inline",
    charset: "utf8",
    write: false,
    logLevel: "warning",
  });
  write(outfile, result.outputFiles[0].contents);
}

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function main() {
  const packages = lockedPackages();
  const pipedriveDist = join(MODULES, "@pipedrive/app-extensions-sdk/dist");
  const outputs = {
    "static/vendor/zaf_sdk.min.js": (to) => buildZafSdk(to),
    "static/vendor/app-extensions-sdk.umd.js": (to) => copy(join(pipedriveDist, "index.umd.js"), to),
    "static/vendor/index.umd.js.map": (to) => copy(join(pipedriveDist, "index.umd.js.map"), to),
    "tests/browser/vendor/axe.min.js": (to) => copy(join(MODULES, "axe-core/axe.min.js"), to),
  };
  const files = {};
  for (const [path, make] of Object.entries(outputs)) {
    make(join(ROOT, path));
    files[path] = { sha256: sha256(join(ROOT, path)) };
  }
  const manifest = { packages, files };
  write(MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
  for (const path of [...Object.keys(files), relative(ROOT, MANIFEST)]) console.log(`wrote ${path}`);
}

main();
