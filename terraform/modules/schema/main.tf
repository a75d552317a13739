# The schema document as the function resolves its references (function/schema, deref): its definitions, followed
# through the references they are, and its root, a root "$ref" followed. The function module (format = "parquet"
# needs an object root) and the catalog module (the records table's columns) both read the schema through this
# module, so that the two cannot disagree on what the root is.

locals {
  document = var.schema_file == null ? null : jsondecode(file(var.schema_file))

  # The document's definitions by the reference to each ("#/$defs/<name>", "#/definitions/<name>", the name escaped
  # ~0 ~1), then each followed through the references it is, up to MaxRefs (4) in all: null where the chain is
  # longer. A node that is a reference is replaced by refs[its $ref].
  defs = merge([for kw in ["definitions", "$defs"] : try({
    for name, def in local.document[kw] : "#/${kw}/${replace(replace(name, "~", "~0"), "/", "~1")}" => def
  }, {})]...)
  refs_2 = { for k, def in local.defs : k => try(local.defs[def["$ref"]], def) }
  refs_3 = { for k, def in local.refs_2 : k => try(local.defs[def["$ref"]], def) }
  refs_4 = { for k, def in local.refs_3 : k => try(local.defs[def["$ref"]], def) }
  refs   = { for k, def in local.refs_4 : k => can(local.defs[def["$ref"]]) ? null : def }

  # The root: its definition when it is a reference to one, other keywords ignored.
  root = try(local.refs[local.document["$ref"]], local.document)
}
