/**
 * Checks a record against OCSF 1.8.0 Network Activity (class 4001) as resolved
 * from ocsf/ocsf-schema into tests/fixtures/ocsf/ (base event, network
 * category and class merged, objects with their parents): required attributes,
 * known names, types, enums, `at_least_one` constraints, profiles declared in
 * `metadata.profiles`, and the uid arithmetic (class 4001, type_uid).
 */
import { fixture } from "../fixture.ts";

interface OcsfAttribute {
  requirement: "required" | "recommended" | "optional";
  type: string;
  object?: string;
  array?: boolean;
  enum?: number[];
  profile?: string;
}

interface OcsfDefinition {
  attributes: Record<string, OcsfAttribute>;
  constraints: { at_least_one?: string[]; just_one?: string[] };
}

interface OcsfSchema {
  version: string;
  classes: Record<
    string,
    OcsfDefinition & { uid: number; category: string; activities: Record<string, string> }
  >;
  categories: Record<string, number>;
  objects: Record<string, OcsfDefinition>;
}

/** The OCSF definitions the fixture holds. */
export const OCSF_SCHEMA: OcsfSchema = JSON.parse(fixture("ocsf/ocsf_1.8.0_network_activity.json"));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkValue(
  path: string,
  attribute: OcsfAttribute,
  value: unknown,
  profiles: ReadonlySet<string>,
  problems: string[],
): void {
  switch (attribute.type) {
    case "integer_t":
    case "long_t":
      if (!Number.isInteger(value)) problems.push(`${path}: ${attribute.type} must be an integer`);
      // The uids' enums name only the base event's 0; ocsfProblems() checks their arithmetic instead.
      else if (path === "category_uid" || path === "class_uid") return;
      else if (attribute.enum !== undefined && !attribute.enum.includes(value as number)) {
        problems.push(`${path}: ${value} is not one of ${attribute.enum.join(", ")}`);
      }
      return;
    case "float_t":
      if (typeof value !== "number") problems.push(`${path}: must be a number`);
      return;
    case "string_t":
      if (typeof value !== "string") problems.push(`${path}: must be a string, not ${JSON.stringify(value)}`);
      return;
    case "boolean_t":
      if (typeof value !== "boolean") problems.push(`${path}: must be a boolean`);
      return;
    case "json_t":
      return;
    case "object": {
      if (attribute.object === "object") {
        // A free-form object (`unmapped`): anything goes inside.
        if (!isPlainObject(value)) problems.push(`${path}: must be an object`);
        return;
      }
      const definition = OCSF_SCHEMA.objects[attribute.object ?? ""];
      if (definition === undefined) {
        problems.push(
          `${path}: object "${attribute.object}" is not in the fixture (add it to resolve.py's list)`,
        );
      } else if (!isPlainObject(value)) {
        problems.push(`${path}: must be an object`);
      } else {
        checkObject(path, definition, value, profiles, problems);
      }
      return;
    }
    default:
      problems.push(`${path}: unexpected OCSF type ${attribute.type}`);
  }
}

function checkObject(
  path: string,
  definition: OcsfDefinition,
  value: Record<string, unknown>,
  profiles: ReadonlySet<string>,
  problems: string[],
): void {
  const prefix = path === "" ? "" : path + ".";
  for (const [name, attribute] of Object.entries(definition.attributes)) {
    const applies = attribute.profile === undefined || profiles.has(attribute.profile);
    if (attribute.requirement === "required" && applies && !(name in value)) {
      problems.push(`${prefix}${name}: required`);
    }
  }
  for (const [name, item] of Object.entries(value)) {
    const attribute = definition.attributes[name];
    if (attribute === undefined) {
      problems.push(`${prefix}${name}: not an attribute here`);
      continue;
    }
    if (attribute.profile !== undefined && !profiles.has(attribute.profile)) {
      problems.push(
        `${prefix}${name}: belongs to the "${attribute.profile}" profile, not in metadata.profiles`,
      );
    }
    if (item === null) {
      problems.push(`${prefix}${name}: null values are left out, not written`);
      continue;
    }
    if (attribute.array) {
      if (!Array.isArray(item)) problems.push(`${prefix}${name}: must be an array`);
      else item.forEach((one, i) => checkValue(`${prefix}${name}[${i}]`, attribute, one, profiles, problems));
    } else {
      checkValue(`${prefix}${name}`, attribute, item, profiles, problems);
    }
  }
  const atLeastOne = definition.constraints.at_least_one;
  if (atLeastOne !== undefined && !atLeastOne.some((name) => name in value)) {
    problems.push(`${path || "record"}: needs at least one of ${atLeastOne.join(", ")}`);
  }
}

/** Every way a record breaks OCSF Network Activity; empty when it is valid. */
export function ocsfProblems(record: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const definition = OCSF_SCHEMA.classes.network_activity;
  if (definition === undefined) throw new Error("the OCSF fixture has no network_activity class");
  const category = OCSF_SCHEMA.categories[definition.category] ?? -1;
  const classUid = category * 1000 + definition.uid;
  const metadata = isPlainObject(record.metadata) ? record.metadata : {};
  const profiles = new Set(Array.isArray(metadata.profiles) ? metadata.profiles.map(String) : []);
  checkObject("", definition, record, profiles, problems);
  if (record.category_uid !== category) problems.push(`category_uid: must be ${category}`);
  if (record.class_uid !== classUid) problems.push(`class_uid: must be ${classUid}`);
  if (record.type_uid !== classUid * 100 + Number(record.activity_id)) {
    problems.push(`type_uid: must be class_uid * 100 + activity_id`);
  }
  const activityName = definition.activities[String(record.activity_id)];
  if (record.activity_name !== undefined && record.activity_name !== activityName) {
    problems.push(`activity_name: "${record.activity_name}" is not activity ${record.activity_id}'s caption`);
  }
  return problems;
}
