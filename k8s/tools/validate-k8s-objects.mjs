// Validates Kubernetes objects against the API schemas with the `kubernetes-models` package
// (an ES module, hence this separate Node process: the jest tests run CommonJS).
// stdin: a JSON array of objects. stdout: JSON { validated: [{kind, name}], unknownKinds: [...], errors: [...] }.
// Kinds that are not built into Kubernetes (CRDs) are reported as unknownKinds, for the caller
// to validate with its own schemas.
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const result = { validated: [], unknownKinds: [], errors: [] };

function modulePath(apiVersion) {
  // "v1" -> kubernetes-models/v1; "apps/v1" -> kubernetes-models/apps/v1
  return `kubernetes-models/${apiVersion}`;
}

for (const object of objects) {
  const id = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name };
  let models;
  try {
    models = await import(modulePath(object.apiVersion));
  } catch {
    result.unknownKinds.push(id);
    continue;
  }
  const Model = models[object.kind];
  if (
    typeof Model !== 'function' ||
    Model.apiVersion !== object.apiVersion ||
    Model.kind !== object.kind
  ) {
    result.unknownKinds.push(id);
    continue;
  }
  try {
    new Model(object).validate();
    result.validated.push(id);
  } catch (err) {
    result.errors.push({ ...id, message: String(err.message ?? err) });
  }
}

process.stdout.write(JSON.stringify(result));
