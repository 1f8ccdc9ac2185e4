/**
 * Checks a document against the ECS 9.4.0 field definitions in
 * tests/fixtures/ecs/ (elastic/ecs generated/ecs/ecs_flat.yml): required fields,
 * known names, types, array normalisation, and the allowed values of
 * event.kind, event.category and event.type (each type expected by one of the
 * categories). Fields under `conntrail.` are conntrail's own namespace.
 */
import ipaddr from "ipaddr.js";
import { fixture } from "../fixture.ts";

interface EcsField {
  type: string;
  array?: boolean;
  required?: boolean;
}

interface EcsSchema {
  version: string;
  fields: Record<string, EcsField>;
  allowed: Record<string, Record<string, string[] | null>>;
}

/** The ECS definitions the fixture holds. */
export const ECS_SCHEMA: EcsSchema = JSON.parse(fixture("ecs/ecs_9.4.0_fields.json"));

const CUSTOM_NAMESPACE = "conntrail.";
/** ECS's documented values of network.direction (its description lists them; there is no allowed_values). */
const NETWORK_DIRECTIONS = ["ingress", "egress", "inbound", "outbound", "internal", "external", "unknown"];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarProblem(name: string, type: string, value: unknown): string | null {
  switch (type) {
    case "keyword":
    case "wildcard":
    case "match_only_text":
    case "text":
    case "constant_keyword":
      return typeof value === "string"
        ? null
        : `${name}: ${type} must be a string, not ${JSON.stringify(value)}`;
    case "long":
    case "integer":
    case "short":
    case "byte":
    case "unsigned_long":
      return Number.isInteger(value)
        ? null
        : `${name}: ${type} must be an integer, not ${JSON.stringify(value)}`;
    case "float":
    case "scaled_float":
    case "double":
      return typeof value === "number" ? null : `${name}: ${type} must be a number`;
    case "boolean":
      return typeof value === "boolean" ? null : `${name}: must be a boolean`;
    case "ip":
      return typeof value === "string" && ipaddr.isValid(value) ? null : `${name}: not an IP: ${value}`;
    case "date":
      return typeof value === "string" &&
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) &&
          !Number.isNaN(Date.parse(value))
        ? null
        : `${name}: not an ISO 8601 date: ${value}`;
    default:
      return `${name}: conntrail does not expect an ECS ${type} field`;
  }
}

function walk(doc: Record<string, unknown>, prefix: string, problems: string[], seen: Set<string>): void {
  for (const [key, value] of Object.entries(doc)) {
    const name = prefix + key;
    if (name.startsWith(CUSTOM_NAMESPACE)) continue;
    if (value === null || value === undefined) {
      problems.push(`${name}: null values are left out, not written`);
      continue;
    }
    const field = ECS_SCHEMA.fields[name];
    if (field === undefined) {
      if (isPlainObject(value)) walk(value, name + ".", problems, seen);
      else problems.push(`${name}: not an ECS ${ECS_SCHEMA.version} field`);
      continue;
    }
    seen.add(name);
    if (field.type === "nested") {
      if (!Array.isArray(value) || !value.every(isPlainObject)) {
        problems.push(`${name}: nested must be an array of objects`);
        continue;
      }
      for (const item of value) walk(item, name + ".", problems, seen);
      continue;
    }
    if (field.type === "object" || field.type === "flattened") {
      if (!isPlainObject(value)) problems.push(`${name}: must be an object`);
      continue;
    }
    if (Array.isArray(value)) {
      if (!field.array) problems.push(`${name}: ECS does not normalise this field to an array`);
      for (const item of value) {
        const problem = scalarProblem(name, field.type, item);
        if (problem !== null) problems.push(problem);
      }
      continue;
    }
    if (field.array) problems.push(`${name}: ECS normalises this field to an array`);
    const problem = scalarProblem(name, field.type, value);
    if (problem !== null) problems.push(problem);
  }
}

function valueAt(doc: Record<string, unknown>, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split(".")) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Every way a document breaks the ECS definitions; empty when it is valid. */
export function ecsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  walk(doc, "", problems, seen);
  for (const [name, field] of Object.entries(ECS_SCHEMA.fields)) {
    if (field.required && !seen.has(name)) problems.push(`${name}: required`);
  }
  const kind = valueAt(doc, "event.kind");
  if (kind !== undefined && !(String(kind) in (ECS_SCHEMA.allowed["event.kind"] ?? {}))) {
    problems.push(`event.kind: "${kind}" is not an allowed value`);
  }
  const asList = (value: unknown) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  const categories = asList(valueAt(doc, "event.category"));
  const types = asList(valueAt(doc, "event.type"));
  const allowedCategories = ECS_SCHEMA.allowed["event.category"] ?? {};
  for (const category of categories) {
    if (!(category in allowedCategories)) problems.push(`event.category: "${category}" is not allowed`);
  }
  for (const type of types) {
    if (!(type in (ECS_SCHEMA.allowed["event.type"] ?? {}))) {
      problems.push(`event.type: "${type}" is not allowed`);
    }
    if (!categories.some((category) => allowedCategories[category]?.includes(type))) {
      problems.push(`event.type: "${type}" is expected by none of the categories ${categories.join(", ")}`);
    }
  }
  const direction = valueAt(doc, "network.direction");
  if (direction !== undefined && !NETWORK_DIRECTIONS.includes(String(direction))) {
    problems.push(`network.direction: "${direction}" is not one of ECS's values`);
  }
  return problems;
}
