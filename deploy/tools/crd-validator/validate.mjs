#!/usr/bin/env node
// Validates custom resources (Argo Rollouts, Argo CD, KEDA, Prometheus Operator, Cilium) offline against the
// CRD schemas shipped by the pinned @kubernetes-models packages (package.json beside this file).
//
//   node validate.mjs [--json] [--modules DIR] [FILE ...]      (no FILE: read standard input)
//
// Every YAML document must be a custom resource one of those packages knows; anything else (a core Kubernetes
// kind, which kubeconform checks, or a CRD no package covers) is reported as "unknown" and fails the run, so a
// document is never passed over in silence. Exit status: 0 all valid, 1 some invalid or unknown, 2 usage or
// YAML errors. The schemas accept unknown fields (a misspelt optional field passes): the project's tests add
// their own checks for the fields that matter.
//
// The packages are installed by `make setup` into .local/crd-validator/node_modules (not beside this file), so
// they are imported from --modules DIR, by default that directory in this repository.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PACKAGES = ["argo-rollouts", "argo-cd", "keda", "prometheus-operator", "cilium"];
const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODULES = resolve(HERE, "../../../.local/crd-validator/node_modules");

function usage(message) {
  process.stderr.write(`${message}\nusage: node validate.mjs [--json] [--modules DIR] [FILE ...]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { json: false, modules: DEFAULT_MODULES, files: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--modules") {
      if (i + 1 >= argv.length) usage("--modules needs a directory");
      options.modules = resolve(argv[(i += 1)]);
    } else if (arg.startsWith("--")) usage(`unknown option ${arg}`);
    else options.files.push(arg);
  }
  return options;
}

async function importFrom(modules, relative) {
  return import(pathToFileURL(join(modules, relative)).href);
}

// apiVersion -> { kind -> [model class, package] }, from each package's "<group>/<version>/index.js".
const registry = new Map();
async function modelFor(modules, apiVersion, kind) {
  if (!registry.has(apiVersion)) {
    const models = new Map();
    if (apiVersion.includes("/")) {
      for (const pkg of PACKAGES) {
        const index = join("@kubernetes-models", pkg, apiVersion, "index.js");
        if (!existsSync(join(modules, index))) continue;
        for (const exported of Object.values(await importFrom(modules, index))) {
          if (typeof exported === "function" && exported.apiVersion === apiVersion && exported.kind) {
            models.set(exported.kind, [exported, `@kubernetes-models/${pkg}`]);
          }
        }
      }
    }
    registry.set(apiVersion, models);
  }
  return registry.get(apiVersion).get(kind);
}

function describe(error) {
  if (!Array.isArray(error.errors)) return [String(error.message ?? error)];
  return error.errors.map((e) => {
    const where = e.instancePath || "/";
    const extra = e.params?.additionalProperty ?? e.params?.allowedValues?.join(", ") ?? e.params?.missingProperty;
    return extra === undefined ? `${where} ${e.message}` : `${where} ${e.message} (${extra})`;
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(options.modules, "@kubernetes-models"))) {
    usage(`no @kubernetes-models packages under ${options.modules}: run \`make setup\``);
  }
  const { parseAllDocuments } = await importFrom(options.modules, "yaml/dist/index.js");
  const inputs = options.files.length
    ? options.files.map((file) => [file, readFileSync(file, "utf8")])
    : [["<stdin>", readFileSync(0, "utf8")]];

  const results = [];
  for (const [file, text] of inputs) {
    for (const [index, document] of parseAllDocuments(text).entries()) {
      if (document.errors.length) usage(`${file}: YAML document ${index}: ${document.errors[0].message}`);
      const object = document.toJS();
      if (object === null || object === undefined) continue;
      const apiVersion = String(object.apiVersion ?? "");
      const kind = String(object.kind ?? "");
      const name = String(object.metadata?.name ?? "");
      const result = { file, index, apiVersion, kind, name, status: "valid", package: null, errors: [] };
      const found = await modelFor(options.modules, apiVersion, kind);
      if (!found) {
        result.status = "unknown";
        result.errors = [`no CRD schema for ${apiVersion} ${kind} in ${PACKAGES.join(", ")}`];
      } else {
        const [Model, pkg] = found;
        result.package = pkg;
        try {
          new Model(object).validate();
        } catch (error) {
          result.status = "invalid";
          result.errors = describe(error);
        }
      }
      results.push(result);
    }
  }

  if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    for (const r of results) {
      const line = `${r.status.padEnd(7)} ${r.apiVersion} ${r.kind} ${r.name} (${r.file}#${r.index})`;
      process.stdout.write(`${line}${r.errors.map((e) => `\n        ${e}`).join("")}\n`);
    }
  }
  const failed = results.filter((r) => r.status !== "valid");
  if (failed.length) {
    process.stderr.write(`${failed.length} of ${results.length} custom resources failed validation\n`);
    process.exit(1);
  }
}

await main();
