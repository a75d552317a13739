output "document" {
  description = "The schema document, decoded; null without one."
  value       = local.document
}

output "refs" {
  description = "The document's definitions by the reference to each (\"#/$defs/<name>\", \"#/definitions/<name>\"), each followed through up to 4 references in a row: null where the chain is longer (or loops)."
  value       = local.refs
}

output "root" {
  description = "The root schema: the definition it names when it is a \"$ref\" to one (as function/schema follows it), else the document itself; null without one."
  value       = local.root
}

output "object_root" {
  description = "Whether the root (a root \"$ref\" followed) has \"type\": \"object\", besides an optional \"null\": a schema of objects, whose properties can be columns."
  value       = try(one([for t in flatten([local.root.type]) : t if t != "null"]), null) == "object"
}
