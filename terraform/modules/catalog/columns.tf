# The records table's columns, derived from the schema document by the function's rules (function/schema,
# Schema.Columns), so that the Parquet files and the table always agree (a Go test compares them column for column):
#
#   - A root property is a column, named as the property, if its schema has one "type" besides an optional "null":
#     string (format date-time: timestamp), integer (bigint), number (double), boolean, object with properties (a
#     struct of its columns, by the same rules), array with items of a column type and no prefixItems (array).
#   - A schema (the root too) with a "$ref" to "#/$defs/<name>" or "#/definitions/<name>" (name escaped ~0 ~1) is
#     its definition, other keywords ignored; through up to 4 references in a row. A definition that refers to
#     itself nests as deep as any struct.
#   - A schema with embedded resources (a subschema with an "$id" of its own) is refused (main.tf): in one,
#     "#/$defs/<name>" names the resource's own definitions, which the function follows and this module does not.
#   - Not a column: anything else (other references, longer chains, loops), nesting deeper than 4, names that are not
#     [A-Za-z_][A-Za-z0-9_]{0,254} or differ only in case, _extra, and at the root the partition columns. In Parquet
#     those fields stay in _extra.
#   - Parquet structs, the root included, have an _extra string column (the fields that are not columns, as JSON);
#     JSON Lines have no such field, so the jsonl table has none, and one without any column has `line` instead.
#
# Terraform has no recursion: each depth is written out, deepest first. A node's key is its path, JSON-encoded:
# property names, and "[]" for the items of an array.

module "schema" {
  source = "../schema"

  schema_file = var.schema_file
}

locals {
  document = module.schema.document
  # The definitions, followed (modules/schema): a node that is a reference is replaced by refs[its $ref].
  refs = module.schema.refs

  # Embedded schema resources: subschemas with an id of their own ("$id"; "id" in draft 4) of more than a fragment, in
  # which "#/$defs/<name>" names the resource's own definitions (function/schema, scope). The refs above are the
  # root's alone, so such a document is refused (main.tf) rather than given other columns than the function's. Without
  # recursion they are counted in the text: every such id, less the root's own.
  id_pattern = strcontains(try(file(var.schema_file), ""), "draft-04/schema") ? "[$]?id" : "[$]id"
  embedded_resources = local.document == null ? 0 : length(regexall("\"${local.id_pattern}\"\\s*:\\s*\"[^\"#]", file(var.schema_file))) - length([
    for k in ["$id", "id"] : k if can(regex("^${local.id_pattern}$", k)) && can(regex("^[^#]", local.document[k]))
  ])

  schema      = module.schema.root
  object_root = module.schema.object_root
  extra       = var.format == "parquet" ? ["_extra"] : []

  partition_names = var.partition_columns
  reserved        = concat(["year", "month", "day", "hour"], local.partition_names)
  column_name     = "^[A-Za-z_][A-Za-z0-9_]{0,254}$"

  # The properties of a struct that can be columns, by name: valid names, unique without case, not _extra.
  # (Written once per depth below, as `names`.)

  d1_raw = {
    for name, node in try(local.schema.properties, {}) : jsonencode([name]) => { path = [name], node = try(local.refs[node["$ref"]], node) }
    if local.object_root && can(regex(local.column_name, name)) && lower(name) != "_extra" && !contains(local.reserved, lower(name)) &&
    length([for k in try(keys(local.schema.properties), []) : k if lower(k) == lower(name)]) == 1
  }
  d1 = { for k, n in local.d1_raw : k => merge(n, { type = try(one([for t in flatten([n.node.type]) : t if t != "null"]), null) }) }

  d2_raw = merge(
    { for c in flatten([for p in values(local.d1) : [
      for name, node in try(p.node.properties, {}) : { path = concat(p.path, [name]), node = try(local.refs[node["$ref"]], node) }
      if can(regex(local.column_name, name)) && lower(name) != "_extra" &&
      length([for k in try(keys(p.node.properties), []) : k if lower(k) == lower(name)]) == 1
    ] if p.type == "object"]) : jsonencode(c.path) => c },
    { for p in values(local.d1) : jsonencode(concat(p.path, ["[]"])) => { path = concat(p.path, ["[]"]), node = try(local.refs[p.node.items["$ref"]], p.node.items) }
    if p.type == "array" && can(keys(p.node.items)) && !can(p.node.prefixItems) },
  )
  d2 = { for k, n in local.d2_raw : k => merge(n, { type = try(one([for t in flatten([n.node.type]) : t if t != "null"]), null) }) }

  d3_raw = merge(
    { for c in flatten([for p in values(local.d2) : [
      for name, node in try(p.node.properties, {}) : { path = concat(p.path, [name]), node = try(local.refs[node["$ref"]], node) }
      if can(regex(local.column_name, name)) && lower(name) != "_extra" &&
      length([for k in try(keys(p.node.properties), []) : k if lower(k) == lower(name)]) == 1
    ] if p.type == "object"]) : jsonencode(c.path) => c },
    { for p in values(local.d2) : jsonencode(concat(p.path, ["[]"])) => { path = concat(p.path, ["[]"]), node = try(local.refs[p.node.items["$ref"]], p.node.items) }
    if p.type == "array" && can(keys(p.node.items)) && !can(p.node.prefixItems) },
  )
  d3 = { for k, n in local.d3_raw : k => merge(n, { type = try(one([for t in flatten([n.node.type]) : t if t != "null"]), null) }) }

  d4_raw = merge(
    { for c in flatten([for p in values(local.d3) : [
      for name, node in try(p.node.properties, {}) : { path = concat(p.path, [name]), node = try(local.refs[node["$ref"]], node) }
      if can(regex(local.column_name, name)) && lower(name) != "_extra" &&
      length([for k in try(keys(p.node.properties), []) : k if lower(k) == lower(name)]) == 1
    ] if p.type == "object"]) : jsonencode(c.path) => c },
    { for p in values(local.d3) : jsonencode(concat(p.path, ["[]"])) => { path = concat(p.path, ["[]"]), node = try(local.refs[p.node.items["$ref"]], p.node.items) }
    if p.type == "array" && can(keys(p.node.items)) && !can(p.node.prefixItems) },
  )
  d4 = { for k, n in local.d4_raw : k => merge(n, { type = try(one([for t in flatten([n.node.type]) : t if t != "null"]), null) }) }

  # The scalar column types; null for anything else.
  scalar = { string = "string", integer = "bigint", number = "double", boolean = "boolean" }

  # Column types, deepest first: at depth 4 only scalars; above, structs and arrays of the depth below.
  t4 = { for k, n in local.d4 : k => (
    n.type == "string" && try(n.node.format, null) == "date-time" ? "timestamp" : lookup(local.scalar, n.type == null ? "" : n.type, null)
  ) }
  t3 = { for k, n in local.d3 : k => (
    n.type == "string" && try(n.node.format, null) == "date-time" ? "timestamp" :
    n.type == "object" ? (
      length([for c, t in local.t4 : c if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"]) == 0 ? null :
      "struct<${join(",", [for name in sort(concat(local.extra, [for c, t in local.t4 : jsondecode(c)[length(n.path)] if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"])) : "${name}:${name == "_extra" ? "string" : local.t4[jsonencode(concat(n.path, [name]))]}"])}>"
    ) :
    n.type == "array" ? (lookup(local.t4, jsonencode(concat(n.path, ["[]"])), null) == null ? null : "array<${local.t4[jsonencode(concat(n.path, ["[]"]))]}>") :
    lookup(local.scalar, n.type == null ? "" : n.type, null)
  ) }
  t2 = { for k, n in local.d2 : k => (
    n.type == "string" && try(n.node.format, null) == "date-time" ? "timestamp" :
    n.type == "object" ? (
      length([for c, t in local.t3 : c if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"]) == 0 ? null :
      "struct<${join(",", [for name in sort(concat(local.extra, [for c, t in local.t3 : jsondecode(c)[length(n.path)] if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"])) : "${name}:${name == "_extra" ? "string" : local.t3[jsonencode(concat(n.path, [name]))]}"])}>"
    ) :
    n.type == "array" ? (lookup(local.t3, jsonencode(concat(n.path, ["[]"])), null) == null ? null : "array<${local.t3[jsonencode(concat(n.path, ["[]"]))]}>") :
    lookup(local.scalar, n.type == null ? "" : n.type, null)
  ) }
  t1 = { for k, n in local.d1 : k => (
    n.type == "string" && try(n.node.format, null) == "date-time" ? "timestamp" :
    n.type == "object" ? (
      length([for c, t in local.t2 : c if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"]) == 0 ? null :
      "struct<${join(",", [for name in sort(concat(local.extra, [for c, t in local.t2 : jsondecode(c)[length(n.path)] if t != null && jsonencode(slice(jsondecode(c), 0, length(n.path))) == k && length(jsondecode(c)) == length(n.path) + 1 && jsondecode(c)[length(n.path)] != "[]"])) : "${name}:${name == "_extra" ? "string" : local.t2[jsonencode(concat(n.path, [name]))]}"])}>"
    ) :
    n.type == "array" ? (lookup(local.t2, jsonencode(concat(n.path, ["[]"])), null) == null ? null : "array<${local.t2[jsonencode(concat(n.path, ["[]"]))]}>") :
    lookup(local.scalar, n.type == null ? "" : n.type, null)
  ) }

  # The records table's columns, in name order. A jsonl table without data columns (no schema, a schema not of
  # objects, or none of whose properties is a column) has one string column per line instead: it reads every record.
  data_columns = [for k, t in local.t1 : jsondecode(k)[0] if t != null]
  has_columns  = local.object_root && (var.format == "parquet" || length(local.data_columns) > 0)
  columns = !local.has_columns ? [{ name = "line", type = "string" }] : [
    for name in sort(concat(local.extra, local.data_columns)) :
    { name = name, type = name == "_extra" ? "string" : local.t1[jsonencode([name])] }
  ]
}
